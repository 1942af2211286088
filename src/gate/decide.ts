import { actionFor, reasonOf } from './actions.ts';
import { applyLabelOverride, segmentLabelCriteria } from './labels.ts';
import { durationSeconds, type GateConfig } from './config.ts';
import { scopeCriteria, type CriteriaContext } from './criteria.ts';
import { minuteUtc } from './format-values.ts';
import { evaluateSegments } from './segments.ts';
import { normalQuantile } from './stats.ts';
import { EMPTY_TOTALS, type Criterion, type Decision, type GateEvaluation, type GateInput, type Result, type SubWindowSummary, type Totals } from './types.ts';

// The decision, from the fetched totals and the thresholds only (no I/O, no clock), in this order:
//  1. the join is broken (unmatched or schema-mismatch rate over its limit)  -> HOLD: cannot judge
//  2. too few comparisons over the window                                   -> HOLD: cannot judge
//  3. any evidence the candidate is worse (window, a sub-window, a segment) -> REJECT
//  4. the window is not covered, or a bound is not yet on the right side    -> HOLD
//  5. otherwise                                                             -> PROMOTE
// Reasons are the sentences of the criteria that decided: `scope: figure → what to do next`.

export function evaluateGate(input: GateInput, cfg: GateConfig): GateEvaluation {
  const ctx: CriteriaContext = { cfg, z: normalQuantile(cfg.confidence) };
  const windowCriteria = [minComparisons(input.overall, cfg), ...edgeCoverage(input, cfg), ...scopeCriteria(input.overall, 'window', ctx)];
  const { criteria: subCriteria, summaries } = evaluateSubWindows(input, ctx);
  const seg = evaluateSegments(input.segments, cfg, ctx.z);
  const judged = applyLabelOverride([...windowCriteria, ...subCriteria, ...seg.criteria, ...segmentLabelCriteria(input.segments, cfg)], cfg);
  const criteria = judged.map((c) => ({ ...c, action: actionFor(c, cfg) }));
  const { decision, decisive } = decide(criteria);
  return {
    decision,
    reasons: decisive.length ? decisive.map(reasonOf) : ['every criterion passed'],
    criteria,
    subWindows: summaries,
    segments: {
      correction: cfg.segments.correction,
      alpha: seg.alpha,
      tested: seg.tested,
      insufficient: seg.insufficient.length,
      failed: seg.failed,
      worst: seg.findings.slice(0, cfg.segments.worst),
    },
  };
}

function decide(criteria: readonly Criterion[]): { decision: Decision; decisive: Criterion[] } {
  const failing = (kind: Criterion['kind']) => criteria.filter((c) => c.kind === kind && c.result === 'fail');
  const join = failing('join');
  if (join.length) return { decision: 'HOLD', decisive: join };
  const evidence = failing('evidence');
  if (evidence.length) return { decision: 'HOLD', decisive: evidence };
  const worse = failing('quality');
  if (worse.length) return { decision: 'REJECT', decisive: worse };
  const open = criteria.filter((c) => (c.kind === 'coverage' && c.result === 'fail') || c.result === 'inconclusive');
  if (open.length) return { decision: 'HOLD', decisive: open };
  return { decision: 'PROMOTE', decisive: [] };
}

function minComparisons(t: Totals, cfg: GateConfig): Criterion {
  const need = cfg.evidence.minComparisons;
  const ok = t.compared >= need;
  return {
    id: 'min_comparisons', kind: 'evidence', scope: 'window', measured: t.compared, bound: null, threshold: need,
    result: ok ? 'pass' : 'fail',
    note: ok ? `${t.compared} comparisons >= ${need}` : `too little data: ${t.compared} comparisons, need ${need}`,
  };
}

/** Data must reach both ends of the window: a candidate that began shadowing yesterday has no 7-day record. */
function edgeCoverage(input: GateInput, cfg: GateConfig): Criterion[] {
  const gapMs = cfg.coverage.maxEdgeGapMinutes * 60_000;
  const { start, end } = input.window;
  const first = parseMinute(input.overall.firstMinute);
  const last = parseMinute(input.overall.lastMinute);
  const allowed = `allowed gap ${cfg.coverage.maxEdgeGapMinutes} min`;
  if (!first || !last) {
    return [{ id: 'window_coverage', kind: 'coverage', scope: 'window', measured: null, bound: null, threshold: cfg.coverage.maxEdgeGapMinutes, result: 'fail', note: `no data between ${minuteUtc(start)} and ${minuteUtc(end)}` }];
  }
  const startGap = first.getTime() - start.getTime();
  // A row stamped with minute m holds data up to m + 1 min.
  const endGap = end.getTime() - (last.getTime() + 60_000);
  return [
    {
      id: 'window_coverage', kind: 'coverage', scope: 'window start', measured: startGap / 60_000, bound: null, threshold: cfg.coverage.maxEdgeGapMinutes,
      result: startGap <= gapMs ? 'pass' : 'fail',
      note: startGap <= gapMs
        ? `data from ${minuteUtc(first)} (${allowed})`
        : `no data before ${minuteUtc(first)}; the window starts ${minuteUtc(start)} (${allowed})`,
    },
    {
      id: 'window_coverage', kind: 'coverage', scope: 'window end', measured: endGap / 60_000, bound: null, threshold: cfg.coverage.maxEdgeGapMinutes,
      result: endGap <= gapMs ? 'pass' : 'fail',
      note: endGap <= gapMs
        ? `data until ${minuteUtc(new Date(last.getTime() + 60_000))} (${allowed})`
        : `no data after ${minuteUtc(new Date(last.getTime() + 60_000))}; the window ends ${minuteUtc(end)} (${allowed})`,
    },
  ];
}

function evaluateSubWindows(input: GateInput, ctx: CriteriaContext): { criteria: Criterion[]; summaries: SubWindowSummary[] } {
  const { start, end, subWindowSeconds } = input.window;
  const count = Math.round((end.getTime() - start.getTime()) / (subWindowSeconds * 1000));
  const byIndex = new Map(input.subWindows.map((s) => [s.index, s]));
  const need = ctx.cfg.evidence.minPerSubWindow;
  const criteria: Criterion[] = [];
  const summaries: SubWindowSummary[] = [];
  for (let i = 0; i < count; i++) {
    const from = new Date(start.getTime() + i * subWindowSeconds * 1000);
    const to = new Date(from.getTime() + subWindowSeconds * 1000);
    const scope = `sub-window ${i + 1}/${count} (${minuteUtc(from)})`;
    const t = byIndex.get(i) ?? EMPTY_TOTALS;
    const own: Criterion[] = [];
    const covered = t.compared >= need;
    own.push({
      id: 'sub_window_coverage', kind: 'coverage', scope, measured: t.compared, bound: null, threshold: need,
      result: covered ? 'pass' : 'fail',
      note: covered ? `${t.compared} comparisons >= ${need}` : `${t.compared} comparisons, need ${need}`,
    });
    // A sub-window too thin to cover is not judged on quality: its few rows would only add noise.
    if (covered) own.push(...scopeCriteria(t, scope, ctx));
    criteria.push(...own);
    summaries.push({
      index: i,
      start: from.toISOString(),
      end: to.toISOString(),
      compared: t.compared,
      result: worst(own.map((c) => c.result)),
      failing: own.filter((c) => c.result === 'fail' || c.result === 'inconclusive').map((c) => c.id),
    });
  }
  return { criteria, summaries };
}

function worst(results: readonly Result[]): Result {
  if (results.includes('fail')) return 'fail';
  if (results.includes('inconclusive')) return 'inconclusive';
  return results.includes('pass') ? 'pass' : 'skipped';
}

function parseMinute(text: string | null): Date | null {
  if (!text) return null;
  const d = new Date(`${text.replace(' ', 'T')}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The window ending at `end` (rounded down to the minute: the current minute is still filling). */
export function gateWindow(end: Date, cfg: GateConfig): { start: Date; end: Date; subWindowSeconds: number } {
  const e = new Date(Math.floor(end.getTime() / 60_000) * 60_000);
  return { start: new Date(e.getTime() - durationSeconds(cfg.window) * 1000), end: e, subWindowSeconds: durationSeconds(cfg.subWindow) };
}
