import type { GateConfig } from './config.ts';
import { pct, pct1, rate } from './format-values.ts';
import { newcombePairedDifference, pValueExcessAbove, wilson, type PairedTable } from './stats.ts';
import type { Criterion, NoiseCounts, Totals } from './types.ts';

// The noise floor (issue 13). Where the primary's own artifact was re-scored on the mirrored features,
// plain agreement is not judged: a primary that disagrees with its own logs 6 % of the time caps any
// candidate's agreement at 94 %. Instead:
// - primary_reproduction (coverage): how often the re-scored primary reproduces its logged answer. Below
//   noise.minReproduction the mirror, the features or the artifact do not match production: HOLD.
// - excess_disagreement (quality): candidate disagreement minus the re-scored primary's, on the same
//   rows (paired), with Newcombe's paired interval; judged against noise.maxExcessDisagreement.

export interface NoiseContext {
  readonly cfg: GateConfig;
  readonly z: number;
}

/** "Disagrees with the logged primary" as a paired table: first = candidate, second = re-scored primary. */
export function disagreementTable(n: NoiseCounts): PairedTable {
  return { both: n.neitherAgree, firstOnly: n.reproducedOnlyAgree, secondOnly: n.candidateOnlyAgree, neither: n.bothAgree };
}

export interface ExcessFigures {
  readonly candidateDisagreement: number;
  readonly noiseFloor: number;
  readonly excess: number;
  readonly lower: number;
  readonly upper: number;
}

export function excessOf(n: NoiseCounts, z: number): ExcessFigures {
  const d = newcombePairedDifference(disagreementTable(n), z);
  return {
    candidateDisagreement: (n.reproducedOnlyAgree + n.neitherAgree) / n.paired,
    noiseFloor: (n.candidateOnlyAgree + n.neitherAgree) / n.paired,
    excess: d.estimate,
    lower: d.lower,
    upper: d.upper,
  };
}

/** One-sided p-value of "excess disagreement above the margin" (for segment tests and their correction). */
export function excessPValue(n: NoiseCounts, margin: number): number {
  return pValueExcessAbove(disagreementTable(n), margin);
}

/** "disagreement 30.4% vs noise floor 1.2%" */
export function excessText(e: ExcessFigures): string {
  return `disagreement ${pct1(e.candidateDisagreement)} vs noise floor ${pct1(e.noiseFloor)}: excess ${pct1(e.excess)}`;
}

export function noiseCriteria(n: NoiseCounts, t: Totals, scope: string, ctx: NoiseContext): Criterion[] {
  return [reproduction(n, scope, ctx), excessDisagreement(n, t, scope, ctx)];
}

function reproduction(n: NoiseCounts, scope: string, { cfg, z }: NoiseContext): Criterion {
  const min = cfg.noise.minReproduction;
  const ok = n.bothAgree + n.reproducedOnlyAgree;
  const p = ok / n.paired;
  const w = wilson(ok, n.paired, z);
  const c = pct(cfg.confidence);
  const base = { id: 'primary_reproduction', kind: 'coverage' as const, scope, measured: p, bound: { kind: `wilson_${c}`, lower: w.lower, upper: w.upper }, threshold: min };
  if (w.lower >= min) return { ...base, result: 'pass', note: `primary reproduces ${pct1(p)} of its logged labels on mirrored traffic (${c} lower bound ${pct1(w.lower)}) >= ${pct1(min)}` };
  if (w.upper < min) {
    return { ...base, result: 'fail', note: `primary reproduces only ${pct1(p)} of its logged labels on mirrored traffic (${c} upper bound ${pct1(w.upper)} < ${pct1(min)}): the comparison is mostly noise` };
  }
  return { ...base, result: 'inconclusive', note: `primary reproduces ${pct1(p)} of its logged labels, not yet shown >= ${pct1(min)} (${c} lower bound ${pct1(w.lower)})` };
}

function excessDisagreement(n: NoiseCounts, t: Totals, scope: string, { cfg, z }: NoiseContext): Criterion {
  const max = cfg.noise.maxExcessDisagreement;
  const e = excessOf(n, z);
  const c = pct(cfg.confidence);
  const base = {
    id: 'excess_disagreement', kind: 'quality' as const, scope, measured: e.excess,
    bound: { kind: `newcombe_paired_${c}`, lower: e.lower, upper: e.upper }, threshold: max,
  };
  // The plain agreement stays visible in the note: it is what the user saw before the floor.
  const agreement = t.bothOk > 0 ? ` (plain agreement ${rate(t.agreements / t.bothOk)}, not judged)` : '';
  if (e.upper <= max) return { ...base, result: 'pass', note: `${excessText(e)} (${c} upper bound ${pct1(e.upper)}) <= ${pct1(max)}${agreement}` };
  if (e.lower > max) return { ...base, result: 'fail', note: `${excessText(e)} exceeds ${pct1(max)} (${c} lower bound ${pct1(e.lower)})${agreement}` };
  return { ...base, result: 'inconclusive', note: `${excessText(e)} not yet shown <= ${pct1(max)} (${c} upper bound ${pct1(e.upper)})${agreement}` };
}

