import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OffsetTracker } from '../../src/pipeline/offset-tracker.ts';

describe('OffsetTracker', () => {
  it('has nothing to commit before any offset is tracked', () => {
    const t = new OffsetTracker();
    assert.equal(t.committable(), null);
  });

  it('commits the lowest incomplete offset while records are in flight', () => {
    const t = new OffsetTracker();
    for (const o of [10, 11, 12]) t.track(o);
    assert.equal(t.committable(), 10);
  });

  it('does not move past an incomplete offset when later ones complete first', () => {
    const t = new OffsetTracker();
    for (const o of [10, 11, 12, 13]) t.track(o);
    t.complete(12);
    t.complete(11);
    assert.equal(t.committable(), 10);
    t.complete(10);
    assert.equal(t.committable(), 13, 'jumps over the already completed 11 and 12');
  });

  it('commits one past the last tracked offset once everything is complete', () => {
    const t = new OffsetTracker();
    for (const o of [5, 6, 9]) t.track(o); // gaps (compacted topic, transaction markers) are fine
    t.complete(9);
    t.complete(5);
    t.complete(6);
    assert.equal(t.committable(), 10);
  });

  it('keeps the lowest incomplete offset across gaps in the tracked sequence', () => {
    const t = new OffsetTracker();
    for (const o of [100, 104, 200]) t.track(o);
    t.complete(100);
    assert.equal(t.committable(), 104);
  });

  it('stays correct over a long sequence completed in random order, through compaction', () => {
    let seed = 42;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const t = new OffsetTracker();
    const inflight: number[] = []; // reference model: offsets tracked and not yet completed, ascending
    let next = 1_000;
    let last: number | null = null;
    for (let step = 0; step < 20_000; step++) {
      const adds = Math.floor(rand() * 3);
      for (let k = 0; k < adds; k++) {
        t.track(next);
        inflight.push(next);
        last = next;
        next += rand() < 0.05 ? 4 : 1;
      }
      if (inflight.length > 0) {
        // Mostly the oldest ones complete, some late: skewed towards the front.
        const i = Math.floor(Math.pow(rand(), 3) * inflight.length);
        const [o] = inflight.splice(i, 1);
        t.complete(o!);
      }
      const expected: number | null = inflight.length > 0 ? inflight[0]! : last === null ? null : last + 1;
      assert.equal(t.committable(), expected, `step ${step}`);
    }
    assert.ok(last !== null && last > 10_000, 'the walk tracked enough offsets to compact several times');
  });

  it('keeps committing the lowest incomplete offset after more than a thousand in-order completions', () => {
    const t = new OffsetTracker();
    for (let o = 0; o < 5_000; o++) t.track(o);
    for (let o = 0; o < 3_000; o++) t.complete(o);
    assert.equal(t.committable(), 3_000);
    for (let o = 4_999; o >= 3_001; o--) t.complete(o);
    assert.equal(t.committable(), 3_000);
    t.complete(3_000);
    assert.equal(t.committable(), 5_000);
    t.track(5_000);
    assert.equal(t.committable(), 5_000);
    t.complete(5_000);
    assert.equal(t.committable(), 5_001);
  });
});

