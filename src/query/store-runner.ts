import type { Store } from '../sinks/clickhouse/client.ts';
import { classifyClickHouseError } from '../sinks/clickhouse/errors.ts';
import type { QueryRunner } from './runner.ts';

export interface StoreRunnerOptions {
  /**
   * Ask ClickHouse to refuse writes in `query()`. Honoured per request on a server only: chDB's
   * connection applies `clickhouse_settings` as session-wide `SET` statements, so `readonly=1` on the
   * embedded engine would stay set and make the processor's own inserts fail (Code 164, measured on
   * chdb 3.4). On the embedded engine the caller must screen the SQL instead (`assertReadOnlySql`).
   */
  readonly readOnly?: boolean;
}

export function createStoreRunner(store: Store, opts: StoreRunnerOptions = {}): QueryRunner {
  const settings = opts.readOnly && store.mode === 'server' ? { readonly: '1' as const } : undefined;
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
