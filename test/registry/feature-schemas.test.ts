import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  deployProblem, featureSchemaReadiness, modelEntry, pinMismatch, previousFeatureSchema, promoteFeatureSchema, registerFeatureSchema,
  rollbackFeatureSchema, servingFeatureSchema, syncPromotions, type FeatureSpecRecord, type ProductionRecord, type Registry,
} from '../../src/registry/index.ts';
import { createStoreRunner } from '../../src/query/index.ts';
import { openStore } from '../../src/sinks/clickhouse/client.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';
import { openBrokerRegistry, until, type BrokerRegistry } from '../support/registry-broker.ts';

// Feature schema versions in the registry (issue 15), on a real broker: the feature schema serving uses
// is a field of the production flag record, flipped and rolled back on its own, seen by watchProduction,
// audited in promotions; promote refuses a model pinned to another schema.

const actor = 'tester';
const f = (name: string): FeatureSpecRecord => ({ name, type: 'numeric', min: 0, max: 1 });
let fx: BrokerRegistry;
let reg: Registry;

before(async () => {
  fx = await openBrokerRegistry({ name: 'feature-flags', actor, featureSchemas: { v9: '1', v10: '3' } });
  reg = fx.reg;
});

after(() => fx.close());

describe('feature schema versions in the registry', () => {
  it('registers immutable schema versions and refuses one that drops a feature production reads', async () => {
    assert.equal((await registerFeatureSchema(reg, { model: 'diagnosis', version: '1', features: [f('a'), f('b')], actor })).created, true);
    assert.equal((await registerFeatureSchema(reg, { model: 'diagnosis', version: '1', features: [f('a'), f('b')], actor })).created, false);
    await assert.rejects(registerFeatureSchema(reg, { model: 'diagnosis', version: '1', features: [f('a')], actor }), /already registered with other features/);
    await registerFeatureSchema(reg, { model: 'diagnosis', version: '2', features: [f('a'), f('b'), f('c')], transformation: 'etl@4f2a', actor });
    await registerFeatureSchema(reg, { model: 'diagnosis', version: 'bad', features: [f('a')], actor });
    const entry = modelEntry(reg.path, 'diagnosis');
    assert.equal(servingFeatureSchema(entry), '1', "before any feature flip: the production version's pin");
    assert.equal(deployProblem(entry, '2'), null);
    assert.match(deployProblem(entry, 'bad') ?? '', /lacks b, which production v9 reads/);
    assert.match(deployProblem(entry, '9') ?? '', /not registered/);
    await assert.rejects(promoteFeatureSchema(reg, { model: 'diagnosis', version: 'bad', actor, reason: '' }), /lacks b/);
  });

  it('flips the feature schema in the flag record, rolls it back, and a subscriber sees the rollback within 5 s', async () => {
    const seen: ProductionRecord[] = [];
    await fx.watch('diagnosis', seen);
    await promoteFeatureSchema(reg, { model: 'diagnosis', version: '2', actor, reason: 'new transformation' });
    await until('schema 2', () => seen.at(-1)?.featureSchemaVersion === '2');
    assert.equal(seen.at(-1)?.version, 'v9', 'the model stays');
    assert.equal(seen.at(-1)?.action, 'features-promote');
    assert.equal(previousFeatureSchema(modelEntry(reg.path, 'diagnosis')), '1');
    const t0 = performance.now();
    const flip = await rollbackFeatureSchema(reg, { model: 'diagnosis', actor, reason: 'nulls in mean_texture (diagnose)' });
    await until('schema 1 again', () => seen.at(-1)?.featureSchemaVersion === '1');
    const seenMs = performance.now() - t0;
    console.log(`# feature-schema rollback seen by the subscriber after ${seenMs.toFixed(0)} ms`);
    assert.ok(seenMs < 5_000, `seen after ${seenMs} ms`);
    assert.deepEqual([flip.event.action, flip.event.from, flip.event.to, seen.at(-1)?.version], ['features-rollback', '2', '1', 'v9']);
    await assert.rejects(rollbackFeatureSchema(reg, { model: 'diagnosis', actor, reason: '' }), /no previous feature schema/);
  });

  it('audits feature flips in promotions beside the model flips', async () => {
    const store = await openStore({ dataDir: join(fx.dir, 'data'), database: 'shadow', username: 'default', password: '', requestTimeoutMs: 30_000 });
    try {
      await migrate(store);
      const runner = createStoreRunner(store);
      await syncPromotions(runner, { registryPath: reg.path, database: 'shadow', backend: 'kafka', model: 'diagnosis' });
      const rows = await runner.query<{ action: string; from_version: string; to_version: string }>('SELECT action, from_version, to_version FROM shadow.promotions ORDER BY at');
      assert.deepEqual(rows.map((r) => `${r.action} ${r.from_version}->${r.to_version}`), ['promote ->v9', 'features-promote 1->2', 'features-rollback 2->1']);
    } finally {
      await store.close();
    }
  });

  it("refuses to promote a version pinned to another feature schema than production's", () => {
    const entry = modelEntry(reg.path, 'diagnosis');
    assert.match(pinMismatch(entry, 'v10') ?? '', /^v10 is pinned to feature schema 3, but production serves feature schema 1; .*--allow-feature-schema-change$/);
    assert.equal(pinMismatch(entry, 'v9'), null);
  });

  it('ready checks the previous feature schema is still deployable', () => {
    const entry = modelEntry(reg.path, 'diagnosis');
    assert.deepEqual(featureSchemaReadiness({ ...entry, featureSchemaLineage: ['1', '2'], featureSchemaProduction: '2' })?.ok, true);
    const item = featureSchemaReadiness({ ...entry, featureSchemaLineage: ['bad', '2'], featureSchemaProduction: '2' });
    assert.deepEqual([item?.id, item?.ok], ['previous_feature_schema', false]);
    assert.match(item!.detail, /lacks b/);
    assert.equal(featureSchemaReadiness({ ...entry, featureSchemas: {} }), null);
  });
});
