import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import type { ClickHouseConfig } from '../../config/index.ts';
import { ShadowError, errorMessage } from '../../errors.ts';
import { redactUrl } from '../../ops/logger.ts';

type EmbeddedConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

export interface Store {
  readonly client: ClickHouseClient;
  readonly database: string;
  readonly mode: 'embedded' | 'server';
  /** Where the data is, for messages: a directory or a URL without credentials. */
  readonly location: string;
  close(): Promise<void>;
}

/** The only way the code reaches ClickHouse: chDB in-process by default, a server when `url` is set. */
export async function openStore(cfg: ClickHouseConfig): Promise<Store> {
  return cfg.url ? openServer(cfg, cfg.url) : openEmbedded(cfg);
}

async function openServer(cfg: ClickHouseConfig, url: string): Promise<Store> {
  const client = createClient({
    url,
    username: cfg.username,
    password: cfg.password,
    request_timeout: cfg.requestTimeoutMs,
    clickhouse_settings: { date_time_input_format: 'best_effort' },
  });
  const location = redactUrl(url);
  const ping = await client.ping();
  if (!ping.success) {
    await client.close();
    const why = redactUrl(errorMessage(ping.error));
    throw new ShadowError('SHADOW_SINK', `ClickHouse server at ${location} is unreachable: ${why}`, { retryable: true });
  }
  return { client, database: cfg.database, mode: 'server', location, close: () => client.close() };
}

function openEmbedded(cfg: ClickHouseConfig): Store {
  const dir = resolve(cfg.dataDir);
  mkdirSync(dir, { recursive: true });
  let connection;
  try {
    connection = createChdbConnection({ path: dir });
  } catch (err) {
    // chDB locks its directory per process (Code 76 "Cannot lock file .../status"); the native error
    // only says "Failed to create connection", so name the likely cause and the ways out.
    const locked = existsSync(join(dir, 'status'));
    const msg = locked
      ? `the embedded ClickHouse data directory ${dir} is in use by another process (e.g. a running ` +
        '`shadow-compare run`). Query through that process instead (add `--via http://HOST:PORT` with its ' +
        'HTTP port), stop it first, or use a ClickHouse server (CLICKHOUSE_URL).'
      : `cannot open the embedded ClickHouse data directory ${dir}: ${errorMessage(err)}`;
    throw new ShadowError(locked ? 'SHADOW_STORE_LOCKED' : 'SHADOW_SINK', msg, { cause: err });
  }
  // chdb types its Connection against @clickhouse/client-common, which @clickhouse/client 1.23 now
  // bundles under its own path: the shapes are identical, the nominal types are not.
  const client = createClient({ connection: connection as unknown as EmbeddedConnection, clickhouse_settings: { date_time_input_format: 'best_effort' } });
  return { client, database: cfg.database, mode: 'embedded', location: dir, close: () => client.close() };
}
