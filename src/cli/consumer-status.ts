import type { Config } from '../config/index.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../ops/logger.ts';
import type { ConsumerStatus } from '../registry/index.ts';
import { createKafka } from '../kafka/client.ts';
import { readGroupState } from '../sources/kafka/group-lag.ts';

const BROKER_TIMEOUT_MS = 5000;

/**
 * Whether the config's consumer group has caught up, for `status`. Through a running processor
 * (--via) its gauges answer, judged against one join window of history; otherwise one reading from
 * the broker, where every uncommitted record counts as behind. Never fails the command: a broker or
 * processor that does not answer gives "unknown" and the reason.
 */
export async function consumerStatus(config: Readonly<Config>, logger: Logger, via: string | undefined): Promise<ConsumerStatus> {
  const group = config.kafka.groupId;
  if (via) {
    const source = `from the processor at ${via}`;
    try {
      const res = await fetch(`${via.replace(/\/$/, '')}/metrics`, { signal: AbortSignal.timeout(BROKER_TIMEOUT_MS) });
      const text = await res.text();
      const value = (name: string) => text.split('\n').filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`)).map((l) => Number(l.split(' ').pop()));
      const caughtUp = value('shadow_consumer_caught_up');
      if (!res.ok || caughtUp.length === 0) return { group, source, error: `no shadow_consumer_caught_up in its /metrics (HTTP ${res.status})` };
      const lag = value('shadow_consumer_lag_records').reduce((a, b) => a + b, 0);
      return { group, source, caughtUp: caughtUp[0] === 1, behind: value('shadow_consumer_behind_records')[0] ?? 0, lag };
    } catch (err) {
      return { group, source, error: errorMessage(err) };
    }
  }
  const source = 'from the broker';
  try {
    const admin = createKafka(config.kafka, '-status', { kind: 'tool' }).admin({ retry: { retries: 0 } });
    const { requests, primaries } = config.kafka.topics;
    return { group, source, ...(await readGroupState(admin, group, [requests, primaries], BROKER_TIMEOUT_MS)) };
  } catch (err) {
    return { group, source, error: errorMessage(err) };
  }
}
