import type { GateConfig } from './config.ts';
import { pct, pct1, pval, rate } from './format-values.ts';
import { benjaminiHochberg, bonferroni, pValueBelow, wilson } from './stats.ts';
import { excessOf, excessPValue, excessText } from './noise.ts';
import type { Criterion, SegmentFinding, SegmentTotals } from './types.ts';

// Per-segment agreement. Each segment value with enough comparisons is tested for being *below* the
// agreement floor (one-sided score test); the p-values are corrected for the number of values tested,
// so one noisy small segment among hundreds does not reject a good model by chance. A segment blocks
// promotion only on evidence that it is worse; the overall bound carries the burden of showing good.

export interface SegmentOutcome {
  readonly criteria: Criterion[];
  readonly findings: SegmentFinding[];
  readonly tested: number;
  readonly insufficient: SegmentFinding[];
  readonly failed: number;
  readonly alpha: number;
}

export function evaluateSegments(segments: readonly SegmentTotals[], cfg: GateConfig, z: number): SegmentOutcome {
  const min = cfg.agreement.min;
  const alpha = 1 - cfg.confidence;
  const sc = cfg.segments;
  const eligible = segments.filter((s) => s.compared >= sc.minComparisons);
  const insufficient: SegmentFinding[] = segments
    .filter((s) => s.compared < sc.minComparisons)
    .map((s) => finding(s, z, null, null, 'insufficient'));
  // Where the primary was re-scored in a segment value, it is tested on excess disagreement over its noise
  // floor; elsewhere on plain agreement. One family of tests, one correction.
  const maxExcess = cfg.noise.maxExcessDisagreement;
  const viaNoise = (s: SegmentTotals): boolean => (s.noise?.paired ?? 0) >= sc.minComparisons;
  const raw = eligible.map((s) => (viaNoise(s) ? excessPValue(s.noise!, maxExcess) : pValueBelow(s.agreements, s.bothOk, min)));
  const adjusted = sc.correction === 'benjamini-hochberg' ? benjaminiHochberg(raw) : sc.correction === 'bonferroni' ? bonferroni(raw) : raw;
  const findings = eligible.map((s, i) => {
    const adj = adjusted[i] as number;
    return finding(s, z, raw[i] as number, adj, adj < alpha ? 'fail' : 'pass', viaNoise(s));
  });
  const failedFindings = findings.filter((f) => f.result === 'fail');
  const c = pct(cfg.confidence);
  const significance = (f: SegmentFinding) =>
    sc.correction === 'none' ? `p ${pval(f.pValue ?? 0)} < ${pval(alpha)}, no correction` : `${sc.correction} adjusted p ${pval(f.adjustedPValue ?? 0)} < ${pval(alpha)}`;
  const criteria: Criterion[] = failedFindings.map((f) =>
    f.excess
      ? {
          id: 'segment_excess_disagreement',
          kind: 'quality',
          scope: `segment ${f.dimension}=${f.value}`,
          measured: f.excess.excess,
          bound: { kind: `newcombe_paired_${c}`, lower: f.excess.lower, upper: f.excess.upper },
          threshold: maxExcess,
          result: 'fail',
          note: `${excessText(f.excess)} exceeds ${pct1(maxExcess)} (${significance(f)}; ${c} lower bound ${pct1(f.excess.lower)}, n=${f.compared})`,
        }
      : {
          id: 'segment_agreement',
          kind: 'quality',
          scope: `segment ${f.dimension}=${f.value}`,
          measured: f.agreement,
          bound: { kind: `wilson_${c}`, lower: f.lower, upper: f.upper },
          threshold: min,
          result: 'fail',
          note: `agreement ${rate(f.agreement ?? 0)} is below ${rate(min)} (${significance(f)}; ${c} upper bound ${rate(f.upper ?? 0)})`,
        },
  );
  if (failedFindings.length === 0) {
    criteria.push({
      id: 'segment_agreement', kind: 'quality', scope: 'segments', measured: null, bound: null, threshold: min,
      result: eligible.length ? 'pass' : 'skipped',
      note: eligible.length
        ? `${eligible.length} segment value(s) tested (${sc.correction}), none significantly below ${rate(min)}${
            eligible.some(viaNoise) ? ` agreement or above ${pct1(maxExcess)} excess disagreement over the noise floor` : ''
          }`
        : 'no segment value with enough comparisons to test',
    });
  }
  if (insufficient.length) {
    const blocks = sc.insufficient === 'hold';
    criteria.push({
      id: 'segment_evidence', kind: 'coverage', scope: 'segments', measured: insufficient.length, bound: null, threshold: sc.minComparisons,
      result: blocks ? 'fail' : 'skipped',
      note: `${insufficient.length} segment value(s) have fewer than ${sc.minComparisons} comparisons: ${insufficient.slice(0, 5).map((f) => `${f.dimension}=${f.value} (${f.compared})`).join(', ')}${insufficient.length > 5 ? ', ...' : ''}${blocks ? '' : ' (reported, not blocking)'}`,
    });
  }
  const worst = [...findings].sort((a, b) => (a.pValue ?? 1) - (b.pValue ?? 1) || (a.agreement ?? 1) - (b.agreement ?? 1));
  return { criteria, findings: worst, tested: eligible.length, insufficient, failed: failedFindings.length, alpha };
}

function finding(s: SegmentTotals, z: number, p: number | null, adj: number | null, result: SegmentFinding['result'], noise = false): SegmentFinding {
  const w = s.bothOk > 0 ? wilson(s.agreements, s.bothOk, z) : null;
  return {
    ...(noise && s.noise ? { excess: excessOf(s.noise, z) } : {}),
    dimension: s.dimension,
    value: s.value,
    compared: s.compared,
    agreement: s.bothOk > 0 ? s.agreements / s.bothOk : null,
    lower: w?.lower ?? null,
    upper: w?.upper ?? null,
    pValue: p,
    adjustedPValue: adj,
    result,
  };
}
