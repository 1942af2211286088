import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { replayFile } from '../../src/pipeline/replay.ts';
import { createStoreRunner } from '../../src/query/index.ts';
import { openStore, type Store } from '../../src/sinks/clickhouse/client.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';
import { expectedOutput, generateTraffic, loadDataset, writeNdjson, type Traffic } from '../../src/traffic/index.ts';
import { REPO } from '../support/config.ts';

// Regression and multiclass pairs end to end, plus feature-schema pinning: requests with another
// feature schema version are not scored but counted as schema mismatches per version.
const dataDir = mkdtempSync(join(tmpdir(), 'shadow-tasks-'));
const logger = createLogger({ level: 'warn' });
let store: Store;

function configFor(model: string, version: string, dataset: string, task: Record<string, unknown>, outputs: Record<string, string>) {
  return parseConfig({
    model,
    candidate: { version, path: join(REPO, 'fixtures/models', model, `${version}.onnx`), featureSchemaVersion: '1', features: loadDataset(dataset).feature_names, outputs },
    task,
    segments: { dimensions: ['country'] },
    clickhouse: { dataDir },
  });
}

async function replay(config: ReturnType<typeof parseConfig>, traffic: Traffic[]): Promise<Record<string, number>> {
  const file = join(mkdtempSync(join(tmpdir(), 'shadow-task-')), 't.ndjson');
  writeNdjson(file, traffic.flatMap((t) => t.envelopes));
  await replayFile(file, config, store, logger);
  const [r] = await createStoreRunner(store).query<Record<string, string>>(
    `SELECT sum(compared) AS compared, sum(agreements) AS agreements, sum(both_ok) AS both_ok, sum(schema_mismatches) AS schema_mismatches
     FROM shadow.stats_1m WHERE model = {m:String} AND dimension = '__all__'`,
    { m: config.model },
  );
  return Object.fromEntries(Object.entries(r!).map(([k, v]) => [k, Number(v)]));
}

const clean = { duplicateRate: 0, invalidRate: 0, missingPrimaryRate: 0, primaryErrorRate: 0, inlinePrimaryRate: 0.2 };

describe('task types and feature-schema pinning', () => {
  before(async () => {
    store = await openStore({ dataDir, database: 'shadow', username: 'default', password: '', requestTimeoutMs: 30_000 });
    await migrate(store);
  });
  after(() => store.close());

  it('compares a regression pair within its absolute tolerance', async () => {
    const ds = loadDataset('diabetes');
    const t = generateTraffic({ dataset: ds, model: 'progression', primaryVersion: 'v3', count: 800, seed: 5, ...clean });
    const agreements = t.truth.filter((r) => Math.abs(expectedOutput(ds, 'progression', 'v4', r.row).value! - r.primary_output!.value!) <= 30).length;
    const got = await replay(configFor('progression', 'v4', 'diabetes', { type: 'regression', absTolerance: 30, relTolerance: 0 }, { value: 'variable' }), [t]);
    assert.deepEqual(got, { compared: 800, agreements, both_ok: 800, schema_mismatches: 0 });
    assert.ok(agreements > 0 && agreements < 800, 'the pair disagrees on some requests');
  });

  it('compares a multiclass pair by argmax label and counts other feature schemas as mismatches', async () => {
    const ds = loadDataset('digits');
    const t = generateTraffic({ dataset: ds, model: 'digits', primaryVersion: 'v1', count: 800, seed: 6, ...clean });
    const v2 = generateTraffic({ dataset: ds, model: 'digits', primaryVersion: 'v1', count: 50, seed: 7, ...clean, featureSchemaVersion: '2', idPrefix: 'fsv2-' });
    const agreements = t.truth.filter((r) => String(expectedOutput(ds, 'digits', 'v2', r.row).label) === String(r.primary_output!.label)).length;
    const classes = Array.from({ length: 10 }, (_, i) => String(i));
    const got = await replay(configFor('digits', 'v2', 'digits', { type: 'multiclass', classes }, { scores: 'probabilities', label: 'label' }), [t, v2]);
    assert.deepEqual(got, { compared: 800, agreements, both_ok: 800, schema_mismatches: 50 });
    const [perVersion] = await createStoreRunner(store).query<{ n: string }>(
      `SELECT sum(schema_mismatches) AS n FROM shadow.stats_1m WHERE model = 'digits' AND dimension = 'feature_schema_version' AND value = '2'`,
    );
    assert.equal(Number(perVersion!.n), 50);
  });
});
