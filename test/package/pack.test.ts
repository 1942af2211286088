// The package as a user gets it: `npm pack`, then the tarball installed into an empty directory
// outside the repository. The CLI and the demo must work there through npx, and plain Node must be able
// to import `shadow-compare/client` (compiled JavaScript from dist/, no TypeScript loader).
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO } from '../support/config.ts';

let work: string;
let app: string;
let tarball: string;
let listed: string[];

function run(cmd: string, args: string[], cwd: string, timeoutMs = 300_000): SpawnSyncReturns<string> {
  // prefer-offline: resolve as usual, take packages from the local npm cache when it has them.
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' } });
}

const out = (r: SpawnSyncReturns<string>) => `exit ${r.status}\n--- stdout\n${r.stdout?.slice(-2000)}\n--- stderr\n${r.stderr?.slice(-3000)}`;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'shadow-pack-'));
  const pack = run('npm', ['pack', '--json', '--pack-destination', work], REPO);
  assert.equal(pack.status, 0, out(pack));
  const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, info!.filename);
  listed = info!.files.map((f) => f.path);
  app = join(work, 'app');
  spawnSync('mkdir', [app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-test-app', private: true, type: 'module' }));
  // What the README tells users: skip onnxruntime-node's GPU download (its CPU binaries ship in the package).
  copyFileSync(join(REPO, '.npmrc'), join(app, '.npmrc'));
  const install = run('npm', ['install', tarball], app, 600_000);
  assert.equal(install.status, 0, out(install));
});

after(() => rmSync(work, { recursive: true, force: true }));

describe('the packed tarball installed outside the repository', () => {
  it('contains the CLI, the compiled client with declarations, the dashboards, docker files and docs', () => {
    for (const f of ['bin/shadow-compare.js', 'dist/client/index.js', 'dist/client/index.d.ts', 'dist/gate/sql/window_totals.sql', 'src/cli/main.ts', 'shadow-compare.yaml', 'fixtures/data/breast_cancer.json', 'fixtures/models/diagnosis/v10.onnx', 'dashboards/json/shadow-processor-health.json', 'docker/Dockerfile', 'docs/rollback-runbook.md', 'schemas/clickhouse/000001_create_outcomes.sql']) {
      assert.ok(listed.includes(f), `${f} is not in the tarball`);
    }
    assert.ok(!listed.some((f) => f.startsWith('test/') || f.startsWith('bench/')), 'no tests or benchmarks shipped');
  });

  it('npx shadow-compare --help works in the installing project', () => {
    const r = run('npx', ['shadow-compare', '--help'], app);
    assert.equal(r.status, 0, out(r));
    assert.match(r.stdout, /^Usage: shadow-compare <command> \[options\]/m);
    assert.match(r.stdout, /^ {2}demo /m);
  });

  it('npx shadow-compare demo runs there, with the bundled config, models and data', () => {
    const r = run('npx', ['shadow-compare', 'demo', '--count', '300', '--log-level', 'warn'], app);
    assert.equal(r.status, 0, out(r));
    assert.match(r.stdout, /shadow comparison: diagnosis candidate v10 vs primary v9/);
    assert.ok(readdirSync(app).includes('.shadow-data'), 'the embedded store is in the current directory, not inside node_modules');
  });

  it("plain Node imports shadow-compare/client: watchProduction, createMirror, createTrafficSplit", () => {
    const r = run(process.execPath, ['-e', "import('shadow-compare/client').then((m) => console.log(typeof m.watchProduction, typeof m.createMirror, typeof m.createTrafficSplit))"], app);
    assert.equal(r.status, 0, out(r));
    assert.equal(r.stdout.trim(), 'function function function');
  });
});
