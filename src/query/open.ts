import type { Config } from '../config/index.ts';
import { openStore } from '../sinks/clickhouse/client.ts';
import { clusterLayout } from '../sinks/clickhouse/cluster.ts';
import { migrate } from '../sinks/clickhouse/migrate.ts';
import { createHttpRunner, type HttpRunner } from './http-runner.ts';
import type { QueryRunner } from './runner.ts';
import { createStoreRunner } from './store-runner.ts';

/** How ClickHouse was reached (`source`, recorded with audit rows) and the runner for it. */
export type OpenedRunner =
  | { readonly source: 'http'; readonly runner: HttpRunner; close(): Promise<void> }
  | { readonly source: 'embedded' | 'server'; readonly runner: QueryRunner; close(): Promise<void> };

/**
 * `via` set: go through the running processor at that URL. Otherwise open the store and bring its
 * schema up to date; a data directory held by `shadow-compare run` fails with SHADOW_STORE_LOCKED,
 * whose message names `--via` as the way out.
 */
export async function openQueryRunner(
  config: Readonly<Config>,
  opts: { via?: string; token?: string | null; log?: (m: string) => void } = {},
): Promise<OpenedRunner> {
  if (opts.via) return { runner: createHttpRunner(opts.via, { token: opts.token ?? null }), source: 'http', close: async () => {} };
  const store = await openStore(config.clickhouse);
  try {
    await migrate(store, { log: opts.log, cluster: clusterLayout(config.clickhouse) });
  } catch (err) {
    await store.close();
    throw err;
  }
  return { runner: createStoreRunner(store), source: store.mode, close: () => store.close() };
}
