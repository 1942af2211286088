// Generic micro-batcher: callers submit items, one runner call at a time sees up to maxBatchSize of them.
// Knows nothing about ONNX so the merge/split/wait rules are tested with a fake runner and a fake clock.

export interface BatchClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface BatcherOptions<I, O> {
  maxBatchSize: number;
  /** A partial batch runs this long after its oldest item was queued. */
  maxWaitMs: number;
  /** Runs one batch; must resolve to one output per item, same order. */
  run(items: I[]): Promise<O[]>;
  /** Turns a failed batch into per-item outputs, so one bad batch never rejects a caller or stops the queue. */
  fail(err: unknown, items: I[]): O[];
  clock?: BatchClock;
}

interface Entry<I, O> {
  item: I;
  at: number;
  resolve(out: O): void;
  reject(err: unknown): void;
}

// Read globals at call time (not import time) so node:test mock timers also apply.
const realClock: BatchClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class MicroBatcher<I, O> {
  readonly #opts: BatcherOptions<I, O>;
  readonly #clock: BatchClock;
  #queue: Entry<I, O>[] = [];
  #running = false;
  #timer: { handle: unknown } | undefined;
  #closed = false;
  #idle: (() => void)[] = [];

  static checkOptions(opts: { maxBatchSize: number; maxWaitMs: number }): void {
    if (!Number.isInteger(opts.maxBatchSize) || opts.maxBatchSize < 1) throw new RangeError(`maxBatchSize must be an integer >= 1, got ${opts.maxBatchSize}`);
    if (!(opts.maxWaitMs >= 0) || !Number.isFinite(opts.maxWaitMs)) throw new RangeError(`maxWaitMs must be a finite number >= 0, got ${opts.maxWaitMs}`);
  }

  constructor(opts: BatcherOptions<I, O>) {
    MicroBatcher.checkOptions(opts);
    this.#opts = opts;
    this.#clock = opts.clock ?? realClock;
  }

  submit(items: readonly I[]): Promise<O[]> {
    if (this.#closed) return Promise.reject(new Error('cannot submit: the batcher is closed'));
    if (items.length === 0) return Promise.resolve([]);
    const at = this.#clock.now();
    const outs = items.map((item) => new Promise<O>((resolve, reject) => this.#queue.push({ item, at, resolve, reject })));
    this.#schedule();
    return Promise.all(outs);
  }

  /** Runs everything still queued without waiting for maxWaitMs, then resolves once idle. */
  close(): Promise<void> {
    this.#closed = true;
    const idle = new Promise<void>((resolve) => this.#idle.push(resolve));
    this.#schedule();
    return idle;
  }

  #schedule(): void {
    if (this.#running) return; // the running batch reschedules when it ends
    if (this.#queue.length === 0) {
      for (const resolve of this.#idle.splice(0)) resolve();
      return;
    }
    const wait = this.#queue[0]!.at + this.#opts.maxWaitMs - this.#clock.now();
    if (this.#queue.length >= this.#opts.maxBatchSize || this.#closed || wait <= 0) {
      void this.#runNext();
    } else if (this.#timer === undefined) {
      // The timer always belongs to the current oldest item: #runNext clears it whenever the head changes.
      const timer: { handle: unknown } = { handle: undefined };
      timer.handle = this.#clock.setTimeout(() => {
        if (this.#timer !== timer) return;
        this.#timer = undefined;
        if (!this.#running) void this.#runNext();
      }, wait);
      this.#timer = timer;
    }
  }

  async #runNext(): Promise<void> {
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer.handle);
      this.#timer = undefined;
    }
    this.#running = true;
    const batch = this.#queue.splice(0, this.#opts.maxBatchSize);
    const items = batch.map((e) => e.item);
    try {
      let outs: O[];
      try {
        outs = await this.#opts.run(items);
        if (outs.length !== items.length) throw new Error(`batch runner returned ${outs.length} results for ${items.length} items`);
      } catch (err) {
        outs = this.#opts.fail(err, items);
      }
      batch.forEach((e, i) => e.resolve(outs[i]!));
    } catch (err) {
      // Only reachable if fail() itself throws: callers must still hear back.
      for (const e of batch) e.reject(err);
    } finally {
      this.#running = false;
      this.#schedule();
    }
  }
}
