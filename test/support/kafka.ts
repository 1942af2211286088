import { randomBytes } from 'node:crypto';
import { startBroker } from '../../scripts/kafka/broker.ts';

let started: Promise<string> | undefined;

/**
 * Brokers ("host:port") of the test Kafka. test/run.ts starts one broker for the whole run and
 * passes it down as KAFKA_BROKERS; a test file run on its own (plain `node --test`) starts a broker
 * for its own process instead, stopped when that process exits. Never skips: throws if Kafka cannot start.
 */
export function useKafka(): Promise<string> {
  const fromEnv = process.env.KAFKA_BROKERS;
  if (fromEnv) return Promise.resolve(fromEnv);
  started ??= startBroker().then((broker) => {
    // Lets the JVM finish shutting down before this process ends (the broker's own 'exit' hook cannot wait).
    process.once('beforeExit', () => void broker.stop());
    return broker.brokers;
  });
  return started;
}

/** A topic/group name no other test (or earlier run against the same broker) uses. */
export function uniqueName(prefix: string): string {
  const safe = prefix.replace(/[^a-zA-Z0-9._-]/g, '-'); // Kafka's legal topic characters
  return `${safe}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
