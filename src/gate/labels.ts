import type { GateConfig } from './config.ts';
import { pct1, pval, rate } from './format-values.ts';
import { benjaminiHochberg, bonferroni, mcnemarExact } from './stats.ts';
import type { Criterion, LabelCounts, SegmentTotals, Totals } from './types.ts';

// Late ground-truth labels (issue 13). Agreement says "different"; labels say "better" or "worse".
// On the labelled requests of a scope, the paired 2x2 table of correct answers is tested with McNemar's
// exact test on the discordant pairs (src/gate/stats.ts mcnemarExact), margin labels.maxAccuracyDrop:
//   pass          non-inferiority shown (p < alpha): the candidate is at most `margin` less accurate
//   fail (REJECT) inferiority shown: the candidate is less accurate by more than the margin
//   inconclusive  neither yet (HOLD)
// Segment values: the inferiority p-values are corrected like the agreement tests (gate.segments.correction).

export interface LabelVerdict {
  readonly primaryAccuracy: number;
  readonly candidateAccuracy: number;
  readonly nonInferiority: number;
  readonly inferiority: number;
  readonly superiority: number;
}

export function labelVerdict(l: LabelCounts, margin: number): LabelVerdict {
  const m = mcnemarExact(l.onlyPrimaryRight, l.onlyCandidateRight, l.labelled, margin);
  return {
    primaryAccuracy: (l.bothRight + l.onlyPrimaryRight) / l.labelled,
    candidateAccuracy: (l.bothRight + l.onlyCandidateRight) / l.labelled,
    nonInferiority: m.nonInferiority,
    inferiority: m.inferiority,
    superiority: m.superiority,
  };
}

/** "labels (n=812): candidate accuracy 0.9100 vs primary 0.9300" */
export function labelsText(l: LabelCounts, v: LabelVerdict): string {
  return `labels (n=${l.labelled}): candidate accuracy ${rate(v.candidateAccuracy)} vs primary ${rate(v.primaryAccuracy)}`;
}

export function labelsCriterion(t: Totals, scope: string, cfg: GateConfig): Criterion | null {
  const l = t.labels;
  if (!l) return null;
  const margin = cfg.labels.maxAccuracyDrop;
  const alpha = 1 - cfg.confidence;
  const base = { id: 'labels', kind: 'quality' as const, scope, threshold: margin };
  if (l.labelled < cfg.labels.minLabels) {
    return { ...base, measured: null, bound: null, result: 'skipped', note: `${l.labelled} labelled requests, fewer than gate.labels.minLabels (${cfg.labels.minLabels}): not judged` };
  }
  const v = labelVerdict(l, margin);
  const measured = v.candidateAccuracy - v.primaryAccuracy;
  const what = labelsText(l, v);
  const withBound = { ...base, measured, bound: { kind: 'mcnemar_exact', lower: null, upper: null } };
  if (v.inferiority < alpha) {
    return { ...withBound, result: 'fail', note: `${what}, McNemar p=${pval(v.inferiority)}: less accurate by more than ${pct1(margin)}` };
  }
  if (v.nonInferiority < alpha) {
    const better = v.superiority < alpha ? `; candidate better on labels (McNemar p=${pval(v.superiority)})` : '';
    return { ...withBound, result: 'pass', note: `${what}: not worse by more than ${pct1(margin)} (McNemar non-inferiority p=${pval(v.nonInferiority)})${better}` };
  }
  return { ...withBound, result: 'inconclusive', note: `${what}: not yet shown within ${pct1(margin)} (McNemar non-inferiority p=${pval(v.nonInferiority)})` };
}

/** Segment values with at least minLabels labels: REJECT those shown less accurate, after correction. */
export function segmentLabelCriteria(segments: readonly SegmentTotals[], cfg: GateConfig): Criterion[] {
  const margin = cfg.labels.maxAccuracyDrop;
  const alpha = 1 - cfg.confidence;
  const tested = segments.filter((s) => (s.labels?.labelled ?? 0) >= cfg.labels.minLabels);
  const verdicts = tested.map((s) => labelVerdict(s.labels!, margin));
  const raw = verdicts.map((v) => v.inferiority);
  const c = cfg.segments.correction;
  const adjusted = c === 'benjamini-hochberg' ? benjaminiHochberg(raw) : c === 'bonferroni' ? bonferroni(raw) : raw;
  const out: Criterion[] = [];
  tested.forEach((s, i) => {
    const adj = adjusted[i] as number;
    if (adj >= alpha) return;
    const v = verdicts[i]!;
    out.push({
      id: 'segment_labels', kind: 'quality', scope: `segment ${s.dimension}=${s.value}`,
      measured: v.candidateAccuracy - v.primaryAccuracy, bound: { kind: 'mcnemar_exact', lower: null, upper: null }, threshold: margin,
      result: 'fail',
      note: `${labelsText(s.labels!, v)}, McNemar p=${pval(raw[i] as number)}${c === 'none' ? '' : ` (${c} adjusted ${pval(adj)})`}: less accurate by more than ${pct1(margin)}`,
    });
  });
  return out;
}

const AGREEMENT_IDS = new Set(['agreement', 'excess_disagreement', 'segment_agreement', 'segment_excess_disagreement']);

/**
 * "Diagnose before reverting": when labels show the candidate significantly more accurate over the window,
 * agreement failures are the candidate being right. With labels.overrideAgreement they pass (noted);
 * without, they HOLD (coverage) with that explanation instead of rejecting.
 */
export function applyLabelOverride(criteria: readonly Criterion[], cfg: GateConfig): Criterion[] {
  const better = criteria.find((c) => c.id === 'labels' && c.scope === 'window' && c.result === 'pass' && c.note.includes('candidate better on labels'));
  if (!better) return [...criteria];
  const evidence = better.note;
  return criteria.map((c) => {
    if (!AGREEMENT_IDS.has(c.id) || c.result !== 'fail') return c;
    return cfg.labels.overrideAgreement
      ? { ...c, result: 'pass', note: `${c.note}; overridden by labels (gate.labels.overrideAgreement): ${evidence}` }
      : { ...c, kind: 'coverage', note: `${c.note}, but ${evidence}` };
  });
}
