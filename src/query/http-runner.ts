import { ShadowError, errorMessage } from '../errors.ts';
import { redactUrl } from '../ops/logger.ts';
import type { QueryRunner } from './runner.ts';

export interface HttpRunnerOptions {
  readonly timeoutMs?: number;
  /** Bearer token for the processor's POST endpoints (SHADOW_API_TOKEN); never logged. */
  readonly token?: string | null;
  /** Injected for tests; defaults to the global fetch (Node 20). */
  readonly fetch?: typeof fetch;
}

export interface HttpRunner extends QueryRunner {
  /** Asks the processor to copy the registry's promotion history of `model` into promotions. */
  syncPromotions(model: string): Promise<number>;
}

/**
 * Talks to a running processor: `POST /query {sql, params}` answers `{rows}` (screened, read-only,
 * limited); gate decisions are appended through `POST /gate-decisions`; promotions are never sent,
 * only a request to copy them from the registry. Errors come back as `{error: {code, message}}`.
 */
export function createHttpRunner(baseUrl: string, opts: HttpRunnerOptions = {}): HttpRunner {
  const base = baseUrl.replace(/\/+$/, '');
  const location = `processor at ${redactUrl(base)}`;
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 30_000;

  // The processor runs a few queries at once and answers 429 beyond that (the gate sends several in
  // parallel): wait and send again, with growing pauses, until the request's own time runs out.
  async function send(path: string, body: object): Promise<Response> {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      const res = await doFetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
      });
      const pause = Math.min(1000, 25 * 2 ** attempt) * (0.5 + Math.random());
      if (res.status !== 429 || Date.now() + pause >= deadline) return res;
      await res.body?.cancel();
      await new Promise((r) => setTimeout(r, pause));
    }
  }

  async function post(path: string, body: object): Promise<unknown> {
    let res: Response;
    try {
      res = await send(path, body);
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
    if (res.status === 401) {
      throw new ShadowError(
        'SHADOW_AUTH',
        `${location} refused ${path} (401): ${opts.token ? 'the token in SHADOW_API_TOKEN is not the one the processor was started with' : 'set SHADOW_API_TOKEN to the processor\'s API token'}`,
      );
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
      if (table !== 'gate_decisions') {
        throw new ShadowError('SHADOW_INPUT', `${location} accepts no rows for ${table}; only gate decisions are appended over HTTP`);
      }
      for (const row of rows) {
        const { source: _source, recorded_at: _recorded, ...body } = row as Record<string, unknown>;
        await post('/gate-decisions', body);
      }
    },
    async syncPromotions(model: string): Promise<number> {
      const json = (await post('/promotions/sync', { model })) as { recorded?: string };
      return Number(json.recorded ?? 0);
    },
  };
}
