import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig as KafkaJsConfig, type SASLOptions } from 'kafkajs';
import type { KafkaConfig } from '../../config/index.ts';
import type { Logger } from '../../ops/logger.ts';

/** The one place kafkajs is configured: TLS and SASL from config/env, logs into pino (no secrets). */
export function createKafka(cfg: KafkaConfig, logger: Logger, clientIdSuffix = ''): Kafka {
  const log = logger.child({ stage: 'kafkajs' });
  const options: KafkaJsConfig = {
    clientId: `${cfg.clientId}${clientIdSuffix}`,
    brokers: [...cfg.brokers],
    ssl: tlsOptions(cfg.ssl),
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      const { message, ...rest } = entry.log;
      const level = entry.level <= logLevel.ERROR ? 'error' : entry.level === logLevel.WARN ? 'warn' : 'debug';
      log[level]({ namespace: entry.namespace, ...rest }, message);
    },
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 10_000 },
  };
  if (cfg.sasl) options.sasl = { mechanism: cfg.sasl.mechanism, username: cfg.sasl.username, password: cfg.sasl.password } as SASLOptions;
  return new Kafka(options);
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
