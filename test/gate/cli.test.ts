import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { queryRoutes } from '../../src/cli/query-routes.ts';
import { startHttpServer } from '../../src/ops/http-server.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { Metrics } from '../../src/ops/metrics.ts';
import { createHttpRunner } from '../../src/query/index.ts';
import type { Store } from '../../src/sinks/clickhouse/client.ts';
import { DAY_MS, GOOD, HOUR, openTempStore, seed } from './seed.ts';

// `shadow-compare gate` as an operator runs it, while this test process holds the embedded store
// (as `shadow-compare run` would): without --via it must fail with the way out, with --via it
// answers through the processor's HTTP endpoint and records the decision there.

const REPO = join(import.meta.dirname, '..', '..');
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
  const server = await startHttpServer('127.0.0.1', 0, { metrics, ready: () => true, post: queryRoutes(store) }, createLogger({ level: 'silent' }));
  via = server.url;
  closeServer = server.close;
});

after(async () => {
  await closeServer();
  await cleanup();
});

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(REPO, 'bin', 'shadow-compare.js'), ...args, '--config', configPath, '--log-level', 'warn'], { cwd: REPO });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('gate command', () => {
  it('fails with exit 2 and names --via when the store is held by another process', async () => {
    const r = await cli('gate', '--candidate', 'v10', '--end', END);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^error SHADOW_STORE_LOCKED: the embedded ClickHouse data directory .* is in use by another process \\(pid ${process.pid}, `));
    assert.match(r.stderr, /--via http:\/\/HOST:PORT/);
    assert.doesNotMatch(r.stderr, /Cannot lock file|at .*\.ts:\d+/, 'no raw lock error, no stack');
  });

  it('decides PROMOTE through a running processor with --via, exit 0, and records the decision', async () => {
    const r = await cli('gate', '--candidate', 'v10', '--end', END, '--via', via, '--actor', 'ci');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^DECISION: PROMOTE$/m);
    assert.match(r.stdout, /agreement\s+window\s+0\.9900\s+\[0\.9887, 0\.9912\] wilson_95%\s+0\.9500\s+pass/);
    const [row] = await createHttpRunner(via).query<{ decision: string; actor: string; source: string; sql: string; thresholds: string; promotion_id: string }>(
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

  it('exits 1 on REJECT and prints stable JSON with --json', async () => {
    const r = await cli('gate', '--candidate', 'v11', '--end', END, '--via', via, '--json');
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(report), [
      'decisionId', 'decidedAt', 'model', 'candidate', 'primaryVersions', 'window', 'decision', 'reasons', 'criteria', 'subWindows', 'segments', 'thresholds', 'sql', 'labels', 'latency',
    ]);
    assert.equal(report.decision, 'REJECT');
    assert.equal(report.reasons[0], 'window: agreement 0.9000 is below 0.9500 (95% upper bound 0.9037) → read shadow.disagreements to see which model is right before deciding; agreement says "different", not "worse": do not promote on it alone');
    assert.deepEqual(Object.keys(report.criteria[0]), ['id', 'kind', 'scope', 'measured', 'bound', 'threshold', 'result', 'note', 'action']);
  });

  it('exits 3 on HOLD', async () => {
    const r = await cli('gate', '--candidate', 'v12', '--end', END, '--via', via);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /^DECISION: HOLD$/m);
    assert.ok(r.stdout.includes('  - window end: no data after 2025-03-01 09:01Z; the window ends 2025-03-08 00:00Z (allowed gap 60 min) → check that the processor is running and consuming (`shadow-compare status`, its /metrics)\n'), r.stdout);
    assert.ok(r.stdout.includes('  - sub-window 2/7 (2025-03-02 00:00Z): 0 comparisons, need 100 → keep shadowing; if this traffic level is normal for that period, lower gate.evidence.minPerSubWindow\n'), r.stdout);
  });

  it('exits 2 with a clear message when --via points at nothing', async () => {
    const r = await cli('gate', '--candidate', 'v10', '--end', END, '--via', 'http://127.0.0.1:9');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error SHADOW_SINK: cannot reach the processor at http:\/\/127\.0\.0\.1:9 .*is `shadow-compare run` running/);
  });

  it('exits 2 on a --window that does not divide into sub-windows', async () => {
    const r = await cli('gate', '--window', '36h', '--via', via);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error SHADOW_CONFIG: invalid --window with gate config: subWindow: must divide gate.window \(36h\) into whole sub-windows/);
  });
});

describe('query endpoint', () => {
  it('refuses inserts into tables other than gate_decisions and promotions', async () => {
    await assert.rejects(createHttpRunner(via).insert('stats_1m', [{ model: 'x' }]), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SHADOW_SINK_DATA');
      assert.match(err.message, /refused \/insert \(403 SHADOW_INPUT\): inserts are allowed only into gate_decisions, promotions; got "stats_1m"/);
      return true;
    });
  });

  it('refuses a write smuggled after a SELECT and leaves the table in place', async () => {
    const runner = createHttpRunner(via);
    await assert.rejects(runner.query('SELECT 1; DROP TABLE shadow.stats_1m'), /403 SHADOW_INPUT.*one statement per request/);
    const rows = await runner.query<{ n: number }>("SELECT count() AS n FROM system.tables WHERE database = 'shadow' AND name = 'stats_1m'");
    assert.equal(Number(rows[0]?.n), 1);
  });
});
