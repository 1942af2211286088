import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { packRows, readRow } from '../../src/score/pack.ts';
import type { FeatureValue } from '../../src/score/types.ts';

const features = ['age', 'bmi', 'bp'];
const read = (row: Record<string, FeatureValue>, allowNaN = false, type: 'float32' | 'float64' | 'int64' = 'float32') =>
  readRow(row, features, type, allowNaN);

describe('readRow', () => {
  it('returns the values in the configured feature order and ignores extra keys', () => {
    assert.deepEqual(read({ bp: 3, extra: 'x', age: 1, bmi: 2 }), { ok: true, values: [1, 2, 3] });
  });

  it('reports a missing feature by name', () => {
    assert.deepEqual(read({ age: 1, bp: 3 }), { ok: false, code: 'MISSING_FEATURE', reason: 'feature "bmi" is missing' });
  });

  it('treats a feature set to undefined as missing', () => {
    const r = read({ age: 1, bmi: undefined, bp: 3 });
    assert.equal(r.ok || r.code, 'MISSING_FEATURE');
  });

  it('does not read inherited properties as features', () => {
    const r = readRow({ a: 1 }, ['a', 'constructor'], 'float32', false);
    assert.deepEqual(r, { ok: false, code: 'MISSING_FEATURE', reason: 'feature "constructor" is missing' });
  });

  it('rejects strings, booleans, objects and arrays as WRONG_TYPE', () => {
    for (const bad of ['abc', true, {}, [1]] as unknown[]) {
      const r = read({ age: 1, bmi: bad as FeatureValue, bp: 3 });
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.code, 'WRONG_TYPE', `for ${JSON.stringify(bad)}`);
      assert.match(!r.ok ? r.reason : '', /"bmi"/);
    }
  });

  it('rejects a numeric string as WRONG_TYPE instead of coercing it', () => {
    const r = read({ age: 1, bmi: '22.5', bp: 3 });
    assert.deepEqual(r, { ok: false, code: 'WRONG_TYPE', reason: 'feature "bmi" is a string ("22.5"), expected a number' });
  });

  it('rejects NaN, infinities and null as NON_FINITE by default', () => {
    for (const bad of [NaN, Infinity, -Infinity, null]) {
      const r = read({ age: 1, bmi: 2, bp: bad });
      assert.equal(!r.ok && r.code, 'NON_FINITE', `for ${bad}`);
      assert.match(!r.ok ? r.reason : '', /"bp"/);
    }
  });

  it('passes NaN and null as NaN when allowNaN is set, but still rejects infinities', () => {
    const r = read({ age: NaN, bmi: null, bp: 3 }, true);
    assert.deepEqual(r, { ok: true, values: [NaN, NaN, 3] });
    const inf = read({ age: 1, bmi: 2, bp: -Infinity }, true);
    assert.equal(!inf.ok && inf.code, 'NON_FINITE');
  });

  it('rejects a finite value that overflows a float32 input', () => {
    const r = read({ age: 1, bmi: 1e39, bp: 3 });
    assert.equal(!r.ok && r.code, 'NON_FINITE');
    assert.match(!r.ok ? r.reason : '', /overflows float32/);
    assert.equal(read({ age: 1, bmi: 1e39, bp: 3 }, false, 'float64').ok, true);
  });

  it('rejects fractions and NaN for an int64 input even with allowNaN', () => {
    const frac = read({ age: 1, bmi: 2.5, bp: 3 }, true, 'int64');
    assert.equal(!frac.ok && frac.code, 'WRONG_TYPE');
    assert.match(!frac.ok ? frac.reason : '', /not an integer/);
    const nan = read({ age: 1, bmi: NaN, bp: 3 }, true, 'int64');
    assert.equal(!nan.ok && nan.code, 'NON_FINITE');
  });

  it('reports the first bad feature in model order', () => {
    const r = read({ age: 'x' as FeatureValue, bp: NaN });
    assert.equal(!r.ok && r.code, 'WRONG_TYPE');
  });

  it('rejects a row that is not an object', () => {
    const r = readRow(null as unknown as Record<string, FeatureValue>, features, 'float32', false);
    assert.equal(!r.ok && r.code, 'WRONG_TYPE');
  });
});

describe('packRows', () => {
  it('packs rows row-major into a Float32Array for a float32 input', () => {
    const out = packRows([[1, 2, 3], [4, 5, 6]], 3, 'float32');
    assert.ok(out instanceof Float32Array);
    assert.deepEqual([...out], [1, 2, 3, 4, 5, 6]);
  });

  it('keeps full precision for a float64 input', () => {
    const out = packRows([[0.1, 1 / 3]], 2, 'float64');
    assert.ok(out instanceof Float64Array);
    assert.deepEqual([...out], [0.1, 1 / 3]);
  });

  it('converts to BigInt for an int64 input', () => {
    const out = packRows([[1, -2], [2 ** 40, 0]], 2, 'int64');
    assert.ok(out instanceof BigInt64Array);
    assert.deepEqual([...out], [1n, -2n, 2n ** 40n, 0n]);
  });
});
