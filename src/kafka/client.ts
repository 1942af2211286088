import { readFileSync } from 'node:fs';
import kafkajs, { type Kafka, type KafkaConfig as KafkaJsConfig, type SASLOptions } from 'kafkajs';
import type { KafkaConfig } from '../config/index.ts';
import type { Logger } from '../ops/logger.ts';

// kafkajs is CommonJS: Node's ESM loader does not detect every named export (ConfigResourceTypes).
const { Kafka: KafkaClient, logLevel } = kafkajs;

export type { Kafka };

/** What a client needs from the config; `brokers` alone is enough for serving code (the registry watch). */
export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  readonly ssl?: KafkaConfig['ssl'];
  readonly sasl?: KafkaConfig['sasl'];
}

/**
 * `pipeline`: long-lived processor and traffic clients, kafkajs's logs into pino (no secrets), generous
 * retries across broker restarts. `tool`: short commands and the registry, quiet (errors surface as
 * thrown ShadowErrors) and failing fast.
 */
export type ClientProfile = { readonly kind: 'pipeline'; readonly logger: Logger } | { readonly kind: 'tool' };

/** The one place kafkajs clients are made: one TLS and SASL mapping for every use. */
export function createKafka(opts: KafkaClientOptions, clientIdSuffix: string, profile: ClientProfile): Kafka {
  const options: KafkaJsConfig = {
    clientId: `${opts.clientId ?? 'shadow-compare'}${clientIdSuffix}`,
    brokers: [...opts.brokers],
    ...(profile.kind === 'pipeline'
      ? { logLevel: logLevel.WARN, logCreator: pinoLogCreator(profile.logger), retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 10_000 } }
      : { logLevel: logLevel.NOTHING, connectionTimeout: 3000, retry: { retries: 3, initialRetryTime: 100 } }),
  };
  if (opts.ssl) options.ssl = tlsOptions(opts.ssl);
  if (opts.sasl) options.sasl = { mechanism: opts.sasl.mechanism, username: opts.sasl.username, password: opts.sasl.password } as SASLOptions;
  return new KafkaClient(options);
}

function pinoLogCreator(logger: Logger): KafkaJsConfig['logCreator'] {
  const log = logger.child({ stage: 'kafkajs' });
  return () => (entry) => {
    const { message, ...rest } = entry.log;
    const level = entry.level <= logLevel.ERROR ? 'error' : entry.level === logLevel.WARN ? 'warn' : 'debug';
    log[level]({ namespace: entry.namespace, ...rest }, message);
  };
}

function tlsOptions(ssl: KafkaConfig['ssl']): KafkaJsConfig['ssl'] {
  if (typeof ssl === 'boolean') return ssl;
  return {
    rejectUnauthorized: ssl.rejectUnauthorized,
    ...(ssl.ca ? { ca: [readFileSync(ssl.ca, 'utf8')] } : {}),
    ...(ssl.cert ? { cert: readFileSync(ssl.cert, 'utf8') } : {}),
    ...(ssl.key ? { key: readFileSync(ssl.key, 'utf8') } : {}),
  };
}
