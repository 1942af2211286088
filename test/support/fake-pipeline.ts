// In-memory stand-ins for the pipeline driver's unit tests (test/pipeline/driver.test.ts): a broker
// with per-partition logs and committed offsets, a RecordSource over it that the test drives batch by
// batch, a store that applies the write fence and insert deduplication like ClickHouse does, and a
// processor that turns every record into one outcome. Nothing runs on its own: no timers, one clock.
import { ShadowError } from '../../src/errors.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { emptyRow, type Outcome, type OutcomeRow } from '../../src/outcomes/index.ts';
import { Driver, type DriverProcessor } from '../../src/pipeline/driver.ts';
import { OffsetBook } from '../../src/pipeline/offset-tracker.ts';
import { Ownership } from '../../src/pipeline/ownership.ts';
import type { RecordSource, SourceHandler } from '../../src/pipeline/record-source.ts';
import { BatchWriter } from '../../src/sinks/clickhouse/batch-writer.ts';
import type { Fence } from '../../src/sinks/clickhouse/fence.ts';
import type { Ledger, WrittenSet } from '../../src/sinks/clickhouse/ledger.ts';
import type { FenceStamp, RowSink } from '../../src/sinks/clickhouse/outcome-sink.ts';
import type { RawRecord, SourceRef, Stream } from '../../src/types.ts';

export const TOPICS: Record<Stream, string> = { requests: 'req', primaries: 'prim' };
const STREAMS = ['requests', 'primaries'] as const;
const logger = createLogger({ level: 'silent' });

export class Clock {
  t = 1_000_000;
  now = () => this.t;
}

/** Logs per partition and stream, committed offsets, and every commit checked against the store. */
export class Broker {
  readonly logs = new Map<number, Record<Stream, RawRecord[]>>();
  readonly committed = new Map<string, number>();
  /** Commits that passed a record with no row in the store: must stay empty. */
  readonly violations: string[] = [];
  constructor(private readonly store: MemStore) {}

  produce(partition: number, stream: Stream, n: number): void {
    const logs = this.logs.get(partition) ?? { requests: [], primaries: [] };
    this.logs.set(partition, logs);
    for (let i = 0; i < n; i++) {
      const offset = logs[stream].length;
      logs[stream].push({ ref: { stream, topic: TOPICS[stream], partition, offset }, key: `${partition}-${stream}-${offset}`, value: '' });
    }
  }

  commit(partition: number, stream: Stream, offset: number): void {
    for (let o = 0; o < offset; o++) {
      if (!this.store.has(partition, stream, o)) this.violations.push(`committed ${stream} p${partition} up to ${offset} without a row for offset ${o}`);
    }
    this.committed.set(`${partition}:${stream}`, offset);
  }

  total(): number {
    let n = 0;
    for (const l of this.logs.values()) n += l.requests.length + l.primaries.length;
    return n;
  }
}

/** One instance's group membership over the broker; the test delivers its batches explicitly. */
export class FakeSource implements RecordSource {
  handler!: SourceHandler;
  heartbeatAt: number | null = null;
  refuseCommits = false;
  private gen = 0;
  private readonly positions = new Map<string, number>();
  private readonly seeks = new Map<string, number>();
  readonly paused = new Set<string>();
  constructor(
    private readonly broker: Broker,
    private readonly clock: Clock,
  ) {}

  async start(handler: SourceHandler): Promise<void> {
    this.handler = handler;
  }

  /** A group generation giving us these partitions: reading restarts at the committed offsets. */
  assign(partitions: readonly number[]): void {
    this.gen++;
    this.heartbeatAt = this.clock.now();
    this.positions.clear();
    for (const p of partitions) for (const s of STREAMS) this.positions.set(`${p}:${s}`, this.broker.committed.get(`${p}:${s}`) ?? 0);
    this.handler.assigned(partitions);
  }

  heartbeat(): void {
    this.heartbeatAt = this.clock.now();
  }

  /** Delivers the next (up to) n records of one stream as one batch and waits for the driver. */
  deliver(partition: number, stream: Stream, n = Infinity): Promise<void> {
    const key = `${partition}:${stream}`;
    const from = this.positions.get(key);
    if (from === undefined) throw new Error(`partition ${partition} is not assigned`);
    const log = this.broker.logs.get(partition)?.[stream] ?? [];
    const records = log.slice(from, Math.min(log.length, from + n));
    const gen = this.gen;
    const seek = this.seeks.get(key) ?? 0;
    return this.handler.batch({
      partition,
      stream,
      records,
      nextOffset: from + records.length,
      logEnd: log.length,
      current: () => gen === this.gen && seek === (this.seeks.get(key) ?? 0),
      heartbeat: async () => {},
      consumed: (upTo) => {
        if (gen === this.gen && seek === (this.seeks.get(key) ?? 0)) this.positions.set(key, upTo.offset + 1);
      },
    });
  }

  position(partition: number, stream: Stream): number | undefined {
    return this.positions.get(`${partition}:${stream}`);
  }

  pauseAll(): void {}
  async close(): Promise<void> {}
  pause(partition: number, stream: Stream): void {
    this.paused.add(`${partition}:${stream}`);
  }
  resume(partition: number, stream: Stream): void {
    this.paused.delete(`${partition}:${stream}`);
  }
  seek(partition: number, stream: Stream, offset: number): void {
    const key = `${partition}:${stream}`;
    this.seeks.set(key, (this.seeks.get(key) ?? 0) + 1);
    this.positions.set(key, offset);
  }
  async committed(partition: number): Promise<Record<Stream, number>> {
    return { requests: this.broker.committed.get(`${partition}:requests`) ?? 0, primaries: this.broker.committed.get(`${partition}:primaries`) ?? 0 };
  }
  async commit(offsets: readonly { partition: number; stream: Stream; offset: number }[]): Promise<void> {
    if (this.refuseCommits) throw new Error('rebalance in progress');
    for (const o of offsets) this.broker.commit(o.partition, o.stream, o.offset);
  }
  async logEnds(stream: Stream): Promise<Map<number, number>> {
    return new Map([...this.broker.logs].map(([p, l]) => [p, l[stream].length]));
  }
  lastHeartbeat(): number | null {
    return this.heartbeatAt;
  }
}

export interface Freeze {
  /** Resolves once the insert is frozen. */
  readonly reached: Promise<void>;
  open(): void;
}
type Gate = { at: 'before-landing' | 'after-landing'; arrive: () => void; opened: Promise<void> };

/** The store: claims per partition, rows, dedup tokens; the fence view applied on every insert. */
export class MemStore {
  readonly rows: OutcomeRow[] = [];
  private readonly tokens = new Set<string>();
  private readonly claims = new Map<number, number>();
  storeFence = true;
  /** Hooks: freeze the next insert before it lands, or lose its acknowledgement after it landed. */
  private gates: Gate[] = [];
  private loseAck = 0;

  has(partition: number, stream: Stream, offset: number): boolean {
    return this.rows.some((r) => r.source_partition === partition && (stream === 'requests' ? r.req_offset : r.prim_offset) === offset);
  }

  /** Each identity's row count; an exact store has 1 for every produced record. */
  counts(): Map<string, number> {
    const c = new Map<string, number>();
    for (const r of this.rows) {
      const id = r.req_offset >= 0 ? `${r.source_partition}:requests:${r.req_offset}` : `${r.source_partition}:primaries:${r.prim_offset}`;
      c.set(id, (c.get(id) ?? 0) + 1);
    }
    return c;
  }

  /** Violations of "every produced record exactly once". */
  check(broker: Broker): string[] {
    const v: string[] = [];
    const counts = this.counts();
    for (const [p, logs] of broker.logs) {
      for (const s of STREAMS) {
        for (let o = 0; o < logs[s].length; o++) {
          const n = counts.get(`${p}:${s}:${o}`) ?? 0;
          if (n !== 1) v.push(`${s} p${p} offset ${o} written ${n} times`);
        }
      }
    }
    return v;
  }

  /**
   * Freezes the next insert: `before-landing` (a writer paused between its checks and the send), or
   * `after-landing` (the rows are in, the acknowledgement never comes: a crash during the insert).
   */
  freezeNextInsert(at: Gate['at'] = 'before-landing'): Freeze {
    let arrive!: () => void;
    let open!: () => void;
    const reached = new Promise<void>((r) => (arrive = r));
    const opened = new Promise<void>((r) => (open = r));
    this.gates.push({ at, arrive, opened });
    return { reached, open };
  }

  loseNextAck(): void {
    this.loseAck++;
  }

  fence(owner: string): Fence {
    return {
      scope: 'kafka:test',
      claim: async (ps) => {
        const out = new Map<number, number>();
        for (const p of ps) {
          const g = (this.claims.get(p) ?? 0) + 1;
          this.claims.set(p, g);
          out.set(p, g);
        }
        void owner;
        return out;
      },
      current: async (ps) => new Map(ps.map((p) => [p, this.claims.get(p) ?? 0])),
    };
  }

  sink(): RowSink {
    return {
      insert: async (rows, token, stamp) => {
        const gate = this.gates.shift();
        if (gate?.at === 'before-landing') {
          gate.arrive();
          await gate.opened;
        }
        this.land(rows, token, stamp);
        if (gate?.at === 'after-landing') {
          gate.arrive();
          await gate.opened;
        }
        if (this.loseAck > 0) {
          this.loseAck--;
          throw new ShadowError('SHADOW_SINK', 'connection reset after the insert landed', { retryable: true });
        }
      },
      // The fake ledger repairs nothing (every fake block lands whole), so nothing is ever re-sent.
      resend: () => Promise.reject(new Error('the fake store has no partial blocks to repair')),
    };
  }

  private land(rows: readonly OutcomeRow[], token: string, stamp: FenceStamp | undefined): void {
    if (this.tokens.has(token)) return;
    // The entry view: only rows stamped with their partition's latest generation pass. As in
    // ClickHouse, a block of which nothing passed records no token (checked on chDB 26.7).
    const passed = rows.filter((r) => !this.storeFence || !stamp || stamp.generations.get(r.source_partition) === (this.claims.get(r.source_partition) ?? 0));
    if (passed.length === 0) return;
    this.tokens.add(token);
    for (const r of passed) this.rows.push({ ...r });
  }

  ledger(sink: RowSink): Ledger {
    return {
      written: async (q) => {
        const w: WrittenSet = { requestOffsets: new Set(), primaryOffsets: new Set(), requestIds: [], primaryIds: [], maxEventTime: 0, blocks: [] };
        for (const r of this.rows) {
          if (r.source_partition !== q.partition) continue;
          if (r.req_offset >= q.requestFrom) w.requestOffsets.add(r.req_offset);
          if (r.prim_offset >= q.primaryFrom) w.primaryOffsets.add(r.prim_offset);
        }
        return w;
      },
      repair: async () => {
        void sink;
        return 0;
      },
    };
  }
}

/** Every record becomes one outcome at once; records an earlier owner wrote are skipped. */
export class FakeProcessor implements DriverProcessor {
  private readonly parts = new Map<number, Record<Stream, Set<number>>>();
  private readonly caughtUp = new Map<string, boolean>();
  constructor(private readonly emit: (o: Outcome[]) => void) {}
  assign(partition: number, written?: WrittenSet): void {
    this.parts.set(partition, { requests: new Set(written?.requestOffsets), primaries: new Set(written?.primaryOffsets) });
  }
  revokeAll(): void {
    this.parts.clear();
  }
  revoke(partition: number): void {
    this.parts.delete(partition);
  }
  has(partition: number): boolean {
    return this.parts.has(partition);
  }
  async handle(partition: number, records: readonly RawRecord[]): Promise<SourceRef[]> {
    const skip = this.parts.get(partition);
    const skipped: SourceRef[] = [];
    if (!skip) return skipped;
    const out: Outcome[] = [];
    for (const r of records) {
      if (skip[r.ref.stream].delete(r.ref.offset)) {
        skipped.push(r.ref);
        continue;
      }
      const row = emptyRow();
      row.kind = r.ref.stream === 'requests' ? 'unmatched_request' : 'unmatched_primary';
      row.source_partition = partition;
      if (r.ref.stream === 'requests') row.req_offset = r.ref.offset;
      else row.prim_offset = r.ref.offset;
      out.push({ row, refs: [r.ref] });
    }
    if (out.length) this.emit(out);
    return skipped;
  }
  tick(): void {}
  drain(): void {}
  setCaughtUp(partition: number, stream: Stream, caughtUp: boolean): void {
    this.caughtUp.set(`${partition}:${stream}`, caughtUp);
  }
  buffered(): number {
    return 0;
  }
  bufferedBytes(): number {
    return 0;
  }
}

/** One processor instance: driver, writer, ownership over the shared broker and store. */
export function instance(name: string, broker: Broker, store: MemStore, clock: Clock, opts: { maxRows?: number } = {}) {
  const source = new FakeSource(broker, clock);
  const ownership = new Ownership(store.fence(name));
  const offsets = new OffsetBook();
  const sink = store.sink();
  const writer = new BatchWriter(
    sink,
    { maxRows: opts.maxRows ?? 1_000_000, flushIntervalMs: 1_000_000, retryInitialMs: 1, retryMaxMs: 1 },
    {
      onDurable: (o) => offsets.durable(o),
      onFatal: (err) => {
        throw err;
      },
      stamp: (ps) => ownership.stamp(ps),
      fenced: (s) => ownership.fenced(s),
      onFenced: (s, ps) => ownership.lost(s, ps),
    },
    logger,
    async () => {},
  );
  const processor = new FakeProcessor((o) => writer.add(o));
  const driver = new Driver(
    { topics: TOPICS, sessionTimeoutMs: 10_000, maxBuffered: 1_000_000, maxPendingRows: 1_000_000, memoryMs: 0 },
    { source, processor, writer, ledger: store.ledger(sink), ownership, offsets, logger, now: clock.now, sleep: async () => {} },
  );
  void driver.start();
  return { source, writer, driver, ownership, offsets, processor };
}
