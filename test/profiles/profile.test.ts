import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CANDIDATE_SCORE, PRIMARY_SCORE, Profiler, binOf, logCell } from '../../src/profiles/index.ts';

describe('profiler', () => {
  const p = new Profiler({
    sampleRate: 1, features: ['x', 'c', 'free'], bins: 10, specs: { x: { min: 0, max: 10 }, c: { values: ['a', 'b'] } }, scoreRange: [0, 1], scoreBins: 20,
  });

  it('bins a numeric feature over its range, with out-of-range, null, NaN and wrong-type cells', () => {
    assert.deepEqual([0, 0.99, 5, 10, -0.1, 10.1].map((x) => p.features({ x }).x), ['b00', 'b00', 'b05', 'b09', 'lo', 'hi']);
    assert.equal(p.features({ x: null }).x, 'null');
    assert.equal(p.features({}).x, 'null');
    assert.equal(p.features({ x: Number.NaN }).x, 'nan');
    assert.equal(p.features({ x: '3' }).x, 'bad');
  });

  it('keeps the schema\'s categories and puts the rest in __other__', () => {
    assert.deepEqual(['a', 'b', 'z'].map((c) => p.features({ c }).c), ['a', 'b', '__other__']);
  });

  it('bins a feature without a range in signed half-decades', () => {
    assert.deepEqual([0, 1, 3.2, 0.05, -200].map(logCell), ['z', 'p0', 'p1', 'p-3', 'n4']);
    assert.equal(p.features({ free: 3.2 }).free, 'p1');
  });

  it("adds both models' score cells", () => {
    const cells = p.features({ x: 1, c: 'a', free: 1 });
    p.addScores(cells, 0.97, 0.02);
    assert.equal(cells[PRIMARY_SCORE], 'b19');
    assert.equal(cells[CANDIDATE_SCORE], 'b00');
    assert.equal(binOf(1, 0, 1, 20), 'b19', 'the top edge is in the last bin');
  });

  it('samples by request id, the same on every replay', () => {
    const half = new Profiler({ sampleRate: 0.5, features: ['x'], bins: 10, specs: {}, scoreRange: [0, 1], scoreBins: 0 });
    const ids = Array.from({ length: 4000 }, (_, i) => `req-${i}`);
    const picked = ids.filter((id) => half.sampled(id));
    assert.ok(picked.length > 1800 && picked.length < 2200, `${picked.length}`);
    assert.deepEqual(ids.filter((id) => half.sampled(id)), picked);
  });
});
