import kafkajs from 'kafkajs';
import type { Kafka } from './client.ts';

const { Partitioners } = kafkajs;

export interface OutgoingMessage {
  readonly key: string | null;
  readonly value: string;
}

/** Sends batches to several topics, waiting for every in-sync replica (acks = all). */
export interface TopicProducer {
  send(batch: readonly { topic: string; messages: readonly OutgoingMessage[] }[]): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * A connected producer with the default partitioner, murmur2 as in Java clients: a key lands on the
 * same partition whoever produces it, which the co-partitioned join relies on.
 */
export async function createTopicProducer(kafka: Kafka): Promise<TopicProducer> {
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  return {
    async send(batch) {
      await producer.sendBatch({ acks: -1, topicMessages: batch.map((t) => ({ topic: t.topic, messages: t.messages.map((m) => ({ key: m.key, value: m.value })) })) });
    },
    disconnect: () => producer.disconnect(),
  };
}
