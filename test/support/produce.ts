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
  // Idempotent: a retry after a lost acknowledgement (broker restarts) must not add a second copy.
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
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

/** Records the broker acknowledged, per stream: the sum of the partitions' end offsets. */
export async function acknowledgedRecords(kafka: Kafka, topics: { requests: string; primaries: string }): Promise<{ requests: number; primaries: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const sum = async (t: string) => (await admin.fetchTopicOffsets(t)).reduce((n, p) => n + Number(p.high), 0);
    return { requests: await sum(topics.requests), primaries: await sum(topics.primaries) };
  } finally {
    await admin.disconnect();
  }
}
