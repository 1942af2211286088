import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
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

/** Where the processor's POST /query reads: one session per request (`open`), closed after it. */
export interface ReadSessions {
  /** A SELECT-only server user is configured (clickhouse.readUsername): the server enforces read-only. */
  readonly dedicated: boolean;
  open(): Promise<Store>;
  close(): Promise<void>;
}

/**
 * On the embedded engine, a fresh chDB connection to the same data directory per request: chDB keeps
 * a failed statement's partial output and can hand it to the next statement on the same connection
 * (measured on chdb 3.4 after a result-limit error: 3 of 20 follow-up queries got the failed query's
 * rows), and it applies settings session-wide. A connection of its own keeps both away from the
 * stream's connection. On a server, requests are independent already: one client, as the read user
 * when `readUsername` is set (the server then refuses what the screen might miss).
 */
export async function openReadSessions(cfg: ClickHouseConfig, store: Store): Promise<ReadSessions> {
  if (store.mode === 'embedded') {
    const dir = resolve(cfg.dataDir);
    return {
      dedicated: false,
      open: async () => {
        const client = createClient({ connection: createChdbConnection({ path: dir }) as unknown as EmbeddedConnection });
        return { client, database: cfg.database, mode: 'embedded', location: dir, close: () => client.close() };
      },
      close: async () => {},
    };
  }
  const reader = cfg.url && cfg.readUsername ? await openServer({ ...cfg, username: cfg.readUsername, password: cfg.readPassword ?? '' }, cfg.url) : null;
  const shared: Store = { ...(reader ?? store), close: async () => {} };
  return { dedicated: reader !== null, open: async () => shared, close: async () => reader?.close() };
}

async function openServer(cfg: ClickHouseConfig, url: string): Promise<Store> {
  const client = createClient({
    url,
    username: cfg.username,
    password: cfg.password,
    request_timeout: cfg.requestTimeoutMs,
    clickhouse_settings: { date_time_input_format: 'best_effort' },
    // The client's own logger prints failed statements (a /query caller's SQL) to stderr; every error
    // reaches our code and is logged there, classified and without the statement.
    log: { level: ClickHouseLogLevel.OFF },
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
  assertNotHeld(dir);
  mkdirSync(dir, { recursive: true });
  let connection;
  try {
    connection = createChdbConnection({ path: dir });
  } catch (err) {
    throw new ShadowError('SHADOW_SINK', `cannot open the embedded ClickHouse data directory ${dir}: ${errorMessage(err)}`, { cause: err });
  }
  // chdb types its Connection against @clickhouse/client-common, which @clickhouse/client 1.23 now
  // bundles under its own path: the shapes are identical, the nominal types are not.
  const client = createClient({ connection: connection as unknown as EmbeddedConnection, clickhouse_settings: { date_time_input_format: 'best_effort' } });
  return { client, database: cfg.database, mode: 'embedded', location: dir, close: () => client.close() };
}

/**
 * Fails fast, before chDB is touched, when another live process holds the data directory: chDB locks
 * it per process (Code 76 "Cannot lock file .../status") and prints that native line itself, which
 * operators should not see. ClickHouse writes the holder's PID into `<dir>/status` and removes the
 * file on a clean close; a file left by a killed process names a dead PID and is ignored.
 */
export function assertNotHeld(dir: string): void {
  let pid: number;
  try {
    pid = Number(/^PID: (\d+)/m.exec(readFileSync(join(dir, 'status'), 'utf8'))?.[1]);
  } catch {
    return;
  }
  if (!pid || pid === process.pid || !alive(pid)) return;
  throw new ShadowError(
    'SHADOW_STORE_LOCKED',
    `the embedded ClickHouse data directory ${dir} is in use by another process (pid ${pid}, e.g. a running ` +
      '`shadow-compare run`). Query through that process instead (add `--via http://HOST:PORT` with its ' +
      'HTTP port), stop it first, or use a ClickHouse server (CLICKHOUSE_URL).',
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
