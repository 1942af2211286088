import { binomialUpperTail, newcombeDifference, normalQuantile, wilson } from '../gate/stats.ts';
import { chiSquareHomogeneity, mannWhitneyBinned } from './stats.ts';
import type { CanaryConfig } from './config.ts';
import type { CanaryCheck, CanaryVerdict, SliceEvidence, VersionSlice } from './types.ts';

// The canary judge: canary and baseline slices of the same time buckets, an unpaired test fitted to each
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
  /**
   * False-abort budget of a whole rollout: split over the ramp's steps, the evidence bands of a step
   * (abortAlpha), the metrics that can abort and the slices (Bonferroni). HOLD checks use it per slice.
   */
  readonly alpha: number;
  /** Steps of the ramp: the abort checks' alpha is split over them (abortAlpha). Default 1: a single judgement. */
  readonly steps?: number;
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

/** The judge's policy from the config's `canary:` section and the step's own evidence requirement. */
export function judgePolicy(config: CanaryConfig, minCanaryRequests: number): JudgePolicy {
  return { ...config, minCanaryRequests };
}

export interface JudgeOptions {
  /**
   * false: this judgement may HOLD or pass but not abort (the controller looks for aborts once per evidence
   * band, see abortAlpha). Default true: a single judgement.
   */
  readonly checkAborts?: boolean;
}

export function judgeCanary(slices: readonly SliceEvidence[], policy: JudgePolicy = DEFAULT_JUDGE_POLICY, opts: JudgeOptions = {}): CanaryVerdict {
  const looking = opts.checkAborts ?? true;
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
  // Bonferroni across the judged slices, on the alpha this look may spend: each bound at 1 - a / m (one-sided).
  // Split over the metrics that can abort (error rate, latency, and accuracy where labels exist), so
  // alpha bounds a rollout's false aborts as a whole, not per metric.
  const abortMetrics = overall.canary.labeled > 0 && overall.baseline.labeled > 0 ? 3 : 2;
  const spend = abortAlpha(policy, overall.canary.answered) / abortMetrics;
  const z = normalQuantile(1 - spend / Math.max(1, judged.length));
  // Non-inferiority overall is one test: its one-sided bound needs no correction.
  const zOne = normalQuantile(1 - policy.alpha);

  for (const s of judged) {
    const where = scope(s);
    const err = newcombeDifference(s.canary.errors, s.canary.answered, s.baseline.errors, s.baseline.answered, z);
    const rates = `error rate ${fmtPct(rate(s.canary.errors, s.canary.answered))} vs baseline ${fmtPct(rate(s.baseline.errors, s.baseline.answered))} (n=${s.canary.answered}/${s.baseline.answered}), difference ${signedPct(err.estimate)} [${signedPct(err.lower)}, ${signedPct(err.upper)}]`;
    if (looking && err.lower > policy.maxErrorRateIncrease && exactlyWorse(s.canary, s.baseline, z, spend / Math.max(1, judged.length), policy.maxErrorRateIncrease)) {
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
      const worse = looking && acc.lower > policy.maxAccuracyDrop;
      checks.push({ metric: 'accuracy', scope: where, result: worse ? 'abort' : 'pass', detail: text });
      if (worse) aborts.push(`${where}: ${text}; the canary is less accurate: abort (weight 0)`);
    }

    const lat = mannWhitneyBinned(s.canary.latencyBins, s.baseline.latencyBins);
    const latText = `latency P(canary slower) ${lat.effect.toFixed(3)}, Mann-Whitney p=${fmtP(lat.pGreater)}`;
    const slower = looking && lat.pGreater < spend / judged.length && lat.effect >= policy.latencyEffect;
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
 * The evidence band of a step: 0 below the step's minimum of canary requests, then k for the canary's
 * requests in [2^(k-1), 2^k) times the minimum. The controller looks for aborts once per band.
 */
export function evidenceBand(canaryRequests: number, minCanaryRequests: number): number {
  const m = Math.max(1, minCanaryRequests);
  return canaryRequests < m ? 0 : 1 + Math.floor(Math.log2(canaryRequests / m));
}

/**
 * The alpha an abort may spend at this look. The controller judges at every poll on the step's growing
 * evidence, and every look is one more chance to abort an equal canary: with the whole alpha at every
 * poll, half of the equal rollouts aborted somewhere (scripts/canary-false-abort.ts, 20 seeds). So
 * aborts are looked for once per evidence band (evidenceBand: each look has twice the evidence of the
 * last), alpha is split evenly over the ramp's steps, and band k spends alpha / (k (k + 1)), which sums
 * to the step's share over any number of bands: a Bonferroni bound over all the looks of a rollout.
 */
export function abortAlpha(policy: JudgePolicy, canaryRequests: number): number {
  const band = Math.max(1, evidenceBand(canaryRequests, policy.minCanaryRequests));
  return policy.alpha / (Math.max(1, policy.steps ?? 1) * band * (band + 1));
}

/**
 * The Newcombe bound alone is anti-conservative for few errors at a corrected confidence: a Wilson bound
 * at z ~ 3.9 on 6 errors in 129 excludes a true 1% far more often than its nominal 1e-4 (Poisson tail
 * P(X >= 6 | 1.29) ~ 2e-3), which made equal canaries abort on one sparse segment
 * (scripts/canary-false-abort.ts). So an abort must also pass an exact check: the canary's errors are
 * improbable (binomial upper tail below the same alpha) even if its true rate were the baseline's upper
 * bound plus the margin.
 */
function exactlyWorse(canary: VersionSlice, baseline: VersionSlice, z: number, alpha: number, margin: number): boolean {
  const ceiling = Math.min(1, wilson(baseline.errors, baseline.answered, z).upper + margin);
  return binomialUpperTail(canary.errors, canary.answered, ceiling) < alpha;
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
