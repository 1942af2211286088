import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { REPO } from '../support/config.ts';

// `run` on an interface other machines can reach, with no API token, must not start at all.

function runCli(configFile: string, env: Record<string, string | undefined>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [join(REPO, 'bin', 'shadow-compare.js'), 'run', '--config', configFile, '--log-level', 'warn'], {
    cwd: REPO,
    env: { ...process.env, SHADOW_API_TOKEN: undefined, ...env },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('run on a non-loopback host', () => {
  it('refuses to start without an API token, says how to set one, and touches no store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadow-guard-'));
    try {
      const base = loadConfig(join(REPO, 'shadow-compare.yaml'));
      const file = join(dir, 'config.json');
      const dataDir = join(dir, 'data');
      writeFileSync(file, JSON.stringify({ ...base, http: { ...base.http, host: '0.0.0.0', port: 0 }, clickhouse: { ...base.clickhouse, dataDir } }));
      const r = await runCli(file, {});
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^error SHADOW_CONFIG: http\.host is 0\.0\.0\.0, reachable from other machines, and no API token is set: set SHADOW_API_TOKEN \(e\.g\. `export SHADOW_API_TOKEN=\$\(openssl rand -hex 32\)`\) or http\.tokenFile, or bind http\.host to 127\.0\.0\.1$/m);
      assert.equal(existsSync(dataDir), false, 'the store was opened before the check');
      const short = await runCli(file, { SHADOW_API_TOKEN: 'short' });
      assert.equal(short.code, 2);
      assert.match(short.stderr, /SHADOW_API_TOKEN must be at least 16 characters/);
      assert.doesNotMatch(short.stderr, /short/, 'the token itself is never echoed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
