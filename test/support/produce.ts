import type { Kafka } from 'kafkajs';
import type { Envelope } from '../../src/traffic/index.ts';

/** Creates co-partitioned request/primary topics (or deliberately not, with `primaryPartitions`). */
export async function createTopics(kafka: Kafka, topics: { requests: string; primaries: string }, partitions: number, primaryPartitions = partitions): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: topics.requests, numPartitions: partitions, replicationFactor: 1 },
        { topic: topics.primaries, numPartitions: primaryPartitions, replicationFactor: 1 },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

/** Produces envelopes in order, keyed by request id, as the mirror and the serving layer would. */
export async function produceEnvelopes(kafka: Kafka, topics: { requests: string; primaries: string }, envelopes: readonly Envelope[]): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < envelopes.length; i += 500) {
      const chunk = envelopes.slice(i, i + 500);
      await producer.sendBatch({
        acks: -1,
        topicMessages: (['requests', 'primaries'] as const).map((s) => ({
          topic: topics[s],
          messages: chunk
            .filter((e) => e.stream === s)
            .map((e) => ({ key: e.key, value: typeof e.payload === 'string' ? e.payload : JSON.stringify(e.payload) })),
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}
