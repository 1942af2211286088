// The product's server code path (`openStore({ url })` -> @clickhouse/client over HTTP) against the test
// store server (test/support/store-server.ts: real chDB engine, our HTTP framing): migrations, outcome
// inserts with deduplication tokens, the ledger, and a replay that must give the same figures as the
// embedded engine and the ground truth.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, ClickHouseError, ClickHouseLogLevel, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { createLogger } from '../../src/ops/logger.ts';
import { replayFile } from '../../src/pipeline/replay.ts';
import { createFence } from '../../src/sinks/clickhouse/fence.ts';
import { replayTopics } from '../../src/sources/file/index.ts';
import { createStoreRunner } from '../../src/query/index.ts';
import { openStore, type Store } from '../../src/sinks/clickhouse/client.ts';
import { createLedger } from '../../src/sinks/clickhouse/ledger.ts';
import { migrate, readMigrations } from '../../src/sinks/clickhouse/migrate.ts';
import { createOutcomeSink } from '../../src/sinks/clickhouse/outcome-sink.ts';
import { generateTraffic, loadDataset, writeNdjson } from '../../src/traffic/index.ts';
import { testConfig } from '../support/config.ts';
import { IRREGULAR_TRAFFIC, groundTruth } from '../support/ground-truth.ts';
import { startStoreServer, type StoreServer } from '../support/store-server.ts';
import { countRejects, readFigures } from '../support/stats.ts';

const logger = createLogger({ level: 'warn' });
const ds = loadDataset('breast_cancer');
const traffic = generateTraffic({
  dataset: ds,
  ...IRREGULAR_TRAFFIC,
  count: 2000,
  seed: 17,
});
const truth = groundTruth(traffic, ds, 'diagnosis', 'v10');

async function scalar(c: ClickHouseClient, query: string, settings: ClickHouseSettings = {}): Promise<string> {
  const rs = await c.query({ query: `SELECT (${query}) AS v`, format: 'JSONEachRow', clickhouse_settings: settings });
  return String((await rs.json<{ v: unknown }>())[0]!.v);
}

describe('ClickHouse server mode, against the test store server', () => {
  let server: StoreServer;
  let store: Store;
  let raw: ClickHouseClient;
  // Small blocks, so a replay writes several (each with its own deduplication token).
  const config = testConfig({ sink: { maxRows: 300 } });

  before(async () => {
    server = await startStoreServer();
    store = await openStore({ ...config.clickhouse, url: server.url });
    raw = createClient({ url: server.url, log: { level: ClickHouseLogLevel.OFF } });
  });
  after(async () => {
    await raw?.close();
    await store?.close();
    await server?.stop();
  });

  it('opens the server path and applies the migrations once', async () => {
    assert.equal(store.mode, 'server');
    const applied = await migrate(store);
    assert.deepEqual(applied, readMigrations().map((m) => m.name));
    assert.deepEqual(await migrate(store), []);
    assert.equal(await scalar(raw, `SELECT count() FROM system.tables WHERE database = 'shadow' AND name IN ('outcomes', 'stats_1m', 'disagreements', 'rejects')`), '4');
  });

  it('maps engine errors to ClickHouseError with the code, and the runner classifies them as data errors', async () => {
    await assert.rejects(raw.query({ query: 'SELEC 1' }), (e: unknown) => e instanceof ClickHouseError && e.code === '62' && e.type === 'SYNTAX_ERROR');
    await assert.rejects(raw.query({ query: 'SELECT * FROM shadow.no_such_table' }), (e: unknown) => e instanceof ClickHouseError && e.code === '60');
    await assert.rejects(createStoreRunner(store).query('SELECT * FROM shadow.no_such_table'), (e: unknown) => (e as { code?: string; retryable?: boolean }).code === 'SHADOW_SINK_DATA' && (e as { retryable?: boolean }).retryable === false);
  });

  it('binds query parameters exactly as a server does (escapes, arrays, numbers)', async () => {
    const nasty = "it's a\ttab, a\nnewline, a back\\slash and 'quotes'";
    const rs = await raw.query({
      query: 'SELECT {s:String} AS s, {n:Int32} AS n, {a:Array(String)} AS a, {t:String} = $$it\'s$$ AS eq',
      format: 'JSONEachRow',
      query_params: { s: nasty, n: -42, a: ["x'y", 'z\\w'], t: "it's" },
    });
    assert.deepEqual(await rs.json(), [{ s: nasty, n: -42, a: ["x'y", 'z\\w'], eq: 1 }]);
  });

  it('keeps each request\'s settings to that request (no leak through the engine\'s session-wide SETs)', async () => {
    await raw.command({ query: 'CREATE TABLE default.leak (k UInt32) ENGINE = MergeTree ORDER BY k SETTINGS non_replicated_deduplication_window = 1000' });
    await raw.insert({ table: 'default.leak', values: [{ k: 1 }], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 'A' } });
    // No token: if token A leaked into this request, the engine would drop this block as a duplicate of A.
    await raw.insert({ table: 'default.leak', values: [{ k: 2 }], format: 'JSONEachRow' });
    await raw.insert({ table: 'default.leak', values: [{ k: 3 }], format: 'JSONEachRow' });
    assert.equal(await scalar(raw, 'SELECT arraySort(groupArray(k)) FROM default.leak'), '1,2,3');
    // The token itself works across requests: a different block sent with token A again is dropped.
    await raw.insert({ table: 'default.leak', values: [{ k: 4 }], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 'A' } });
    assert.equal(await scalar(raw, 'SELECT count() FROM default.leak'), '3');
    assert.equal(await scalar(raw, "getSetting('insert_deduplication_token')"), '');
    // readonly=1 cannot even be reset on a chDB session; here it applies to its own request only.
    assert.equal(await scalar(raw, "getSetting('readonly')", { readonly: '1' }), '1');
    await assert.rejects(raw.command({ query: 'TRUNCATE TABLE default.leak', clickhouse_settings: { readonly: '1' } }), (e: unknown) => (e as { code?: string }).code === '164');
    assert.equal(await scalar(raw, "getSetting('readonly')"), '0');
    await raw.insert({ table: 'default.leak', values: [{ k: 5 }], format: 'JSONEachRow' });
    assert.equal(await scalar(raw, 'SELECT count() FROM default.leak'), '4');
    // Concurrent requests with different values of one setting each see their own.
    const got = await Promise.all(Array.from({ length: 16 }, (_, i) => scalar(raw, "getSetting('max_threads')", { max_threads: i + 1 })));
    assert.deepEqual(got, Array.from({ length: 16 }, (_, i) => String(i + 1)));
    // The product's read-only runner sets readonly=2 per request on a server (writes refused, its own limits allowed); the writer is unaffected.
    assert.deepEqual(await createStoreRunner(store, { readOnly: true }).query("SELECT toString(getSetting('readonly')) AS r"), [{ r: '2' }]);
    await assert.rejects(createStoreRunner(store, { readOnly: true }).query('TRUNCATE TABLE default.leak'), /readonly/i);
    await store.client.insert({ table: 'default.leak', values: [{ k: 6 }], format: 'JSONEachRow' });
    assert.equal(await scalar(raw, 'SELECT count() FROM default.leak'), '5');
  });

  it('honours the database parameter, and refuses what it does not implement with a clear error', async () => {
    const inShadow = createClient({ url: server.url, database: 'shadow', log: { level: ClickHouseLogLevel.OFF } });
    try {
      assert.equal(await scalar(inShadow, 'currentDatabase()'), 'shadow');
      assert.equal(await scalar(inShadow, 'SELECT count() FROM schema_migrations'), String(readMigrations().length));
    } finally {
      await inShadow.close();
    }
    const withSession = createClient({ url: server.url, session_id: 'x', log: { level: ClickHouseLogLevel.OFF } });
    try {
      await assert.rejects(withSession.query({ query: 'SELECT 1' }), /session_id/);
    } finally {
      await withSession.close();
    }
  });

  describe('replay through the server', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'shadow-server-replay-')), 'traffic.ndjson');
    let embedded: Store;
    before(async () => {
      writeNdjson(file, traffic.envelopes);
      embedded = await openStore(testConfig({ sink: { maxRows: 300 } }).clickhouse);
      await migrate(embedded);
    });
    after(() => embedded?.close());

    it('writes the ground-truth figures, the same as the embedded engine, overall and per segment', async () => {
      const viaServer = await replayFile(file, config, store, logger);
      const viaEmbedded = await replayFile(file, config, embedded, logger);
      assert.equal(viaServer.records, traffic.envelopes.length);
      assert.deepEqual({ ...viaServer, seconds: 0 }, { ...viaEmbedded, seconds: 0 });
      const s = await readFigures(createStoreRunner(store), 'shadow', 'diagnosis', 'v10');
      const e = await readFigures(createStoreRunner(embedded), 'shadow', 'diagnosis', 'v10');
      assert.deepEqual(s.overall, truth.overall);
      assert.deepEqual(s.overall, e.overall);
      assert.deepEqual([...s.segments].sort(), [...e.segments].sort());
      for (const [key, want] of truth.segments) {
        const { duplicates: _d, ...rest } = s.segments.get(key) ?? assert.fail(`segment ${key} missing`);
        const { duplicates: _w, ...wantRest } = want;
        assert.deepEqual(rest, wantRest, key);
      }
      assert.equal(await countRejects(createStoreRunner(store), 'shadow'), truth.rejects);
    });

    it('the ledger recognises every record on a second replay, and blocks re-sent with their tokens change nothing', async () => {
      const again = await replayFile(file, config, store, logger);
      assert.equal(again.outcomes, 0);
      assert.equal(again.skipped, traffic.envelopes.length);
      const q = createStoreRunner(store);
      const counts = 'SELECT count() AS n, (SELECT count() FROM shadow.outcomes) AS o, (SELECT count() FROM shadow.disagreements) AS d FROM shadow.outcome_blocks';
      const [before] = await q.query<{ n: string; o: string; d: string }>(counts);
      const tokens = (await q.query<{ t: string }>('SELECT DISTINCT block_token AS t FROM shadow.outcome_blocks ORDER BY t')).map((r) => r.t);
      assert.ok(tokens.length > 1, `blocks written: ${tokens.length}`);
      // What recovery does after a crash: every block again, each with its own token (outcome sink inserts),
      // through the write fence of the replay's scope as the blocks first went.
      const fence = createFence(store, `replay:${(await replayTopics(file)).requests}`, 'test-repair');
      const ledger = createLedger(store, 'diagnosis', 'v10', createOutcomeSink(store), fence);
      const resent = await ledger.repair(tokens);
      assert.equal(resent, Number(before!.n));
      const [after_] = await q.query<{ n: string; o: string; d: string }>(counts);
      assert.deepEqual(after_, before);
      assert.deepEqual((await readFigures(q, 'shadow', 'diagnosis', 'v10')).overall, truth.overall);
    });
  });
});
