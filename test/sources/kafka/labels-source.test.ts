import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kafka } from 'kafkajs';
import { loadGateSql } from '../../../src/gate/index.ts';
import { createLogger } from '../../../src/ops/logger.ts';
import { createStoreRunner } from '../../../src/query/index.ts';
import type { Store } from '../../../src/sinks/clickhouse/client.ts';
import { createKafka } from '../../../src/kafka/client.ts';
import { startLabelsSource } from '../../../src/sources/kafka/labels-source.ts';
import { openTempStore } from '../../gate/seed.ts';
import { uniqueName, useKafka } from '../../support/kafka.ts';

// The labels topic on the real broker: every message lands in shadow.labels once, a bad one as a row with
// an error code, and a restarted consumer resumes after its committed offsets.

const logger = createLogger({ level: 'warn' });
let kafka: Kafka;
let store: Store;
let cleanup: () => Promise<void>;
let topic: string;

const label = (id: string, value: unknown) => ({ key: id, value: JSON.stringify({ request_id: id, model: 'diagnosis', label: value, label_time: '2025-03-09T00:00:00Z' }) });

async function produce(messages: { key: string; value: string }[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages });
  await producer.disconnect();
}

async function rows(): Promise<number> {
  const rs = await store.client.query({ query: `SELECT count() AS n FROM shadow.labels WHERE source_topic = {t:String}`, format: 'JSONEachRow', query_params: { t: topic } });
  return Number(((await rs.json()) as { n: string }[])[0]!.n);
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

before(async () => {
  const brokers = await useKafka();
  kafka = createKafka({ brokers: brokers.split(','), clientId: 'labels-test' }, '', { kind: 'pipeline', logger });
  topic = uniqueName('shadow.labels');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  ({ store, cleanup } = await openTempStore());
});
after(async () => cleanup());

describe('labels topic consumer', () => {
  it('writes every message once, keeps a bad one with its code, and resumes after a restart', async () => {
    const group = uniqueName('labels-group');
    const opts = { kafka, store, topic, groupId: group, model: 'diagnosis', logger };
    await produce([...Array.from({ length: 40 }, (_, i) => label(`r-${i}`, i % 2)), label('r-0', 1), { key: 'bad', value: '{"request_id": "bad"' }]);
    const first = await startLabelsSource(opts);
    assert.ok(first, 'the topic exists');
    await until('42 label rows', async () => (await rows()) === 42);
    await first.stop();
    await produce([label('r-40', 0), label('r-41', 1)]);
    const second = await startLabelsSource(opts);
    await until('44 label rows', async () => (await rows()) === 44);
    await second!.stop();
    assert.equal(await rows(), 44, 'the restart re-read nothing it had committed');
    const [summary] = await createStoreRunner(store).query<Record<string, unknown>>(loadGateSql('labels_summary', 'shadow'), { model: 'diagnosis' });
    assert.deepEqual(
      Object.fromEntries(Object.entries(summary!).map(([k, v]) => [k, Number(v)])),
      { invalid: 1, valid: 43, requests: 42, duplicates: 1, unknown: 42 },
      'no outcome rows in this store: every labelled request is unknown',
    );
  });

  it('reads nothing, and says so, when the labels topic does not exist', async () => {
    assert.equal(await startLabelsSource({ kafka, store, topic: uniqueName('absent'), groupId: uniqueName('g'), model: 'diagnosis', logger }), null);
  });
});
