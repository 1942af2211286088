import type { Logger } from '../ops/logger.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { Ledger } from '../sinks/clickhouse/ledger.ts';
import type { Outcome } from '../outcomes/index.ts';
import type { RawRecord, Stream } from '../types.ts';
import type { OffsetBook } from './offset-tracker.ts';
import type { Ownership } from './ownership.ts';
import type { Processor } from './processor.ts';

/** The part of the processor the driver uses (Processor; a fake in unit tests). */
export type DriverProcessor = Pick<Processor, 'assign' | 'revokeAll' | 'revoke' | 'has' | 'handle' | 'tick' | 'drain' | 'setCaughtUp' | 'buffered' | 'bufferedBytes'>;
import type { RecordSource, SourceBatch, SourceHandler } from './record-source.ts';

/** The part of the batch writer the driver uses. */
export interface DriverWriter {
  readonly pendingRows: number;
  discard(predicate: (o: Outcome) => boolean): number;
  settle(): Promise<void>;
  flush(): Promise<void>;
}

export interface DriverDeps {
  readonly source: RecordSource;
  readonly processor: DriverProcessor;
  readonly writer: DriverWriter;
  readonly ledger: Ledger;
  readonly ownership: Ownership;
  readonly offsets: OffsetBook;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** The clock of the membership rule (ms). */
  readonly now: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface DriverOptions {
  /** Topic names as written in outcomes (the ledger's identities). */
  readonly topics: Record<Stream, string>;
  /** A member is fresh while its last heartbeat is younger than this. */
  readonly sessionTimeoutMs: number;
  /** join.maxBuffered: the join is full by count. */
  readonly maxBuffered: number;
  /** join.maxBufferedBytes: the join is full by encoded size (unbounded when absent). */
  readonly maxBufferedBytes?: number;
  /** sink.maxPendingRows: unwritten rows at their limit. */
  readonly maxPendingRows: number;
  /** How far back (event time) request ids are remembered on recovery: two join windows. */
  readonly memoryMs: number;
  /** Records handed to the processor at a time. */
  readonly chunk?: number;
}

const STREAMS = ['requests', 'primaries'] as const;

/**
 * The delivery protocol, once for every source: recovery on (re)assignment through the store's
 * fence and the ledger, join and sink backpressure, the window tick, the client-side write fence, and
 * commits that never pass a record whose outcome is not durable. See DESIGN.md#pipeline-driver.
 */
export class Driver implements SourceHandler {
  private readonly log: Logger;
  private generation = 0;
  private joined = false;
  private stopping = false;
  private activeBatches = 0;
  private readonly recovering = new Map<number, Promise<void>>();
  /** Bumped when one partition is dropped (its rows fenced by the store): its batches under way stop. */
  private readonly partEpochs = new Map<number, number>();
  /** Partitions whose rows the store fenced, with when: see onPartitionsLost. */
  private readonly lostAt = new Map<number, number>();
  private readonly committed = new Map<string, number>();
  /** Next offset to read per `partition:stream`, for the caught-up check. */
  private readonly positions = new Map<string, number>();
  /** Streams paused because the join is full and they are ahead of their partner stream. */
  private readonly paused = new Map<string, { p: number; stream: Stream }>();
  /** Batches waiting for the sink to drain. */
  private sinkWaits = 0;

  constructor(
    private readonly opts: DriverOptions,
    private readonly deps: DriverDeps,
  ) {
    this.log = deps.logger.child({ stage: 'driver' });
    deps.ownership.onLost((partitions) => this.onPartitionsLost(partitions));
  }

  get ready(): boolean {
    return this.joined;
  }

  /**
   * Whether the group can still consider us a member: a heartbeat succeeded within the session
   * timeout. An instance paused longer (SIGSTOP, a long GC, a frozen VM) must assume its partitions
   * moved and write nothing until it has rejoined. The store's fence holds regardless (fence.ts).
   */
  membershipFresh(): boolean {
    return this.joined && membershipFresh(this.deps.source, this.deps.now, this.opts.sessionTimeoutMs);
  }

  start(): Promise<void> {
    return this.deps.source.start(this);
  }

  /** Drain: stop fetching, let the batch under way finish, write everything emitted, commit. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.deps.source.pauseAll();
    while (this.activeBatches > 0) await (this.deps.sleep ?? defaultSleep)(20);
    await this.deps.writer.flush();
    await this.commit();
  }

  /** End of a finite input: everything still waiting in the join is unmatched; write it all. */
  async finish(): Promise<void> {
    this.deps.processor.drain();
    await this.deps.writer.flush();
    await this.commit();
  }

  assigned(partitions: readonly number[]): void {
    // Whatever we held is re-read from the committed offsets: drop it, including unwritten rows.
    this.generation++;
    this.joined = true;
    const { processor, writer, ownership, offsets } = this.deps;
    processor.revokeAll();
    offsets.close();
    ownership.release();
    const dropped = writer.discard(() => true);
    this.recovering.clear();
    this.lostAt.clear();
    this.committed.clear();
    this.positions.clear();
    for (const { p, stream } of this.paused.values()) this.deps.source.resume(p, stream);
    this.paused.clear();
    const assignment = { [this.opts.topics.requests]: [...partitions], [this.opts.topics.primaries]: [...partitions] };
    for (const topic of Object.keys(assignment)) this.deps.metrics?.assignedPartitions.set({ topic }, partitions.length);
    this.log.info({ generation: this.generation, assignment, droppedRows: dropped }, 'partitions assigned');
  }

  async batch(b: SourceBatch): Promise<void> {
    this.activeBatches++;
    try {
      await this.consume(b);
    } finally {
      this.activeBatches--;
    }
  }

  private async consume(b: SourceBatch): Promise<void> {
    if (this.stopping) return;
    const gen = this.generation;
    const p = b.partition;
    if (!(await this.reclaimable(p, b))) return;
    await this.ensureRecovered(p);
    if (!b.current()) return;
    const partEpoch = this.partEpochs.get(p) ?? 0;
    const current = () => gen === this.generation && partEpoch === (this.partEpochs.get(p) ?? 0) && b.current();
    if (!current()) return;
    const { processor } = this.deps;
    // Records in hand but not yet processed (this batch may wait for capacity): the stream is not
    // caught up until they are in the join, or their partners would expire on the wall clock.
    if (b.stream) processor.setCaughtUp(p, b.stream, false);
    const chunk = this.opts.chunk ?? 500;
    for (let i = 0; i < b.records.length; i += chunk) {
      if (this.stopping || !current() || !processor.has(p)) return;
      if (b.stream && this.joinAhead(p, b.stream)) {
        // Return without taking the rest: the source delivers it again after resume. Blocking here
        // instead would stall the whole fetch loop, so the stream behind could never catch up. A
        // source mixing both streams (a file) cannot hold one back; its join drains on event time.
        this.pauseStream(p, b.stream);
        return;
      }
      await this.waitForSink(b);
      const records = b.records.slice(i, i + chunk);
      await this.handle(p, records);
      if (!current()) return;
      b.consumed(records[records.length - 1]!.ref);
      this.countConsumed(records);
      await b.heartbeat();
    }
    if (b.stream) this.afterBatch(p, b.stream, b.nextOffset, b.logEnd);
  }

  /** Tracks every offset before the processor sees it, so a commit cannot pass it until it is written. */
  private async handle(p: number, records: readonly RawRecord[]): Promise<void> {
    const { processor, offsets } = this.deps;
    for (const r of records) offsets.track(r.ref);
    const skipped = await processor.handle(p, records);
    offsets.complete(skipped);
  }

  private afterBatch(p: number, stream: Stream, next: number, logEnd: number | null): void {
    this.positions.set(`${p}:${stream}`, next);
    if (logEnd === null) return;
    const lag = Math.max(0, logEnd - next);
    // The lag gauge comes from the group's committed offsets (sources/kafka/group-lag.ts), on every
    // instance: this figure only decides whether the stream may close join windows on the wall clock.
    this.deps.processor.setCaughtUp(p, stream, lag === 0);
  }

  private countConsumed(records: readonly RawRecord[]): void {
    const m = this.deps.metrics;
    if (!m) return;
    let req = 0;
    for (const r of records) if (r.ref.stream === 'requests') req++;
    if (req) m.consumed('requests', req);
    if (records.length - req) m.consumed('primaries', records.length - req);
  }

  /** Closes windows on the wall clock and resumes streams that may go on; call periodically. */
  tick(): void {
    this.deps.processor.tick();
    this.resumeStreams();
  }

  /**
   * A stream with nothing to fetch gets no batches, so its caught-up state comes from the log end:
   * until it is known caught up, the join does not let it fall idle.
   */
  async checkCaughtUp(): Promise<void> {
    const gen = this.generation;
    try {
      for (const stream of STREAMS) {
        const ends = await this.deps.source.logEnds(stream);
        if (gen !== this.generation || ends === null) return;
        for (const [partition, high] of ends) {
          const pos = this.positions.get(`${partition}:${stream}`);
          if (pos === undefined || !this.deps.processor.has(partition)) continue;
          this.deps.processor.setCaughtUp(partition, stream, pos >= high);
        }
      }
    } catch (err) {
      // Unknown is not caught up: while the broker is unreachable no window may close on the wall
      // clock, or the backlog that arrives after the outage would all look late.
      for (const key of this.positions.keys()) {
        const [p, stream] = key.split(':') as [string, Stream];
        this.deps.processor.setCaughtUp(Number(p), stream, false);
      }
      this.log.debug({ err: String(err) }, 'log-end check failed; streams hold stream time back');
    }
  }

  /** Commits per partition and stream the lowest offset whose outcome is not durable yet. */
  async commit(): Promise<void> {
    const toCommit: { partition: number; stream: Stream; offset: number }[] = [];
    for (const p of this.recovering.keys()) {
      if (!this.deps.processor.has(p)) continue;
      for (const stream of STREAMS) {
        const off = this.deps.offsets.committable(p, stream);
        if (off === null || this.committed.get(`${p}:${stream}`) === off) continue;
        toCommit.push({ partition: p, stream, offset: off });
      }
    }
    if (toCommit.length === 0) return;
    try {
      await this.deps.source.commit(toCommit);
      for (const c of toCommit) this.committed.set(`${c.partition}:${c.stream}`, c.offset);
    } catch (err) {
      // A rebalance in progress refuses commits; the next owner starts from the last good commit.
      this.log.warn({ err: String(err) }, 'offset commit refused; will retry');
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

  /** `seek`: after a loss the read position is past what was dropped; restart at the committed offsets. */
  private async recover(partition: number, seek = false): Promise<void> {
    const { topics } = this.opts;
    await this.deps.writer.settle();
    // Claim first, read the ledger second: once the claim is recorded, the store drops every later
    // row of an earlier owner, so what the ledger shows is all that earlier owners will ever add.
    await this.deps.ownership.claim([partition]);
    const from = await this.deps.source.committed(partition);
    const written = await this.deps.ledger.written({
      partition,
      requestTopic: topics.requests,
      requestFrom: from.requests,
      primaryTopic: topics.primaries,
      primaryFrom: from.primaries,
      memoryMs: this.opts.memoryMs,
    });
    const repaired = await this.deps.ledger.repair(written.blocks);
    // The records this partition resumes from must be exactly those the ledger was read against.
    if (seek) for (const stream of STREAMS) this.deps.source.seek(partition, stream, from[stream]);
    this.deps.processor.assign(partition, written);
    this.deps.offsets.open(partition);
    for (const stream of STREAMS) this.positions.set(`${partition}:${stream}`, from[stream]);
    this.log.info(
      { partition, requestFrom: from.requests, primaryFrom: from.primaries, alreadyWritten: written.requestOffsets.size + written.primaryOffsets.size, blocksResent: written.blocks.length, rowsResent: repaired },
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
      this.deps.offsets.close(p);
      this.deps.writer.discard((o) => o.row.source_partition === p);
      this.recovering.delete(p);
      this.lostAt.set(p, this.deps.now());
      this.log.warn({ partition: p }, 'partition claimed by another owner in the store: dropped what we held of it');
    }
  }

  /** Resolves true once p may be recovered again after a loss; false: not now, skip this batch. */
  private async reclaimable(p: number, b: SourceBatch): Promise<boolean> {
    const lost = this.lostAt.get(p);
    if (lost === undefined) return true;
    const fresher = () => (this.deps.source.lastHeartbeat() ?? -Infinity) > lost;
    if (!fresher()) await b.heartbeat().catch(() => undefined);
    if (!fresher()) return false;
    if (this.lostAt.get(p) === lost) {
      this.lostAt.delete(p);
      this.recovering.set(p, this.recover(p, true));
    }
    return true;
  }

  /**
   * The join is full, by count or by bytes, and this stream holds more of it in this partition than
   * the other stream, measured the way it is full. Records differ in size by orders of magnitude
   * (feature vectors vs a score), so a count alone does not bound memory.
   */
  private joinAhead(p: number, stream: Stream): boolean {
    const { processor } = this.deps;
    const other: Stream = stream === 'requests' ? 'primaries' : 'requests';
    const byCount = processor.buffered() >= this.opts.maxBuffered && processor.buffered(p, stream) >= processor.buffered(p, other);
    if (byCount) return true;
    const maxBytes = this.opts.maxBufferedBytes ?? Infinity;
    return processor.bufferedBytes() >= maxBytes && processor.bufferedBytes(p, stream) >= processor.bufferedBytes(p, other);
  }

  private pauseStream(p: number, stream: Stream): void {
    this.deps.source.pause(p, stream);
    this.paused.set(`${p}:${stream}`, { p, stream });
    this.deps.metrics?.paused.set(1);
  }

  /** Resumes the streams whose partner caught up or whose windows closed. */
  private resumeStreams(): void {
    for (const [key, { p, stream }] of this.paused) {
      if (this.joinAhead(p, stream) && this.deps.processor.has(p)) continue;
      this.deps.source.resume(p, stream);
      this.paused.delete(key);
    }
    this.showPaused();
  }

  /** The gauge says whether consumption waits on either backpressure rule (a tick must not clear a sink wait). */
  private showPaused(): void {
    this.deps.metrics?.paused.set(this.paused.size > 0 || this.sinkWaits > 0 ? 1 : 0);
  }

  /** Unwritten rows at their limit: everything waits, since only the store can drain them. */
  private async waitForSink(b: SourceBatch): Promise<void> {
    const { writer, metrics } = this.deps;
    const full = () => writer.pendingRows >= this.opts.maxPendingRows;
    if (!full()) return;
    this.sinkWaits++;
    metrics?.paused.set(1);
    try {
      while (full() && b.current() && !this.stopping) {
        await (this.deps.sleep ?? defaultSleep)(50);
        await b.heartbeat();
      }
    } finally {
      this.sinkWaits--;
      this.showPaused();
    }
  }
}

/** The client-side write fence: a group source heard from the group within the session timeout. */
export function membershipFresh(source: Pick<RecordSource, 'lastHeartbeat'>, now: () => number, sessionTimeoutMs: number): boolean {
  const hb = source.lastHeartbeat();
  return hb === null || now() - hb < sessionTimeoutMs;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
