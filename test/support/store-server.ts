// A shared ClickHouse store for multi-process tests: a small HTTP server process speaking the subset of
// ClickHouse's HTTP interface that @clickhouse/client (node, 1.23) uses, in front of ONE real chDB
// engine (`createChdbConnection({ path })` from `chdb/connection`). The engine is the real one —
// tables, MergeTree insert deduplication, materialized views, query-parameter binding, settings and
// errors are ClickHouse's own. Only the HTTP framing below is ours. It exists because the embedded
// engine locks its data directory per process, so two `shadow-compare run` processes cannot share it,
// and no ClickHouse server can be installed here.
//
// What the client sends (node_base_connection.js, common/utils/url.js) and how it is mapped:
//   GET  /ping                                  -> `Ok.\n`
//   POST /?query=INSERT ... FORMAT X  + data    -> connection.insert (the engine reads the data inline)
//   POST /?query=OTHER + body                   -> connection.exec with `values` (ClickHouse concatenates too)
//   POST /  with the SQL as the body            -> connection.exec, result body streamed back
//   GET  /?query=SQL                            -> connection.exec (ping with `select: true`)
//   URL `param_NAME=text`                        -> `SET param_NAME = 'text'`: the engine binds it exactly like
//                                                  the HTTP server does (the text is the Escaped form the client
//                                                  produced; chDB's own binder would escape it a second time)
//   `query_id`                                  -> echoed in X-ClickHouse-Query-Id (chDB has no query ids)
//   `database`                                  -> `USE db` before the statement
//   `default_format`                            -> the output format when the SQL has none (TabSeparated
//                                                  by default, as on a server)
//   `session_id`, `role`                        -> refused (the product does not use them)
//   everything else                             -> clickhouse_settings (chDB drops HTTP-only ones such as
//                                                  wait_end_of_query and applies the rest as SETs)
//   errors                                      -> HTTP 500, body `Code: N. DB::Exception: message (TYPE)`,
//                                                  header X-ClickHouse-Exception-Code: N (the client parses a
//                                                  ClickHouseError with `.code` from these)
//   a summary                                   -> X-ClickHouse-Summary (JSON)
// Compression: the client compresses requests and asks for compressed responses only when configured
// (`compression.request` / `.response`, both off by default, and openStore sets neither), so a request
// with Content-Encoding, or multipart parameters (also off by default), is refused with a clear error.
//
// Settings isolation: chDB applies `clickhouse_settings` as session-wide SETs on its connection, and some
// cannot be undone on it at all (after `readonly=1`, `SET readonly = DEFAULT` itself is refused). So every
// request runs on its own fresh chDB connection to the same data directory (about 1 ms to open), closed
// afterwards: a setting (insert_deduplication_token, readonly, ...) can never reach another request, and
// concurrent requests cannot see each other's settings. test/sinks/server-mode.test.ts checks this.
//
//   node --import tsx test/support/store-server.ts DATA_DIR   # prints `listening http://127.0.0.1:PORT`
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface StoreServer {
  readonly url: string;
  readonly dataDir: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

const REPO = join(import.meta.dirname, '..', '..');

/** Starts the store server as a child process with its own (fresh, unless given) data directory. */
export async function startStoreServer(opts: { dataDir?: string } = {}): Promise<StoreServer> {
  const dataDir = opts.dataDir ?? join(mkdtempSync(join(tmpdir(), 'shadow-store-')), 'data');
  // stdin stays open as a lifeline: the server exits when this process goes away, even by SIGKILL.
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'store-server.ts'), dataDir], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then((code) => reject(new Error(`store server exited (${code}) before listening:\n${out.slice(-3000)}`)));
    setTimeout(() => reject(new Error(`store server not listening after 30 s:\n${out.slice(-3000)}`)), 30_000).unref();
  });
  return {
    url,
    dataDir,
    output: () => out,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// The server process.

type ChdbConnection = import('chdb/connection').ChdbConnection;
interface Summary {
  [k: string]: string;
}

const NOT_SETTINGS = new Set(['query', 'query_id', 'database', 'session_id', 'role', 'default_format']);

class ServerError extends Error {
  constructor(
    readonly code: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** ClickHouse's exception text for an engine error, and its numeric code. */
function exceptionOf(err: unknown): { code: number; text: string } {
  if (err instanceof ServerError) return { code: err.code, text: `Code: ${err.code}. DB::Exception: ${err.message}. (${err.type})` };
  // chdb/connection rethrows as ClickHouseError {code, type, message}; the engine's own text is on `.cause`.
  const e = err as { code?: unknown; type?: unknown; message?: unknown; cause?: { message?: unknown } };
  const original = typeof e.cause?.message === 'string' ? e.cause.message : '';
  const code = Number(e.code);
  if (/^Code: \d+\./.test(original)) return { code: Number(/^Code: (\d+)/.exec(original)![1]), text: original };
  if (Number.isInteger(code) && code > 0 && typeof e.type === 'string') return { code, text: `Code: ${code}. DB::Exception: ${String(e.message)} (${e.type})` };
  // Not an engine error (the adapter itself failed): ClickHouse's STD_EXCEPTION.
  return { code: 1001, text: `Code: 1001. DB::Exception: ${err instanceof Error ? err.message : String(err)} (STD_EXCEPTION)` };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  // One decode of the whole body: a multi-byte character split across chunks stays intact.
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(openConnection: () => ChdbConnection, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://store');
  if (url.pathname === '/ping' && (req.method === 'GET' || req.method === 'HEAD')) {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8' }).end('Ok.\n');
    return;
  }
  const queryId = url.searchParams.get('query_id') ?? crypto.randomUUID();
  res.setHeader('X-ClickHouse-Query-Id', queryId);
  let conn: ChdbConnection | undefined;
  try {
    if (url.pathname !== '/') throw new ServerError(48, 'NOT_IMPLEMENTED', `test store server: no handler for ${req.method} ${url.pathname}`);
    if (req.method !== 'GET' && req.method !== 'POST') throw new ServerError(48, 'NOT_IMPLEMENTED', `test store server: method ${req.method}`);
    if (req.headers['content-encoding']) throw new ServerError(48, 'NOT_IMPLEMENTED', `test store server: Content-Encoding ${req.headers['content-encoding']} (request compression is off by default in @clickhouse/client)`);
    if (/multipart/i.test(req.headers['content-type'] ?? '')) throw new ServerError(48, 'NOT_IMPLEMENTED', 'test store server: multipart query parameters');
    for (const k of ['session_id', 'role']) if (url.searchParams.has(k)) throw new ServerError(48, 'NOT_IMPLEMENTED', `test store server: URL parameter ${k}`);

    const settings: Record<string, string> = {};
    for (const [k, v] of url.searchParams) {
      if (NOT_SETTINGS.has(k)) continue;
      // Query parameters become `SET param_x = '...'` too. chDB quotes a setting's value by doubling `'`
      // only, so backslashes are doubled here: the engine's SQL parser then reads back exactly `v`.
      settings[k] = k.startsWith('param_') ? v.replace(/\\/g, '\\\\') : v;
    }
    settings.default_format = url.searchParams.get('default_format') ?? 'TabSeparated';
    const database = url.searchParams.get('database');
    const use = database && database !== 'default' ? `USE \`${database.replace(/`/g, '``')}\`; ` : '';

    const urlQuery = url.searchParams.get('query') ?? '';
    const body = req.method === 'POST' ? await readBody(req) : '';
    conn = openConnection();
    let summary: Summary | undefined;
    let stream: NodeJS.ReadableStream | undefined;
    if (urlQuery && body.length > 0 && /^\s*INSERT\b/i.test(urlQuery)) {
      const r = await conn.insert({ query: use + urlQuery, values: body, clickhouse_settings: settings, query_id: queryId } as never);
      summary = r.summary as unknown as Summary;
    } else {
      const sql = urlQuery && body.length > 0 ? undefined : urlQuery || body;
      if (sql !== undefined && sql.trim() === '') throw new ServerError(62, 'SYNTAX_ERROR', 'Empty query');
      const r =
        sql === undefined
          ? await conn.exec({ query: use + urlQuery, values: body, clickhouse_settings: settings, query_id: queryId } as never)
          : await conn.exec({ query: use + sql, clickhouse_settings: settings, query_id: queryId } as never);
      summary = r.summary as unknown as Summary;
      stream = r.stream as NodeJS.ReadableStream;
    }
    if (summary) res.setHeader('X-ClickHouse-Summary', JSON.stringify(summary));
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Format': settings.default_format });
    if (stream) {
      for await (const chunk of stream) res.write(chunk);
    }
    res.end();
  } catch (err) {
    const { code, text } = exceptionOf(err);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Exception-Code': String(code) }).end(`${text}\n`);
  } finally {
    await conn?.close();
  }
}

async function main(dataDir: string): Promise<void> {
  const { mkdirSync } = await import('node:fs');
  const { createChdbConnection } = await import('chdb/connection');
  mkdirSync(dataDir, { recursive: true });
  // Held for the server's lifetime: binds the process to the data directory. Requests get their own.
  const root = createChdbConnection({ path: dataDir });
  await root.ping({ select: true } as never);
  const open = () => createChdbConnection({ path: dataDir });
  const server = createServer((req, res) => void handle(open, req, res));
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  process.stdout.write(`listening http://127.0.0.1:${port}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close(() => void root.close().finally(() => process.exit(0)));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Lifeline: the parent closed our stdin (it exited, or was killed).
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: store-server.ts DATA_DIR');
    process.exit(2);
  }
  main(dir).catch((err: unknown) => {
    console.error(`store server failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  });
}
