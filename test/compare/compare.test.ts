import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { argmax, compare } from '../../src/compare/index.ts';
import type { TaskConfig } from '../../src/config/index.ts';

const binary: TaskConfig = { type: 'binary', threshold: 0.5, positiveLabel: '1' };
const ok = (x: { scores?: number[]; label?: string; value?: number }) => ({ ok: true as const, latencyMs: 1, computeMs: 1, computeLatencyMs: 1, queueMs: 0, ...x });

describe('compare, binary task', () => {
  it('agrees when both scores fall on the same side of the threshold', () => {
    const c = compare(binary, ok({ scores: [0.2, 0.8] }), { score: 0.6 });
    assert.equal(c.agree, true);
    assert.equal(c.candidateLabel, '1');
    assert.equal(c.primaryLabel, '1');
    assert.equal(c.candidateScore, 0.8);
    assert.equal(c.primaryScore, 0.6);
  });

  it('disagrees when the scores fall on different sides of the threshold', () => {
    const c = compare(binary, ok({ scores: [0.6, 0.4] }), { score: 0.7 });
    assert.equal(c.agree, false);
    assert.equal(c.candidateLabel, '0');
    assert.equal(c.primaryLabel, '1');
  });

  it('treats a score equal to the threshold as positive', () => {
    const c = compare({ type: 'binary', threshold: 0.3, positiveLabel: '1' }, ok({ scores: [0.7, 0.3] }), { score: 0.29 });
    assert.equal(c.candidateLabel, '1');
    assert.equal(c.primaryLabel, '0');
    assert.equal(c.agree, false);
  });

  it('lets the score decide even when a label says otherwise', () => {
    const c = compare(binary, ok({ scores: [0.1, 0.9], label: '0' }), { score: 0.9, label: 0 });
    assert.equal(c.candidateLabel, '1');
    assert.equal(c.primaryLabel, '1');
    assert.equal(c.agree, true);
  });

  it('falls back to labels when neither side gives a score', () => {
    assert.equal(compare(binary, ok({ label: '1' }), { label: 1 }).agree, true);
    const c = compare(binary, ok({ label: '1' }), { label: '0' });
    assert.equal(c.agree, false);
    assert.equal(c.delta, null);
    assert.ok(Number.isNaN(c.candidateScore));
  });

  it('reads the primary P(positive) from scores[1] when only scores are given', () => {
    const c = compare(binary, ok({ scores: [0.5, 0.5] }), { scores: [0.75, 0.25] });
    assert.equal(c.primaryScore, 0.25);
    assert.equal(c.primaryLabel, '0');
    assert.equal(c.agree, false);
  });

  it('names the negative class not_<positiveLabel> for a non-numeric positive label', () => {
    const c = compare({ type: 'binary', threshold: 0.5, positiveLabel: 'fraud' }, ok({ scores: [0.9, 0.1] }), { score: 0.2 });
    assert.equal(c.candidateLabel, 'not_fraud');
    assert.equal(c.primaryLabel, 'not_fraud');
    assert.equal(c.agree, true);
  });

  it('gives the score delta as candidate minus primary', () => {
    const up = compare(binary, ok({ scores: [0.1, 0.9] }), { score: 0.6 });
    assert.ok(Math.abs(up.delta! - 0.3) < 1e-12);
    const down = compare(binary, ok({ scores: [0.8, 0.2] }), { score: 0.6 });
    assert.ok(Math.abs(down.delta! - -0.4) < 1e-12);
  });

  it('never agrees when neither side produced a label or score', () => {
    const c = compare(binary, ok({}), {});
    assert.equal(c.agree, false);
  });
});

describe('compare, multiclass task', () => {
  const task: TaskConfig = { type: 'multiclass', classes: ['a', 'b', 'c'], topK: 1 };

  it('agrees when the argmax classes match', () => {
    const c = compare(task, ok({ scores: [0.1, 0.7, 0.2] }), { scores: [0.2, 0.5, 0.3] });
    assert.equal(c.candidateLabel, 'b');
    assert.equal(c.primaryLabel, 'b');
    assert.equal(c.agree, true);
  });

  it('disagrees when the argmax classes differ and compares the scores of the primary label', () => {
    const c = compare(task, ok({ scores: [0.1, 0.3, 0.6] }), { scores: [0.2, 0.5, 0.3] });
    assert.equal(c.candidateLabel, 'c');
    assert.equal(c.primaryLabel, 'b');
    assert.equal(c.agree, false);
    assert.equal(c.primaryScore, 0.5);
    assert.equal(c.candidateScore, 0.3);
    assert.ok(Math.abs(c.delta! - -0.2) < 1e-12, 'delta = candidate minus primary on the primary label');
  });

  it('uses the primary label when present instead of its scores', () => {
    const c = compare(task, ok({ scores: [0.6, 0.3, 0.1] }), { label: 'a', score: 0.55 });
    assert.equal(c.primaryLabel, 'a');
    assert.equal(c.agree, true);
    assert.equal(c.primaryScore, 0.55);
    assert.ok(Math.abs(c.delta! - 0.05) < 1e-12);
  });

  it('agrees under top-k when the primary label is among the candidate top k classes', () => {
    const top2: TaskConfig = { type: 'multiclass', classes: ['a', 'b', 'c'], topK: 2 };
    assert.equal(compare(top2, ok({ scores: [0.5, 0.3, 0.2] }), { label: 'b' }).agree, true);
    assert.equal(compare(top2, ok({ scores: [0.5, 0.3, 0.2] }), { label: 'c' }).agree, false);
    assert.equal(compare(task, ok({ scores: [0.5, 0.3, 0.2] }), { label: 'b' }).agree, false, 'top-1 needs the argmax');
  });

  it('falls back to the candidate label when it gives no scores', () => {
    const c = compare(task, ok({ label: 'c' }), { label: 'c' });
    assert.equal(c.candidateLabel, 'c');
    assert.equal(c.agree, true);
    assert.equal(c.delta, null);
  });

  it('argmax returns the first index of the largest value', () => {
    assert.equal(argmax([0.1, 0.9, 0.9, 0.3]), 1);
    assert.equal(argmax([5]), 0);
  });
});

describe('compare, regression task', () => {
  const task: TaskConfig = { type: 'regression', absTolerance: 0.5, relTolerance: 0.1 };

  it('agrees within the absolute plus relative tolerance of the primary value', () => {
    // tolerance at p = 10: 0.5 + 0.1 * 10 = 1.5
    assert.equal(compare(task, ok({ value: 11.5 }), { value: 10 }).agree, true);
    assert.equal(compare(task, ok({ value: 8.5 }), { value: 10 }).agree, true);
    assert.equal(compare(task, ok({ value: 11.51 }), { value: 10 }).agree, false);
    // relative part scales with |p| for negative values too
    assert.equal(compare(task, ok({ value: -11.4 }), { value: -10 }).agree, true);
  });

  it('uses the absolute tolerance alone around zero', () => {
    assert.equal(compare(task, ok({ value: 0.5 }), { value: 0 }).agree, true);
    assert.equal(compare(task, ok({ value: 0.51 }), { value: 0 }).agree, false);
  });

  it('gives the delta as candidate minus primary and no labels', () => {
    const c = compare(task, ok({ value: 7 }), { value: 10 });
    assert.equal(c.delta, -3);
    assert.equal(c.candidateScore, 7);
    assert.equal(c.primaryScore, 10);
    assert.equal(c.primaryLabel, '');
    assert.equal(c.candidateLabel, '');
  });

  it('never agrees and gives no delta when a value is missing', () => {
    const c = compare(task, ok({}), { value: 1 });
    assert.equal(c.agree, false);
    assert.equal(c.delta, null);
  });
});
