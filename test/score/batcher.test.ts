import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MicroBatcher, type BatchClock } from '../../src/score/batcher.ts';

/** Manual clock: time moves only on advance(), which fires due timers in order. */
class FakeClock implements BatchClock {
  t = 0;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.#next++;
    this.#timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.#timers.delete(h as number);
  };
  async advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = [...this.#timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = end;
    await settle();
  }
}

/** Lets pending promise callbacks (batch completions, reschedules) run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

function setup(maxBatchSize: number, maxWaitMs: number, run?: (items: string[]) => Promise<string[]>) {
  const clock = new FakeClock();
  const batches: string[][] = [];
  const batcher = new MicroBatcher<string, string>({
    maxBatchSize,
    maxWaitMs,
    clock,
    run: async (items) => {
      batches.push(items);
      return run ? run(items) : items.map((x) => x.toUpperCase());
    },
    fail: (err, items) => items.map(() => `error: ${(err as Error).message}`),
  });
  return { clock, batches, batcher };
}

describe('MicroBatcher', () => {
  it('merges rows from concurrent callers into one batch and gives each caller its own results', async () => {
    const { clock, batches, batcher } = setup(8, 2);
    const a = batcher.submit(['a', 'b']);
    const b = batcher.submit(['c']);
    await clock.advance(2);
    assert.deepEqual(batches, [['a', 'b', 'c']]);
    assert.deepEqual(await a, ['A', 'B']);
    assert.deepEqual(await b, ['C']);
  });

  it('holds a partial batch until maxWaitMs after its first row, not its last', async () => {
    const { clock, batches, batcher } = setup(8, 2);
    void batcher.submit(['a']);
    await clock.advance(1.5);
    void batcher.submit(['b']);
    assert.deepEqual(batches, []);
    await clock.advance(0.4);
    assert.deepEqual(batches, []);
    await clock.advance(0.1);
    assert.deepEqual(batches, [['a', 'b']]);
  });

  it('runs a full batch at once without waiting', async () => {
    const { batches, batcher } = setup(3, 1000);
    const out = batcher.submit(['a', 'b', 'c']);
    assert.deepEqual(batches, [['a', 'b', 'c']]);
    assert.deepEqual(await out, ['A', 'B', 'C']);
  });

  it('splits a call with more rows than maxBatchSize and keeps the results in order', async () => {
    const { clock, batches, batcher } = setup(3, 2);
    const out = batcher.submit(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    await clock.advance(0);
    assert.deepEqual(batches, [['a', 'b', 'c'], ['d', 'e', 'f']]);
    await clock.advance(2);
    assert.deepEqual(batches, [['a', 'b', 'c'], ['d', 'e', 'f'], ['g']]);
    assert.deepEqual(await out, ['A', 'B', 'C', 'D', 'E', 'F', 'G']);
  });

  it('never runs two batches at the same time, and rows queued meanwhile form the next batch', async () => {
    let active = 0;
    let maxActive = 0;
    const gates: (() => void)[] = [];
    const { clock, batches, batcher } = setup(3, 2, async (items) => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((r) => gates.push(r));
      active--;
      return items;
    });
    const first = batcher.submit(['a', 'b', 'c']);
    const second = batcher.submit(['d']);
    await clock.advance(10); // d is overdue but the first batch still runs
    assert.deepEqual(batches, [['a', 'b', 'c']]);
    void batcher.submit(['e']);
    gates.shift()!();
    await first;
    await settle(); // no clock advance: the overdue partial batch goes as soon as the runner is free
    assert.deepEqual(batches, [['a', 'b', 'c'], ['d', 'e']]);
    gates.shift()!();
    assert.deepEqual(await second, ['d']);
    assert.equal(maxActive, 1);
  });

  it('fails only the batch whose runner throws and keeps serving later batches', async () => {
    const { clock, batcher } = setup(2, 1, async (items) => {
      if (items.includes('bad')) throw new Error('boom');
      return items;
    });
    const out = batcher.submit(['x', 'bad', 'y', 'z']);
    await clock.advance(1);
    assert.deepEqual(await out, ['error: boom', 'error: boom', 'y', 'z']);
    const later = batcher.submit(['w']);
    await clock.advance(1);
    assert.deepEqual(await later, ['w']);
  });

  it('fails a batch whose runner returns the wrong number of results', async () => {
    const { clock, batcher } = setup(4, 1, async () => ['only one']);
    const out = batcher.submit(['a', 'b']);
    await clock.advance(1);
    assert.deepEqual(await out, ['error: batch runner returned 1 results for 2 items', 'error: batch runner returned 1 results for 2 items']);
  });

  it('runs queued rows without waiting on close and refuses rows after it', async () => {
    const { batches, batcher } = setup(8, 1000);
    const out = batcher.submit(['a']);
    await batcher.close();
    assert.deepEqual(batches, [['a']]);
    assert.deepEqual(await out, ['A']);
    await assert.rejects(batcher.submit(['b']), /closed/);
  });

  it('waits about maxWaitMs with real timers', async () => {
    const batcher = new MicroBatcher<number, number>({ maxBatchSize: 64, maxWaitMs: 20, run: async (x) => x, fail: () => [] });
    const t0 = performance.now();
    await batcher.submit([1]);
    const waited = performance.now() - t0;
    // libuv timers tick in whole milliseconds against a cached loop time, so they can fire ~1 ms early.
    assert.ok(waited >= 18, `waited ${waited} ms`);
    assert.ok(waited < 500, `waited ${waited} ms`);
  });

  it('refuses a batch size below 1', () => {
    assert.throws(() => MicroBatcher.checkOptions({ maxBatchSize: 0, maxWaitMs: 2 }), /maxBatchSize/);
  });
});
