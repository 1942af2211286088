import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { queryRoutes } from '../../src/cli/query-routes.ts';
import { loadConfig } from '../../src/config/index.ts';
import { startHttpServer } from '../../src/ops/http-server.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { Metrics } from '../../src/ops/metrics.ts';
import { createHttpRunner } from '../../src/query/index.ts';
import { openReadSessions, type Store } from '../../src/sinks/clickhouse/client.ts';
import { DAY_MS, GOOD, HOUR, openTempStore, seed } from './seed.ts';

// `shadow-compare gate` as an operator runs it, while this test process holds the embedded store
// (as `shadow-compare run` would): without --via it must fail with the way out, with --via it
// answers through the processor's HTTP endpoint and records the decision there.

const REPO = join(import.meta.dirname, '..', '..');
const TOKEN = 'gate-cli-test-token-0123456789';
const END = '2025-03-08T00:00:00Z';
const START = new Date(new Date(END).getTime() - 7 * DAY_MS);

let store: Store;
let cleanup: () => Promise<void>;
let configPath: string;
let via: string;
let closeServer: () => Promise<void>;

before(async () => {
  const t = await openTempStore();
  ({ store, cleanup } = t);
  configPath = join(t.dir, 'config.yaml');
  writeFileSync(
    configPath,
    [
      'model: diagnosis',
      'candidate: { version: v10, path: ' + join(REPO, 'fixtures/models/diagnosis/v10.onnx') + ', featureSchemaVersion: "1", features: [a], outputs: { label: label } }',
      'task: { type: binary }',
      `clickhouse: { dataDir: ${join(t.dir, 'data')} }`,
      'gate: { evidence: { minComparisons: 1000, minPerSubWindow: 100 } }',
    ].join('\n'),
  );
  await seed(store, { model: 'diagnosis', candidate: 'v10', from: START, rows: 168, everyMinutes: HOUR, values: GOOD });
  await seed(store, { model: 'diagnosis', candidate: 'v11', from: START, rows: 168, everyMinutes: HOUR, values: { ...GOOD, agreements: 90 } });
  await seed(store, { model: 'diagnosis', candidate: 'v12', from: START, rows: 10, everyMinutes: HOUR, values: GOOD });
  const metrics = new Metrics();
  const config = loadConfig(configPath);
  const server = await startHttpServer('127.0.0.1', 0, { metrics, ready: () => true, token: TOKEN, post: await queryRoutes(config, store, await openReadSessions(config.clickhouse, store)) }, createLogger({ level: 'silent' }));
  via = server.url;
  closeServer = server.close;
});

after(async () => {
  await closeServer();
  await cleanup();
});

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return cliWith({ SHADOW_API_TOKEN: TOKEN }, ...args);
}

function cliWith(env: Record<string, string | undefined>, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(REPO, 'bin', 'shadow-compare.js'), ...args, '--config', configPath, '--log-level', 'warn'], {
    cwd: REPO,
    env: { ...process.env, SHADOW_API_TOKEN: undefined, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('gate command', () => {
  it('fails with exit 1 (a failure, not a usage error) and names --via when the store is held by another process', async () => {
    const r = await cli('gate', '--candidate', 'v10', '--end', END);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^error SHADOW_STORE_LOCKED: the embedded ClickHouse data directory .* is in use by another process \\(pid ${process.pid}, `));
    assert.match(r.stderr, /--via http:\/\/HOST:PORT/);
    assert.doesNotMatch(r.stderr, /Cannot lock file|at .*\.ts:\d+/, 'no raw lock error, no stack');
  });

  it('decides PROMOTE through a running processor with --via, exit 0, and records the decision', async () => {
    const r = await cli('gate', '--candidate', 'v10', '--end', END, '--via', via, '--actor', 'ci');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^DECISION: PROMOTE$/m);
    assert.match(r.stdout, /agreement\s+window\s+0\.9900\s+\[0\.9887, 0\.9912\] wilson_95%\s+0\.9500\s+pass/);
    const [row] = await createHttpRunner(via, { token: TOKEN }).query<{ decision: string; actor: string; source: string; sql: string; thresholds: string; promotion_id: string }>(
      "SELECT decision, actor, source, sql, thresholds, promotion_id FROM shadow.gate_decisions WHERE candidate_version = 'v10'",
    );
    assert.equal(row?.decision, 'PROMOTE');
    assert.equal(row?.actor, 'ci');
    assert.equal(row?.source, 'http');
    assert.equal(row?.promotion_id, '');
    const sql = JSON.parse(row?.sql ?? '[]') as { name: string; sql: string; params: Record<string, unknown> }[];
    assert.deepEqual(sql.map((s) => s.name), ['window_totals', 'sub_windows', 'latency_window', 'latency_sub_windows', 'noise_window', 'noise_sub_windows', 'labels_window', 'labels_sub_windows', 'labels_summary']);
    assert.match(sql[0]?.sql ?? '', /FROM shadow\.stats_1m/);
    assert.deepEqual(sql[0]?.params, { model: 'diagnosis', candidate: 'v10', start: '2025-03-01 00:00:00', end: '2025-03-08 00:00:00' });
    assert.equal(JSON.parse(row?.thresholds ?? '{}').evidence.minComparisons, 1000);
  });

  it('exits 4 on REJECT and prints stable JSON with --json', async () => {
    const r = await cli('gate', '--candidate', 'v11', '--end', END, '--via', via, '--json');
    assert.equal(r.code, 4, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(report), [
      'decisionId', 'decidedAt', 'model', 'candidate', 'primaryVersions', 'window', 'decision', 'reasons', 'criteria', 'subWindows', 'segments', 'thresholds', 'sql', 'labels', 'latency',
    ]);
    assert.equal(report.decision, 'REJECT');
    assert.equal(report.reasons[0], 'window: agreement 0.9000 is below 0.9500 (95% upper bound 0.9037) → read shadow.disagreements to see which model is right before deciding; agreement says "different", not "worse": do not promote on it alone');
    assert.deepEqual(Object.keys(report.criteria[0]), ['id', 'kind', 'scope', 'measured', 'bound', 'threshold', 'result', 'note', 'action']);
  });

  it('status answers through the processor with --via', async () => {
    const r = await cli('status', 'diagnosis', '--via', via, '--json', '--window', '3000d');
    assert.equal(r.code, 0, r.stderr);
    const view = JSON.parse(r.stdout) as { candidates: { version: string }[] };
    assert.deepEqual(view.candidates.map((c) => c.version).sort(), ['v10', 'v11', 'v12']);
  });

  it('exits 3 on HOLD', async () => {
    const r = await cli('gate', '--candidate', 'v12', '--end', END, '--via', via);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /^DECISION: HOLD$/m);
    assert.ok(r.stdout.includes('  - window end: no data after 2025-03-01 09:01Z; the window ends 2025-03-08 00:00Z (allowed gap 60 min) → check that the processor is running and consuming (`shadow-compare status`, its /metrics)\n'), r.stdout);
    assert.ok(r.stdout.includes('  - sub-window 2/7 (2025-03-02 00:00Z): 0 comparisons, need 100 → keep shadowing; if this traffic level is normal for that period, lower gate.evidence.minPerSubWindow\n'), r.stdout);
  });

  it('exits 1 with a clear message when --via points at nothing', async () => {
    const r = await cli('gate', '--candidate', 'v10', '--end', END, '--via', 'http://127.0.0.1:9');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error SHADOW_SINK: cannot reach the processor at http:\/\/127\.0\.0\.1:9 .*is `shadow-compare run` running/);
  });

  it('exits 2 on a --window that does not divide into sub-windows', async () => {
    const r = await cli('gate', '--window', '36h', '--via', via);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error SHADOW_CONFIG: invalid --window with gate config: subWindow: must divide gate.window \(36h\) into whole sub-windows/);
  });

  it('exits 2 on a --candidate that is neither registered nor ever shadowed, naming it and the known versions', async () => {
    const r = await cli('gate', '--candidate', 'v99', '--end', END, '--via', via);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error SHADOW_INPUT: --candidate v99: diagnosis has no such version: not registered in .* and never shadowed \(known: v10, v11, v12\)\n$/);
  });
});

describe('query endpoint', () => {
  it('accepts gate decisions only, in the gate\'s exact shape, and never promotion rows', async () => {
    const runner = createHttpRunner(via, { token: TOKEN });
    await assert.rejects(runner.insert('promotions', [{ model: 'x' }]), /accepts no rows for promotions; only gate decisions are appended over HTTP/);
    await assert.rejects(runner.insert('gate_decisions', [{ model: 'x' }]), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SHADOW_SINK_DATA');
      assert.match(err.message, /refused \/gate-decisions \(400 SHADOW_INPUT\): body must be one gate decision: decision_id: /);
      return true;
    });
  });

  it('refuses a write smuggled after a SELECT and leaves the table in place', async () => {
    const runner = createHttpRunner(via, { token: TOKEN });
    await assert.rejects(runner.query('SELECT 1; DROP TABLE shadow.stats_1m'), /403 SHADOW_INPUT.*does not parse as one ClickHouse statement/);
    const rows = await store.client.query({ query: "SELECT count() AS n FROM system.tables WHERE database = 'shadow' AND name = 'stats_1m'", format: 'JSONEachRow' });
    assert.equal(Number((await rows.json<{ n: number }>())[0]?.n), 1);
  });

  it('answers 401 without the token, and the --via commands say how to set it', async () => {
    await assert.rejects(createHttpRunner(via).query('SELECT 1'), (err: Error & { code?: string }) => err.code === 'SHADOW_AUTH' && /set SHADOW_API_TOKEN/.test(err.message));
    await assert.rejects(createHttpRunner(via, { token: 'wrong-token-wrong-token' }).query('SELECT 1'), /SHADOW_API_TOKEN is not the one the processor was started with/);
    const r = await cliWith({}, 'gate', '--candidate', 'v10', '--end', END, '--via', via);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error SHADOW_AUTH: .*refused \/query \(401\): set SHADOW_API_TOKEN/);
  });
});
