import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { modelEntry, promoteVersion, registerVersion, startCanary, type Registry } from '../../src/registry/index.ts';
import { REPO } from '../support/config.ts';

// `canary run` as an operator starts it, killed with SIGKILL in the middle of its work: the weight
// must stay where the last flip put it, and the registry file must stay whole.

describe('canary run, killed', () => {
  it('leaves the weight unchanged and the registry readable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadow-canary-kill-'));
    try {
      const path = join(dir, 'registry.json');
      const reg: Registry = { path, backend: 'file', publisher: null, now: () => new Date() };
      for (const v of ['v9', 'v10']) await registerVersion(reg, { model: 'diagnosis', version: v, artifactPath: join(REPO, `fixtures/models/diagnosis/${v}.onnx`), featureSchemaVersion: '1', actor: 't' });
      await promoteVersion(reg, { model: 'diagnosis', version: 'v9', actor: 't', reason: '' });
      await startCanary(reg, { model: 'diagnosis', version: 'v10', stepsPercent: [1, 5, 100], stepDurationMs: 1, minComparisonsPerStep: 500, actor: 't', reason: '' });
      const before = modelEntry(path, 'diagnosis').canary;
      const base = loadConfig(join(REPO, 'shadow-compare.yaml'));
      const file = join(dir, 'config.json');
      writeFileSync(file, JSON.stringify({ ...base, registry: { ...base.registry, backend: 'file', path }, clickhouse: { ...base.clickhouse, dataDir: join(dir, 'data') } }));
      const child = spawn(process.execPath, [join(REPO, 'bin', 'shadow-compare.js'), 'canary', 'run', 'diagnosis', '--config', file, '--poll', '100ms', '--log-level', 'info'], { cwd: REPO });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      const deadline = Date.now() + 60_000;
      // Two judgements: the first records the hold (the step's time is up, the evidence is not there).
      while ((out.match(/canary judged/g) ?? []).length < 2) {
        if (Date.now() > deadline || child.exitCode !== null) assert.fail(`controller did not judge:\n${out.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGKILL');
      await exited;
      const after = modelEntry(path, 'diagnosis').canary;
      assert.ok(after && before);
      assert.deepEqual({ weight: after.weight, step: after.step, status: after.status }, { weight: before.weight, step: before.step, status: before.status });
      assert.equal(after.weight, 0.01);
      JSON.parse(readFileSync(path, 'utf8'));
      const history = modelEntry(path, 'diagnosis').history.map((h) => h.action);
      assert.deepEqual(history.filter((a) => a !== 'canary-hold'), ['promote', 'canary-start'], 'no step, abort or promote happened');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
