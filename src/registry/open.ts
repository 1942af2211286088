import { userInfo } from 'node:os';
import type { Config } from '../config/index.ts';
import { createFlagPublisher } from '../kafka/registry-topic.ts';
import type { Registry } from './registry.ts';

/** The registry as configured; with the kafka backend this connects a producer (close it). */
export async function openRegistry(config: Readonly<Config>, now: () => Date = () => new Date()): Promise<Registry & { close(): Promise<void> }> {
  const r = config.registry;
  if (r.backend === 'file') return { path: r.path, backend: 'file', publisher: null, now, close: async () => {} };
  const publisher = await createFlagPublisher(kafkaOptions(config), r.publishTimeoutMs);
  return { path: r.path, backend: 'kafka', publisher, now, close: () => publisher.close() };
}

export function kafkaOptions(config: Readonly<Config>) {
  const k = config.kafka;
  return { brokers: k.brokers, clientId: k.clientId, ssl: k.ssl, sasl: k.sasl, topic: k.registryTopic };
}

/** Who ran the command: --actor, else the OS user. */
export function actorName(flag: string | undefined): string {
  if (flag) return flag;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
