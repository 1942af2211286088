import type { GateConfig } from './config.ts';
import { ms, pct, rate, usd } from './format-values.ts';
import { labelsCriterion } from './labels.ts';
import { noiseCriteria } from './noise.ts';
import { newcombeDifference, wilson } from './stats.ts';
import type { Criterion, CriterionKind, Result, Totals } from './types.ts';

// The per-scope criteria: the same checks for the whole window and for each sub-window.
// Statistical ones (agreement, error rates) give three answers: pass when the confidence bound is on
// the right side of the threshold, fail when the opposite bound is on the wrong side (evidence the
// candidate is worse), inconclusive in between. Point estimates (latency, cost, join health) pass or fail.

export interface CriteriaContext {
  readonly cfg: GateConfig;
  /** Critical value of the one-sided bounds: normalQuantile(cfg.confidence). */
  readonly z: number;
}

export function scopeCriteria(t: Totals, scope: string, ctx: CriteriaContext): Criterion[] {
  return [
    unmatchedRate(t, scope, ctx),
    schemaMismatchRate(t, scope, ctx),
    ...(t.noise ? noiseCriteria(t.noise, t, scope, ctx) : [agreement(t, scope, ctx)]),
    candidateErrorRate(t, scope, ctx),
    errorRateVsPrimary(t, scope, ctx),
    latencyP99(t, scope, ctx),
    latencyVsPrimary(t, scope, ctx),
    costBudget(t, scope, ctx),
    costVsPrimary(t, scope, ctx),
    ...(t.labels ? [labelsCriterion(t, scope, ctx.cfg)].filter((c): c is Criterion => c !== null) : []),
  ];
}

function criterion(
  id: string, kind: CriterionKind, scope: string, result: Result, note: string,
  v: { measured?: number | null; bound?: Criterion['bound']; threshold?: number | null } = {},
): Criterion {
  return { id, kind, scope, measured: v.measured ?? null, bound: v.bound ?? null, threshold: v.threshold ?? null, result, note };
}

function unmatchedRate(t: Totals, scope: string, { cfg }: CriteriaContext): Criterion {
  const unmatched = t.unmatchedRequests + t.unmatchedPrimaries;
  const denom = t.compared + unmatched;
  const limit = cfg.join.maxUnmatchedRate;
  if (denom === 0) return criterion('unmatched_rate', 'join', scope, 'skipped', 'no join input', { threshold: limit });
  const r = unmatched / denom;
  const ok = r <= limit;
  const note = ok
    ? `unmatched rate ${rate(r)} <= ${rate(limit)}`
    : `unmatched rate ${rate(r)} exceeds ${rate(limit)}: the join is broken, the gate cannot judge`;
  return criterion('unmatched_rate', 'join', scope, ok ? 'pass' : 'fail', note, { measured: r, bound: estimate(r), threshold: limit });
}

function schemaMismatchRate(t: Totals, scope: string, { cfg }: CriteriaContext): Criterion {
  const denom = t.compared + t.unmatchedRequests + t.schemaMismatches;
  const limit = cfg.join.maxSchemaMismatchRate;
  if (denom === 0) return criterion('schema_mismatch_rate', 'join', scope, 'skipped', 'no requests', { threshold: limit });
  const r = t.schemaMismatches / denom;
  const ok = r <= limit;
  const note = ok
    ? `schema mismatch rate ${rate(r)} <= ${rate(limit)}`
    : `schema mismatch rate ${rate(r)} exceeds ${rate(limit)}: requests do not carry the candidate's feature schema, the gate cannot judge`;
  return criterion('schema_mismatch_rate', 'join', scope, ok ? 'pass' : 'fail', note, { measured: r, bound: estimate(r), threshold: limit });
}

function agreement(t: Totals, scope: string, { cfg, z }: CriteriaContext): Criterion {
  const min = cfg.agreement.min;
  if (t.bothOk === 0) return criterion('agreement', 'quality', scope, 'inconclusive', 'no comparison where both models answered', { threshold: min });
  const p = t.agreements / t.bothOk;
  const w = wilson(t.agreements, t.bothOk, z);
  const c = pct(cfg.confidence);
  const bound = { kind: `wilson_${c}`, lower: w.lower, upper: w.upper };
  const v = { measured: p, bound, threshold: min };
  if (w.lower >= min) return criterion('agreement', 'quality', scope, 'pass', `agreement ${rate(p)} (${c} lower bound ${rate(w.lower)}) >= ${rate(min)}`, v);
  if (w.upper < min) return criterion('agreement', 'quality', scope, 'fail', `agreement ${rate(p)} is below ${rate(min)} (${c} upper bound ${rate(w.upper)})`, v);
  return criterion('agreement', 'quality', scope, 'inconclusive', `agreement ${rate(p)} not yet shown >= ${rate(min)} (${c} lower bound ${rate(w.lower)})`, v);
}

function candidateErrorRate(t: Totals, scope: string, { cfg, z }: CriteriaContext): Criterion {
  const max = cfg.errors.maxCandidateRate;
  if (t.compared === 0) return criterion('candidate_error_rate', 'quality', scope, 'inconclusive', 'no comparisons', { threshold: max });
  const p = t.candidateErrors / t.compared;
  const w = wilson(t.candidateErrors, t.compared, z);
  const c = pct(cfg.confidence);
  const v = { measured: p, bound: { kind: `wilson_${c}`, lower: w.lower, upper: w.upper }, threshold: max };
  if (w.upper <= max) return criterion('candidate_error_rate', 'quality', scope, 'pass', `candidate error rate ${rate(p)} (${c} upper bound ${rate(w.upper)}) <= ${rate(max)}`, v);
  if (w.lower > max) return criterion('candidate_error_rate', 'quality', scope, 'fail', `candidate error rate ${rate(p)} exceeds ${rate(max)} (${c} lower bound ${rate(w.lower)})`, v);
  return criterion('candidate_error_rate', 'quality', scope, 'inconclusive', `candidate error rate ${rate(p)} not yet shown <= ${rate(max)} (${c} upper bound ${rate(w.upper)})`, v);
}

function errorRateVsPrimary(t: Totals, scope: string, { cfg, z }: CriteriaContext): Criterion {
  const margin = cfg.errors.maxExcessOverPrimary;
  if (t.compared === 0) return criterion('error_rate_vs_primary', 'quality', scope, 'inconclusive', 'no comparisons', { threshold: margin });
  const d = newcombeDifference(t.candidateErrors, t.compared, t.primaryErrors, t.compared, z);
  const primary = t.primaryErrors / t.compared;
  const c = pct(cfg.confidence);
  const v = { measured: d.estimate, bound: { kind: `newcombe_${c}`, lower: d.lower, upper: d.upper }, threshold: margin };
  const what = `candidate error rate minus primary's (${rate(primary)}) = ${rate(d.estimate)}`;
  if (d.upper <= margin) return criterion('error_rate_vs_primary', 'quality', scope, 'pass', `${what} (${c} upper bound ${rate(d.upper)}) <= ${rate(margin)}`, v);
  if (d.lower > margin) return criterion('error_rate_vs_primary', 'quality', scope, 'fail', `${what} exceeds the margin ${rate(margin)} (${c} lower bound ${rate(d.lower)})`, v);
  return criterion('error_rate_vs_primary', 'quality', scope, 'inconclusive', `${what} not yet shown <= ${rate(margin)} (${c} upper bound ${rate(d.upper)})`, v);
}

// Latency criteria judge the candidate's compute latency only (session.run time of the batch a row was
// in, src/score/timed-run.ts), never the processor's queueing. The judged p99 leaves the scope's slowest
// minute out (src/gate/sql/latency.sql), so one slow minute cannot flip a verdict. Ties pass: a p99 equal
// to the limit is within it.

function latencyP99(t: Totals, scope: string, { cfg }: CriteriaContext): Criterion {
  const max = cfg.latency.maxP99Ms;
  const p99 = t.latency?.computeP99Ms ?? null;
  if (p99 === null) return criterion('latency_p99', 'quality', scope, 'skipped', 'no candidate compute latency recorded (latency_1m)', { threshold: max });
  const ok = p99 <= max;
  const note = `${computeP99Text(t)} ${ok ? '<=' : 'exceeds'} ${ms(max)}`;
  return criterion('latency_p99', 'quality', scope, ok ? 'pass' : 'fail', note, { measured: p99, bound: estimate(p99, 'tdigest_p99'), threshold: max });
}

/**
 * Against the primary's *reported* p99 (primary_latency_ms, as the serving system measured it, which may
 * include its own queueing and network): the candidate's compute p99 must stay within factor x that.
 * This can only favour the candidate, so a failure here is a real one.
 */
function latencyVsPrimary(t: Totals, scope: string, { cfg }: CriteriaContext): Criterion {
  const factor = cfg.latency.maxP99VsPrimary;
  const p99 = t.latency?.computeP99Ms ?? null;
  if (p99 === null || !t.primaryP99Ms) {
    return criterion('latency_p99_vs_primary', 'quality', scope, 'skipped', p99 === null ? 'no candidate compute latency recorded (latency_1m)' : 'no primary latency recorded');
  }
  const limit = t.primaryP99Ms * factor;
  const ok = p99 <= limit;
  const rel = `primary reported p99 ${ms(t.primaryP99Ms)} x ${factor} = ${ms(limit)}`;
  const note = `${computeP99Text(t)} ${ok ? '<=' : 'exceeds'} ${rel}`;
  return criterion('latency_p99_vs_primary', 'quality', scope, ok ? 'pass' : 'fail', note, { measured: p99, bound: estimate(p99, 'tdigest_p99'), threshold: limit });
}

function computeP99Text(t: Totals): string {
  const l = t.latency;
  if (!l || l.computeP99Ms === null) return 'candidate compute p99 -';
  // Named only when leaving it out changed the figure: that is when the rule decided something.
  const left = l.minutes >= 2 && l.slowestMinute !== null && l.slowestMinuteP99Ms !== null && l.computeP99AllMs !== l.computeP99Ms
    ? ` (slowest minute ${l.slowestMinute.slice(0, 16)}Z left out, its p99 ${ms(l.slowestMinuteP99Ms)})`
    : '';
  return `candidate compute p99 ${ms(l.computeP99Ms)}${left}`;
}

function costBudget(t: Totals, scope: string, { cfg }: CriteriaContext): Criterion {
  const budget = cfg.cost.maxPerInferenceUsd;
  if (budget === undefined) return criterion('cost_per_inference', 'quality', scope, 'skipped', 'no budget configured (gate.cost.maxPerInferenceUsd)');
  if (t.candidateScored === 0 || t.candidateCostUsd === 0) {
    return criterion('cost_per_inference', 'quality', scope, 'skipped', 'candidate cost not recorded (set candidate.pricing)', { threshold: budget });
  }
  const c = t.candidateCostUsd / t.candidateScored;
  const ok = c <= budget;
  const note = ok ? `cost per inference ${usd(c)} <= budget ${usd(budget)}` : `cost per inference ${usd(c)} exceeds budget ${usd(budget)}`;
  return criterion('cost_per_inference', 'quality', scope, ok ? 'pass' : 'fail', note, { measured: c, bound: estimate(c), threshold: budget });
}

function costVsPrimary(t: Totals, scope: string, { cfg }: CriteriaContext): Criterion {
  const factor = cfg.cost.maxVsPrimary;
  if (factor === null) return criterion('cost_vs_primary', 'quality', scope, 'skipped', 'not configured (gate.cost.maxVsPrimary)');
  if (t.candidateScored === 0 || t.candidateCostUsd === 0) return criterion('cost_vs_primary', 'quality', scope, 'skipped', 'candidate cost not recorded (set candidate.pricing)');
  if (t.primaryAnswered === 0 || t.primaryCostUsd === 0) return criterion('cost_vs_primary', 'quality', scope, 'skipped', 'primary cost not recorded (set primary.pricing)');
  const c = t.candidateCostUsd / t.candidateScored;
  const limit = (t.primaryCostUsd / t.primaryAnswered) * factor;
  const ok = c <= limit;
  const rel = `primary ${usd(t.primaryCostUsd / t.primaryAnswered)} x ${factor} = ${usd(limit)}`;
  const note = ok ? `cost per inference ${usd(c)} <= ${rel}` : `cost per inference ${usd(c)} exceeds ${rel}`;
  return criterion('cost_vs_primary', 'quality', scope, ok ? 'pass' : 'fail', note, { measured: c, bound: estimate(c), threshold: limit });
}

function estimate(x: number, kind = 'estimate'): Criterion['bound'] {
  return { kind, lower: x, upper: x };
}
