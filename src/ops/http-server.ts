import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { bearerMatches } from './api-token.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export interface HttpRoutes {
  readonly metrics: Metrics;
  readonly ready: () => boolean;
  /** POST endpoints (/query, /gate-decisions, ...): the body is parsed JSON; return status and JSON body. */
  readonly post?: Record<string, (body: unknown) => Promise<{ status: number; body: unknown }>>;
  /** Bearer token the POST endpoints require; null refuses every POST (no token configured). */
  readonly token: string | null;
}

export interface HttpLimits {
  readonly maxBodyBytes: number;
  /** Time to receive the request headers (slow-header clients). */
  readonly headersTimeoutMs: number;
  /** Time to receive the whole request. */
  readonly requestTimeoutMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = { maxBodyBytes: 1_048_576, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 };

/** How long requests in flight at close may take to finish before their connections are cut. */
const CLOSE_GRACE_MS = 5_000;

const AUTH_FAILED = { error: { code: 'SHADOW_AUTH', message: 'missing or wrong bearer token' } };

/**
 * /metrics (Prometheus), /healthz (alive), /readyz (joined and writing): open, they reveal no data.
 * POST routes need `Authorization: Bearer <token>`, a JSON body and finish within the limits.
 */
export async function startHttpServer(
  host: string,
  port: number,
  routes: HttpRoutes,
  logger: Logger,
  limits: HttpLimits = DEFAULT_HTTP_LIMITS,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const log = logger.child({ stage: 'http' });
  // Node checks header and request timeouts on this interval (default 30 s): keep it near the limits.
  const checkEvery = Math.max(250, Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4);
  let closing = false;
  const answering = new Set<ServerResponse>();
  const server = createServer({ connectionsCheckingInterval: checkEvery }, (req, res) => {
    if (closing) res.setHeader('connection', 'close');
    answering.add(res);
    res.once('close', () => answering.delete(res));
    handle(req, res, routes, limits).catch((err: unknown) => {
      log.warn({ err: String(err), path: safePath(req) }, 'http request failed');
      if (!res.headersSent) send(res, 500, { error: { code: 'SHADOW_INTERNAL', message: 'internal error' } });
      else res.destroy();
    });
  });
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 64;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const url = typeof addr === 'object' && addr ? `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}` : `http://${host}:${port}`;
  log.info({ url, postRoutes: Object.keys(routes.post ?? {}), authenticated: routes.token !== null }, 'http server listening');
  if (routes.token === null && routes.post) log.warn('POST endpoints refuse every request: no API token is set (SHADOW_API_TOKEN or http.tokenFile)');
  return {
    server,
    url,
    // server.close() waits for every open connection, and closes only idle ones. A keep-alive
    // connection with a request in flight at that moment stayed open for as long as its client kept
    // polling faster than keepAliveTimeout (a readiness probe, a scraper): a failed start-up hung for
    // minutes. So answers from now on close their connection, and whatever is left is cut after a grace.
    close: () =>
      new Promise((r) => {
        closing = true;
        for (const res of answering) if (!res.headersSent) res.setHeader('connection', 'close');
        server.close(() => r());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, routes: HttpRoutes, limits: HttpLimits): Promise<void> {
  const path = safePath(req);
  if (req.method === 'GET' && path === '/metrics') {
    res.writeHead(200, { 'content-type': routes.metrics.registry.contentType });
    res.end(await routes.metrics.registry.metrics());
    return;
  }
  if (req.method === 'GET' && path === '/healthz') return send(res, 200, { status: 'ok' });
  if (req.method === 'GET' && path === '/readyz') return routes.ready() ? send(res, 200, { status: 'ready' }) : send(res, 503, { status: 'starting' });
  const post = Object.hasOwn(routes.post ?? {}, path) ? routes.post?.[path] : undefined;
  if (!post) return send(res, 404, { error: { code: 'SHADOW_INPUT', message: 'not found' } });
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return send(res, 405, { error: { code: 'SHADOW_INPUT', message: 'use POST' } });
  }
  // Authenticate before reading the body, so an anonymous caller costs no more than its headers.
  if (routes.token === null || !bearerMatches(req.headers.authorization, routes.token)) {
    res.setHeader('www-authenticate', 'Bearer');
    return send(res, 401, AUTH_FAILED, true);
  }
  if (!/^application\/json\s*(;\s*charset=utf-8\s*)?$/i.test(req.headers['content-type'] ?? '')) {
    return send(res, 415, { error: { code: 'SHADOW_INPUT', message: 'content-type must be application/json' } }, true);
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limits.maxBodyBytes) return send(res, 413, tooLarge(limits), true);
  const body = await readJson(req, limits.maxBodyBytes);
  if (body === TOO_LARGE) return send(res, 413, tooLarge(limits), true);
  if (body === NOT_JSON) return send(res, 400, { error: { code: 'SHADOW_INPUT', message: 'body must be JSON' } });
  const out = await post(body);
  send(res, out.status, out.body);
}

const TOO_LARGE = Symbol('too large');
const NOT_JSON = Symbol('not json');

async function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) return TOO_LARGE;
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return NOT_JSON;
  }
}

function tooLarge(limits: HttpLimits) {
  return { error: { code: 'SHADOW_INPUT', message: `body must be at most ${limits.maxBodyBytes} bytes` } };
}

// The path alone, for routing and logs: never the query string, which may carry anything.
function safePath(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] ?? '/';
}

/** `close`: the request body was not read, so the connection cannot be reused for another request. */
function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
  if (close) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(JSON.stringify(body));
}
