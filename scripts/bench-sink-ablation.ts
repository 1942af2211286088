// Where the fenced sink's CPU per outcome row goes (issue 14): the same rows through the real sink
// (createOutcomeSink with a fence stamp, so into outcomes_entry) into variants of the schema, each in its
// own database of one embedded store, in rotated order (forward, then reverse, round by round: ABBA over
// all variants, so drift favours none). Started from scripts/bench-fenced-stats.ts; the rows are the
// pipeline's own, made from generated traffic as bench/workers/pipeline.ts makes them, in 50,000-row blocks.
//
//   node --import tsx scripts/bench-sink-ablation.ts [--pairs 200000] [--rounds 3] [--block 50000] [--only a,b] [--raw]
//
// Variants:
//   full                 the schema as migrated (today)
//   no views             every materialized view on outcomes dropped (outcomes_entry_mv kept)
//   Null table alone     those and outcomes_entry_mv dropped: chDB parses the block into the Null table, nothing more
//   slim rows            full schema, the rows with their long strings (features, raw_payload, primary_output,
//                        candidate_output, candidate_error_reason, error_message) set to '' in JS beforehand
//   without <view>       full schema less one view, for each view on outcomes
//   ..., rawInsert       (--raw) full and Null table alone with the same body sent as one Buffer through
//                        chDB's rawInsert instead of the client (see rawSink)
//   --only a,b keeps full and the variants whose names contain a or b.
//
// CPU is process.cpuUsage over the inserts (every thread: the JS thread encodes, chDB parses and runs the
// views on its own threads); the JS thread's share from /proc/self/task (bench/lib/procfs.ts threadCpu,
// 10 ms ticks). Bytes per row are the JSONCompactEachRow body the sink sends. Tables are truncated between
// runs, outside the measurement. After each run the row counts are checked: outcomes holds every row
// (none for the Null table alone), each kept view's target fills as in full, each dropped one's stays empty.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { BENCH_PARTITIONS, pipelineRows } from '../bench/lib/pipeline-rows.ts';
import { benchConfig } from '../bench/lib/instance.ts';
import { threadCpu } from '../bench/lib/procfs.ts';
import { OUTCOME_COLUMNS, type OutcomeRow } from '../src/outcomes/index.ts';
import type { Store } from '../src/sinks/clickhouse/client.ts';
import { createFence } from '../src/sinks/clickhouse/fence.ts';
import { migrate } from '../src/sinks/clickhouse/migrate.ts';
import { createOutcomeSink, type FenceStamp, type RowSink } from '../src/sinks/clickhouse/outcome-sink.ts';

type EmbeddedConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
    block: { type: 'string', default: '50000' },
    only: { type: 'string' },
    raw: { type: 'boolean', default: false },
  },
});
const PAIRS = Number(args.pairs);
const ROUNDS = Number(args.rounds);
const BLOCK = Number(args.block);
const log = (line: string) => process.stderr.write(`${line}\n`);

const dir = mkdtempSync(join(tmpdir(), 'shadow-bench-sink-ablation-'));
const config = benchConfig({ clickhouse: { dataDir: join(dir, 'data') } });
// openStore's embedded store, built here so --raw can reach the chDB connection under the client.
const connection = createChdbConnection({ path: join(dir, 'data') });
const client = createClient({ connection: connection as unknown as EmbeddedConnection, clickhouse_settings: { date_time_input_format: 'best_effort' } });
const store: Store = { client, database: config.clickhouse.database, mode: 'embedded', location: dir, close: () => client.close() };
await migrate(store);

/** The long strings a slim identity row would leave out. */
const LONG_STRINGS = ['features', 'raw_payload', 'primary_output', 'candidate_output', 'candidate_error_reason', 'error_message'] as const;

interface Variant {
  readonly name: string;
  readonly store: Store;
  readonly sink: RowSink;
  readonly stamp: FenceStamp;
  readonly blocks: readonly OutcomeRow[][];
  readonly truncate: readonly string[];
  /** Views on outcomes still there: their targets must fill, the dropped ones' must stay empty. */
  readonly kept: ReadonlyMap<string, string>;
  readonly dropped: ReadonlyMap<string, string>;
  readonly expectOutcomes: number;
  readonly bytesPerRow: number;
}

async function scalar(s: Store, query: string): Promise<number> {
  const [row] = await (await s.client.query({ query, format: 'JSONEachRow' })).json<{ n: string }>();
  return Number(row?.n);
}

async function names<T>(s: Store, query: string): Promise<T[]> {
  return (await (await s.client.query({ query, format: 'JSONEachRow' })).json<T>());
}

/** Views reading outcomes (view name -> target table), from the migrated schema rather than a list here. */
async function viewsOnOutcomes(s: Store): Promise<Map<string, string>> {
  const rows = await names<{ name: string; target: string }>(
    s,
    `SELECT name, arrayElement(splitByChar('.', create_table_query_target), 2) AS target FROM (
       SELECT name, extract(create_table_query, 'TO (\\S+)') AS create_table_query_target FROM system.tables
       WHERE database = '${s.database}' AND engine = 'MaterializedView' AND name != 'outcomes_entry_mv')`,
  );
  return new Map(rows.map((r) => [r.name, r.target.replace(/`/g, '')]));
}

/** The JSONCompactEachRow body the sink sends for these rows with this stamp (a row per line). */
function bodyBytes(rs: readonly OutcomeRow[], stamp: FenceStamp): number {
  let n = 0;
  for (const r of rs) n += Buffer.byteLength(JSON.stringify([...OUTCOME_COLUMNS.map((c) => r[c]), stamp.scope, stamp.generations.get(r.source_partition) ?? 0])) + 1;
  return n;
}

/**
 * --raw: the sink's insert (same columns, format, rows and settings) as one Buffer through chDB's
 * rawInsert, which hands it to the native side as is, instead of the client's path (rows streamed as
 * strings, concatenated by chdb/connection, prefixed with the INSERT statement, run as one SQL string).
 */
function rawSink(s: Store): RowSink {
  return {
    async insert(rs, token, stamp) {
      if (!stamp) throw new Error('raw sink: fenced path only');
      const lines = rs.map((r) => JSON.stringify([...OUTCOME_COLUMNS.map((c) => r[c]), stamp.scope, stamp.generations.get(r.source_partition) ?? 0]));
      await connection.chdb.rawInsert({
        table: `${s.database}.outcomes_entry`,
        columns: [...OUTCOME_COLUMNS, 'fence_scope', 'fence_generation'],
        values: Buffer.from(`${lines.join('\n')}\n`),
        format: 'JSONCompactEachRow',
        settings: { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1, date_time_input_format: 'best_effort' },
      });
    },
  };
}

let dbs = 0;
/** A database of its own in the same chDB store, migrated, less the views named in `drop`. */
async function variant(name: string, blocks: readonly OutcomeRow[][], drop: (all: string[]) => string[], dropEntry = false, raw = false): Promise<Variant> {
  const database = `bench_ablation_${dbs++}`;
  const s: Store = { ...store, database, close: async () => {} };
  await migrate(s);
  const views = await viewsOnOutcomes(s);
  const gone = new Set(drop([...views.keys()]));
  for (const v of gone) if (!views.has(v)) throw new Error(`${name}: no view ${v} on outcomes`);
  for (const v of gone) await s.client.command({ query: `DROP VIEW ${database}.${v}` });
  if (dropEntry) await s.client.command({ query: `DROP VIEW ${database}.outcomes_entry_mv` });
  const fence = createFence(s, 'bench:sink-ablation', 'bench');
  const stamp: FenceStamp = { scope: fence.scope, generations: await fence.claim([...Array(BENCH_PARTITIONS).keys()]) };
  const truncate = (
    await names<{ name: string }>(
      s,
      `SELECT name FROM system.tables WHERE database = '${database}' AND engine LIKE '%MergeTree' AND name NOT IN ('partition_fence', 'schema_migrations')`,
    )
  ).map((r) => r.name);
  const total = blocks.reduce((n, b) => n + b.length, 0);
  const kept = new Map([...views].filter(([v]) => !gone.has(v) && !dropEntry));
  const dropped = new Map([...views].filter(([v]) => gone.has(v) || dropEntry));
  return { name, store: s, sink: raw ? rawSink(s) : createOutcomeSink(s), stamp, blocks, truncate, kept, dropped, expectOutcomes: dropEntry ? 0 : total, bytesPerRow: blocks.reduce((n, b) => n + bodyBytes(b, stamp), 0) / total };
}

const rows = await pipelineRows(config, store, 'sink-ablation', PAIRS);
const toBlocks = (rs: OutcomeRow[]) => {
  const out: OutcomeRow[][] = [];
  for (let i = 0; i < rs.length; i += BLOCK) out.push(rs.slice(i, i + BLOCK));
  return out;
};
const blocks = toBlocks(rows);
const slim = toBlocks(rows.map((r) => ({ ...r, ...Object.fromEntries(LONG_STRINGS.map((c) => [c, ''])) })));
const withLong = rows.filter((r) => LONG_STRINGS.some((c) => r[c] !== '')).length;
const compared = rows.filter((r) => r.kind === 'compared').length;
log(`${rows.length} outcome rows from ${PAIRS} pairs (${compared} compared, ${withLong} with a long string), ${blocks.length} blocks of up to ${BLOCK}`);

const probe = await variant('probe', blocks, () => []);
const allViews = [...probe.kept.keys()].sort();
log(`views on outcomes: ${allViews.map((v) => `${v} -> ${probe.kept.get(v)}`).join(', ')}`);
const specs: [string, () => Promise<Variant>][] = [
  ['full', () => variant('full', blocks, () => [])],
  ['no views', () => variant('no views', blocks, (all) => all)],
  ['Null table alone', () => variant('Null table alone', blocks, (all) => all, true)],
  ['slim rows', () => variant('slim rows', slim, () => [])],
  ...allViews.map((v): [string, () => Promise<Variant>] => [`without ${v}`, () => variant(`without ${v}`, blocks, () => [v])]),
  ...(args.raw
    ? ([
        ['full, rawInsert', () => variant('full, rawInsert', blocks, () => [], false, true)],
        ['Null table alone, rawInsert', () => variant('Null table alone, rawInsert', blocks, (all) => all, true, true)],
      ] as [string, () => Promise<Variant>][])
    : []),
];
const only = args.only?.split(',').map((s) => s.trim());
const variants: Variant[] = [];
for (const [name, make] of specs) if (!only || name === 'full' || only.some((o) => name.includes(o))) variants.push(await make());

// threadCpu's name for the thread whose id is the process id: the one that runs JavaScript.
const mainThread = 'main (JS thread)';
interface Sample {
  cpu: number;
  js: number;
}

/** Whether each view's target had rows after full's first run. */
const fills = new Map<string, boolean>();
let run = 0;
async function measure(v: Variant): Promise<Sample> {
  for (const t of v.truncate) await v.store.client.command({ query: `TRUNCATE TABLE ${v.store.database}.${t}` });
  const t0 = threadCpu(process.pid);
  const c0 = process.cpuUsage();
  for (const [k, b] of v.blocks.entries()) await v.sink.insert(b, `f1:bench-${run}-${k}`, v.stamp);
  const c = process.cpuUsage(c0);
  const js = (threadCpu(process.pid).get(mainThread) ?? NaN) - (t0.get(mainThread) ?? NaN);
  run++;
  const n = await scalar(v.store, `SELECT count() AS n FROM ${v.store.database}.outcomes`);
  if (n !== v.expectOutcomes) throw new Error(`${v.name}: outcomes holds ${n} rows, expected ${v.expectOutcomes}`);
  for (const [view, target] of v.kept) {
    // Traffic without rejects or reproduced primaries leaves some targets empty even in full: compare
    // with what full's first run left (full is measured first), rather than insisting on rows.
    const filled = (await scalar(v.store, `SELECT count() AS n FROM ${v.store.database}.${target}`)) > 0;
    if (!fills.has(target)) fills.set(target, filled);
    else if (fills.get(target) !== filled) throw new Error(`${v.name}: ${view} kept but ${target} ${filled ? 'filled' : 'stayed empty'}, unlike in full`);
  }
  for (const [view, target] of v.dropped) {
    if ((await scalar(v.store, `SELECT count() AS n FROM ${v.store.database}.${target}`)) !== 0) throw new Error(`${v.name}: ${view} dropped but ${target} is not empty`);
  }
  return { cpu: (c.user + c.system) / rows.length, js: (js * 1e6) / rows.length };
}

const results = new Map<string, Sample[]>();
for (const v of variants) await measure(v); // warm-up: JIT, chDB's first inserts into each table
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? variants : [...variants].reverse();
  for (const v of order) {
    const s = await measure(v);
    results.set(v.name, [...(results.get(v.name) ?? []), s]);
    log(`round ${round + 1} ${v.name}: ${s.cpu.toFixed(2)} µs/row (JS thread ${s.js.toFixed(2)})`);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
const fmt = (xs: number[]) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;

console.log(`\n${rows.length} rows per run (${PAIRS} pairs, ${withLong} with a long string), ${BLOCK}-row blocks, ${ROUNDS} rounds per variant, fenced path; median (min–max)\n`);
console.log('| variant | CPU µs/row, all threads | vs full | JS thread µs/row | bytes/row |');
console.log('| --- | --- | --- | --- | --- |');
const base = median(results.get('full')!.map((s) => s.cpu));
for (const v of variants) {
  const xs = results.get(v.name)!;
  const d = median(xs.map((s) => s.cpu)) - base;
  console.log(`| ${v.name} | ${fmt(xs.map((s) => s.cpu))} | ${d >= 0 ? '+' : ''}${d.toFixed(1)} (${((d / base) * 100).toFixed(0)}%) | ${fmt(xs.map((s) => s.js))} | ${v.bytesPerRow.toFixed(0)} |`);
}
await store.close();
rmSync(dir, { recursive: true, force: true });
