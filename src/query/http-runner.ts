import { ShadowError, errorMessage } from '../errors.ts';
import { redactUrl } from '../ops/logger.ts';
import type { QueryRunner } from './runner.ts';

export interface HttpRunnerOptions {
  readonly timeoutMs?: number;
  /** Injected for tests; defaults to the global fetch (Node 20). */
  readonly fetch?: typeof fetch;
}

/**
 * Talks to a running processor: `POST /query {sql, params}` answers `{rows}` (run read-only),
 * `POST /insert {table, rows}` accepts the audit tables only. Errors come back as
 * `{error: {code, message}}` with a 4xx/5xx status (see `handleQueryRequest`).
 */
export function createHttpRunner(baseUrl: string, opts: HttpRunnerOptions = {}): QueryRunner {
  const base = baseUrl.replace(/\/+$/, '');
  const location = `processor at ${redactUrl(base)}`;
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 30_000;

  async function post(path: string, body: object): Promise<unknown> {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new ShadowError(
        'SHADOW_SINK',
        `cannot reach the ${location} (${errorMessage(err)}); is \`shadow-compare run\` running with its HTTP port there?`,
        { cause: err, retryable: true },
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      throw new ShadowError('SHADOW_SINK', `${location} answered ${path} with ${res.status} and a non-JSON body: ${text.slice(0, 200)}`);
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string } }).error;
      const dataError = res.status >= 400 && res.status < 500;
      throw new ShadowError(dataError ? 'SHADOW_SINK_DATA' : 'SHADOW_SINK', `${location} refused ${path} (${res.status}${e?.code ? ` ${e.code}` : ''}): ${e?.message ?? text.slice(0, 200)}`, {
        retryable: !dataError,
      });
    }
    return json;
  }

  return {
    location,
    async query<T>(sql: string, params: Record<string, unknown> = {}): Promise<T[]> {
      const json = (await post('/query', { sql, params })) as { rows?: unknown };
      if (!Array.isArray(json.rows)) throw new ShadowError('SHADOW_SINK', `${location} answered /query without a "rows" array`);
      return json.rows as T[];
    },
    async insert(table: string, rows: object[]): Promise<void> {
      if (rows.length === 0) return;
      await post('/insert', { table, rows });
    },
  };
}
