import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import {
  promoteVersion, registerVersion, rollbackVersion, type ProductionRecord, type ProductionWatch, type Registry,
} from '../../src/registry/index.ts';
import { MODELS, openBrokerRegistry, until, type BrokerRegistry } from '../support/registry-broker.ts';

// The production flag on a real broker: the registry publishes to a compacted topic keyed by model,
// and a serving-side subscriber (watchProduction) sees every flip. Never mocked.

const V10 = MODELS.v10;
const actor = 'tester';

let fx: BrokerRegistry;
let brokers: string[];
let topic: string;
let dir: string;
let reg: Registry;

before(async () => {
  fx = await openBrokerRegistry({ name: 'production-versions', actor });
  ({ brokers, topic, dir, reg } = fx);
});

after(() => fx.close());

const watch = (model: string, seen: ProductionRecord[]): Promise<ProductionWatch> => fx.watch(model, seen);

describe('production flag on Kafka', () => {
  it('creates the flag topic compacted', async () => {
    const admin = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const d = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] }] });
      assert.equal(d.resources[0]?.configEntries[0]?.configValue, 'compact');
    } finally {
      await admin.disconnect();
    }
  });

  it('gives a new subscriber the current version, then v10 after promote and v9 after rollback', async () => {
    const seen: ProductionRecord[] = [];
    const w = await watch('diagnosis', seen);
    assert.deepEqual(seen.map((r) => r.version), ['v9'], 'caught up: the current version, once');
    assert.equal(w.current()?.version, 'v9');

    await promoteVersion(reg, { model: 'diagnosis', version: 'v10', actor, reason: 'gate passed' });
    await until('v10', () => seen.at(-1)?.version === 'v10');
    const promoted = seen.at(-1)!;
    assert.equal(promoted.action, 'promote');
    assert.equal(promoted.previous, 'v9');
    assert.equal(promoted.artifact.path, V10);

    await rollbackVersion(reg, { model: 'diagnosis', actor, reason: 'agreement dropped' });
    await until('v9', () => seen.at(-1)?.version === 'v9');
    assert.deepEqual(seen.map((r) => `${r.action}:${r.version}`), ['promote:v9', 'promote:v10', 'rollback:v9']);
    assert.equal(w.current()?.version, 'v9');
  });

  it('refuses to promote a version whose artifact was altered, and publishes nothing', async () => {
    const seen: ProductionRecord[] = [];
    await watch('diagnosis', seen);
    const copy = join(dir, 'v11.onnx');
    copyFileSync(V10, copy);
    await registerVersion(reg, { model: 'diagnosis', version: 'v11', artifactPath: copy, featureSchemaVersion: '1', actor });
    const bytes = readFileSync(copy);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    writeFileSync(copy, bytes);
    await assert.rejects(promoteVersion(reg, { model: 'diagnosis', version: 'v11', actor, reason: '' }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SHADOW_REGISTRY');
      assert.match(err.message, /^diagnosis v11: artifact .*v11\.onnx has changed since it was registered .*refusing to make it production$/);
      return true;
    });
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(seen.map((r) => r.version), ['v9'], 'the subscriber saw no flip');
  });

  it('ignores records of other models on the same topic', async () => {
    const seen: ProductionRecord[] = [];
    await watch('other-model', seen);
    await promoteVersion(reg, { model: 'diagnosis', version: 'v10', actor, reason: '' });
    const mine: ProductionRecord[] = [];
    await watch('diagnosis', mine);
    assert.equal(mine.at(-1)?.version, 'v10');
    assert.deepEqual(seen, []);
  });
});
