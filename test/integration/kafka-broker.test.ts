import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import kafkajs, { type Consumer, type Kafka as KafkaClient, type KafkaMessage } from 'kafkajs';
import { uniqueName, useKafka } from '../support/kafka.ts';

// Default import: node cannot see ConfigResourceTypes as a named export of this CommonJS package.
const { ConfigResourceTypes, Kafka, Partitioners, logLevel } = kafkajs;
const TIMEOUT_MS = 120_000;
type Received = { partition: number; message: KafkaMessage };

async function client(): Promise<KafkaClient> {
  return new Kafka({ clientId: uniqueName('it'), brokers: [await useKafka()], logLevel: logLevel.WARN });
}

/** Runs every cleanup step even if one fails (e.g. no group when the test failed early). */
function cleanup(t: TestContext, ...steps: Array<() => Promise<unknown>>): void {
  t.after(async () => {
    for (const step of steps) await step().catch((e: unknown) => t.diagnostic(`cleanup: ${String(e)}`));
  });
}

/** Consumes `count` messages in group `groupId`, committing each batch by hand; resolves when all arrived. */
async function consumeAll(kafka: KafkaClient, groupId: string, topic: string, count: number) {
  const consumer = kafka.consumer({ groupId });
  const received: Received[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await allArrived(consumer, topic, received, count);
  } finally {
    await consumer.disconnect(); // leaves the group empty, so it can be deleted
  }
  return received;
}

function allArrived(consumer: Consumer, topic: string, received: Received[], count: number): Promise<void> {
  return new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`only ${received.length}/${count} messages arrived`)), 60_000);
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) received.push({ partition: batch.partition, message });
          const next = (BigInt(batch.lastOffset()) + 1n).toString();
          await consumer.commitOffsets([{ topic, partition: batch.partition, offset: next }]);
          if (received.length >= count) {
            clearTimeout(timer);
            done();
          }
        },
      })
      .catch(fail);
  });
}

test('keyed messages on 3 partitions round-trip exactly once with committed offsets', { timeout: TIMEOUT_MS }, async (t) => {
  const kafka = await client();
  const topic = uniqueName('it-keyed');
  const groupId = uniqueName('it-group');
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  cleanup(
    t,
    () => producer.disconnect(),
    () => admin.deleteGroups([groupId]),
    () => admin.deleteTopics({ topics: [topic] }),
    () => admin.disconnect(),
  );
  await admin.connect();
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true }), true);
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  const partitionMetadata = metadata.topics[0]!.partitions;
  assert.deepEqual(partitionMetadata.map((p) => p.partitionId).sort(), [0, 1, 2]);

  const sent = Array.from({ length: 300 }, (_, i) => ({ key: `key-${i % 37}`, value: `value-${i}` }));
  await producer.connect();
  for (let i = 0; i < sent.length; i += 100) await producer.send({ topic, messages: sent.slice(i, i + 100) });

  const received = await consumeAll(kafka, groupId, topic, sent.length);

  // The producer's own partitioner (murmur2, as in the Java client) says where each key belongs.
  const partitionOf = Partitioners.DefaultPartitioner();
  const expected = (key: string) => partitionOf({ topic, partitionMetadata, message: { key, value: null } });
  const byValue = new Map(received.map((r) => [r.message.value?.toString(), r]));
  assert.equal(received.length, sent.length);
  assert.equal(byValue.size, sent.length, 'a message arrived twice');
  for (const { key, value } of sent) {
    const got = byValue.get(value);
    assert.ok(got, `${value} never arrived`);
    assert.equal(got.message.key?.toString(), key);
    assert.equal(got.partition, expected(key));
  }
  assert.equal(new Set(received.map((r) => r.partition)).size, 3, 'the keys should spread over all partitions');

  const perPartition = [0, 1, 2].map((p) => String(received.filter((r) => r.partition === p).length));
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const offsets = [...committed!.partitions].sort((a, b) => a.partition - b.partition).map((p) => p.offset);
  assert.deepEqual(offsets, perPartition);
  const ends = (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition);
  assert.deepEqual(ends.map((p) => p.high), perPartition);
});

test('compacted topic round-trips updates and tombstones, and refuses keyless records', { timeout: TIMEOUT_MS }, async (t) => {
  const kafka = await client();
  const topic = uniqueName('it-compact');
  const groupId = uniqueName('it-compact-group');
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 0 } });
  cleanup(
    t,
    () => producer.disconnect(),
    () => admin.deleteGroups([groupId]),
    () => admin.deleteTopics({ topics: [topic] }),
    () => admin.disconnect(),
  );
  await admin.connect();
  const configEntries = [{ name: 'cleanup.policy', value: 'compact' }];
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries }], waitForLeaders: true }), true);
  const described = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] }],
    includeSynonyms: false,
  });
  assert.equal(described.resources[0]!.configEntries[0]!.configValue, 'compact');

  const sent = [
    { key: 'a', value: 'a1' },
    { key: 'b', value: 'b1' },
    { key: 'a', value: 'a2' },
    { key: 'b', value: null }, // tombstone
  ];
  await producer.connect();
  await producer.send({ topic, messages: sent });
  // Compaction needs a key on every record, so the broker refuses keyless ones (INVALID_RECORD).
  await assert.rejects(producer.send({ topic, messages: [{ value: 'no key' }] }), /failed the validation/);

  const received = await consumeAll(kafka, groupId, topic, sent.length);
  const pairs = received.map(({ message }) => ({ key: message.key?.toString(), value: message.value?.toString() ?? null }));
  assert.deepEqual(pairs, sent);
});
