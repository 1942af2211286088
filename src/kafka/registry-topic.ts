import kafkajs from 'kafkajs';
import { ShadowError, errorMessage } from '../errors.ts';
import type { ProductionRecord } from '../registry/types.ts';
import { createKafka, type Kafka, type KafkaClientOptions } from './client.ts';

// kafkajs is CommonJS: Node's ESM loader does not detect every named export (ConfigResourceTypes).
const { ConfigResourceTypes, Partitioners } = kafkajs;

// The registry's Kafka side: the compacted flag topic and publishing one record per flip.

/** The subset of the config the registry needs; `brokers` alone is enough for serving code. */
export interface RegistryKafkaOptions extends KafkaClientOptions {
  /** Default `shadow.production-versions` (config.kafka.registryTopic). */
  readonly topic?: string;
}

export const DEFAULT_REGISTRY_TOPIC = 'shadow.production-versions';

export function createRegistryKafka(opts: RegistryKafkaOptions, suffix: string): Kafka {
  return createKafka(opts, `-${suffix}`, { kind: 'tool' });
}

/**
 * Creates the flag topic (one partition, cleanup.policy=compact) when absent; refuses a topic that
 * exists without compaction, because retention would eventually delete a model's only record.
 */
export async function ensureRegistryTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) {
      // waitForLeaders reads metadata right after the create; a broker still electing the leader answers
      // UNKNOWN_TOPIC_OR_PARTITION ("does not host this topic-partition", retriable), seen on a busy test
      // machine. The create itself went through: look again a few times before giving up.
      for (let attempt = 1; ; attempt++) {
        try {
          await admin.createTopics({
            waitForLeaders: true,
            topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
          });
          return;
        } catch (err) {
          if (attempt >= 5 || (err as { retriable?: boolean }).retriable !== true) throw err;
          await new Promise((r) => setTimeout(r, 200 * attempt));
        }
      }
    }
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] }],
    });
    const policy = described.resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue ?? '';
    if (!policy.split(',').includes('compact')) {
      throw new ShadowError('SHADOW_REGISTRY', `topic ${topic} exists with cleanup.policy=${policy || '?'}; the production flag needs cleanup.policy=compact`);
    }
  } catch (err) {
    throw wrap(err, `cannot prepare the registry topic ${topic}`);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export interface FlagPublisher {
  /** Resolves when the broker has the record (acks = all). */
  publish(record: ProductionRecord): Promise<{ partition: number; offset: string }>;
  close(): Promise<void>;
}

export async function createFlagPublisher(opts: RegistryKafkaOptions, timeoutMs: number): Promise<FlagPublisher> {
  const topic = opts.topic ?? DEFAULT_REGISTRY_TOPIC;
  const kafka = createRegistryKafka(opts, 'registry');
  await ensureRegistryTopic(kafka, topic);
  // The default partitioner is murmur2, Java's: every producer of this topic puts a model on the same partition.
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  try {
    await producer.connect();
  } catch (err) {
    throw wrap(err, `cannot connect to Kafka at ${opts.brokers.join(',')}`);
  }
  return {
    async publish(record) {
      try {
        const [meta] = await producer.send({
          topic,
          acks: -1,
          timeout: timeoutMs,
          messages: [{ key: record.model, value: JSON.stringify(record), headers: { 'content-type': 'application/json' } }],
        });
        return { partition: meta?.partition ?? 0, offset: meta?.baseOffset ?? '?' };
      } catch (err) {
        throw wrap(err, `publishing ${record.model} ${record.version} to ${topic} failed; production is unchanged`);
      }
    },
    close: () => producer.disconnect(),
  };
}

function wrap(err: unknown, what: string): ShadowError {
  if (err instanceof ShadowError) return err;
  return new ShadowError('SHADOW_KAFKA', `${what}: ${errorMessage(err)}`, { cause: err, retryable: true });
}
