import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Config } from '../../config/index.ts';
import type { Logger } from '../../ops/logger.ts';
import type { Metrics } from '../../ops/metrics.ts';
import type { Ownership } from '../../pipeline/ownership.ts';
import type { Processor } from '../../pipeline/processor.ts';
import type { BatchWriter } from '../../sinks/clickhouse/batch-writer.ts';
import type { Ledger } from '../../sinks/clickhouse/ledger.ts';
import type { RawRecord, Stream } from '../../types.ts';
import { coPartitionAssigner } from './co-partition-assigner.ts';
import { checkCoPartitioned } from './topology.ts';

export interface KafkaSourceDeps {
  readonly kafka: Kafka;
  readonly processor: Processor;
  readonly writer: BatchWriter;
  readonly ledger: Ledger;
  readonly ownership: Ownership;
  readonly logger: Logger;
  readonly metrics?: Metrics;
}

const CHUNK = 500;

/**
 * Consumes both topics as one group with the co-partition assigner, hands records to the processor,
 * and commits per partition the lowest offset whose outcome is not yet written. Every rebalance
 * restarts each partition from its committed offsets (kafkajs drops resolved offsets on rejoin),
 * after reading back from the ledger what is already written, so nothing is counted twice.
 */
export class KafkaSource {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly log: Logger;
  private generation = 0;
  private recovering = new Map<number, Promise<void>>();
  /** Bumped when one partition is reset (its rows fenced by the store): its batches under way stop. */
  private partEpochs = new Map<number, number>();
  /** Partitions whose rows the store fenced, with when: see onPartitionsLost. */
  private lostAt = new Map<number, number>();
  private committed = new Map<string, number>();
  /** Next offset to read per `topic:partition`, for the caught-up check. */
  private positions = new Map<string, number>();
  private commitTimer: NodeJS.Timeout | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private joined = false;
  private assigned: Record<string, number[]> = {};
  private lastHeartbeat = 0;
  private stopping = false;
  private activeBatches = 0;
  /** Streams paused because the join is full and they are ahead of their partner stream. */
  private paused = new Map<string, { topic: string; p: number; stream: Stream }>();
  /** Batches waiting in waitForSink: they count as paused for shadow_consumer_paused. */
  private sinkWaiters = 0;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly deps: KafkaSourceDeps,
  ) {
    const k = config.kafka;
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

  get ready(): boolean {
    return this.joined;
  }

  /** Partitions per topic the group gave this instance at its last join ({} before the first). */
  get assignment(): Readonly<Record<string, readonly number[]>> {
    return this.assigned;
  }

  /**
   * Whether the group can still consider us a member: a heartbeat succeeded within the session
   * timeout. An instance paused longer (SIGSTOP, a long GC, a frozen VM) must assume its partitions
   * moved and write nothing until it has rejoined, or its late writes would count records twice.
   */
  membershipFresh(): boolean {
    return this.joined && Date.now() - this.lastHeartbeat < this.config.kafka.sessionTimeoutMs;
  }

  async start(): Promise<void> {
    const { requests, primaries } = this.config.kafka.topics;
    await this.admin.connect();
    await checkCoPartitioned(this.admin, requests, primaries);
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => this.onGroupJoin(e.payload.memberAssignment));
    this.deps.ownership.onLost((partitions) => this.onPartitionsLost(partitions));
    this.consumer.on(this.consumer.events.HEARTBEAT, () => (this.lastHeartbeat = Date.now()));
    this.consumer.on(this.consumer.events.CRASH, (e) => this.log.error({ err: String(e.payload.error), restart: e.payload.restart }, 'consumer crashed'));
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [requests, primaries], fromBeginning: true });
    this.commitTimer = setInterval(() => void this.commit().then(() => this.checkCaughtUp()), 1000);
    this.tickTimer = setInterval(() => {
      this.deps.processor.tick();
      this.resumeStreams();
    }, 250);
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.config.kafka.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  /**
   * Drain: stop fetching, let the batch under way finish, write everything emitted, commit, then leave
   * the group. kafkajs's own stop() leaves the group first, after which commits are refused, so the
   * consumer is paused instead until the commit is done.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.commitTimer) clearInterval(this.commitTimer);
    const { requests, primaries } = this.config.kafka.topics;
    this.consumer.pause([{ topic: requests }, { topic: primaries }]);
    while (this.activeBatches > 0) await new Promise((r) => setTimeout(r, 20));
    await this.deps.writer.flush();
    await this.commit();
    await this.consumer.disconnect();
    await this.admin.disconnect();
  }

  private onGroupJoin(assignment: Record<string, number[]>): void {
    // Whatever we held is re-read from the committed offsets: drop it, including unwritten rows.
    this.generation++;
    this.joined = true;
    this.lastHeartbeat = Date.now();
    const { processor, writer } = this.deps;
    processor.revokeAll();
    this.deps.ownership.release();
    const dropped = writer.discard(() => true);
    this.recovering.clear();
    this.lostAt.clear();
    this.committed.clear();
    this.positions.clear();
    for (const { topic, p } of this.paused.values()) this.consumer.resume([{ topic, partitions: [p] }]);
    this.paused.clear();
    this.assigned = assignment;
    const { requests, primaries } = this.config.kafka.topics;
    for (const topic of [requests, primaries]) this.deps.metrics?.assignedPartitions.set({ topic }, assignment[topic]?.length ?? 0);
    this.log.info({ generation: this.generation, assignment, droppedRows: dropped }, 'partitions assigned');
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    this.activeBatches++;
    try {
      await this.consumeBatch(payload);
    } finally {
      this.activeBatches--;
    }
  }

  private async consumeBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (this.stopping) return;
    const gen = this.generation;
    const p = batch.partition;
    const stream: Stream = batch.topic === this.config.kafka.topics.requests ? 'requests' : 'primaries';
    if (!(await this.reclaimable(p, heartbeat))) return;
    await this.ensureRecovered(p);
    if (isStale()) return;
    const partEpoch = this.partEpochs.get(p) ?? 0;
    const current = () => gen === this.generation && partEpoch === (this.partEpochs.get(p) ?? 0);
    if (!current()) return;
    // Records in hand but not yet processed (this batch may wait for capacity): the stream is not
    // caught up until they are in the join, or their partners would expire on the wall clock.
    this.deps.processor.setCaughtUp(p, stream, false);
    const msgs = batch.messages;
    for (let i = 0; i < msgs.length; i += CHUNK) {
      if (this.stopping || !isRunning() || isStale() || !current() || !this.deps.processor.has(p)) return;
      if (this.joinAhead(p, stream)) {
        // Return without resolving the rest: kafkajs fetches it again after resume. Blocking here
        // instead would stall the whole fetch loop, so the stream behind could never catch up.
        this.pauseStream(batch.topic, p, stream);
        return;
      }
      await this.waitForSink(heartbeat, isRunning);
      const chunk = msgs.slice(i, i + CHUNK);
      const records: RawRecord[] = chunk.map((m) => ({
        ref: { stream, topic: batch.topic, partition: p, offset: Number(m.offset) },
        key: m.key ? m.key.toString('utf8') : null,
        value: m.value,
      }));
      await this.deps.processor.handle(p, records);
      if (!current()) return;
      resolveOffset(chunk[chunk.length - 1]!.offset);
      this.deps.metrics?.consumed(stream, chunk.length);
      await heartbeat();
    }
    const next = Number(batch.lastOffset()) + 1;
    const lag = Math.max(0, Number(batch.highWatermark) - next);
    this.positions.set(`${batch.topic}:${p}`, next);
    this.deps.processor.setCaughtUp(p, stream, lag === 0);
  }

  /**
   * A stream with nothing to fetch gets no batches, so its caught-up state comes from the log end:
   * until it is known caught up, the join does not let it fall idle.
   */
  private async checkCaughtUp(): Promise<void> {
    const gen = this.generation;
    const { requests, primaries } = this.config.kafka.topics;
    try {
      for (const [stream, topic] of [['requests', requests], ['primaries', primaries]] as const) {
        const ends = await this.admin.fetchTopicOffsets(topic);
        if (gen !== this.generation) return;
        for (const { partition, high } of ends) {
          const pos = this.positions.get(`${topic}:${partition}`);
          if (pos === undefined || !this.deps.processor.has(partition)) continue;
          this.deps.processor.setCaughtUp(partition, stream, pos >= Number(high));
        }
      }
    } catch (err) {
      // Unknown is not caught up: while the broker is unreachable no window may close on the wall
      // clock, or the backlog that arrives after the outage would all look late.
      for (const key of this.positions.keys()) {
        const [topic, p] = [key.slice(0, key.lastIndexOf(':')), Number(key.slice(key.lastIndexOf(':') + 1))];
        this.deps.processor.setCaughtUp(p, topic === requests ? 'requests' : 'primaries', false);
      }
      this.log.debug({ err: String(err) }, 'log-end check failed; streams hold stream time back');
    }
  }

  /** Before the first record of a partition: learn what an earlier owner already wrote. */
  private ensureRecovered(partition: number): Promise<void> {
    let done = this.recovering.get(partition);
    if (!done) {
      done = this.recover(partition);
      this.recovering.set(partition, done);
    }
    return done;
  }

  /** `seek`: after a loss the fetch position is past what was dropped; restart at the committed offsets. */
  private async recover(partition: number, seek = false): Promise<void> {
    const { requests, primaries } = this.config.kafka.topics;
    await this.deps.writer.settle();
    // Claim first, read the ledger second: once the claim is recorded, the store drops every later
    // row of an earlier owner, so what the ledger shows is all that earlier owners will ever add.
    await this.deps.ownership.claim([partition]);
    const offsets = await this.admin.fetchOffsets({ groupId: this.config.kafka.groupId, topics: [requests, primaries] });
    const from = (t: string) => Math.max(0, Number(offsets.find((o) => o.topic === t)?.partitions.find((x) => x.partition === partition)?.offset ?? 0));
    const written = await this.deps.ledger.written({
      partition,
      requestTopic: requests,
      requestFrom: from(requests),
      primaryTopic: primaries,
      primaryFrom: from(primaries),
      memoryMs: 2 * this.config.join.windowMs,
    });
    const repaired = await this.deps.ledger.repair(written.blocks);
    // The records this partition resumes from must be exactly those the ledger was read against.
    if (seek) for (const t of [requests, primaries]) this.consumer.seek({ topic: t, partition, offset: String(from(t)) });
    this.deps.processor.assign(partition, written);
    this.positions.set(`${requests}:${partition}`, from(requests));
    this.positions.set(`${primaries}:${partition}`, from(primaries));
    this.log.info(
      { partition, requestFrom: from(requests), primaryFrom: from(primaries), alreadyWritten: written.requestOffsets.size + written.primaryOffsets.size, blocksResent: written.blocks.length, rowsResent: repaired },
      'partition recovered',
    );
  }

  /**
   * The store dropped rows of these partitions: another instance has claimed them since. Whatever we
   * hold of them is stale and is dropped now. If the group still gives them to us, the next batch
   * re-claims and re-reads them from the committed offsets, but only after a heartbeat newer than
   * the loss proves we are a current member: a stale instance that woke up must not claim back what
   * the group moved (the two would take the partition from each other in turn).
   */
  private onPartitionsLost(partitions: ReadonlySet<number>): void {
    for (const p of partitions) {
      if (!this.recovering.has(p)) continue;
      this.partEpochs.set(p, (this.partEpochs.get(p) ?? 0) + 1);
      this.deps.processor.revoke(p);
      this.deps.writer.discard((o) => o.row.source_partition === p);
      this.recovering.delete(p);
      this.lostAt.set(p, Date.now());
      this.log.warn({ partition: p }, 'partition claimed by another owner in the store: dropped what we held of it');
    }
  }

  /** Resolves true once p may be recovered again after a loss; false: not now, skip this batch. */
  private async reclaimable(p: number, heartbeat: () => Promise<void>): Promise<boolean> {
    const lost = this.lostAt.get(p);
    if (lost === undefined) return true;
    if (this.lastHeartbeat <= lost) await heartbeat().catch(() => undefined);
    if (this.lastHeartbeat <= lost) return false;
    if (this.lostAt.get(p) === lost) {
      this.lostAt.delete(p);
      this.recovering.set(p, this.recover(p, true));
    }
    return true;
  }

  /** The join is full and this stream holds more of it in this partition than the other stream. */
  private joinAhead(p: number, stream: Stream): boolean {
    const { processor } = this.deps;
    const other: Stream = stream === 'requests' ? 'primaries' : 'requests';
    return processor.buffered() >= this.config.join.maxBuffered && processor.buffered(p, stream) >= processor.buffered(p, other);
  }

  private pauseStream(topic: string, p: number, stream: Stream): void {
    this.consumer.pause([{ topic, partitions: [p] }]);
    this.paused.set(`${topic}:${p}`, { topic, p, stream });
    this.deps.metrics?.paused.set(1);
  }

  /** On each tick: resume the streams whose partner caught up or whose windows closed. */
  private resumeStreams(): void {
    for (const [key, { topic, p, stream }] of this.paused) {
      if (this.joinAhead(p, stream) && this.deps.processor.has(p)) continue;
      this.consumer.resume([{ topic, partitions: [p] }]);
      this.paused.delete(key);
    }
    // A batch waiting for the sink is paused too: the tick must not report 0 under it.
    if (this.paused.size === 0 && this.sinkWaiters === 0) this.deps.metrics?.paused.set(0);
  }

  /** Unwritten rows at their limit: everything waits, since only ClickHouse can drain them. */
  private async waitForSink(heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<void> {
    const { writer, metrics } = this.deps;
    const full = () => writer.pendingRows >= this.config.sink.maxPendingRows;
    if (!full()) return;
    metrics?.paused.set(1);
    this.sinkWaiters++;
    try {
      while (full() && isRunning() && !this.stopping) {
        await new Promise((r) => setTimeout(r, 50));
        await heartbeat();
      }
    } finally {
      this.sinkWaiters--;
    }
    metrics?.paused.set(this.paused.size > 0 || this.sinkWaiters > 0 ? 1 : 0);
  }

  private async commit(): Promise<void> {
    const { requests, primaries } = this.config.kafka.topics;
    const toCommit: { topic: string; partition: number; offset: string }[] = [];
    for (const p of this.recovering.keys()) {
      if (!this.deps.processor.has(p)) continue;
      for (const [stream, topic] of [['requests', requests], ['primaries', primaries]] as const) {
        const off = this.deps.processor.committable(p, stream);
        const key = `${topic}:${p}`;
        if (off === null || this.committed.get(key) === off) continue;
        toCommit.push({ topic, partition: p, offset: String(off) });
      }
    }
    if (toCommit.length === 0) return;
    try {
      await this.consumer.commitOffsets(toCommit);
      for (const c of toCommit) this.committed.set(`${c.topic}:${c.partition}`, Number(c.offset));
    } catch (err) {
      // A rebalance in progress refuses commits; the next owner starts from the last good commit.
      this.log.warn({ err: String(err) }, 'offset commit refused; will retry');
    }
  }
}
