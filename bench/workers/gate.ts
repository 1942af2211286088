// Gate query time over `days` days of shadow.stats_1m with `segmentValues` segment values (plus the
// overall row) per minute, in a fresh embedded store: the gate's own SQL (src/gate/sql/*.sql, through
// fetchGateInput), each statement alone, and a plain equivalent aggregate as a fallback/reference.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/sinks/clickhouse/client.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';
import { createStoreRunner } from '../../src/query/index.ts';
import { workerArgs, workerResult } from '../lib/child.ts';

interface Args {
  days: number;
  segmentValues: number;
  runs: number;
}

const a = workerArgs<Args>();
const dir = mkdtempSync(join(tmpdir(), 'shadow-bench-gate-'));
const store = await openStore({ dataDir: join(dir, 'data'), database: 'shadow', username: 'default', password: '', requestTimeoutMs: 600_000 });
await migrate(store);
const end = Date.UTC(2025, 2, 1);
const start = end - a.days * 86_400_000;
// Three dimensions sharing the segment values, like the demo's country/device/customer_tier.
const dims = [
  { name: 'country', n: Math.ceil(a.segmentValues * 0.4) },
  { name: 'device', n: Math.ceil(a.segmentValues * 0.3) },
  { name: 'customer_tier', n: 0 },
];
dims[2]!.n = a.segmentValues - dims[0]!.n - dims[1]!.n;
const t0 = performance.now();
let rows = 0;
// One insert per day per dimension: many parts, as a week of one-insert-per-second ingestion leaves after merges.
for (let d = 0; d < a.days; d++) {
  const from = Math.floor((start + d * 86_400_000) / 1000);
  const parts = [{ name: '__all__', n: 1 }, ...dims];
  for (const dim of parts) {
    const value = dim.name === '__all__' ? `'__all__'` : `concat('${dim.name}-', toString(number % ${dim.n}))`;
    await store.client.command({
      query: `INSERT INTO shadow.stats_1m (minute, model, primary_version, candidate_version, dimension, value,
          compared, agreements, both_ok, candidate_errors, primary_errors, unmatched_requests, unmatched_primaries,
          schema_mismatches, duplicates, candidate_scored, primary_answered, candidate_latency_ms, primary_latency_ms,
          candidate_cost_usd, primary_cost_usd, delta_n, delta_sum, delta_abs_sum, delta_abs_max)
        SELECT toDateTime(${from}, 'UTC') + intDiv(number, ${dim.n}) * 60, 'diagnosis', 'v9', 'v10', '${dim.name}', ${value},
          100, 95, 99, 0, 1, 2, 0, 0, 1, 100, 99,
          arrayReduce('quantilesTDigestState(0.5, 0.95, 0.99)', [toFloat64(2 + number % 7), toFloat64(3 + number % 5), 9.5]),
          arrayReduce('quantilesTDigestState(0.5, 0.95, 0.99)', [toFloat64(8 + number % 3), 12.0, 20.0]),
          0.0001, 0.002, 99, 1.0, 5.0, 0.3
        FROM numbers(${1440 * dim.n})`,
    });
    rows += 1440 * dim.n;
  }
}
const seedSeconds = (performance.now() - t0) / 1000;
const parts = Number(((await (await store.client.query({ query: `SELECT count() AS n FROM system.parts WHERE database = 'shadow' AND table = 'stats_1m' AND active`, format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n) ?? 0);

const runner = createStoreRunner(store, { readOnly: true });
const window = { start: new Date(start), end: new Date(end), subWindowSeconds: 86_400 };
const chDate = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
const params = { model: 'diagnosis', candidate: 'v10', start: chDate(window.start), end: chDate(window.end), sub_window_seconds: 86_400 };
const timings: Record<string, number[]> = {};
const time = async (name: string, fn: () => Promise<unknown>) => {
  const s = performance.now();
  await fn();
  (timings[name] ??= []).push(performance.now() - s);
};
let gateSql = true;
let gateError = '';
let loadGateSql: ((name: 'window_totals' | 'sub_windows', db: string) => string) | undefined;
let fetchGateInput: ((runner: unknown, t: unknown) => Promise<unknown>) | undefined;
try {
  ({ loadGateSql } = (await import('../../src/gate/sql.ts')) as { loadGateSql: typeof loadGateSql });
  ({ fetchGateInput } = (await import('../../src/gate/fetch.ts')) as unknown as { fetchGateInput: typeof fetchGateInput });
} catch (err) {
  gateSql = false;
  gateError = String(err);
}
// The equivalent aggregate, independent of the gate code: totals per segment over the window.
const equivalent = `SELECT dimension, value, sum(compared), sum(agreements), sum(both_ok), sum(candidate_errors), sum(primary_errors),
    quantilesTDigestMerge(0.5, 0.95, 0.99)(candidate_latency_ms), quantilesTDigestMerge(0.5, 0.95, 0.99)(primary_latency_ms)
  FROM shadow.stats_1m WHERE model = {model:String} AND candidate_version = {candidate:String}
    AND minute >= {start:DateTime('UTC')} AND minute < {end:DateTime('UTC')} GROUP BY dimension, value`;
for (let r = 0; r < a.runs; r++) {
  if (gateSql && loadGateSql && fetchGateInput) {
    const f = fetchGateInput;
    const l = loadGateSql;
    await time('fetchGateInput (both gate queries, as the gate runs them)', () => f(runner, { database: 'shadow', model: 'diagnosis', candidate: 'v10', window }));
    await time('window_totals.sql', () => runner.query(l('window_totals', 'shadow'), params));
    await time('sub_windows.sql', () => runner.query(l('sub_windows', 'shadow'), params));
  }
  await time('equivalent aggregate (per segment totals + latency merge)', () => runner.query(equivalent, params));
}
await store.close();
rmSync(dir, { recursive: true, force: true });
workerResult({ rows, parts, seedSeconds, gateSql, gateError, timings });
