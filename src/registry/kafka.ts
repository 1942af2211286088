import { readFileSync } from 'node:fs';
import kafkajs, { type Kafka, type KafkaConfig as KafkaJsConfig, type SASLOptions } from 'kafkajs';
import type { KafkaConfig } from '../config/index.ts';
import { ShadowError, errorMessage } from '../errors.ts';
import type { ProductionRecord } from './types.ts';

// kafkajs is CommonJS: Node's ESM loader does not detect every named export (ConfigResourceTypes).
const { ConfigResourceTypes, Kafka: KafkaClient, Partitioners, logLevel } = kafkajs;

// The registry's own small Kafka adapter (stages do not import each other): a client from the config,
// the compacted flag topic, and publishing one record per flip. kafkajs is kept behind these functions.

/** The subset of the config the registry needs; `brokers` alone is enough for serving code. */
export interface RegistryKafkaOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  readonly ssl?: KafkaConfig['ssl'];
  readonly sasl?: KafkaConfig['sasl'];
  /** Default `shadow.production-versions` (config.kafka.registryTopic). */
  readonly topic?: string;
}

export const DEFAULT_REGISTRY_TOPIC = 'shadow.production-versions';

export function createKafka(opts: RegistryKafkaOptions, suffix: string): Kafka {
  const config: KafkaJsConfig = {
    clientId: `${opts.clientId ?? 'shadow-compare'}-${suffix}`,
    brokers: [...opts.brokers],
    logLevel: logLevel.NOTHING, // errors surface as thrown ShadowErrors instead of console noise
    connectionTimeout: 3000,
    retry: { retries: 3, initialRetryTime: 100 },
  };
  if (opts.ssl) config.ssl = opts.ssl === true ? true : tlsOptions(opts.ssl);
  if (opts.sasl) config.sasl = opts.sasl as SASLOptions;
  return new KafkaClient(config);
}

function tlsOptions(ssl: Exclude<KafkaConfig['ssl'], boolean>) {
  return {
    rejectUnauthorized: ssl.rejectUnauthorized,
    ...(ssl.ca ? { ca: [readFileSync(ssl.ca, 'utf8')] } : {}),
    ...(ssl.cert ? { cert: readFileSync(ssl.cert, 'utf8') } : {}),
    ...(ssl.key ? { key: readFileSync(ssl.key, 'utf8') } : {}),
  };
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
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      });
      return;
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
  const kafka = createKafka(opts, 'registry');
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
