import type { Admin } from 'kafkajs';
import type { Config } from '../../config/index.ts';
import type { Kafka } from '../../kafka/client.ts';
import { withDeadline } from '../../kafka/deadline.ts';
import type { Logger } from '../../ops/logger.ts';
import type { Metrics } from '../../ops/metrics.ts';

// How far the consumer group is behind, read from the broker rather than from what this instance
// happens to consume: an instance that owns no partitions still reports the group's true lag, and
// `status` can ask the same question from outside the processor.

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** Offset the next produced record will get (the high watermark). */
  readonly logEnd: number;
  /** Next offset the group will read: its committed offset, or the log start when it committed nothing (the group reads from the beginning). */
  readonly position: number;
  /** logEnd - position: records not yet committed. */
  readonly lag: number;
}

export async function readGroupLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
  const [committed, ...ends] = await Promise.all([admin.fetchOffsets({ groupId, topics: [...topics] }), ...topics.map((t) => admin.fetchTopicOffsets(t))]);
  return topics.flatMap((topic, i) =>
    ends[i]!.map(({ partition, high, low }) => {
      const c = Number(committed.find((t) => t.topic === topic)?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
      const logEnd = Number(high);
      // -1: nothing committed yet. A committed offset below the log start (retention deleted records
      // nobody read) resumes at the log start.
      const position = Math.min(logEnd, Math.max(c, Number(low)));
      return { topic, partition, logEnd, position, lag: Math.max(0, logEnd - position) };
    }),
  );
}

export interface CaughtUpState {
  readonly caughtUp: boolean;
  /** Records that were in the log `horizonMs` ago and are still not committed. */
  readonly behind: number;
  /** All records not yet committed, however recent. */
  readonly lag: number;
}

/**
 * "Caught up" cannot mean lag = 0 while traffic flows: the join holds every record until its window
 * closes, and offsets are committed only after that (plus a flush). So the group is caught up when it
 * has committed, in every partition, everything that was in the log `horizonMs` ago, where the
 * horizon is how long a record may legitimately wait (join.windowMs + join.idleMs + log-end check + flush + commit).
 * With no traffic the log end stops moving and this becomes lag = 0. Until a sample that old exists
 * (just started), the oldest sample stands in, which only makes the judgement stricter.
 */
export class CaughtUpJudge {
  private samples: { at: number; ends: Map<string, number> }[] = [];

  constructor(private readonly horizonMs: number) {}

  observe(now: number, lags: readonly PartitionLag[]): CaughtUpState {
    this.samples.push({ at: now, ends: new Map(lags.map((l) => [`${l.topic}:${l.partition}`, l.logEnd])) });
    while (this.samples.length > 1 && this.samples[1]!.at <= now - this.horizonMs) this.samples.shift();
    const then = this.samples[0]!.ends;
    let behind = 0;
    let lag = 0;
    for (const l of lags) {
      const endThen = Math.min(then.get(`${l.topic}:${l.partition}`) ?? l.logEnd, l.logEnd);
      behind += Math.max(0, endThen - l.position);
      lag += l.lag;
    }
    return { caughtUp: behind === 0, behind, lag };
  }
}

/** The horizon for a config: how long a consumed record may wait before its offset is committed. */
export function caughtUpHorizonMs(c: { join: { windowMs: number; idleMs: number }; sink: { flushIntervalMs: number } }): number {
  const COMMIT_INTERVAL_MS = 1000; // KafkaSource commits every second
  // The join takes a stream as silent only once a log-end check (after each commit) confirms it.
  const LOG_END_CHECK_MS = 1000;
  return c.join.windowMs + c.join.idleMs + LOG_END_CHECK_MS + c.sink.flushIntervalMs + COMMIT_INTERVAL_MS;
}

/** A one-off reading for `status`: no history, so "behind" is every uncommitted record. */
export async function readGroupState(admin: Admin, groupId: string, topics: readonly string[], timeoutMs: number): Promise<CaughtUpState> {
  try {
    const read = (async () => {
      await admin.connect();
      return readGroupLag(admin, groupId, topics);
    })();
    const lags = await withDeadline(read, timeoutMs, 'reading the group lag');
    return new CaughtUpJudge(0).observe(Date.now(), lags);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

const LAG_POLL_MS = 5000;

/**
 * Polls the group's committed offsets and the log ends (its own admin client: a slow answer must not
 * hold up the source's), and sets the lag, caught-up and behind gauges. Unknown is not caught up.
 */
export function watchGroupLag(config: Readonly<Config>, kafka: Kafka, metrics: Metrics, logger: Logger): { stop(): Promise<void> } {
  const log = logger.child({ stage: 'lag' });
  const admin = kafka.admin();
  const judge = new CaughtUpJudge(caughtUpHorizonMs(config));
  const { requests, primaries } = config.kafka.topics;
  let connected: Promise<void> | null = null;
  let running: Promise<void> = Promise.resolve();
  const poll = async () => {
    try {
      connected ??= admin.connect();
      await connected;
      const lags = await readGroupLag(admin, config.kafka.groupId, [requests, primaries]);
      for (const l of lags) metrics.lag.set({ topic: l.topic, partition: String(l.partition) }, l.lag);
      const state = judge.observe(Date.now(), lags);
      metrics.caughtUp.set(state.caughtUp ? 1 : 0);
      metrics.behind.set(state.behind);
    } catch (err) {
      connected = null;
      metrics.caughtUp.set(0);
      log.debug({ err: String(err) }, 'group lag unknown: the broker did not answer');
    }
  };
  running = poll();
  const timer = setInterval(() => {
    running = running.then(poll);
  }, LAG_POLL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await admin.disconnect().catch(() => {});
    },
  };
}
