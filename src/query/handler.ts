import { z } from 'zod';
import { isShadowError } from '../errors.ts';
import { clickHouseCode } from '../sinks/clickhouse/errors.ts';

/** TOO_MANY_ROWS, TIMEOUT_EXCEEDED, MEMORY_LIMIT_EXCEEDED, TOO_MANY_BYTES, TOO_MANY_ROWS_OR_BYTES (ErrorCodes.cpp). */
const QUERY_LIMIT_CODES: ReadonlySet<string> = new Set(['158', '159', '241', '307', '396']);
import type { QueryRunner } from './runner.ts';
import type { SqlScreen } from './sql-screen.ts';

/** What the HTTP server sends back: a status and a JSON body. No I/O here beyond the runner. */
export interface EndpointResponse {
  readonly status: number;
  readonly body: { rows: unknown[] } | { recorded: string } | { error: { code: string; message: string } };
}

const MAX_SQL_CHARS = 100_000;
const MAX_PARAMS = 100;

const QueryBody = z
  .object({
    sql: z.string().min(1).max(MAX_SQL_CHARS),
    params: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.union([z.string().max(10_000), z.number(), z.boolean()]))
      .refine((p) => Object.keys(p).length <= MAX_PARAMS, `at most ${MAX_PARAMS} parameters`)
      .default({}),
  })
  .strict();

export interface QueryEndpoint {
  readonly screen: SqlScreen;
  /** The session one request is screened and run on (read-only where the store has users), closed after. */
  readonly session: () => Promise<{ readonly runner: QueryRunner; close(): Promise<void> }>;
  /** Queries allowed at once; more get 429 (on the embedded engine they would queue behind the stream's inserts). */
  readonly maxConcurrent: number;
}

/**
 * `POST /query {sql, params}` -> `{rows}`. The statement is screened by the engine's own parser
 * (sql-screen.ts) and run with the endpoint's limits, on a session of its own.
 */
export function createQueryHandler(endpoint: QueryEndpoint): (body: unknown) => Promise<EndpointResponse> {
  let running = 0;
  return async (body) => {
    const parsed = QueryBody.safeParse(body);
    if (!parsed.success) return bad(`body must be {"sql": string, "params": {name: string|number|boolean}}: ${issues(parsed.error)}`);
    if (running >= endpoint.maxConcurrent) {
      return { status: 429, body: { error: { code: 'SHADOW_BUSY', message: `at most ${endpoint.maxConcurrent} queries run at once here; retry shortly` } } };
    }
    running++;
    let session: Awaited<ReturnType<QueryEndpoint['session']>> | undefined;
    try {
      session = await endpoint.session();
      const statement = await endpoint.screen.screen(session.runner, parsed.data.sql, parsed.data.params);
      const rows = await session.runner.query<unknown>(statement, parsed.data.params);
      return { status: 200, body: { rows } };
    } catch (err) {
      return failure(err);
    } finally {
      running--;
      await session?.close().catch(() => {});
    }
  };
}

export function bad(message: string): EndpointResponse {
  return { status: 400, body: { error: { code: 'SHADOW_INPUT', message } } };
}

export function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`).join('; ');
}

// Refused SQL is 403; a ClickHouse data error (a limit hit, an unknown column) is the caller's to fix
// (400); the rest is ours (503/500) and says no more than that: no stack, no server detail.
export function failure(err: unknown): EndpointResponse {
  // A query stopped by its limits is the caller's to narrow, not an outage, even though the sink
  // would retry the same codes on an insert.
  const code = isShadowError(err) ? clickHouseCode(err.cause) : null;
  if (isShadowError(err) && code !== null && QUERY_LIMIT_CODES.has(code)) {
    return { status: 400, body: { error: { code: 'SHADOW_SINK_DATA', message: `query stopped by the endpoint's limits: ${err.message.replace(/^ClickHouse \S+ failed: /, '')}` } } };
  }
  if (isShadowError(err)) {
    if (err.code === 'SHADOW_INPUT') return { status: 403, body: { error: { code: err.code, message: err.message } } };
    if (err.code === 'SHADOW_SINK_DATA') return { status: 400, body: { error: { code: err.code, message: err.message } } };
    return { status: 503, body: { error: { code: err.code, message: 'the store is unavailable; retry later' } } };
  }
  return { status: 500, body: { error: { code: 'SHADOW_INTERNAL', message: 'internal error' } } };
}
