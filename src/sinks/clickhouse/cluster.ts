// Cluster rendering of the migrations (config clickhouse.cluster; docs/scale-out.md). Without a cluster
// nothing here runs: migrate() executes each file as it is, with `${db}` substituted. With one, every
// file becomes the same statement ON CLUSTER, plus the statements a cluster needs beside it:
//   - `*MergeTree` becomes `Replicated*MergeTree` (one replication path per shard), and the insert
//     dedup window moves from non_replicated_deduplication_window to replicated_deduplication_window;
//   - every replicated table gets a Distributed twin of the same name in the read database
//     `<database>_all`, and every reader (gate, status, canary, dashboards, analyst views) reads there;
//   - analyst views (plain CREATE VIEW) are created in the read database and read the Distributed tables;
//   - ALTER TABLE on a table with a twin alters the twin too (a Distributed table copies columns once,
//     at creation).
// Writers keep writing the local tables of the node they are connected to (outcomes_entry, whose views
// fill the rest on that node): nothing ever inserts into a Distributed table.

/** A table whose every node holds the full copy (one replication path for all shards): see FULL_COPY_PATH. */
const FULL_COPY_TABLES: ReadonlySet<string> = new Set(['partition_fence', 'schema_migrations']);

/** ClickHouse's documented default layout: one Keeper path per shard, one replica name per node. */
export const SHARD_PATH = "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'";
/**
 * Tables every processor must see whatever node it writes to: the write fence (a claim made through one
 * node must stop a stale writer on any other) and the migrations record. No `{shard}` in the path, so
 * all nodes of the cluster are replicas of one table.
 */
export const FULL_COPY_PATH = "'/clickhouse/tables/all/{database}/{table}', '{replica}'";

/** 7 days: how long a retried or rebuilt block still meets its hash (replicated tables only). */
export const DEDUP_WINDOW_SECONDS = 604_800;

export interface ClusterLayout {
  readonly cluster: string;
  /** Where the local, replicated tables live (config clickhouse.database). */
  readonly database: string;
  /** Where the Distributed twins and the analyst views live. */
  readonly readDatabase: string;
}

/** The database readers use: `<database>_all` with a cluster, the database itself without one. */
export function readDatabase(cfg: { readonly database: string; readonly cluster?: string | undefined }): string {
  return cfg.cluster ? `${cfg.database}_all` : cfg.database;
}

export function clusterLayout(cfg: { readonly database: string; readonly cluster?: string | undefined }): ClusterLayout | null {
  return cfg.cluster ? { cluster: cfg.cluster, database: cfg.database, readDatabase: readDatabase(cfg) } : null;
}

const HEAD = /^(CREATE MATERIALIZED VIEW IF NOT EXISTS|CREATE VIEW IF NOT EXISTS|CREATE TABLE IF NOT EXISTS|ALTER TABLE|DROP VIEW IF EXISTS) \$\{db\}\.([a-z0-9_]+)/m;
const MERGE_TREE_ENGINE = /^ENGINE = (\w*)MergeTree$/m;

type Kind = 'table' | 'materialized view' | 'view' | 'alter' | 'drop view';

interface Head {
  readonly kind: Kind;
  readonly table: string;
  /** Offset just after `${db}.<table>`, where ON CLUSTER goes. */
  readonly end: number;
}

function head(sql: string, name: string): Head {
  const m = HEAD.exec(sql);
  if (!m) throw new Error(`migration ${name}: no CREATE ... IF NOT EXISTS \${db}.<name>, ALTER TABLE \${db}.<name> or DROP VIEW IF EXISTS \${db}.<name> to render ON CLUSTER`);
  const verb = m[1] ?? '';
  const kind: Kind = verb.startsWith('CREATE MATERIALIZED')
    ? 'materialized view'
    : verb.startsWith('CREATE VIEW')
      ? 'view'
      : verb.startsWith('CREATE TABLE')
        ? 'table'
        : verb.startsWith('DROP')
          ? 'drop view'
          : 'alter';
  return { kind, table: m[2] ?? '', end: m.index + m[0].length };
}

/** Tables the migrations create with a MergeTree-family engine and not as a full copy: those get a Distributed twin. */
export function distributedTables(files: readonly { readonly name: string; readonly sql: string }[]): Set<string> {
  const out = new Set<string>();
  for (const f of files) {
    const h = head(f.sql, f.name);
    if (h.kind === 'table' && MERGE_TREE_ENGINE.test(f.sql) && !FULL_COPY_TABLES.has(h.table)) out.add(h.table);
  }
  return out;
}

/**
 * One migration file (raw, with `${db}`) as the statements to run on a cluster, in order. `twins` is
 * distributedTables() of all the migrations, so that an ALTER knows whether its table has a twin.
 */
export function renderClusterStatements(file: { readonly name: string; readonly sql: string }, layout: ClusterLayout, twins: ReadonlySet<string>): string[] {
  const h = head(file.sql, file.name);
  const onCluster = ` ON CLUSTER ${layout.cluster}`;
  let sql = file.sql.slice(0, h.end) + onCluster + file.sql.slice(h.end);
  const db = (s: string, database: string) => s.replaceAll('${db}', database);
  if (h.kind === 'view') return [db(sql, layout.readDatabase)];
  if (h.kind === 'materialized view') return [db(sql, layout.database)];
  // A materialized view lives in the local database, a plain view in the read database: a drop, by
  // name only, is sent to both (IF EXISTS makes the other one a no-op).
  if (h.kind === 'drop view') return [db(sql, layout.database), db(sql, layout.readDatabase)];
  if (h.kind === 'alter') {
    const local = db(sql, layout.database);
    if (!twins.has(h.table)) return [local];
    return [local, `ALTER TABLE ${layout.readDatabase}.${h.table}${onCluster}${db(file.sql.slice(h.end), layout.database)}`];
  }
  const engine = MERGE_TREE_ENGINE.exec(sql);
  if (!engine) return [db(sql, layout.database)]; // Null and other engines: nothing to replicate
  const path = FULL_COPY_TABLES.has(h.table) ? FULL_COPY_PATH : SHARD_PATH;
  sql = sql.replace(MERGE_TREE_ENGINE, `ENGINE = Replicated${engine[1] ?? ''}MergeTree(${path})`);
  // Same window, counted in blocks, now kept in Keeper and shared by the shard's replicas. Replicated
  // tables also forget hashes older than replicated_deduplication_window_seconds (3600 on engine 26.7,
  // read from system.merge_tree_settings), which a non-replicated window does not: a block rebuilt after
  // a longer outage would be stored twice. A week, like the async-insert default (docs/scale-out.md).
  sql = sql.replace(
    /non_replicated_deduplication_window = (\d+)/,
    `replicated_deduplication_window = $1, replicated_deduplication_window_seconds = ${DEDUP_WINDOW_SECONDS}`,
  );
  const out = [db(sql, layout.database)];
  if (twins.has(h.table)) out.push(distributedTwin(h.table, layout));
  return out;
}

/**
 * No sharding key: nothing inserts through a Distributed table (a processor writes its node's local
 * tables so that a retried block meets the dedup hashes of the shard that stored it), and without a key
 * ClickHouse refuses an insert into a multi-shard Distributed table instead of spreading it.
 */
export function distributedTwin(table: string, layout: ClusterLayout): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${layout.readDatabase}.${table} ON CLUSTER ${layout.cluster} AS ${layout.database}.${table}\n` +
    `ENGINE = Distributed(${layout.cluster}, ${layout.database}, ${table})`
  );
}

/** What migrate() runs before the files: both databases and the migrations record, on every node. */
export function clusterPreamble(layout: ClusterLayout): string[] {
  const on = `ON CLUSTER ${layout.cluster}`;
  return [
    `CREATE DATABASE IF NOT EXISTS ${layout.database} ${on}`,
    `CREATE DATABASE IF NOT EXISTS ${layout.readDatabase} ${on}`,
    `CREATE TABLE IF NOT EXISTS ${layout.database}.schema_migrations ${on} (version UInt32, name String, checksum String, ` +
      `applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = ReplicatedMergeTree(${FULL_COPY_PATH}) ORDER BY version`,
  ];
}
