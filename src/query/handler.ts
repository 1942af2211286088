import { z } from 'zod';
import { isShadowError, errorMessage } from '../errors.ts';
import { assertReadOnlySql } from './read-only.ts';
import { INSERTABLE_TABLES, isInsertableTable, type QueryRunner } from './runner.ts';

/** What the HTTP server sends back: a status and a JSON body. No I/O here beyond the runner. */
export interface EndpointResponse {
  readonly status: number;
  readonly body: { rows: unknown[] } | { inserted: number } | { error: { code: string; message: string } };
}

const MAX_SQL_CHARS = 100_000;
const MAX_INSERT_ROWS = 10_000;

const QueryBody = z
  .object({
    sql: z.string().min(1).max(MAX_SQL_CHARS),
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

const InsertBody = z
  .object({
    table: z.string().min(1),
    rows: z.array(z.record(z.string(), z.unknown())).min(1).max(MAX_INSERT_ROWS),
  })
  .strict();

/**
 * `POST /query {sql, params}` -> `{rows}`. The SQL must be a single reading statement (see
 * read-only.ts); pass a runner made with `createStoreRunner(store, { readOnly: true })` so a server
 * also enforces `readonly=1`.
 */
export async function handleQueryRequest(runner: QueryRunner, body: unknown): Promise<EndpointResponse> {
  const parsed = QueryBody.safeParse(body);
  if (!parsed.success) return bad(`body must be {"sql": string, "params": object}: ${issues(parsed.error)}`);
  try {
    assertReadOnlySql(parsed.data.sql);
    const rows = await runner.query<unknown>(parsed.data.sql, parsed.data.params);
    return { status: 200, body: { rows } };
  } catch (err) {
    return failure(err);
  }
}

/** `POST /insert {table, rows}` -> `{inserted}`; only the audit tables `gate_decisions` and `promotions`. */
export async function handleInsertRequest(runner: QueryRunner, body: unknown): Promise<EndpointResponse> {
  const parsed = InsertBody.safeParse(body);
  if (!parsed.success) return bad(`body must be {"table": string, "rows": [object, ...]}: ${issues(parsed.error)}`);
  const { table, rows } = parsed.data;
  if (!isInsertableTable(table)) {
    return { status: 403, body: { error: { code: 'SHADOW_INPUT', message: `inserts are allowed only into ${INSERTABLE_TABLES.join(', ')}; got "${table}"` } } };
  }
  try {
    await runner.insert(table, rows);
    return { status: 200, body: { inserted: rows.length } };
  } catch (err) {
    return failure(err);
  }
}

function bad(message: string): EndpointResponse {
  return { status: 400, body: { error: { code: 'SHADOW_INPUT', message } } };
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`).join('; ');
}

// Refused SQL and ClickHouse data errors are the caller's to fix (4xx); the rest is ours (5xx).
function failure(err: unknown): EndpointResponse {
  if (isShadowError(err)) {
    const status = err.code === 'SHADOW_INPUT' ? 403 : err.code === 'SHADOW_SINK_DATA' ? 400 : 503;
    return { status, body: { error: { code: err.code, message: err.message } } };
  }
  return { status: 500, body: { error: { code: 'SHADOW_INTERNAL', message: errorMessage(err) } } };
}
