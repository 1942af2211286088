import type { ReadSessions, Store } from '../sinks/clickhouse/client.ts';
import { classifyClickHouseError } from '../sinks/clickhouse/errors.ts';
import type { QueryRunner } from './runner.ts';

export interface StoreRunnerOptions {
  /**
   * Ask a server to refuse writes in `query()`, per request: `readonly=2`, which refuses every write
   * and every change of `readonly` itself but lets the statement set its own limits (the /query
   * screen appends them; `readonly=1` would refuse those too). Not applied on the embedded engine:
   * chDB's connection applies `clickhouse_settings` as session-wide `SET`s, which would make the
   * processor's own inserts fail (Code 164, measured on chdb 3.4); there the screen appends
   * `readonly = 1` to the statement itself. Leave it off for a dedicated read user, whose profile
   * already fixes `readonly` (docs/security.md).
   */
  readonly readOnly?: boolean;
}

export function createStoreRunner(store: Store, opts: StoreRunnerOptions = {}): QueryRunner {
  const settings = opts.readOnly && store.mode === 'server' ? { readonly: '2' as const } : undefined;
  return {
    location: `${store.mode} ClickHouse at ${store.location}`,
    async query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]> {
      try {
        const rs = await store.client.query({ query: sql, format: 'JSONEachRow', query_params: params, clickhouse_settings: settings });
        return await rs.json<T>();
      } catch (err) {
        throw classifyClickHouseError(err, 'query');
      }
    },
    async insert(table: string, rows: object[]): Promise<void> {
      if (rows.length === 0) return;
      try {
        await store.client.insert({ table: `${store.database}.${table}`, values: rows, format: 'JSONEachRow' });
      } catch (err) {
        throw classifyClickHouseError(err, `insert into ${table}`);
      }
    },
  };
}

/**
 * One /query request's session: a fresh read session, read-only per request unless the server's read
 * user already fixes that in its profile. The caller closes it.
 */
export function readSession(reads: ReadSessions): () => Promise<{ runner: QueryRunner; close(): Promise<void> }> {
  return async () => {
    const s = await reads.open();
    return { runner: createStoreRunner(s, { readOnly: !reads.dedicated }), close: () => s.close() };
  };
}
