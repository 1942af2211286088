import { CANDIDATE_SCORE, PRIMARY_SCORE } from '../profiles/profile.ts';
import { holm } from './stats.ts';
import { labelsSay, segmentTests, type RawTest } from './tests.ts';
import type { Classification, DiagnoseThresholds, SegmentData, SegmentFinding, TestResult } from './types.ts';

// Which story explains a segment (issue 15). Every test of every judged segment is corrected together
// (Holm, family-wise alpha), and a test flags only when it is both significant after correction and
// material (its effect above the threshold): at these volumes significance alone flags trivia.
// Order of the rules, and why:
//  1. feature pipeline problem: a missing / out-of-range / schema-mismatch jump is a fault whatever the
//     models do; rolling back the model would not fix it.
//  2. agreement dropped on stable inputs: candidate regression, unless labels say the candidate is the
//     better one (then insufficient evidence). Agreement dropped while inputs drifted: insufficient
//     evidence (either story fits).
//  3. inputs drifted, agreement held, both models' scores moved: the world changed.
//  4. anything else flagged (inputs drifted but the outputs did not both move; one model's scores moved
//     alone): insufficient evidence.

export const ACTIONS: Record<Classification, string> = {
  feature_pipeline_problem: 'roll back the feature schema or transformation (shadow-compare rollback --features), not the model',
  world_changed: 'keep the model; re-evaluate on recent traffic and plan a retrain',
  candidate_regression: 'do not promote the candidate (roll it back if it is production)',
  insufficient_evidence: 'collect more traffic or labels before acting; re-run diagnose later',
};

export interface Classified {
  readonly findings: SegmentFinding[];
  readonly judged: number;
  readonly tests: number;
  readonly skipped: string[];
}

export function classifyAll(segments: readonly SegmentData[], t: DiagnoseThresholds): Classified {
  const judged: { s: SegmentData; raw: RawTest[] }[] = [];
  const skipped: string[] = [];
  for (const s of segments) {
    if (profiled(s.window) < t.minRequests || profiled(s.reference) < t.minRequests) skipped.push(`${s.dimension}=${s.value}`);
    else judged.push({ s, raw: segmentTests(s, t) });
  }
  const adjusted = holm(judged.flatMap((j) => j.raw.map((r) => r.p)));
  let k = 0;
  const findings: SegmentFinding[] = [];
  for (const { s, raw } of judged) {
    const tests: TestResult[] = raw.map((r) => {
      const pAdjusted = adjusted[k++] as number;
      return { kind: r.kind, subject: r.subject, effect: r.effect, reference: r.reference, window: r.window, p: r.p, pAdjusted, flagged: r.material && pAdjusted < t.alpha };
    });
    const f = classifySegment(s, tests, t);
    if (f) findings.push(f);
  }
  findings.sort((a, b) => rank(a.classification) - rank(b.classification) || a.dimension.localeCompare(b.dimension) || a.value.localeCompare(b.value));
  return { findings, judged: judged.length, tests: adjusted.length, skipped };
}

function classifySegment(s: SegmentData, tests: TestResult[], t: DiagnoseThresholds): SegmentFinding | null {
  const flagged = tests.filter((x) => x.flagged);
  if (flagged.length === 0) return null;
  const health = flagged.filter((x) => x.kind === 'missing' || x.kind === 'out_of_range' || x.kind === 'schema_mismatch');
  const drift = flagged.filter((x) => x.kind === 'drift');
  const moved = new Set(flagged.filter((x) => x.kind === 'score_shift').map((x) => x.subject));
  const dropped = flagged.find((x) => x.kind === 'agreement_drop');
  const agreement = tests.find((x) => x.kind === 'agreement_drop');
  const make = (classification: Classification, evidence: string[], features: string[]): SegmentFinding => ({
    dimension: s.dimension, value: s.value, classification, evidence, action: ACTIONS[classification], features, tests,
  });
  if (health.length > 0) {
    return make('feature_pipeline_problem', health.map(describe), [...new Set(health.map((x) => x.subject).filter(Boolean))]);
  }
  if (dropped) {
    if (drift.length > 0) {
      return make('insufficient_evidence', [describe(dropped), ...drift.map(describe), 'inputs drifted and agreement dropped: either story fits'], drift.map((x) => x.subject));
    }
    const l = labelsSay(s.window.labels, t.alpha);
    const evidence = [describe(dropped), 'inputs stable (no feature drifted)', l.text];
    return make(l.verdict === 'better' ? 'insufficient_evidence' : 'candidate_regression', evidence, []);
  }
  if (drift.length > 0) {
    const both = moved.has(PRIMARY_SCORE) && moved.has(CANDIDATE_SCORE);
    const evidence = [...drift.map(describe), ...flagged.filter((x) => x.kind === 'score_shift').map(describe)];
    if (agreement) evidence.push(`agreement held: ${rate(agreement.reference)} -> ${rate(agreement.window)}`);
    if (!both) evidence.push("the models' outputs did not both move");
    return make(both ? 'world_changed' : 'insufficient_evidence', evidence, drift.map((x) => x.subject));
  }
  return make('insufficient_evidence', flagged.map(describe), []);
}

/** "mean_radius drifted: PSI 1.234 (chi-square p=1.2e-40, Holm 3.1e-38)" */
export function describe(x: TestResult): string {
  const p = `p=${x.p.toPrecision(2)}, corrected ${x.pAdjusted.toPrecision(2)}`;
  switch (x.kind) {
    case 'drift':
      return `${x.subject} drifted: PSI ${x.effect.toFixed(3)} (chi-square ${p})`;
    case 'score_shift':
      return `${x.subject === PRIMARY_SCORE ? 'primary' : 'candidate'} scores moved: PSI ${x.effect.toFixed(3)} (chi-square ${p})`;
    case 'missing':
      return `${x.subject} missing (null/NaN/wrong type) ${pct(x.reference)} -> ${pct(x.window)} (${p})`;
    case 'out_of_range':
      return `${x.subject} out of range ${pct(x.reference)} -> ${pct(x.window)} (${p})`;
    case 'schema_mismatch':
      return `schema mismatches ${pct(x.reference)} -> ${pct(x.window)} (${p})`;
    case 'agreement_drop':
      return `agreement dropped ${rate(x.reference)} -> ${rate(x.window)} (${p})`;
  }
}

function profiled(p: SegmentData['window']): number {
  // Every profiled request has exactly one cell per feature: any feature's total is the request count.
  let best = 0;
  for (const [f, h] of p.profiles) {
    if (f.startsWith('@')) continue;
    let n = 0;
    for (const v of h.values()) n += v;
    best = Math.max(best, n);
  }
  return best;
}

function rank(c: Classification): number {
  return ['feature_pipeline_problem', 'candidate_regression', 'world_changed', 'insufficient_evidence'].indexOf(c);
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const rate = (x: number): string => x.toFixed(4);
