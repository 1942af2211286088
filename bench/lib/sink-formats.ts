// The sink's two formats, side by side in one embedded store: one 46-column row per record (the
// schema before migration 000080, every aggregate a materialized view over the rows) and blocks (full
// rows where read, ledger arrays, aggregate cells: the sink now). Both go through the write fence, as
// the processor sends them. Used by scripts/bench-sink-blocks.ts and the bench's what-if.
import { threadCpu } from './procfs.ts';
import { BENCH_PARTITIONS } from './pipeline-rows.ts';
import { OUTCOME_COLUMNS, type OutcomeRow } from '../../src/outcomes/index.ts';
import type { Store } from '../../src/sinks/clickhouse/client.ts';
import { encodeBlock } from '../../src/sinks/clickhouse/block-encoding.ts';
import { createFence } from '../../src/sinks/clickhouse/fence.ts';
import { migrate, readMigrations, renderSql } from '../../src/sinks/clickhouse/migrate.ts';
import { createOutcomeSink, type FenceStamp } from '../../src/sinks/clickhouse/outcome-sink.ts';

const FIRST_BLOCK_MIGRATION = 80;
export const MAIN_THREAD = 'main (JS thread)';

export interface SinkFormat {
  readonly name: string;
  readonly store: Store;
  insert(rows: readonly OutcomeRow[], token: string): Promise<void>;
  /** Bytes sent for these rows. */
  bytes(rows: readonly OutcomeRow[]): number;
}

async function fenced(s: Store): Promise<FenceStamp> {
  const fence = createFence(s, 'bench:sink-formats', 'bench');
  return { scope: fence.scope, generations: await fence.claim([...Array(BENCH_PARTITIONS).keys()]) };
}

const inDatabase = async (store: Store, database: string): Promise<Store> => {
  await store.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  return { ...store, database, close: async () => {} };
};

/** The per-row format: the schema before migration 000080, each record one row through the fence. */
export async function perRowFormat(store: Store, database = 'bench_per_row'): Promise<SinkFormat> {
  const s = await inDatabase(store, database);
  for (const m of readMigrations().filter((m) => m.version < FIRST_BLOCK_MIGRATION)) await s.client.command({ query: renderSql(m.sql, s.database) });
  const stamp = await fenced(s);
  const tuple = (r: OutcomeRow) => [...OUTCOME_COLUMNS.map((c) => r[c]), stamp.scope, stamp.generations.get(r.source_partition) ?? 0];
  return {
    name: 'one row per record (before 000080)',
    store: s,
    insert: (rows, token) =>
      s.client
        .insert({
          table: `${s.database}.outcomes_entry`,
          columns: [...OUTCOME_COLUMNS, 'fence_scope', 'fence_generation'],
          values: rows.map(tuple),
          format: 'JSONCompactEachRow',
          clickhouse_settings: { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 },
        })
        .then(() => {}),
    bytes: (rows) => rows.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(tuple(r))) + 1, 0),
  };
}

/** The block format: the sink as the processor runs it. */
export async function blockFormat(store: Store, database = 'bench_blocks'): Promise<SinkFormat> {
  const s = await inDatabase(store, database);
  await migrate(s);
  const stamp = await fenced(s);
  const sink = createOutcomeSink(s);
  return {
    name: 'blocks: full rows where read, ledger arrays, cells (now)',
    store: s,
    insert: (rows, token) => sink.insert(rows, token, stamp),
    bytes: (rows) => encodeBlock(rows, 'f1:x'.padEnd(67, '0')).reduce((n, t) => n + Buffer.byteLength(JSON.stringify([...t, stamp.scope, 0])) + 1, 0),
  };
}

export interface SinkRun {
  /** Process CPU over the inserts, every thread, µs. */
  readonly cpuUs: number;
  /** Per thread name, µs (10 ms ticks). */
  readonly threadsUs: Record<string, number>;
  /** stats_1m totals afterwards: both formats must count the same. */
  readonly totals: string;
}

let run = 0;

/** Empties the format's tables, then inserts `blocks` one by one and measures the CPU it took. */
export async function measureSinkFormat(f: SinkFormat, blocks: readonly (readonly OutcomeRow[])[]): Promise<SinkRun> {
  for (const t of await tables(f.store)) await f.store.client.command({ query: `TRUNCATE TABLE ${f.store.database}.${t}` });
  const t0 = threadCpu(process.pid);
  const c0 = process.cpuUsage();
  for (const [k, b] of blocks.entries()) await f.insert(b, `f1:bench-${run}-${k}`);
  const c = process.cpuUsage(c0);
  const t1 = threadCpu(process.pid);
  run++;
  const threadsUs: Record<string, number> = {};
  for (const [k, x] of t1) threadsUs[k] = (x - (t0.get(k) ?? 0)) * 1e6;
  return { cpuUs: c.user + c.system, threadsUs, totals: await totals(f.store) };
}

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
