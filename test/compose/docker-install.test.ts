// The image's dependency install, run here because Docker is not: docker/Dockerfile's install RUN line,
// exactly as written, in a scratch directory holding only what the Dockerfile copies before it. It
// must succeed from the lock file, leave the lock unchanged, and give a tree from which the runtime
// dependencies load and the dev dependencies are absent. (`npm ci` refused this lock, so the image
// never built.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO } from '../support/config.ts';

const dockerfile = readFileSync(join(REPO, 'docker/Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

/** The COPY that brings the manifests in, and the RUN right after it. */
function installStep(): { copied: string[]; commands: string[] } {
  const m = /^COPY\s+(.+?)\s+\.\/\s*\nRUN\s+(.+)$/m.exec(dockerfile);
  assert.ok(m, 'docker/Dockerfile: a COPY of the manifests followed by the install RUN');
  return { copied: m[1]!.split(/\s+/), commands: m[2]!.split('&&').map((c) => c.trim()) };
}

describe('docker/Dockerfile dependency install', () => {
  it('copies the lock file and installs with a command npm accepts for it', () => {
    const { copied, commands } = installStep();
    assert.deepEqual(copied, ['package.json', 'package-lock.json', '.npmrc']);
    assert.match(commands[0]!, /^npm install --omit=dev --no-save\b/);
    assert.doesNotMatch(commands.join(' '), /\bnpm ci\b/, 'npm ci refuses this lock (chDB platform builds it cannot list): see .ci/run');
  });

  it('runs in a scratch directory: installs from the lock, leaves it unchanged, and the runtime dependencies load', { timeout: 600_000 }, () => {
    const { copied, commands } = installStep();
    const dir = mkdtempSync(join(tmpdir(), 'shadow-docker-install-'));
    try {
      for (const f of copied) copyFileSync(join(REPO, f), join(dir, f));
      // Only the install: the image's `npm cache clean --force` would empty this machine's shared cache.
      const install = commands.filter((c) => !/^npm cache clean/.test(c));
      assert.equal(install.length, 1, `one install command, got ${JSON.stringify(install)}`);
      const [cmd, ...args] = install[0]!.split(/\s+/);
      // prefer-offline: the same resolution from the lock, packages from the local cache when it has them.
      const r = spawnSync(cmd!, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, npm_config_prefer_offline: 'true', NODE_ENV: 'production' } });
      assert.equal(r.status, 0, `${install[0]} failed:\n${r.stderr.slice(-3000)}`);
      assert.equal(readFileSync(join(dir, 'package-lock.json'), 'utf8'), readFileSync(join(REPO, 'package-lock.json'), 'utf8'), 'the lock file is unchanged');
      for (const dev of Object.keys(pkg.devDependencies)) assert.ok(!existsSync(join(dir, 'node_modules', dev)), `dev dependency ${dev} is not installed`);
      const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
      for (const dep of Object.keys(pkg.dependencies)) {
        const installed = JSON.parse(readFileSync(join(dir, 'node_modules', dep, 'package.json'), 'utf8')) as { version: string };
        assert.equal(installed.version, lock.packages[`node_modules/${dep}`]?.version, `${dep} at the locked version`);
      }
      // What the CLI loads at run time, imported from the scratch tree.
      const load = spawnSync(
        process.execPath,
        ['--input-type=module', '-e', "for (const m of ['kafkajs', '@clickhouse/client', 'chdb/connection', 'onnxruntime-node', 'pino', 'prom-client', 'yaml', 'zod', 'tsx/esm/api']) await import(m); console.log('ok');"],
        { cwd: dir, encoding: 'utf8' },
      );
      assert.equal(load.status, 0, load.stderr.slice(-3000));
      assert.equal(load.stdout.trim(), 'ok');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
