import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ShadowError, errorMessage } from '../../errors.ts';
import type { Store } from './client.ts';

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
 * Applies what the migrations table does not list yet. Each file is one idempotent statement
 * (ClickHouse DDL is not transactional), so a crash between apply and record is harmless on rerun.
 */
export async function migrate(store: Store, opts: { log?: (m: string) => void } = {}): Promise<string[]> {
  const db = store.database;
  await command(store, `CREATE DATABASE IF NOT EXISTS ${db}`, 'create database');
  await command(
    store,
    `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, checksum String, ` +
      `applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = MergeTree ORDER BY version`,
    'create schema_migrations',
  );
  const done = await appliedVersions(store);
  const applied: string[] = [];
  for (const m of readMigrations()) {
    if (done.has(m.version)) continue;
    await command(store, renderSql(m.sql, db), m.name);
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

async function appliedVersions(store: Store): Promise<Set<number>> {
  const rs = await store.client.query({
    query: `SELECT DISTINCT version FROM ${store.database}.schema_migrations`,
    format: 'JSONEachRow',
  });
  return new Set((await rs.json<{ version: number }>()).map((r) => Number(r.version)));
}

async function command(store: Store, query: string, what: string): Promise<void> {
  try {
    await store.client.command({ query });
  } catch (err) {
    throw new ShadowError('SHADOW_MIGRATION', `migration "${what}" failed: ${errorMessage(err)}`, { cause: err });
  }
}
