import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Agent, request, type IncomingMessage } from 'node:http';
import { startHttpServer } from '../../src/ops/http-server.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { Metrics } from '../../src/ops/metrics.ts';

// A failed start-up closes the HTTP server while a readiness probe polls it. server.close() alone
// waits for a keep-alive connection whose request was in flight at that moment, and a client polling
// faster than keepAliveTimeout kept it open for good: the process never exited.

const TOKEN = 'http-close-test-token-0123456789abcdef';

function call(url: string, agent: Agent, method = 'GET', body?: string): Promise<{ res: IncomingMessage; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers: body === undefined ? {} : { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ res, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTP server close', () => {
  it('finishes although a keep-alive client had a request in flight and keeps polling', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inFlight = new Promise<void>((r) => (entered = r));
    const server = await startHttpServer(
      '127.0.0.1',
      0,
      { metrics: new Metrics(), ready: () => false, token: TOKEN, post: { '/hold': async () => (entered(), await held, { status: 200, body: { held: true } }) } },
      createLogger({ level: 'silent' }),
    );
    // One connection for everything, so the probe reuses the one whose request was in flight.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const pending = call(`${server.url}/hold`, agent, 'POST', '{}');
    await inFlight;
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    release();
    const { res } = await pending;
    assert.equal(res.headers.connection, 'close', 'an answer sent while closing must close its connection');
    // The probe keeps polling, as the test harness and Kubernetes do.
    const deadline = Date.now() + 30_000;
    while (!closed && Date.now() < deadline) {
      await call(`${server.url}/readyz`, agent).catch(() => null);
      await new Promise((r) => setTimeout(r, 50));
    }
    agent.destroy();
    assert.ok(closed, 'close() must finish while a client keeps polling (liveness bound 30 s)');
    await closing;
  });
});
