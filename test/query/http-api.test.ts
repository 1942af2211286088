import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { queryRoutes } from '../../src/cli/query-routes.ts';
import { loadConfig } from '../../src/config/index.ts';
import { bearerMatches, isLoopbackHost, resolveApiToken } from '../../src/ops/api-token.ts';
import { startHttpServer } from '../../src/ops/http-server.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { Metrics } from '../../src/ops/metrics.ts';
import { createQueryHandler, type QueryRunner, type SqlScreen } from '../../src/query/index.ts';
import { promoteVersion, registerVersion, rollbackVersion, type Registry } from '../../src/registry/index.ts';
import { openReadSessions, openStore, type Store } from '../../src/sinks/clickhouse/client.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';
import { REPO } from '../support/config.ts';

// The processor's HTTP port as a hostile caller meets it: authentication, content type, body and
// header limits, the append-only gate audit, and the registry-to-audit copy.

const TOKEN = 'http-api-test-token-0123456789abcdef';
const DB = 'shadow';
let dir: string;
let store: Store;
let url: string;
let close: () => Promise<void>;
let registry: Registry;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shadow-http-'));
  store = await openStore({ dataDir: join(dir, 'data'), database: DB, username: 'default', password: '', requestTimeoutMs: 30_000 });
  await migrate(store);
  const config = loadConfig(join(REPO, 'shadow-compare.yaml'), {}, { registry: { backend: 'file', path: join(dir, 'registry.json') }, clickhouse: { dataDir: join(dir, 'data') } });
  registry = { path: config.registry.path, backend: 'file', publisher: null, now: () => new Date() };
  const server = await startHttpServer(
    '127.0.0.1',
    0,
    { metrics: new Metrics(), ready: () => true, token: TOKEN, post: await queryRoutes(config, store, await openReadSessions(config.clickhouse, store)) },
    createLogger({ level: 'silent' }),
    { maxBodyBytes: 4096, headersTimeoutMs: 500, requestTimeoutMs: 2_000 },
  );
  url = server.url;
  close = server.close;
});

after(async () => {
  await close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: { error?: { code: string; message: string } } & Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as never };
}

function decision(overrides: Record<string, unknown> = {}) {
  return {
    decision_id: crypto.randomUUID(),
    decided_at: '2026-01-02 03:04:05.678',
    model: 'diagnosis',
    candidate_version: 'v10',
    primary_versions: ['v9'],
    window_start: '2026-01-01 00:00:00',
    window_end: '2026-01-02 00:00:00',
    decision: 'PROMOTE',
    reasons: [],
    thresholds: '{}',
    sql: '[]',
    measured: '{}',
    promotion_id: '',
    actor: 'ci',
    ...overrides,
  };
}

describe('authentication', () => {
  it('keeps /healthz, /readyz and /metrics open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) assert.equal((await fetch(`${url}${path}`)).status, 200, path);
  });

  it('answers 401 with a JSON error and no server detail to a missing, wrong or non-bearer token', async () => {
    for (const authorization of ['', 'Bearer wrong', `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`, `Bearer ${TOKEN}x`, `bearer  ${TOKEN}`]) {
      const r = await post('/query', { sql: 'SELECT 1' }, { authorization });
      assert.equal(r.status, 401, authorization);
      assert.deepEqual(r.json, { error: { code: 'SHADOW_AUTH', message: 'missing or wrong bearer token' } });
    }
    const ok = await post('/query', { sql: 'SELECT 1 AS x' });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
  });

  it('refuses every POST when no token is configured', async () => {
    const server = await startHttpServer('127.0.0.1', 0, { metrics: new Metrics(), ready: () => true, token: null, post: { '/query': async () => ({ status: 200, body: {} }) } }, createLogger({ level: 'silent' }));
    try {
      const res = await fetch(`${server.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer anything-at-all-here' }, body: '{}' });
      assert.equal(res.status, 401);
    } finally {
      await server.close();
    }
  });

  it('compares tokens exactly and reads them from the environment before the token file', () => {
    assert.equal(bearerMatches(`Bearer ${TOKEN}`, TOKEN), true);
    assert.equal(bearerMatches(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN), false);
    assert.equal(bearerMatches(undefined, TOKEN), false);
    const file = join(dir, 'token');
    writeFileSync(file, `${'f'.repeat(32)}\n`);
    assert.equal(resolveApiToken({ tokenFile: file }, {}), 'f'.repeat(32));
    assert.equal(resolveApiToken({ tokenFile: file }, { SHADOW_API_TOKEN: 'e'.repeat(20) }), 'e'.repeat(20));
    assert.equal(resolveApiToken({}, {}), null);
    assert.throws(() => resolveApiToken({}, { SHADOW_API_TOKEN: 'short' }), /SHADOW_API_TOKEN must be at least 16 characters/);
    assert.throws(() => resolveApiToken({ tokenFile: join(dir, 'missing') }, {}), /http.tokenFile: cannot read/);
  });

  it('tells loopback hosts from the others', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', '127.0.0.1.example.com']) assert.equal(isLoopbackHost(h), false, h);
  });
});

describe('request hardening', () => {
  it('wants application/json, a body under the limit, POST on POST routes; unknown paths are 404', async () => {
    assert.equal((await post('/query', { sql: 'SELECT 1' }, { 'content-type': 'text/plain' })).status, 415);
    assert.equal((await post('/query', { sql: `SELECT '${'x'.repeat(5000)}'` })).status, 413);
    assert.equal((await post('/query', '{not json')).status, 400);
    assert.equal((await fetch(`${url}/query`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 405);
    assert.equal((await post('/insert', { table: 'promotions', rows: [{}] })).status, 404);
    assert.equal((await post('/__proto__', {})).status, 404);
  });

  it('closes a connection whose headers never finish', async () => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    socket.write('POST /query HTTP/1.1\r\nHost: x\r\n');
    const answer = await new Promise<string>((resolve) => {
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('close', () => resolve(data));
    });
    assert.match(answer, /^HTTP\/1\.1 408/);
  });

  it('answers 429 beyond the concurrency limit and a bare 500 for unexpected failures', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const screen: SqlScreen = { screen: async (_runner, sql) => sql };
    const reader: QueryRunner = { location: 'test', insert: async () => {}, query: async <T>() => { await gate; return [] as T[]; } };
    const handle = createQueryHandler({ screen, session: async () => ({ runner: reader, close: async () => {} }), maxConcurrent: 1 });
    const first = handle({ sql: 'SELECT 1' });
    const second = await handle({ sql: 'SELECT 1' });
    assert.equal(second.status, 429);
    release();
    assert.equal((await first).status, 200);
    const failing: QueryRunner = { ...reader, query: async () => { throw new Error('secret /internal/path'); } };
    const broken = createQueryHandler({ screen, session: async () => ({ runner: failing, close: async () => {} }), maxConcurrent: 1 });
    const r = await broken({ sql: 'SELECT 1' });
    assert.deepEqual(r, { status: 500, body: { error: { code: 'SHADOW_INTERNAL', message: 'internal error' } } });
  });
});

describe('audit endpoints', () => {
  it('appends a gate decision stamped and attributed by the server, once', async () => {
    const d = decision();
    const r = await post('/gate-decisions', d);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const again = await post('/gate-decisions', d);
    assert.equal(again.status, 409);
    const rs = await store.client.query({ query: `SELECT source, actor, recorded_at > now64(3) - INTERVAL 1 HOUR AS fresh FROM ${DB}.gate_decisions WHERE decision_id = {id:UUID}`, query_params: { id: d.decision_id }, format: 'JSONEachRow' });
    const rows = await rs.json<{ source: string; actor: string; fresh: number }>();
    assert.deepEqual(rows.map((x) => [x.source, x.actor, Number(x.fresh)]), [['http', 'ci', 1]]);
  });

  it('refuses a decision that is not exactly the gate\'s shape', async () => {
    for (const [body, field] of [
      [decision({ source: 'embedded' }), /Unrecognized key.*source/],
      [decision({ recorded_at: '2020-01-01 00:00:00' }), /recorded_at/],
      [decision({ decision: 'MAYBE' }), /decision: /],
      [decision({ decision_id: 'x' }), /decision_id: /],
      [decision({ measured: 'not json' }), /measured: must be JSON text/],
      [decision({ decided_at: '2026-01-02T03:04:05Z' }), /decided_at: must be/],
    ] as const) {
      const r = await post('/gate-decisions', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.json.error?.message ?? '', field);
    }
  });

  it('copies promotions and rollbacks from the registry, never from the request, each once', async () => {
    const artifact = join(REPO, 'fixtures/models/diagnosis/v10.onnx');
    for (const v of ['v9', 'v10']) await registerVersion(registry, { model: 'diagnosis', version: v, artifactPath: artifact, featureSchemaVersion: '1', actor: 'ci' });
    await promoteVersion(registry, { model: 'diagnosis', version: 'v9', actor: 'alice', reason: 'first' });
    await promoteVersion(registry, { model: 'diagnosis', version: 'v10', actor: 'bob', reason: 'gate passed' });
    await rollbackVersion(registry, { model: 'diagnosis', actor: 'carol', reason: 'bad' });
    const first = await post('/promotions/sync', { model: 'diagnosis' });
    assert.equal(first.status, 200, JSON.stringify(first.json));
    assert.equal(first.json.recorded, '3');
    assert.equal((await post('/promotions/sync', { model: 'diagnosis' })).json.recorded, '0');
    assert.equal((await post('/promotions/sync', { model: 'diagnosis', rows: [{ action: 'promote' }] })).status, 400);
    assert.equal((await post('/promotions/sync', { model: 'unknown' })).status, 400);
    const rs = await store.client.query({ query: `SELECT action, to_version, actor FROM ${DB}.promotions ORDER BY at`, format: 'JSONEachRow' });
    assert.deepEqual((await rs.json<{ action: string; to_version: string; actor: string }>()).map((x) => `${x.action} ${x.to_version} ${x.actor}`), ['promote v9 alice', 'promote v10 bob', 'rollback v9 carol']);
  });
});
