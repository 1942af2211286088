// CPU per outcome row through the write fence (outcomes_entry) for variants of the schema and sink,
// each in its own database of one embedded store, alternating round by round (ABBA, so drift favours
// neither). The rows are the pipeline's own, made from generated traffic as bench/workers/pipeline.ts
// makes them, inserted in 50,000-row blocks as in scripts/bench-sink-encoding.ts.
//
//   tsx scripts/bench-fenced-stats.ts [--pairs 200000] [--rounds 3] [--block 50000]
//
// Variants: `with stats_1m_mv` is the schema as migrated; `without stats_1m_mv` the same with that
// view dropped, which bounds what computing stats_1m another way can save on the fenced path. As a
// second, less noisy view of the same question, the view's own work (migration 000003's SELECT, inserted
// into stats_1m) is then run alone over the rows a run left in outcomes.
//
// CPU is process.cpuUsage over the inserts (every thread: chDB parses and runs the views on its own).
// Tables are truncated between runs, outside the measurement, so every run meets an empty store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_PARTITIONS, pipelineRows } from '../bench/lib/pipeline-rows.ts';
import { benchConfig } from '../bench/lib/instance.ts';
import type { OutcomeRow } from '../src/outcomes/index.ts';
import { openStore, type Store } from '../src/sinks/clickhouse/client.ts';
import { createFence } from '../src/sinks/clickhouse/fence.ts';
import { migrate, readMigrations, renderSql } from '../src/sinks/clickhouse/migrate.ts';
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

const dir = mkdtempSync(join(tmpdir(), 'shadow-bench-fenced-stats-'));
const config = benchConfig({ clickhouse: { dataDir: join(dir, 'data') } });
const store = await openStore(config.clickhouse);
await migrate(store);

interface Variant {
  readonly name: string;
  readonly store: Store;
  readonly sink: RowSink;
  readonly stamp: FenceStamp;
  readonly truncate: readonly string[];
  /** What stats_1m must count after a run, so a variant cannot look cheap by doing less than it says. */
  readonly expectCompared: number;
}

/** A database of its own in the same chDB store, migrated, then adjusted by `prepare`. */
async function variant(name: string, database: string, expectCompared: number, prepare: (s: Store) => Promise<void> = async () => {}): Promise<Variant> {
  const s: Store = { ...store, database, close: async () => {} };
  await migrate(s);
  await prepare(s);
  const fence = createFence(s, 'bench:fenced-stats', 'bench');
  const stamp: FenceStamp = { scope: fence.scope, generations: await fence.claim([...Array(BENCH_PARTITIONS).keys()]) };
  return { name, store: s, sink: createOutcomeSink(s), stamp, truncate: await mergeTreeTables(s), expectCompared };
}

async function mergeTreeTables(s: Store): Promise<string[]> {
  const res = await s.client.query({
    query: `SELECT name FROM system.tables WHERE database = '${s.database}' AND engine LIKE '%MergeTree' AND name NOT IN ('partition_fence', 'schema_migrations')`,
    format: 'JSONEachRow',
  });
  return (await res.json<{ name: string }>()).map((r) => r.name);
}

async function scalar(s: Store, query: string): Promise<number> {
  const [row] = await (await s.client.query({ query, format: 'JSONEachRow' })).json<{ n: string }>();
  return Number(row?.n);
}

const rows = await pipelineRows(config, store, 'fenced-stats', PAIRS);
const blocks: OutcomeRow[][] = [];
for (let i = 0; i < rows.length; i += BLOCK) blocks.push(rows.slice(i, i + BLOCK));
const compared = rows.filter((r) => r.kind === 'compared').length;
const segments = rows.reduce((n, r) => n + Object.keys(r.segments).length, 0) / rows.length;
log(`${rows.length} outcome rows from ${PAIRS} pairs (${compared} compared, ${segments.toFixed(1)} segment dimensions per row), ${blocks.length} blocks of up to ${BLOCK}`);

const variants: Variant[] = [
  await variant('with stats_1m_mv', 'bench_with_stats_mv', compared),
  await variant('without stats_1m_mv', 'bench_without_stats_mv', 0, (s) => s.client.command({ query: `DROP VIEW ${s.database}.stats_1m_mv` }).then(() => {})),
];

let run = 0;
async function measure(v: Variant): Promise<number> {
  for (const t of v.truncate) await v.store.client.command({ query: `TRUNCATE TABLE ${v.store.database}.${t}` });
  const c0 = process.cpuUsage();
  for (const [k, b] of blocks.entries()) await v.sink.insert(b, `f1:bench-${run}-${k}`, v.stamp);
  const c = process.cpuUsage(c0);
  run++;
  const n = await scalar(v.store, `SELECT count() AS n FROM ${v.store.database}.outcomes`);
  if (n !== rows.length) throw new Error(`${v.name}: outcomes holds ${n} of ${rows.length} rows`);
  const compared = await scalar(v.store, `SELECT sum(compared) AS n FROM ${v.store.database}.stats_1m WHERE dimension = '__all__'`);
  if (compared !== v.expectCompared) throw new Error(`${v.name}: stats_1m counts ${compared} compared, expected ${v.expectCompared}`);
  return (c.user + c.system) / rows.length;
}

const results = new Map<string, number[]>();
for (const v of variants) await measure(v); // warm-up: JIT, chDB's first inserts into each table
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? variants : [...variants].reverse();
  for (const v of order) {
    const us = await measure(v);
    results.set(v.name, [...(results.get(v.name) ?? []), us]);
    log(`round ${round + 1} ${v.name}: ${us.toFixed(2)} µs/row`);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
const fmt = (xs: number[]) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;

console.log(`\n${rows.length} rows per run (${PAIRS} pairs), ${BLOCK}-row blocks, ${ROUNDS} rounds per variant, fenced path; median (min–max)\n`);
console.log('| variant | CPU µs/row, all threads | vs first |');
console.log('| --- | --- | --- |');
const base = median(results.get(variants[0]!.name)!);
for (const v of variants) {
  const xs = results.get(v.name)!;
  console.log(`| ${v.name} | ${fmt(xs)} | ${(((median(xs) - base) / base) * 100).toFixed(1)}% |`);
}
/**
 * stats_1m_mv's work as migration 000003 defines it (its SELECT, inserted into stats_1m) over what the
 * last run left in outcomes. An INSERT rather than a bare SELECT, whose unread aggregates the planner
 * would drop. It reads outcomes from disk, which the view does not, so this is an upper bound.
 */
async function viewAlone(v: Variant): Promise<number> {
  const mv = readMigrations().find((m) => m.version === 3)!;
  const select = /\bAS\s*\n(SELECT[\s\S]*)$/.exec(renderSql(mv.sql, v.store.database))![1]!;
  await v.store.client.command({ query: `TRUNCATE TABLE ${v.store.database}.stats_1m` });
  const c0 = process.cpuUsage();
  await v.store.client.command({ query: `INSERT INTO ${v.store.database}.stats_1m ${select}` });
  const c = process.cpuUsage(c0);
  const compared = await scalar(v.store, `SELECT sum(compared) AS n FROM ${v.store.database}.stats_1m WHERE dimension = '__all__'`);
  if (compared !== v.expectCompared) throw new Error(`view alone: stats_1m counts ${compared} compared, expected ${v.expectCompared}`);
  return (c.user + c.system) / rows.length;
}
await measure(variants[0]!);
const alone: number[] = [];
for (let i = 0; i < ROUNDS; i++) alone.push(await viewAlone(variants[0]!));
console.log(`\nstats_1m_mv's INSERT ... SELECT alone over the ${rows.length} rows: ${fmt(alone)} µs/row, ${((median(alone) / base) * 100).toFixed(1)}% of the fenced path's median`);
await store.close();
rmSync(dir, { recursive: true, force: true });
