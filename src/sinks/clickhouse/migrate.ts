import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ShadowError, errorMessage } from '../../errors.ts';
import type { Store } from './client.ts';
import { clusterPreamble, distributedTables, renderClusterStatements, type ClusterLayout } from './cluster.ts';

export const MIGRATIONS_DIR = join(import.meta.dirname, '..', '..', '..', 'schemas', 'clickhouse');

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

/** Reads `NNNNNN_name.sql` files in order. `${db}` in a file stands for the configured database. */
export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{6}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      return {
        version: Number(file.slice(0, 6)),
        name: file.replace(/\.sql$/, ''),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex').slice(0, 16),
      };
    });
}

export function renderSql(sql: string, database: string): string {
  return sql.replaceAll('${db}', database);
}

/**
 * The statements one migration runs. Without a cluster: the file with `${db}` substituted, byte for
 * byte. With one: src/sinks/clickhouse/cluster.ts (ON CLUSTER, Replicated engines, Distributed twins);
 * `all` is every migration, so an ALTER knows whether its table has a Distributed twin.
 */
export function renderMigration(m: Migration, database: string, layout: ClusterLayout | null, all: readonly Migration[]): string[] {
  if (!layout) return [renderSql(m.sql, database)];
  return renderClusterStatements(m, layout, distributedTables(all));
}

/**
 * Applies what the migrations table does not list yet. Each file is one idempotent statement
 * (ClickHouse DDL is not transactional), so a crash between apply and record is harmless on rerun.
 * Refuses to run at all when a file already applied has changed since: its change would silently never
 * reach this database (and would reach a fresh one), so two stores would differ with the same history.
 */
export async function migrate(store: Store, opts: { log?: (m: string) => void; dir?: string; cluster?: ClusterLayout | null } = {}): Promise<string[]> {
  const db = store.database;
  const layout = opts.cluster ?? null;
  if (layout) {
    for (const q of clusterPreamble(layout)) await command(store, q, 'create databases and schema_migrations on the cluster');
  } else {
    await command(store, `CREATE DATABASE IF NOT EXISTS ${db}`, 'create database');
    await command(
      store,
      `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, checksum String, ` +
        `applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = MergeTree ORDER BY version`,
      'create schema_migrations',
    );
  }
  const dir = opts.dir ?? MIGRATIONS_DIR;
  const migrations = readMigrations(dir);
  const done = await appliedChecksums(store);
  checkUnchanged(migrations, done, dir, db);
  const applied: string[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    for (const q of renderMigration(m, db, layout, migrations)) await command(store, q, m.name);
    await store.client.insert({
      table: `${db}.schema_migrations`,
      values: [{ version: m.version, name: m.name, checksum: m.checksum }],
      format: 'JSONEachRow',
    });
    opts.log?.(`applied ${m.name}`);
    applied.push(m.name);
  }
  return applied;
}

/** Version -> every checksum recorded for it (two concurrent first runs may both record a version). */
async function appliedChecksums(store: Store): Promise<Map<number, Set<string>>> {
  const rs = await store.client.query({
    query: `SELECT version, checksum FROM ${store.database}.schema_migrations`,
    format: 'JSONEachRow',
  });
  const out = new Map<number, Set<string>>();
  for (const r of await rs.json<{ version: number; checksum: string }>()) {
    const v = Number(r.version);
    if (!out.has(v)) out.set(v, new Set());
    out.get(v)!.add(r.checksum);
  }
  return out;
}

function checkUnchanged(migrations: readonly Migration[], done: ReadonlyMap<number, ReadonlySet<string>>, dir: string, db: string): void {
  for (const m of migrations) {
    const recorded = done.get(m.version);
    if (!recorded || recorded.has(m.checksum)) continue;
    throw new ShadowError(
      'SHADOW_MIGRATION',
      `${join(dir, `${m.name}.sql`)} has changed since it was applied to ${db} (checksum ${[...recorded].join(', ')} recorded, ` +
        `${m.checksum} now): restore the file and put the change in a new migration`,
    );
  }
}

async function command(store: Store, query: string, what: string): Promise<void> {
  try {
    await store.client.command({ query });
  } catch (err) {
    throw new ShadowError('SHADOW_MIGRATION', `migration "${what}" failed: ${errorMessage(err)}`, { cause: err });
  }
}
