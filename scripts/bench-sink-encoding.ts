// CPU and bytes per outcome row of the sink's encoding: JSONEachRow (one object per row, what the sink
// sent before, kept here only for the comparison) against JSONCompactEachRow under OUTCOME_COLUMNS (the
// sink now). The rows are the pipeline's own, made from generated traffic as bench/workers/pipeline.ts
// makes them; they are inserted into one fresh embedded store in 50,000-row blocks, directly and through
// the write fence, the variants alternating round by round (ABBA, so drift does not favour one).
//
//   tsx scripts/bench-sink-encoding.ts [--pairs 200000] [--rounds 3] [--block 50000]
//
// CPU is process.cpuUsage over the inserts: every thread (the JS thread encodes, chDB parses, writes
// and runs the materialized views on its own). Between inserts the tables are truncated, outside the
// measurement, so every block meets the same, empty store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_PARTITIONS, pipelineRows } from '../bench/lib/pipeline-rows.ts';
import { benchConfig } from '../bench/lib/instance.ts';
import { threadCpu } from '../bench/lib/procfs.ts';
import { OUTCOME_COLUMNS, type OutcomeRow } from '../src/outcomes/index.ts';
import { openStore, type Store } from '../src/sinks/clickhouse/client.ts';
import { createFence } from '../src/sinks/clickhouse/fence.ts';
import { migrate } from '../src/sinks/clickhouse/migrate.ts';
import { createOutcomeSink, type FenceStamp, type RowSink } from '../src/sinks/clickhouse/outcome-sink.ts';

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
    block: { type: 'string', default: '50000' },
  },
});
const PAIRS = Number(args.pairs);
const ROUNDS = Number(args.rounds);
const BLOCK = Number(args.block);
const log = (line: string) => process.stderr.write(`${line}\n`);

const dir = mkdtempSync(join(tmpdir(), 'shadow-bench-encoding-'));
const config = benchConfig({ clickhouse: { dataDir: join(dir, 'data') } });
const store = await openStore(config.clickhouse);
await migrate(store);

/** The sink as it was before JSONCompactEachRow: one object per row, a spread copy of it to stamp it. */
function jsonEachRowSink(s: Store): RowSink {
  return {
    async insert(rows, token, stamp) {
      await s.client.insert({
        table: `${s.database}.${stamp ? 'outcomes_entry' : 'outcomes'}`,
        values: stamp ? rows.map((r) => ({ ...r, fence_scope: stamp.scope, fence_generation: stamp.generations.get(r.source_partition) ?? 0 })) : (rows as OutcomeRow[]),
        format: 'JSONEachRow',
        clickhouse_settings: { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 },
      });
    },
  };
}

/**
 * Bytes of the body each encoding hands to chDB for `rows` (one JSON line per row), as the client
 * encodes it: the compact line is the row's values in OUTCOME_COLUMNS order, the fence values after.
 */
function bodyBytes(encoding: Encoding, rows: readonly OutcomeRow[], stamp?: FenceStamp): number {
  let n = 0;
  for (const r of rows) {
    const fence = stamp ? [stamp.scope, stamp.generations.get(r.source_partition) ?? 0] : [];
    const line = encoding === 'JSONEachRow' ? (stamp ? { ...r, fence_scope: fence[0], fence_generation: fence[1] } : r) : [...OUTCOME_COLUMNS.map((c) => r[c]), ...fence];
    n += Buffer.byteLength(JSON.stringify(line)) + 1;
  }
  return n;
}

type Encoding = 'JSONEachRow' | 'JSONCompactEachRow';
type Path = 'direct' | 'fenced';
interface Sample {
  cpuUsPerRow: number;
  jsThreadUsPerRow: number;
  bytesPerRow: number;
}

const rows = await pipelineRows(config, store, 'sink-encoding', PAIRS);
const blocks: OutcomeRow[][] = [];
for (let i = 0; i < rows.length; i += BLOCK) blocks.push(rows.slice(i, i + BLOCK));
log(`${rows.length} outcome rows from ${PAIRS} pairs, ${blocks.length} blocks of up to ${BLOCK}`);

const fence = createFence(store, 'bench:sink-encoding', 'bench');
const stamp: FenceStamp = { scope: fence.scope, generations: await fence.claim([...Array(BENCH_PARTITIONS).keys()]) };
const sinks: Record<Encoding, RowSink> = { JSONEachRow: jsonEachRowSink(store), JSONCompactEachRow: createOutcomeSink(store) };
const truncated = (
  await (
    await store.client.query({
      query: `SELECT name FROM system.tables WHERE database = '${store.database}' AND engine LIKE '%MergeTree' AND name NOT IN ('partition_fence', 'schema_migrations')`,
      format: 'JSONEachRow',
    })
  ).json<{ name: string }>()
).map((r) => r.name);
// threadCpu's name for the thread whose id is the process id: the one that runs JavaScript.
const mainThread = 'main (JS thread)';

let run = 0;
async function measure(encoding: Encoding, path: Path): Promise<Sample> {
  for (const t of truncated) await store.client.command({ query: `TRUNCATE TABLE ${store.database}.${t}` });
  const s = path === 'fenced' ? stamp : undefined;
  const t0 = threadCpu(process.pid);
  const c0 = process.cpuUsage();
  for (const [k, b] of blocks.entries()) await sinks[encoding].insert(b, `bench-${run}-${k}`, s);
  const c = process.cpuUsage(c0);
  const js = (threadCpu(process.pid).get(mainThread) ?? NaN) - (t0.get(mainThread) ?? NaN);
  run++;
  const [got] = await (await store.client.query({ query: `SELECT count() AS n FROM ${store.database}.outcomes`, format: 'JSONEachRow' })).json<{ n: string }>();
  if (Number(got?.n) !== rows.length) throw new Error(`${encoding} ${path}: outcomes holds ${got?.n} of ${rows.length} rows`);
  return {
    cpuUsPerRow: (c.user + c.system) / rows.length,
    jsThreadUsPerRow: (js * 1e6) / rows.length,
    bytesPerRow: bodyBytes(encoding, rows, s) / rows.length,
  };
}

const results = new Map<string, Sample[]>();
const key = (e: Encoding, p: Path) => `${e} ${p}`;
// Warm-up (JIT, chDB's first inserts into each table), not reported.
for (const p of ['direct', 'fenced'] as const) for (const e of ['JSONEachRow', 'JSONCompactEachRow'] as const) await measure(e, p);
for (let round = 0; round < ROUNDS; round++) {
  const order: Encoding[] = round % 2 === 0 ? ['JSONEachRow', 'JSONCompactEachRow'] : ['JSONCompactEachRow', 'JSONEachRow'];
  for (const p of ['direct', 'fenced'] as const) {
    for (const e of order) {
      const s = await measure(e, p);
      results.set(key(e, p), [...(results.get(key(e, p)) ?? []), s]);
      log(`round ${round + 1} ${key(e, p)}: ${s.cpuUsPerRow.toFixed(2)} µs/row (JS thread ${s.jsThreadUsPerRow.toFixed(2)}), ${s.bytesPerRow.toFixed(0)} B/row`);
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
const fmt = (xs: number[]) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;

console.log(`\n${rows.length} rows per run (${PAIRS} pairs), ${BLOCK}-row blocks, ${ROUNDS} rounds per variant; median (min–max)\n`);
console.log('| encoding | path | CPU µs/row, all threads | JS thread µs/row | bytes/row |');
console.log('| --- | --- | --- | --- | --- |');
for (const p of ['direct', 'fenced'] as const) {
  for (const e of ['JSONEachRow', 'JSONCompactEachRow'] as const) {
    const xs = results.get(key(e, p))!;
    console.log(`| ${e} | ${p} | ${fmt(xs.map((x) => x.cpuUsPerRow))} | ${fmt(xs.map((x) => x.jsThreadUsPerRow))} | ${xs[0]!.bytesPerRow.toFixed(0)} |`);
  }
}
await store.close();
rmSync(dir, { recursive: true, force: true });
