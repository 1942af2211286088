import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Config } from '../../config/index.ts';
import type { Logger } from '../../ops/logger.ts';
import type { RecordSource, SourceBatch, SourceHandler } from '../../pipeline/record-source.ts';
import type { RawRecord, Stream } from '../../types.ts';
import { coPartitionAssigner } from './co-partition-assigner.ts';
import { checkCoPartitioned } from './topology.ts';
import { DeadlineExceeded, withDeadline } from '../../kafka/deadline.ts';
import { ShadowError } from '../../errors.ts';

/** Per start-up step: kafkajs's own retries against a broker that refuses connections take ~35 s. */
const START_STEP_MS = 45_000;
const START_ATTEMPTS = 3;

export interface KafkaSourceDeps {
  readonly kafka: Kafka;
  readonly logger: Logger;
  /** The driver's clock, for heartbeat times. */
  readonly now: () => number;
}

/**
 * The kafkajs adapter of the pipeline's RecordSource, and nothing else: both topics consumed as one
 * group with the co-partition assigner, auto-commit and auto-resolve off, batches translated to
 * records, explicit commits. Recovery, backpressure, the fence and the commit rule live in the
 * driver (src/pipeline/driver.ts).
 */
export class KafkaSource implements RecordSource {
  private readonly consumer: Consumer;
  private admin: Admin;
  private readonly log: Logger;
  private readonly topics: Record<Stream, string>;
  private generation = 0;
  private heartbeatAt: number | null = null;
  private crashed!: (err: ShadowError) => void;
  /**
   * Resolves when the consumer crashed and kafkajs will not restart it (a non-retriable error): the
   * processor would otherwise stay up, healthy-looking, reading nothing. The caller drains and exits,
   * so a supervisor restarts it and recovery resumes from the committed offsets.
   */
  readonly fatal: Promise<ShadowError> = new Promise((r) => (this.crashed = r));

  constructor(
    private readonly config: Readonly<Config>,
    private readonly deps: KafkaSourceDeps,
  ) {
    const k = config.kafka;
    this.topics = { ...k.topics };
    this.log = deps.logger.child({ stage: 'kafka-source' });
    this.admin = deps.kafka.admin();
    this.consumer = deps.kafka.consumer({
      groupId: k.groupId,
      partitionAssigners: [coPartitionAssigner],
      sessionTimeout: k.sessionTimeoutMs,
      heartbeatInterval: k.heartbeatIntervalMs,
      maxBytesPerPartition: k.maxBytesPerPartition,
      // kafkajs heartbeats between fetches: an idle fetch must not outlast the heartbeat interval, or
      // the write fence (membershipFresh) would see a healthy member as stale.
      maxWaitTimeInMs: Math.min(5000, k.heartbeatIntervalMs),
      retry: { retries: 10 },
    });
  }

  async start(handler: SourceHandler): Promise<void> {
    const { requests, primaries } = this.topics;
    const partitions = await this.readTopology();
    this.log.info({ partitions }, 'topics are co-partitioned; joining the group');
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.generation++;
      this.heartbeatAt = this.deps.now();
      const partitions = [...new Set(Object.values(e.payload.memberAssignment).flat())].sort((a, b) => a - b);
      handler.assigned(partitions);
    });
    this.consumer.on(this.consumer.events.HEARTBEAT, () => (this.heartbeatAt = this.deps.now()));
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.log.error({ err: String(e.payload.error), restart: e.payload.restart }, 'consumer crashed');
      if (!e.payload.restart) this.crashed(new ShadowError('SHADOW_KAFKA', `the Kafka consumer crashed and will not restart: ${String(e.payload.error)}`, { cause: e.payload.error }));
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [requests, primaries], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.config.kafka.partitionsConsumedConcurrently,
      eachBatch: (payload) => handler.batch(this.toBatch(payload)),
    });
  }

  /**
   * Connects the admin client and checks co-partitioning, each step logged and bounded: a start-up
   * once waited minutes here with nothing in its log (here and in CI, 2026-12). A step without an
   * answer in time is retried on a fresh admin client; a refusal (SHADOW_TOPOLOGY) is not retried.
   */
  private async readTopology(): Promise<number> {
    const { requests, primaries } = this.topics;
    for (let attempt = 1; ; attempt++) {
      try {
        this.log.info({ attempt }, 'connecting the admin client');
        await withDeadline(this.admin.connect(), START_STEP_MS, 'connecting the admin client');
        this.log.info({ topics: [requests, primaries] }, 'reading topic metadata');
        return await withDeadline(checkCoPartitioned(this.admin, requests, primaries), START_STEP_MS, 'reading topic metadata');
      } catch (err) {
        if (!(err instanceof DeadlineExceeded) || attempt === START_ATTEMPTS) throw err;
        this.log.warn({ attempt, err: err.message }, 'no answer from Kafka in time: retrying on a new admin client');
        void this.admin.disconnect().catch(() => {});
        this.admin = this.deps.kafka.admin();
      }
    }
  }

  /** kafkajs's own stop() leaves the group first, after which commits are refused: pause instead. */
  pauseAll(): void {
    this.consumer.pause([{ topic: this.topics.requests }, { topic: this.topics.primaries }]);
  }

  async close(): Promise<void> {
    await this.consumer.disconnect();
    await this.admin.disconnect();
  }

  pause(partition: number, stream: Stream): void {
    this.consumer.pause([{ topic: this.topics[stream], partitions: [partition] }]);
  }

  resume(partition: number, stream: Stream): void {
    this.consumer.resume([{ topic: this.topics[stream], partitions: [partition] }]);
  }

  seek(partition: number, stream: Stream, offset: number): void {
    this.consumer.seek({ topic: this.topics[stream], partition, offset: String(offset) });
  }

  async committed(partition: number): Promise<Record<Stream, number>> {
    const { requests, primaries } = this.topics;
    const offsets = await this.admin.fetchOffsets({ groupId: this.config.kafka.groupId, topics: [requests, primaries] });
    const from = (t: string) => Math.max(0, Number(offsets.find((o) => o.topic === t)?.partitions.find((x) => x.partition === partition)?.offset ?? 0));
    return { requests: from(requests), primaries: from(primaries) };
  }

  async commit(offsets: readonly { partition: number; stream: Stream; offset: number }[]): Promise<void> {
    await this.consumer.commitOffsets(offsets.map((o) => ({ topic: this.topics[o.stream], partition: o.partition, offset: String(o.offset) })));
  }

  async logEnds(stream: Stream): Promise<Map<number, number>> {
    const ends = await this.admin.fetchTopicOffsets(this.topics[stream]);
    return new Map(ends.map((e) => [e.partition, Number(e.high)]));
  }

  lastHeartbeat(): number | null {
    return this.heartbeatAt;
  }

  private toBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): SourceBatch {
    const gen = this.generation;
    const partition = batch.partition;
    const stream: Stream = batch.topic === this.topics.requests ? 'requests' : 'primaries';
    const records: RawRecord[] = batch.messages.map((m) => ({
      ref: { stream, topic: batch.topic, partition, offset: Number(m.offset) },
      key: m.key ? m.key.toString('utf8') : null,
      value: m.value,
    }));
    return {
      partition,
      stream,
      records,
      nextOffset: Number(batch.lastOffset()) + 1,
      logEnd: Number(batch.highWatermark),
      current: () => gen === this.generation && isRunning() && !isStale(),
      heartbeat,
      consumed: (upTo) => resolveOffset(String(upTo.offset)),
    };
  }
}
