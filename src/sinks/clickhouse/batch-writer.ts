import type { Logger } from '../../ops/logger.ts';
import type { Outcome } from '../../outcomes/index.ts';
import { ShadowError, errorMessage } from '../../errors.ts';
import { FoldedBlock } from './block-encoding.ts';
import { BlockTokenHash, FENCED_TOKEN_PREFIX, type FenceStamp, type RowSink } from './outcome-sink.ts';

export interface BatchWriterOptions {
  readonly maxRows: number;
  readonly flushIntervalMs: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  /** Who writes (model and candidate version), part of every block's dedup token: see blockToken. */
  readonly tokenScope?: string;
}

export interface BatchWriterEvents {
  /** Called once a block is durably written: its records may now be committed. */
  onDurable(outcomes: readonly Outcome[]): void;
  onInsert?(rows: number, ms: number): void;
  onRetry?(attempt: number, err: unknown): void;
  /** A non-retryable failure: the pipeline must stop without committing. */
  onFatal(err: ShadowError): void;
  /**
   * Fence: false while this instance may have lost its partitions (e.g. no heartbeat for a session
   * timeout after a pause). Nothing is inserted then; a rebalance discards what is held.
   */
  canWrite?(): boolean;
  /**
   * Store fence (fence.ts): the generations of the partitions owned now, taken when a block is formed
   * and sent with it, so the store drops the block's rows of any partition claimed since.
   */
  stamp?(partitions: readonly number[]): FenceStamp | undefined;
  /**
   * After an insert: the partitions whose recorded generation is newer than the block's stamp. Their
   * rows may have been dropped by the store, so they are not durable and must never be committed.
   */
  fenced?(stamp: FenceStamp): Promise<ReadonlySet<number>>;
  /** Rows of partitions another owner has claimed: not written, not durable; the partitions are lost. */
  onFenced?(stamp: FenceStamp, partitions: ReadonlySet<number>, outcomes: readonly Outcome[]): void;
}

const NONE: ReadonlySet<number> = new Set();

/** A block being collected: its records, folded and hashed as they arrive (block-encoding.ts). */
interface Pending {
  readonly outcomes: Outcome[];
  readonly folded: FoldedBlock;
  readonly hash: BlockTokenHash;
}

/**
 * Collects outcome rows and writes them in blocks bounded by size and time, one insert at a time.
 * A failed block is retried with backoff and the same dedup token until it lands; data errors are
 * not retried. Rows are never dropped here: the caller applies backpressure on `pendingRows`.
 */
export class BatchWriter {
  /** Blocks not yet sent, oldest first, each of at most maxRows records. */
  private queue: Pending[] = [];
  private queued = 0;
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private fatal: ShadowError | null = null;
  private inFlightRows = 0;
  /** Bumped by `discard`: a block waiting to be (re)tried from an older epoch is abandoned. */
  private epoch = 0;
  private discardPredicate: ((o: Outcome) => boolean) | null = null;

  constructor(
    private readonly sink: RowSink,
    private readonly opts: BatchWriterOptions,
    private readonly events: BatchWriterEvents,
    private readonly logger: Logger,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  get pendingRows(): number {
    return this.queued + this.inFlightRows;
  }

  start(): void {
    this.timer = setInterval(() => void this.kick(), this.opts.flushIntervalMs);
    this.timer.unref();
  }

  add(outcomes: readonly Outcome[]): void {
    if (this.fatal) throw this.fatal;
    let b = this.queue.at(-1);
    for (const o of outcomes) {
      if (!b || b.outcomes.length >= this.opts.maxRows) this.queue.push((b = this.open()));
      this.fold(b, o);
    }
    this.queued += outcomes.length;
    if (this.queued >= this.opts.maxRows) void this.kick();
  }

  private open(): Pending {
    return { outcomes: [], folded: new FoldedBlock(), hash: new BlockTokenHash(this.opts.tokenScope) };
  }

  private fold(b: Pending, o: Outcome): void {
    b.outcomes.push(o);
    b.folded.add(o.row);
    b.hash.add(o.refs);
  }

  /** Forgets unwritten rows of records this instance no longer owns (another will redo them). */
  discard(predicate: (o: Outcome) => boolean): number {
    this.epoch++;
    this.discardPredicate = predicate;
    const before = this.queued;
    const kept: Pending[] = [];
    for (const b of this.queue) {
      const rest = b.outcomes.filter((o) => !predicate(o));
      if (rest.length === b.outcomes.length) kept.push(b);
      else if (rest.length > 0) {
        // Folds cannot subtract: the block is folded again from what is left (rebalances are rare).
        const again = this.open();
        for (const o of rest) this.fold(again, o);
        kept.push(again);
      }
    }
    this.queue = kept;
    this.queued = kept.reduce((n, b) => n + b.outcomes.length, 0);
    return before - this.queued;
  }

  /** Waits for the insert under way, if any, so a ledger read sees its rows. */
  async settle(): Promise<void> {
    if (this.inFlight) await this.inFlight;
  }

  /** Writes everything buffered now; resolves when it is durable. */
  async flush(): Promise<void> {
    while (this.queued > 0 || this.inFlight) {
      if (this.fatal) throw this.fatal;
      if (!this.inFlight && this.events.canWrite && !this.events.canWrite()) await this.sleep(100);
      else await (this.inFlight ?? this.kick());
    }
    if (this.fatal) throw this.fatal;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    this.stopped = true;
  }

  // A block from before a rebalance is abandoned only if its rows were discarded; a block retried
  // across a discard of other partitions' rows is still written.
  private discarded(o: Outcome): boolean {
    return this.discardPredicate?.(o) ?? false;
  }

  private kick(): Promise<void> {
    if (this.inFlight || this.queued === 0 || this.fatal) return this.inFlight ?? Promise.resolve();
    if (this.events.canWrite && !this.events.canWrite()) return Promise.resolve();
    const next = this.queue.shift()!;
    this.queued -= next.outcomes.length;
    this.inFlightRows = next.outcomes.length;
    this.inFlight = this.write(next).finally(() => {
      this.inFlight = null;
      this.inFlightRows = 0;
      if (this.queued >= this.opts.maxRows) void this.kick();
    });
    return this.inFlight;
  }

  private settleFenced(block: Outcome[], stamp: FenceStamp, fenced: ReadonlySet<number>): void {
    const lost = block.filter((o) => fenced.has(o.row.source_partition));
    const kept = block.filter((o) => !fenced.has(o.row.source_partition));
    this.logger.warn({ partitions: [...fenced], rows: lost.length }, 'block fenced by the store: its partitions were claimed by a newer owner');
    if (kept.length) this.events.onDurable(kept);
    this.events.onFenced?.(stamp, fenced, lost);
  }

  private async write({ outcomes: block, folded, hash }: Pending): Promise<void> {
    const epoch = this.epoch;
    const stamp = this.events.stamp?.(folded.partitions());
    const token = (stamp ? FENCED_TOKEN_PREFIX : '') + hash.digest();
    const rows = block.map((o) => {
      o.row.block_token = token;
      return o.row;
    });
    for (let attempt = 1; ; attempt++) {
      while (this.events.canWrite && !this.events.canWrite() && epoch === this.epoch) await this.sleep(100);
      if (epoch !== this.epoch && block.some((o) => this.discarded(o))) return;
      const t0 = performance.now();
      try {
        await this.sink.insert(rows, token, stamp, folded);
        const fenced = stamp && this.events.fenced ? await this.events.fenced(stamp) : NONE;
        this.events.onInsert?.(rows.length, performance.now() - t0);
        if (fenced.size === 0) this.events.onDurable(block);
        else this.settleFenced(block, stamp!, fenced);
        return;
      } catch (err) {
        if (!(err instanceof ShadowError) || !err.retryable || this.stopped) {
          this.fatal = err instanceof ShadowError ? err : new ShadowError('SHADOW_SINK', errorMessage(err), { cause: err });
          this.events.onFatal(this.fatal);
          return;
        }
        this.events.onRetry?.(attempt, err);
        const delay = Math.min(this.opts.retryMaxMs, this.opts.retryInitialMs * 2 ** Math.min(attempt - 1, 16));
        this.logger.warn({ attempt, delayMs: delay, code: err.code, err: err.message }, 'insert failed; retrying');
        await this.sleep(delay * (0.5 + Math.random() / 2));
      }
    }
  }
}
