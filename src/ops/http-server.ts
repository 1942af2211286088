import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export interface HttpRoutes {
  readonly metrics: Metrics;
  readonly ready: () => boolean;
  /** POST endpoints (e.g. /query, /insert): the body is parsed JSON; return status and JSON body. */
  readonly post?: Record<string, (body: unknown) => Promise<{ status: number; body: unknown }>>;
}

const MAX_BODY = 1_048_576;

/** /metrics (Prometheus), /healthz (alive), /readyz (joined and writing), plus the given POST routes. */
export async function startHttpServer(host: string, port: number, routes: HttpRoutes, logger: Logger): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const log = logger.child({ stage: 'http' });
  const server = createServer((req, res) => {
    handle(req, res, routes).catch((err: unknown) => {
      log.warn({ err: String(err), path: req.url }, 'http request failed');
      send(res, 500, { error: 'internal error' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const url = typeof addr === 'object' && addr ? `http://${host}:${addr.port}` : `http://${host}:${port}`;
  log.info({ url }, 'http server listening');
  return { server, url, close: () => new Promise((r) => server.close(() => r())) };
}

async function handle(req: IncomingMessage, res: ServerResponse, routes: HttpRoutes): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!;
  if (req.method === 'GET' && path === '/metrics') {
    res.writeHead(200, { 'content-type': routes.metrics.registry.contentType });
    res.end(await routes.metrics.registry.metrics());
    return;
  }
  if (req.method === 'GET' && path === '/healthz') return send(res, 200, { status: 'ok' });
  if (req.method === 'GET' && path === '/readyz') return routes.ready() ? send(res, 200, { status: 'ready' }) : send(res, 503, { status: 'starting' });
  const post = routes.post?.[path];
  if (req.method === 'POST' && post) {
    const body = await readJson(req);
    if (body === undefined) return send(res, 400, { error: 'body must be JSON of at most 1 MiB' });
    const out = await post(body);
    return send(res, out.status, out.body);
  }
  send(res, 404, { error: 'not found' });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
