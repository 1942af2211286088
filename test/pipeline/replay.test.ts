import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createLogger } from '../../src/ops/logger.ts';
import { replayFile } from '../../src/pipeline/replay.ts';
import { createStoreRunner } from '../../src/query/index.ts';
import { openStore, type Store } from '../../src/sinks/clickhouse/client.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';
import { generateTraffic, loadDataset, writeNdjson } from '../../src/traffic/index.ts';
import { testConfig } from '../support/config.ts';
import { IRREGULAR_TRAFFIC, groundTruth } from '../support/ground-truth.ts';
import { countRejects, readFigures } from '../support/stats.ts';

const logger = createLogger({ level: 'warn' });
const ds = loadDataset('breast_cancer');
const traffic = generateTraffic({
  dataset: ds,
  ...IRREGULAR_TRAFFIC,
  count: 3000,
  seed: 7,
});
const truth = groundTruth(traffic, ds, 'diagnosis', 'v10');

describe('replay of generated traffic', () => {
  const config = testConfig();
  const file = join(mkdtempSync(join(tmpdir(), 'shadow-replay-')), 'traffic.ndjson');
  let store: Store;

  before(async () => {
    writeNdjson(file, traffic.envelopes);
    store = await openStore(config.clickhouse);
    await migrate(store);
  });
  after(() => store.close());

  it('writes exactly the ground-truth figures to stats_1m, overall and per segment', async () => {
    const result = await replayFile(file, config, store, logger);
    assert.equal(result.records, traffic.envelopes.length);
    const q = createStoreRunner(store);
    const got = await readFigures(q, store.database, 'diagnosis', 'v10');
    assert.deepEqual(got.overall, truth.overall);
    for (const [key, want] of truth.segments) {
      const { duplicates: _d, ...rest } = got.segments.get(key) ?? assert.fail(`segment ${key} missing`);
      const { duplicates: _w, ...wantRest } = want;
      assert.deepEqual(rest, wantRest, key);
    }
    assert.equal(await countRejects(q, store.database), truth.rejects);
  });

  it('replaying the same file again changes no count', async () => {
    const again = await replayFile(file, config, store, logger);
    assert.equal(again.outcomes, 0);
    assert.equal(again.skipped, traffic.envelopes.length);
    const q = createStoreRunner(store);
    assert.deepEqual((await readFigures(q, store.database, 'diagnosis', 'v10')).overall, truth.overall);
    assert.equal(await countRejects(q, store.database), truth.rejects);
  });

  it('holds each disagreement once in shadow.disagreements', async () => {
    const q = createStoreRunner(store);
    const [r] = await q.query<{ n: string; ids: string }>(
      `SELECT countIf(agree = 0) AS n, uniqExactIf(request_id, agree = 0) AS ids FROM ${store.database}.disagreements`,
    );
    assert.equal(Number(r!.n), truth.overall.both_ok - truth.overall.agreements);
    assert.equal(Number(r!.ids), Number(r!.n));
  });
});

describe('two candidates replaying the same records into one store', () => {
  // Block boundaries by size only (no timer flush), so both replays cut identical blocks of identical
  // records: only the writer's scope in the dedup token keeps the store from dropping the second
  // candidate's blocks as retries of the first's (it did, whenever boundaries matched).
  const sink = { maxRows: 700, flushIntervalMs: 600_000 };
  const first = testConfig({ sink });
  const twin = testConfig({ sink, clickhouse: first.clickhouse, candidate: { ...first.candidate, version: 'v10-twin' } });
  const file = join(mkdtempSync(join(tmpdir(), 'shadow-replay-twin-')), 'traffic.ndjson');
  let store: Store;

  before(async () => {
    writeNdjson(file, traffic.envelopes);
    store = await openStore(first.clickhouse);
    await migrate(store);
  });
  after(() => store.close());

  it('counts each candidate in full', async () => {
    await replayFile(file, first, store, logger);
    await replayFile(file, twin, store, logger);
    const q = createStoreRunner(store);
    const v10 = await readFigures(q, store.database, 'diagnosis', 'v10');
    const copy = await readFigures(q, store.database, 'diagnosis', 'v10-twin');
    assert.deepEqual(v10.overall, truth.overall);
    assert.deepEqual(copy.overall, truth.overall, 'the second candidate\'s blocks all landed');
  });
});

