import kafkajs, { type Kafka, type KafkaConfig } from 'kafkajs';

const { Kafka: KafkaClient, Partitioners } = kafkajs;

export type { Kafka as MirrorKafka, KafkaConfig as MirrorKafkaConfig };

/** One message as the mirror sends it. */
export interface MirrorMessage {
  readonly key: string;
  readonly value: string;
  readonly headers?: Record<string, string>;
}

export interface MirrorProducer {
  /** Both messages in one batch, acks = all. */
  send(batch: readonly { topic: string; messages: readonly MirrorMessage[] }[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * The serving side's producer (src/client/mirror.ts): idempotent, one request in flight, and the
 * default partitioner (murmur2, as Java clients), so a request and its answer keyed by request id land
 * on the same partition number of the two co-partitioned topics.
 */
export async function openMirrorProducer(kafka: Kafka | KafkaConfig): Promise<MirrorProducer> {
  const client = 'producer' in kafka ? kafka : new KafkaClient(kafka);
  const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return {
    async send(batch) {
      await producer.sendBatch({ acks: -1, topicMessages: batch.map((t) => ({ topic: t.topic, messages: t.messages.map((m) => ({ ...m })) })) });
    },
    close: () => producer.disconnect(),
  };
}
