import { newcombeDifference, normalQuantile } from '../gate/stats.ts';
import { chiSquareHomogeneity, mannWhitneyBinned } from './stats.ts';
import type { CanaryCheck, CanaryVerdict, SliceEvidence, VersionSlice } from './types.ts';

// The canary judge: canary and baseline slices of the same minutes, an unpaired test fitted to each
// metric, corrected across segments (Bonferroni), and a notion of evidence. Unlike a fixed threshold
// or a bare rank test (Kayenta's weak spots: spinnaker/kayenta#780, #426), too little traffic never
// passes: a step advances only when the overall error rate is shown to be no worse than the margin
// allows (the upper bound of a Newcombe interval), and a segment aborts only on a significant
// regression larger than the margin.

export interface JudgePolicy {
  /** Canary requests needed overall before anything but HOLD. */
  readonly minCanaryRequests: number;
  /** Canary requests a segment needs to be judged at all. */
  readonly minSegmentRequests: number;
  /** Largest acceptable increase of the error rate (absolute, e.g. 0.005 = half a point). */
  readonly maxErrorRateIncrease: number;
  /** Largest acceptable drop of label accuracy (absolute). */
  readonly maxAccuracyDrop: number;
  /** Vargha-Delaney effect above which a significant latency shift aborts (0.56 = small effect). */
  readonly latencyEffect: number;
  /** Total variation distance above which a significant score shift holds. */
  readonly scoreDistance: number;
  /** Family-wise error rate per metric across slices. */
  readonly alpha: number;
}

export const DEFAULT_JUDGE_POLICY: JudgePolicy = {
  minCanaryRequests: 500,
  minSegmentRequests: 100,
  maxErrorRateIncrease: 0.005,
  maxAccuracyDrop: 0.01,
  latencyEffect: 0.56,
  scoreDistance: 0.1,
  alpha: 0.05,
};

export function judgeCanary(slices: readonly SliceEvidence[], policy: JudgePolicy = DEFAULT_JUDGE_POLICY): CanaryVerdict {
  const overall = slices.find((s) => s.dimension === '__all__');
  const checks: CanaryCheck[] = [];
  const aborts: string[] = [];
  const holds: string[] = [];
  if (!overall || overall.canary.answered < policy.minCanaryRequests || overall.baseline.answered < policy.minCanaryRequests) {
    const n = overall?.canary.answered ?? 0;
    const b = overall?.baseline.answered ?? 0;
    checks.push({ metric: 'evidence', scope: 'overall', result: 'insufficient', detail: `canary ${n}, baseline ${b} requests; need ${policy.minCanaryRequests} each` });
    return {
      decision: 'HOLD',
      reasons: [`overall: ${n} canary and ${b} baseline requests, need ${policy.minCanaryRequests} each; wait for traffic or raise the canary weight's step duration`],
      checks,
    };
  }
  const judged = slices.filter((s) => s.dimension === '__all__' || (s.canary.answered >= policy.minSegmentRequests && s.baseline.answered >= policy.minSegmentRequests));
  for (const s of slices) {
    if (!judged.includes(s)) checks.push({ metric: 'evidence', scope: scope(s), result: 'insufficient', detail: `canary ${s.canary.answered}, baseline ${s.baseline.answered} requests; need ${policy.minSegmentRequests} each` });
  }
  // Bonferroni across the judged slices: each interval at 1 - alpha / m (one-sided bounds).
  const z = normalQuantile(1 - policy.alpha / Math.max(1, judged.length));
  // Non-inferiority overall is one test: its one-sided bound needs no correction.
  const zOne = normalQuantile(1 - policy.alpha);

  for (const s of judged) {
    const where = scope(s);
    const err = newcombeDifference(s.canary.errors, s.canary.answered, s.baseline.errors, s.baseline.answered, z);
    const rates = `error rate ${fmtPct(rate(s.canary.errors, s.canary.answered))} vs baseline ${fmtPct(rate(s.baseline.errors, s.baseline.answered))} (n=${s.canary.answered}/${s.baseline.answered}), difference ${signedPct(err.estimate)} [${signedPct(err.lower)}, ${signedPct(err.upper)}]`;
    if (err.lower > policy.maxErrorRateIncrease) {
      checks.push({ metric: 'error_rate', scope: where, result: 'abort', detail: rates });
      const focus = s === overall ? worstSegment(slices) : null;
      aborts.push(`${where}: ${rates} exceeds the allowed +${fmtPct(policy.maxErrorRateIncrease)}; canary regression: abort (weight 0) and investigate ${focus ?? where}`);
    } else if (s === overall && newcombeDifference(s.canary.errors, s.canary.answered, s.baseline.errors, s.baseline.answered, zOne).upper > policy.maxErrorRateIncrease) {
      const one = newcombeDifference(s.canary.errors, s.canary.answered, s.baseline.errors, s.baseline.answered, zOne);
      const text = `error rate ${fmtPct(rate(s.canary.errors, s.canary.answered))} vs baseline ${fmtPct(rate(s.baseline.errors, s.baseline.answered))} (n=${s.canary.answered}/${s.baseline.answered}), difference ${signedPct(one.estimate)}, upper bound ${signedPct(one.upper)}`;
      checks.push({ metric: 'error_rate', scope: where, result: 'hold', detail: text });
      holds.push(`${where}: ${text}; not yet shown within +${fmtPct(policy.maxErrorRateIncrease)} (one-sided ${Math.round((1 - policy.alpha) * 100)}%): wait for more traffic at this weight`);
    } else {
      checks.push({ metric: 'error_rate', scope: where, result: 'pass', detail: rates });
    }

    if (s.canary.labeled > 0 && s.baseline.labeled > 0) {
      const acc = newcombeDifference(s.baseline.correct, s.baseline.labeled, s.canary.correct, s.canary.labeled, z);
      const text = `accuracy ${fmtPct(rate(s.canary.correct, s.canary.labeled))} vs baseline ${fmtPct(rate(s.baseline.correct, s.baseline.labeled))} (labels ${s.canary.labeled}/${s.baseline.labeled}), drop ${signedPct(acc.estimate)} [${signedPct(acc.lower)}, ${signedPct(acc.upper)}]`;
      const worse = acc.lower > policy.maxAccuracyDrop;
      checks.push({ metric: 'accuracy', scope: where, result: worse ? 'abort' : 'pass', detail: text });
      if (worse) aborts.push(`${where}: ${text}; the canary is less accurate: abort (weight 0)`);
    }

    const lat = mannWhitneyBinned(s.canary.latencyBins, s.baseline.latencyBins);
    const latText = `latency P(canary slower) ${lat.effect.toFixed(3)}, Mann-Whitney p=${fmtP(lat.pGreater)}`;
    const slower = lat.pGreater < policy.alpha / judged.length && lat.effect >= policy.latencyEffect;
    checks.push({ metric: 'latency', scope: where, result: slower ? 'abort' : 'pass', detail: latText });
    if (slower) aborts.push(`${where}: ${latText} (threshold ${policy.latencyEffect}); the canary is slower: abort (weight 0)`);

    const sc = chiSquareHomogeneity(s.canary.scoreBins, s.baseline.scoreBins);
    if (sc.df > 0) {
      const scText = `score distribution distance ${sc.distance.toFixed(3)}, chi-square p=${fmtP(sc.p)}`;
      const shifted = sc.p < policy.alpha / judged.length && sc.distance > policy.scoreDistance;
      checks.push({ metric: 'scores', scope: where, result: shifted ? 'hold' : 'pass', detail: scText });
      if (shifted) holds.push(`${where}: ${scText}; the canary answers differently: check the segment before ramping further`);
    }
  }
  if (aborts.length > 0) return { decision: 'ABORT', reasons: aborts, checks };
  if (holds.length > 0) return { decision: 'HOLD', reasons: holds, checks };
  return { decision: 'PROMOTE-STEP', reasons: [], checks };
}

/**
 * Where an overall regression comes from before any single segment is significant: the segment with
 * the largest increase of the error rate, by point estimate, with its figures.
 */
function worstSegment(slices: readonly SliceEvidence[]): string | null {
  let best: { s: SliceEvidence; d: number } | null = null;
  for (const s of slices) {
    if (s.dimension === '__all__' || s.canary.answered === 0 || s.baseline.answered === 0) continue;
    const d = rate(s.canary.errors, s.canary.answered) - rate(s.baseline.errors, s.baseline.answered);
    if (!best || d > best.d) best = { s, d };
  }
  if (!best || best.d <= 0) return null;
  const b = best.s;
  return `${scope(b)} first (error rate ${fmtPct(rate(b.canary.errors, b.canary.answered))} vs ${fmtPct(rate(b.baseline.errors, b.baseline.answered))}, n=${b.canary.answered}/${b.baseline.answered}, the largest increase of any segment)`;
}

function scope(s: SliceEvidence): string {
  return s.dimension === '__all__' ? 'overall' : `${s.dimension}=${s.value}`;
}

function rate(x: number, n: number): number {
  return n > 0 ? x / n : 0;
}

function fmtPct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

function signedPct(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}pt`;
}

function fmtP(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

/** An empty slice, for a version with no traffic in a segment. */
export function emptySlice(): VersionSlice {
  return { answered: 0, errors: 0, latencyBins: [], scoreBins: [], labeled: 0, correct: 0 };
}
