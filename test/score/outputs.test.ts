import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rowReader } from '../../src/score/outputs.ts';

const fetched = {
  label: { data: new BigInt64Array([0n, 1n]), dims: [2] },
  probabilities: { data: new Float32Array([0.75, 0.25, 0.5, 0.5]), dims: [2, 2] },
  variable: { data: new Float32Array([1.5, 2.5]), dims: [2, 1] },
  names: { data: ['cat', 'dog'], dims: [2] },
};

describe('rowReader', () => {
  it('reads a scores row as plain numbers', () => {
    const r = rowReader(fetched, { scores: 'probabilities' }, 2);
    assert.deepEqual(r.scores!(1), [0.5, 0.5]);
    assert.equal(Array.isArray(r.scores!(0)), true);
  });

  it('turns an int64 label into a string without the BigInt suffix', () => {
    const r = rowReader(fetched, { label: 'label' }, 2);
    assert.equal(r.label!(1), '1');
  });

  it('reads a string label as is', () => {
    assert.equal(rowReader(fetched, { label: 'names' }, 2).label!(0), 'cat');
  });

  it('reads the first element of the value row', () => {
    assert.equal(rowReader(fetched, { value: 'variable' }, 2).value!(1), 2.5);
  });

  it('refuses an output whose first dimension is not the batch size', () => {
    assert.throws(() => rowReader(fetched, { scores: 'probabilities' }, 3), /expected 3 rows/);
  });

  it('refuses a configured output the run did not return', () => {
    assert.throws(() => rowReader(fetched, { value: 'missing' }, 2), /"missing" was not returned/);
  });
});
