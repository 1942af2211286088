import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RetimePolicy } from '../../src/score/retime.ts';

describe('retime policy', () => {
  it('never re-runs a batch at or under the floor', () => {
    const p = new RetimePolicy({ floorMs: 1, factor: 4, history: 8, maxRuns: 2 });
    assert.equal(p.suspicious(64, 1), false);
    assert.equal(p.suspicious(1, 0.5), false);
  });

  it('re-runs any batch over the floor while there is no history (the slow first run)', () => {
    assert.equal(new RetimePolicy({ floorMs: 1, factor: 4, history: 8, maxRuns: 2 }).suspicious(64, 1.5), true);
  });

  it('re-runs a batch over factor x the median per-row cost x rows, not one under it', () => {
    const p = new RetimePolicy({ floorMs: 1, factor: 4, history: 8, maxRuns: 2 });
    for (const ms of [6.4, 6.4, 6.4, 640]) p.record(64, ms); // per row 0.1, 0.1, 0.1, 10: median 0.1
    assert.equal(p.suspicious(64, 25.5), false, '25.5 ms <= 4 x 0.1 x 64 = 25.6 ms');
    assert.equal(p.suspicious(64, 25.7), true);
    assert.equal(p.suspicious(8, 3.3), true, 'scaled by the rows: 4 x 0.1 x 8 = 3.2 ms');
  });

  it('forgets the oldest per-row cost once the history is full', () => {
    const p = new RetimePolicy({ floorMs: 0, factor: 2, history: 2, maxRuns: 2 });
    p.record(1, 1);
    p.record(1, 1);
    p.record(1, 10);
    p.record(1, 10); // history is now [10, 10]
    assert.equal(p.suspicious(1, 15), false, '15 <= 2 x 10');
  });
});
