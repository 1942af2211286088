import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyAll, DEFAULT_THRESHOLDS, type PeriodData, type SegmentData } from '../../src/diagnose/index.ts';

// The classification rules on hand-made histograms (no store): order of the rules and the
// insufficient-evidence cases the acceptance tests do not reach.

const BINS = ['b00', 'b01', 'b02', 'b03', 'b04'];
const hist = (weights: number[], n: number, extra: Record<string, number> = {}) =>
  new Map([...BINS.map((b, i) => [b, Math.round((n * weights[i]!) / weights.reduce((a, x) => a + x, 0))] as [string, number]), ...Object.entries(extra)]);
const FLAT = [1, 1, 1, 1, 1];
const SHIFTED = [0.2, 0.3, 1, 3, 5];

function period(o: { x?: number[]; nulls?: number; scores?: number[]; agree?: number; labels?: PeriodData['labels'] } = {}): PeriodData {
  const n = 2000;
  return {
    profiles: new Map([
      ['x', hist(o.x ?? FLAT, n - (o.nulls ?? 0), o.nulls ? { null: o.nulls } : {})],
      ['y', hist(FLAT, n)],
      ['@primary_score', hist(o.scores ?? FLAT, n)],
      ['@candidate_score', hist(o.scores ?? FLAT, n)],
    ]),
    counts: { compared: n, agreements: Math.round(n * (o.agree ?? 0.97)), bothOk: n, requests: n, schemaMismatches: 0 },
    labels: o.labels ?? null,
  };
}
const seg = (window: PeriodData, reference = period()): SegmentData => ({ dimension: 'country', value: 'BR', window, reference });
const classOf = (s: SegmentData) => classifyAll([s], DEFAULT_THRESHOLDS).findings.map((f) => f.classification);

describe('diagnose classification', () => {
  it('flags nothing when the window looks like the reference', () => {
    assert.deepEqual(classOf(seg(period())), []);
  });

  it('calls a null jump a feature pipeline problem even when agreement also dropped and inputs drifted', () => {
    const f = classifyAll([seg(period({ nulls: 400, agree: 0.8, x: SHIFTED }))], DEFAULT_THRESHOLDS).findings[0]!;
    assert.equal(f.classification, 'feature_pipeline_problem');
    assert.deepEqual(f.features, ['x']);
  });

  it('calls a schema-mismatch spike a feature pipeline problem', () => {
    const w = period();
    const f = classifyAll([seg({ ...w, counts: { ...w.counts, requests: 2200, schemaMismatches: 200 } })], DEFAULT_THRESHOLDS).findings[0]!;
    assert.equal(f.classification, 'feature_pipeline_problem');
    assert.match(f.evidence[0]!, /^schema mismatches 0\.0% -> 9\.1% /);
  });

  it('calls drift with both models moving and agreement held a world change', () => {
    assert.deepEqual(classOf(seg(period({ x: SHIFTED, scores: SHIFTED }))), ['world_changed']);
  });

  it('is unsure when inputs drifted but the outputs did not move', () => {
    assert.deepEqual(classOf(seg(period({ x: SHIFTED }))), ['insufficient_evidence']);
  });

  it('is unsure when inputs drifted and agreement dropped together', () => {
    assert.deepEqual(classOf(seg(period({ x: SHIFTED, scores: SHIFTED, agree: 0.85 }))), ['insufficient_evidence']);
  });

  it('calls an agreement drop on stable inputs a candidate regression, unless labels say the candidate is better', () => {
    assert.deepEqual(classOf(seg(period({ agree: 0.85 }))), ['candidate_regression']);
    const better = { labelled: 1000, bothRight: 800, onlyPrimaryRight: 20, onlyCandidateRight: 150 };
    assert.deepEqual(classOf(seg(period({ agree: 0.85, labels: better }))), ['insufficient_evidence']);
    const worse = { labelled: 1000, bothRight: 800, onlyPrimaryRight: 150, onlyCandidateRight: 20 };
    const f = classifyAll([seg(period({ agree: 0.85, labels: worse }))], DEFAULT_THRESHOLDS).findings[0]!;
    assert.equal(f.classification, 'candidate_regression');
    assert.match(f.evidence.join(' | '), /labels \(n=1000\): candidate accuracy 0\.8200 vs primary 0\.9500, McNemar p=/);
  });

  it('skips segment values with too few profiled requests and corrects across every test', () => {
    const small: SegmentData = { dimension: 'country', value: 'JP', window: { ...period(), profiles: new Map([['x', hist(FLAT, 50)]]) }, reference: period() };
    const r = classifyAll([seg(period()), small], DEFAULT_THRESHOLDS);
    assert.deepEqual(r.skipped, ['country=JP']);
    assert.equal(r.judged, 1);
    assert.equal(r.tests, 2 * 3 + 2 + 2, 'drift, missing, out of range per feature; two score shifts; schema mismatch and agreement');
  });
});
