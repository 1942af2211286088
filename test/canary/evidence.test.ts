import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { LATENCY_BIN_SQL, SCORE_BIN_SQL } from '../../src/canary/bins.ts';
import { BUCKET_MS, canaryAccuracySql, canaryEvidenceSql, readCanaryEvidence } from '../../src/canary/evidence.ts';
import { ingestLabelFile } from '../../src/labels/index.ts';
import { MIGRATIONS_DIR } from '../../src/sinks/clickhouse/migrate.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { replayFile } from '../../src/pipeline/replay.ts';
import { createSqlScreen, createStoreRunner } from '../../src/query/index.ts';
import { openStore, type Store } from '../../src/sinks/clickhouse/client.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';
import { generateTraffic, loadDataset, writeNdjson, type Traffic } from '../../src/traffic/index.ts';
import { testConfig } from '../support/config.ts';

// Canary evidence read back from the stream's aggregate (canary_10s, fed by the fenced insert path):
// traffic served by v9 (baseline) and by v10 (canary), replayed into one store; per version the
// answered and errored counts must equal what the generator produced, overall and per segment value.

const ds = loadDataset('breast_cancer');
const served = (version: string, seed: number, prefix: string): Traffic =>
  generateTraffic({ dataset: ds, model: 'diagnosis', primaryVersion: version, count: 1500, seed, idPrefix: prefix, ratePerSec: 50, primaryErrorRate: version === 'v10' ? 0.08 : 0.02 });
const baseline = served('v9', 11, 'base-');
const canary = served('v10', 12, 'can-');

/** Labelled answers (every other request, as the test labels them) and how many the version got right. */
function labelTruth(t: Traffic, offset: number) {
  const answered = t.truth.map((r, i) => ({ r, i: i + offset })).filter(({ r, i }) => i % 2 === 0 && r.primary !== 'missing' && !r.primary_error);
  return { labeled: answered.length, correct: answered.filter(({ r }) => String(r.primary_output?.label) === String(ds.targets![r.row])).length };
}

function truth(t: Traffic) {
  const answered = t.truth.filter((r) => r.primary !== 'missing');
  return { answered: answered.length, errors: answered.filter((r) => r.primary_error).length };
}

describe('canary evidence from the stream', () => {
  const config = testConfig();
  let store: Store;

  before(async () => {
    store = await openStore(config.clickhouse);
    await migrate(store);
    const dir = mkdtempSync(join(tmpdir(), 'shadow-canary-ev-'));
    for (const [name, t] of [['v9', baseline], ['v10', canary]] as const) {
      const file = join(dir, `${name}.ndjson`);
      writeNdjson(file, t.envelopes);
      await replayFile(file, config, store, createLogger({ level: 'warn' }));
    }
    // Late labels for every other request of both versions: the data set's truth.
    const labels = join(dir, 'labels.ndjson');
    const labelled = [...baseline.truth, ...canary.truth].filter((_, i) => i % 2 === 0);
    writeFileSync(labels, `${labelled.map((r) => JSON.stringify({ stream: 'labels', key: r.request_id, payload: { request_id: r.request_id, model: 'diagnosis', label: ds.targets![r.row], label_time: new Date().toISOString() } })).join('\n')}\n`);
    await ingestLabelFile(labels, store, { model: 'diagnosis' });
  });
  after(() => store.close());

  it('counts what each version answered and errored, overall and per segment, with histograms that add up', async () => {
    const slices = await readCanaryEvidence(createStoreRunner(store), store.database, {
      model: 'diagnosis', baseline: 'v9', canary: 'v10', from: new Date('2000-01-01T00:00:00Z'), to: new Date('2100-01-01T00:00:00Z'),
    });
    const overall = slices.find((s) => s.dimension === '__all__') ?? assert.fail('no overall slice');
    assert.deepEqual({ answered: overall.baseline.answered, errors: overall.baseline.errors }, truth(baseline));
    assert.deepEqual({ answered: overall.canary.answered, errors: overall.canary.errors }, truth(canary));
    const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
    assert.equal(sum(overall.canary.latencyBins), overall.canary.answered - overall.canary.errors);
    assert.equal(sum(overall.baseline.scoreBins), overall.baseline.answered - overall.baseline.errors);
    const countries = slices.filter((s) => s.dimension === 'country');
    assert.ok(countries.length >= 2);
    assert.equal(countries.reduce((a, s) => a + s.canary.answered, 0), overall.canary.answered, 'segments add up to the whole');
  });

  it('joins late labels to each version\'s answers: labelled and correct counts equal the truth, overall and per segment', async () => {
    const slices = await readCanaryEvidence(createStoreRunner(store), store.database, {
      model: 'diagnosis', baseline: 'v9', canary: 'v10', from: new Date('2000-01-01T00:00:00Z'), to: new Date('2100-01-01T00:00:00Z'),
    });
    const overall = slices.find((s) => s.dimension === '__all__') ?? assert.fail('no overall slice');
    assert.deepEqual({ labeled: overall.baseline.labeled, correct: overall.baseline.correct }, labelTruth(baseline, 0));
    assert.deepEqual({ labeled: overall.canary.labeled, correct: overall.canary.correct }, labelTruth(canary, baseline.truth.length));
    assert.ok(overall.canary.correct < overall.canary.labeled, 'the truth has mistakes in it');
    const tiers = slices.filter((s) => s.dimension === 'customer_tier');
    assert.equal(tiers.reduce((a, s) => a + s.canary.labeled, 0), overall.canary.labeled);
  });

  it('starts a step at the first whole bucket: a bucket straddling the flip is left out', async () => {
    const first = Math.min(...canary.truth.filter((r) => r.primary !== 'missing').map((r) => r.event_time));
    const firstBucket = Math.floor(first / BUCKET_MS) * BUCKET_MS;
    const inFirst = canary.truth.filter((r) => r.primary !== 'missing' && r.event_time < firstBucket + BUCKET_MS).length;
    assert.ok(inFirst > 0);
    const slices = await readCanaryEvidence(createStoreRunner(store), store.database, {
      model: 'diagnosis', baseline: 'v9', canary: 'v10', from: new Date(firstBucket + 1), to: new Date('2100-01-01T00:00:00Z'),
    });
    const overall = slices.find((s) => s.dimension === '__all__') ?? assert.fail('no overall slice');
    assert.equal(overall.canary.answered, truth(canary).answered - inFirst);
  });

  it('bins latency and scores in the view exactly as the judge does (bins.ts)', () => {
    const view = readFileSync(join(MIGRATIONS_DIR, '000071_create_canary_10s_mv.sql'), 'utf8');
    assert.ok(view.includes(LATENCY_BIN_SQL('primary_latency_ms')), 'latency bins differ from bins.ts');
    assert.ok(view.includes(SCORE_BIN_SQL('primary_score')), 'score bins differ from bins.ts');
  });

  it('passes the /query screen, so `canary run --via` can read it through a running processor', async () => {
    const screen = await createSqlScreen(createStoreRunner(store), { database: store.database, limits: config.http.query, setReadonly: true });
    const statement = await screen.screen(createStoreRunner(store, { readOnly: true }), canaryEvidenceSql(store.database), {
      model: 'diagnosis', baseline: 'v9', canary: 'v10', from: '2000-01-01 00:00:00', to: '2100-01-01 00:00:00',
    });
    assert.match(statement, /SETTINGS max_execution_time/);
    const accuracy = await screen.screen(createStoreRunner(store, { readOnly: true }), canaryAccuracySql(store.database), {
      model: 'diagnosis', baseline: 'v9', canary: 'v10', from: '2000-01-01 00:00:00', to: '2100-01-01 00:00:00',
    });
    assert.match(accuracy, /SETTINGS max_execution_time/);
  });
});
