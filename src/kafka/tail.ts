import { errorMessage, ShadowError } from '../errors.ts';
import type { Kafka } from './client.ts';

export interface TailedMessage {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: Buffer | null;
}

export interface TailOptions {
  /** A throwaway group id: nothing is committed, every tail reads from the beginning. */
  readonly groupId: string;
  readonly maxWaitMs: number;
  /** kafkajs gave up on the consumer (it does not restart it). */
  readonly onFatal: (err: unknown) => void;
}

/** Reads a topic from its beginning, one message at a time, and keeps following it until stopped. */
export async function tailTopic(kafka: Kafka, topic: string, opts: TailOptions, onMessage: (m: TailedMessage) => void): Promise<{ stop(): Promise<void> }> {
  const consumer = kafka.consumer({ groupId: opts.groupId, maxWaitTimeInMs: opts.maxWaitMs, allowAutoTopicCreation: false });
  consumer.on(consumer.events.CRASH, (e) => {
    if (!e.payload.restart) opts.onFatal(e.payload.error);
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) =>
        onMessage({ partition, offset: Number(message.offset), key: message.key?.toString() ?? null, value: message.value }),
    });
  } catch (err) {
    await consumer.disconnect().catch(() => {});
    throw err;
  }
  return { stop: () => consumer.disconnect() };
}

/** Partition -> offset of the next record, for the partitions that hold anything. */
export async function topicEndOffsets(kafka: Kafka, topic: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.filter((o) => Number(o.high) > Number(o.low)).map((o) => [o.partition, Number(o.high)]));
  } catch (err) {
    throw new ShadowError('SHADOW_KAFKA', `cannot read the offsets of ${topic}: ${errorMessage(err)}`, { cause: err, retryable: true });
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
