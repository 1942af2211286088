// Plain types shared by the gate's fetch, decision and output code.

/** Counters and estimates for one scope (the window, a sub-window, a segment value). */
export interface Totals {
  readonly compared: number;
  readonly agreements: number;
  readonly bothOk: number;
  readonly candidateErrors: number;
  readonly primaryErrors: number;
  readonly unmatchedRequests: number;
  readonly unmatchedPrimaries: number;
  readonly schemaMismatches: number;
  readonly candidateScored: number;
  readonly primaryAnswered: number;
  /** End-to-end p99 in the processor (queue + compute) in ms, null when none was recorded. Reported, not judged. */
  readonly candidateP99Ms: number | null;
  /** Compute and queue latency from latency_1m (window and sub-windows only; null elsewhere or without data). */
  readonly latency?: LatencyFigures | null;
  /** The noise-floor table from noise_1m; null when the primary was not re-scored in this scope. */
  readonly noise?: NoiseCounts | null;
  /** Late ground-truth labels joined to this scope's predictions; null when none. */
  readonly labels?: LabelCounts | null;
  readonly primaryP99Ms: number | null;
  readonly candidateCostUsd: number;
  readonly primaryCostUsd: number;
  /** 'YYYY-MM-DD hh:mm:ss' UTC, null when the scope has no row. */
  readonly firstMinute: string | null;
  readonly lastMinute: string | null;
}

/** Rows where both the candidate and the re-scored primary answered, by who agrees with the logged primary. */
export interface NoiseCounts {
  readonly paired: number;
  readonly bothAgree: number;
  readonly candidateOnlyAgree: number;
  readonly reproducedOnlyAgree: number;
  readonly neitherAgree: number;
}

/** The paired 2x2 table of correct answers on labelled requests (src/gate/sql/labels.sql). */
export interface LabelCounts {
  readonly labelled: number;
  readonly bothRight: number;
  readonly onlyPrimaryRight: number;
  readonly onlyCandidateRight: number;
  readonly bothWrong: number;
}

/** How every label message was counted (src/gate/sql/labels_summary.sql). */
export interface LabelSummary {
  readonly valid: number;
  readonly requests: number;
  readonly duplicates: number;
  readonly unknown: number;
  readonly invalid: number;
}

/** One scope's candidate latency, split (src/gate/sql/latency.sql). */
export interface LatencyFigures {
  /** Rows with a compute latency. */
  readonly scored: number;
  /** Minutes with data; the slowest is left out of the judged p99 when there are two or more. */
  readonly minutes: number;
  /** The judged figure: compute p99 without the slowest minute (all of them when minutes < 2). */
  readonly computeP99Ms: number | null;
  /** Compute p99 over every minute, slowest included. */
  readonly computeP99AllMs: number | null;
  readonly queueP99Ms: number | null;
  /** 'YYYY-MM-DD hh:mm:ss' UTC and its own compute p99. */
  readonly slowestMinute: string | null;
  readonly slowestMinuteP99Ms: number | null;
}

/** A scope without any row. */
export const EMPTY_TOTALS: Totals = {
  compared: 0, agreements: 0, bothOk: 0, candidateErrors: 0, primaryErrors: 0, unmatchedRequests: 0,
  unmatchedPrimaries: 0, schemaMismatches: 0, candidateScored: 0, primaryAnswered: 0, candidateP99Ms: null,
  primaryP99Ms: null, candidateCostUsd: 0, primaryCostUsd: 0, firstMinute: null, lastMinute: null,
};

export interface SegmentTotals extends Totals {
  readonly dimension: string;
  readonly value: string;
}

export interface SubWindowTotals extends Totals {
  readonly index: number;
}

export interface GateWindow {
  readonly start: Date;
  readonly end: Date;
  readonly subWindowSeconds: number;
}

/** What the decision is made from: everything read from ClickHouse, and nothing else. */
export interface GateInput {
  readonly window: GateWindow;
  readonly overall: Totals;
  readonly primaryVersions: readonly string[];
  readonly subWindows: readonly SubWindowTotals[];
  readonly segments: readonly SegmentTotals[];
  /** Label messages as counted; null when the model has none. */
  readonly labelSummary?: LabelSummary | null;
}

export type Decision = 'PROMOTE' | 'HOLD' | 'REJECT';
export type Result = 'pass' | 'fail' | 'inconclusive' | 'skipped';

/**
 * How a failed criterion counts: `join` and `evidence` make the gate unable to judge (HOLD before
 * anything else), `quality` is evidence the candidate is worse (REJECT), `coverage` is missing data
 * (HOLD unless something REJECTs).
 */
export type CriterionKind = 'join' | 'evidence' | 'quality' | 'coverage';

export interface Bound {
  /** e.g. 'wilson_lower_95', 'newcombe_upper_95', 'estimate'. */
  readonly kind: string;
  readonly lower: number | null;
  readonly upper: number | null;
}

export interface Criterion {
  readonly id: string;
  readonly kind: CriterionKind;
  /** 'window', 'sub-window 3/7 (2025-01-03 00:00Z)' or 'segment country=DE'. */
  readonly scope: string;
  readonly measured: number | null;
  readonly bound: Bound | null;
  /** The threshold the bound (or the measured value) is compared with. */
  readonly threshold: number | null;
  readonly result: Result;
  /** One readable sentence with the figure; for a non-pass result, the reason. */
  readonly note: string;
  /** For a fail or inconclusive result: one sentence saying what to do next (src/gate/actions.ts); else null. */
  readonly action?: string | null;
}

export interface SegmentFinding {
  readonly dimension: string;
  readonly value: string;
  readonly compared: number;
  readonly agreement: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
  readonly pValue: number | null;
  readonly adjustedPValue: number | null;
  readonly result: 'pass' | 'fail' | 'insufficient';
  /** Set when the value was tested against its noise floor (excess disagreement) instead of plain agreement. */
  readonly excess?: { readonly candidateDisagreement: number; readonly noiseFloor: number; readonly excess: number; readonly lower: number; readonly upper: number };
}

export interface SubWindowSummary {
  readonly index: number;
  readonly start: string;
  readonly end: string;
  readonly compared: number;
  readonly result: Result;
  readonly failing: readonly string[];
}

export interface GateEvaluation {
  readonly decision: Decision;
  readonly reasons: readonly string[];
  readonly criteria: readonly Criterion[];
  readonly subWindows: readonly SubWindowSummary[];
  readonly segments: {
    readonly correction: string;
    readonly alpha: number;
    readonly tested: number;
    readonly insufficient: number;
    readonly failed: number;
    readonly worst: readonly SegmentFinding[];
  };
}
