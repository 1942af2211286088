import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/ops/logger.ts';
import { replayFile } from '../../src/pipeline/replay.ts';
import { createQueryHandler, createSqlScreen, createStoreRunner, readSession } from '../../src/query/index.ts';
import { openReadSessions, openStore, type Store } from '../../src/sinks/clickhouse/client.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';
import { generateTraffic, loadDataset, writeNdjson } from '../../src/traffic/index.ts';
import { testConfig } from '../support/config.ts';
import { IRREGULAR_TRAFFIC, groundTruth } from '../support/ground-truth.ts';
import { readFigures } from '../support/stats.ts';

// A hostile /query while the processor writes: on the embedded engine the query runs inside the
// processor and the engine takes one statement at a time, so the limits are what bound the stall.
// The query must be stopped by max_execution_time, the event loop must stay free meanwhile (the
// engine works on its own threads), and the stream must go on writing to exact counts.

const LIMIT_S = 2;
const ds = loadDataset('breast_cancer');
const traffic = generateTraffic({ dataset: ds, ...IRREGULAR_TRAFFIC, count: 8_000, seed: 5 });
const truth = groundTruth(traffic, ds, 'diagnosis', 'v10');

describe('a hostile query during replay', () => {
  const config = testConfig({ sink: { maxRows: 500, flushIntervalMs: 10 }, http: { query: { maxExecutionSeconds: LIMIT_S } } });
  const file = join(mkdtempSync(join(tmpdir(), 'shadow-hostile-')), 'traffic.ndjson');
  let store: Store;

  before(async () => {
    writeNdjson(file, traffic.envelopes);
    store = await openStore(config.clickhouse);
    await migrate(store);
  });
  after(() => store.close());

  it('is stopped by the limits while the replay keeps writing, with exact counts at the end', async () => {
    const runner = createStoreRunner(store);
    const screen = await createSqlScreen(runner, { database: store.database, limits: config.http.query, setReadonly: true });
    const reads = await openReadSessions(config.clickhouse, store);
    const handle = createQueryHandler({ screen, session: readSession(reads), maxConcurrent: 2 });
    // Outcomes written so far: one ledger element each (outcomes itself keeps only the rows read row by row).
    const count = async () =>
      Number((await runner.query<{ n: number }>(`SELECT count() AS n FROM ${store.database}.outcome_blocks ARRAY JOIN l_kind WHERE row_type = 'ledger'`))[0]?.n ?? 0);

    let replayDone = false;
    const replay = replayFile(file, config, store, createLogger({ level: 'warn' })).finally(() => (replayDone = true));
    let before = 0;
    while ((before = await count()) === 0 && !replayDone) await new Promise((r) => setTimeout(r, 5));
    assert.ok(!replayDone, 'the replay finished before the hostile query could start: make the traffic larger');

    let last = performance.now();
    let maxGapMs = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      maxGapMs = Math.max(maxGapMs, now - last);
      last = now;
    }, 20);
    const hostile = await handle({ sql: 'SELECT count() FROM numbers(1e13)' });
    clearInterval(ticker);
    const result = await replay;

    assert.equal(hostile.status, 400, JSON.stringify(hostile.body));
    assert.match((hostile.body as { error: { message: string } }).error.message, /Timeout exceeded: elapsed [\d.]+ ms, maximum: 2000 ms/);
    assert.ok(maxGapMs < LIMIT_S * 1000, `the event loop stalled ${maxGapMs.toFixed(0)} ms during the hostile query`);
    const total = result.outcomes;
    assert.ok(before < total, `the replay had written ${before} of ${total} outcomes when the hostile query started`);
    assert.equal(await count(), total, 'every outcome was written after the query was stopped');
    assert.deepEqual((await readFigures(createStoreRunner(store), store.database, 'diagnosis', 'v10')).overall, truth.overall);
  });
});
