// CPU per pair of the sink, same run: the block format (migration 000080 on: full rows only where they
// are read row by row, a ledger row per partition, aggregate cells) against the per-row format it
// replaced (one 46-column row per record, every aggregate a materialized view over the rows), each in its
// own database of one embedded store, alternating round by round (ABBA, so drift favours neither).
// The rows are the pipeline's own, made from generated traffic as bench/workers/pipeline.ts makes them,
// sent through the write fence in blocks of sink.maxRows.
//
//   node --import tsx scripts/bench-sink-blocks.ts [--pairs 200000] [--rounds 3] [--block 50000]
//
// CPU is process.cpuUsage over the inserts (every thread: the JS thread encodes, chDB parses and runs
// the views on its own); the JS thread's share from /proc/self/task (10 ms ticks). After every run both
// databases must hold the same stats_1m totals, so neither format can look cheap by doing less.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_PARTITIONS, pipelineRows } from '../bench/lib/pipeline-rows.ts';
import { benchConfig } from '../bench/lib/instance.ts';
import { threadCpu } from '../bench/lib/procfs.ts';
import { OUTCOME_COLUMNS, type OutcomeRow } from '../src/outcomes/index.ts';
import { openStore, type Store } from '../src/sinks/clickhouse/client.ts';
import { encodeBlock } from '../src/sinks/clickhouse/block-encoding.ts';
import { createFence } from '../src/sinks/clickhouse/fence.ts';
import { migrate, readMigrations, renderSql } from '../src/sinks/clickhouse/migrate.ts';
import { createOutcomeSink, type FenceStamp } from '../src/sinks/clickhouse/outcome-sink.ts';

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
const FIRST_BLOCK_MIGRATION = 80;
const log = (line: string) => process.stderr.write(`${line}\n`);

const dir = mkdtempSync(join(tmpdir(), 'shadow-bench-sink-blocks-'));
const config = benchConfig({ clickhouse: { dataDir: join(dir, 'data') } });
const store = await openStore(config.clickhouse);
await migrate(store);

interface Format {
  readonly name: string;
  readonly store: Store;
  readonly stamp: FenceStamp;
  insert(rows: readonly OutcomeRow[], token: string): Promise<void>;
  bytes(rows: readonly OutcomeRow[]): number;
}

async function fenced(s: Store): Promise<FenceStamp> {
  const fence = createFence(s, 'bench:sink-blocks', 'bench');
  return { scope: fence.scope, generations: await fence.claim([...Array(BENCH_PARTITIONS).keys()]) };
}

const settings = (token: string) => ({ insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 as const });

/** The per-row format: the schema before migration 000080, each record one row through the fence. */
async function perRow(): Promise<Format> {
  const s: Store = { ...store, database: 'bench_per_row', close: async () => {} };
  await s.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${s.database}` });
  for (const m of readMigrations().filter((m) => m.version < FIRST_BLOCK_MIGRATION)) await s.client.command({ query: renderSql(m.sql, s.database) });
  const stamp = await fenced(s);
  const tuple = (r: OutcomeRow) => [...OUTCOME_COLUMNS.map((c) => r[c]), stamp.scope, stamp.generations.get(r.source_partition) ?? 0];
  return {
    name: 'per row (before)',
    store: s,
    stamp,
    insert: (rows, token) =>
      s.client
        .insert({ table: `${s.database}.outcomes_entry`, columns: [...OUTCOME_COLUMNS, 'fence_scope', 'fence_generation'], values: rows.map(tuple), format: 'JSONCompactEachRow', clickhouse_settings: settings(token) })
        .then(() => {}),
    bytes: (rows) => rows.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(tuple(r))) + 1, 0),
  };
}

/** The block format: the sink as the processor runs it. */
async function blocks(): Promise<Format> {
  const s: Store = { ...store, database: 'bench_blocks', close: async () => {} };
  await migrate(s);
  const stamp = await fenced(s);
  const sink = createOutcomeSink(s);
  return {
    name: 'blocks (now)',
    store: s,
    stamp,
    insert: (rows, token) => sink.insert(rows, token, stamp),
    bytes: (rows) => encodeBlock(rows, 'f1:x'.padEnd(67, '0')).reduce((n, t) => n + Buffer.byteLength(JSON.stringify([...t, stamp.scope, 0])) + 1, 0),
  };
}

const rows = await pipelineRows(config, store, 'sink-blocks', PAIRS);
const chunks: OutcomeRow[][] = [];
for (let i = 0; i < rows.length; i += BLOCK) chunks.push(rows.slice(i, i + BLOCK));
const pairs = rows.filter((r) => r.kind === 'compared').length;
log(`${rows.length} outcome rows (${pairs} compared pairs) from ${PAIRS} generated pairs, ${chunks.length} blocks of up to ${BLOCK}`);
const formats = [await perRow(), await blocks()];

async function tables(s: Store): Promise<string[]> {
  const rs = await s.client.query({
    query: `SELECT name FROM system.tables WHERE database = '${s.database}' AND engine LIKE '%MergeTree' AND name NOT IN ('partition_fence', 'schema_migrations')`,
    format: 'JSONEachRow',
  });
  return (await rs.json<{ name: string }>()).map((r) => r.name);
}

async function totals(s: Store): Promise<string> {
  const rs = await s.client.query({
    query: `SELECT sum(compared) AS c, sum(agreements) AS a, sum(unmatched_requests) AS u, sum(duplicates) AS d FROM ${s.database}.stats_1m WHERE dimension = '__all__'`,
    format: 'JSONEachRow',
  });
  return JSON.stringify(await rs.json());
}

const mainThread = 'main (JS thread)';
let run = 0;
async function measure(f: Format): Promise<{ cpu: number; js: number; totals: string }> {
  for (const t of await tables(f.store)) await f.store.client.command({ query: `TRUNCATE TABLE ${f.store.database}.${t}` });
  const t0 = threadCpu(process.pid);
  const c0 = process.cpuUsage();
  for (const [k, b] of chunks.entries()) await f.insert(b, `f1:bench-${run}-${k}`);
  const c = process.cpuUsage(c0);
  const js = (threadCpu(process.pid).get(mainThread) ?? NaN) - (t0.get(mainThread) ?? NaN);
  run++;
  return { cpu: (c.user + c.system) / pairs, js: (js * 1e6) / pairs, totals: await totals(f.store) };
}

const results = new Map<string, { cpu: number; js: number }[]>();
for (const f of formats) await measure(f); // warm-up: JIT, chDB's first inserts into each table
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? formats : [...formats].reverse();
  const seen: string[] = [];
  for (const f of order) {
    const s = await measure(f);
    seen.push(s.totals);
    results.set(f.name, [...(results.get(f.name) ?? []), s]);
    log(`round ${round + 1} ${f.name}: ${s.cpu.toFixed(2)} µs/pair (JS thread ${s.js.toFixed(2)}), stats_1m ${s.totals}`);
  }
  if (seen[0] !== seen[1]) throw new Error(`round ${round + 1}: stats_1m differs between the formats: ${seen.join(' vs ')}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
const fmt = (xs: number[]) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;

console.log(`\n${pairs} compared pairs per run (${rows.length} outcome rows), ${BLOCK}-row blocks, ${ROUNDS} rounds, fenced path; median (min–max)\n`);
console.log('| format | sink CPU µs/pair, all threads | JS thread µs/pair | bytes/pair |');
console.log('| --- | --- | --- | --- |');
for (const f of formats) {
  const xs = results.get(f.name)!;
  const bytes = chunks.reduce((n, b) => n + f.bytes(b), 0) / pairs;
  console.log(`| ${f.name} | ${fmt(xs.map((s) => s.cpu))} | ${fmt(xs.map((s) => s.js))} | ${bytes.toFixed(0)} |`);
}
await store.close();
rmSync(dir, { recursive: true, force: true });
