import type { Consumer, Kafka } from 'kafkajs';
import { errorMessage } from '../../errors.ts';
import { insertLabels, labelRow } from '../../labels/index.ts';
import type { Logger } from '../../ops/logger.ts';
import type { Store } from '../../sinks/clickhouse/client.ts';

// The labels topic (kafka.topics.labels, default shadow.labels) -> shadow.labels. Apart from the join:
// labels arrive days later and are joined in ClickHouse, so this consumer has its own group
// (<groupId>.labels), no co-partitioning and no memory. Delivery: a batch is inserted (with a dedup token
// from its offsets), then its offsets are committed; a re-read after a crash or a rebalance may insert a
// message again, which readers recognise by its (topic, partition, offset) identity (src/gate/sql/
// labels_summary.sql and labels.sql count a message once). A message that breaks the contract is a row
// with error_code set, never a stopped consumer.

export interface LabelsSourceOptions {
  readonly kafka: Kafka;
  readonly store: Store;
  readonly topic: string;
  readonly groupId: string;
  readonly model: string;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Between failed inserts of one batch (the batch is retried until it is written or the source stops). */
  readonly retryMs?: number;
}

export interface LabelsSource {
  /** Labels written so far by this instance (retries and re-reads included). */
  readonly written: number;
  stop(): Promise<void>;
}

/** Starts consuming, or returns null (logged) when the topic does not exist: labels are optional. */
export async function startLabelsSource(o: LabelsSourceOptions): Promise<LabelsSource | null> {
  const log = o.logger.child({ stage: 'labels' });
  const admin = o.kafka.admin();
  await admin.connect();
  const topics = await admin.listTopics().finally(() => admin.disconnect());
  if (!topics.includes(o.topic)) {
    log.info({ topic: o.topic }, 'labels topic does not exist: no ground-truth labels are read');
    return null;
  }
  const consumer: Consumer = o.kafka.consumer({ groupId: o.groupId, allowAutoTopicCreation: false });
  let stopping = false;
  let written = 0;
  await consumer.connect();
  await consumer.subscribe({ topic: o.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, isRunning, isStale }) => {
      if (batch.messages.length === 0) return;
      const now = (o.now ?? Date.now)();
      const rows = batch.messages.map((m) => labelRow(m.value, { topic: batch.topic, partition: batch.partition, offset: Number(m.offset) }, { model: o.model, now }));
      for (;;) {
        try {
          await insertLabels(o.store, rows);
          break;
        } catch (err) {
          if (stopping || !isRunning() || isStale()) return; // not committed: the next owner re-reads it
          log.warn({ err: errorMessage(err), partition: batch.partition }, 'label insert failed; retrying');
          await new Promise((r) => setTimeout(r, o.retryMs ?? 1000));
        }
      }
      written += rows.length;
      const next = (BigInt(batch.messages[batch.messages.length - 1]!.offset) + 1n).toString();
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
    },
  });
  return {
    get written() {
      return written;
    },
    async stop() {
      stopping = true;
      await consumer.disconnect();
    },
  };
}
