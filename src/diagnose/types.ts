// Plain types of `diagnose` (issue 15): what is fetched, what is decided. No I/O here.

/** Cell -> count for one feature of one segment value over one period. */
export type Histogram = ReadonlyMap<string, number>;

export interface SegmentCounts {
  readonly compared: number;
  readonly agreements: number;
  readonly bothOk: number;
  readonly requests: number;
  readonly schemaMismatches: number;
}

export interface LabelTable {
  readonly labelled: number;
  readonly onlyPrimaryRight: number;
  readonly onlyCandidateRight: number;
  readonly bothRight: number;
}

/** One segment value ('__all__' = overall) over one period. */
export interface PeriodData {
  /** feature (or '@primary_score' / '@candidate_score') -> histogram. */
  readonly profiles: ReadonlyMap<string, Histogram>;
  readonly counts: SegmentCounts;
  readonly labels: LabelTable | null;
}

export interface SegmentData {
  readonly dimension: string;
  readonly value: string;
  readonly window: PeriodData;
  readonly reference: PeriodData;
}

export interface DiagnoseThresholds {
  /** Family-wise error rate over every test of the run (Holm). */
  readonly alpha: number;
  /** Inputs drifted: PSI at least this (0.1 moderate, 0.25 major, the usual reading). */
  readonly psiDrift: number;
  /** A model's output distribution moved: score PSI at least this. */
  readonly psiScore: number;
  /** Null / NaN / wrong-type, out-of-range and schema-mismatch rates: a jump of at least this (absolute). */
  readonly healthJump: number;
  /** Agreement dropped by at least this (absolute). */
  readonly agreementDrop: number;
  /** Profiled requests needed in both periods for a segment to be judged. */
  readonly minRequests: number;
}

export const DEFAULT_THRESHOLDS: DiagnoseThresholds = {
  alpha: 0.01,
  psiDrift: 0.2,
  psiScore: 0.2,
  healthJump: 0.02,
  agreementDrop: 0.02,
  minRequests: 200,
};

export type Classification = 'feature_pipeline_problem' | 'world_changed' | 'candidate_regression' | 'insufficient_evidence';

export type TestKind = 'drift' | 'missing' | 'out_of_range' | 'schema_mismatch' | 'score_shift' | 'agreement_drop';

/** One test of one segment: the figures and whether it flagged after correction. */
export interface TestResult {
  readonly kind: TestKind;
  /** Feature name, '@primary_score' / '@candidate_score', or '' for segment-level tests. */
  readonly subject: string;
  /** PSI for drift and score shifts; the rate difference (window - reference) otherwise. */
  readonly effect: number;
  readonly reference: number;
  readonly window: number;
  readonly p: number;
  /** p after Holm's correction over every test of the run. */
  readonly pAdjusted: number;
  readonly flagged: boolean;
}

export interface SegmentFinding {
  readonly dimension: string;
  readonly value: string;
  readonly classification: Classification;
  /** The figures that decided, one sentence each. */
  readonly evidence: readonly string[];
  readonly action: string;
  readonly features: readonly string[];
  readonly tests: readonly TestResult[];
}

export interface Diagnosis {
  readonly model: string;
  readonly candidate: string;
  readonly window: { readonly from: string; readonly to: string };
  readonly reference: { readonly from: string; readonly to: string };
  readonly thresholds: DiagnoseThresholds;
  /** Segments judged (enough requests in both periods), and how many tests were corrected together. */
  readonly segmentsJudged: number;
  readonly tests: number;
  /** Segment values with too few profiled requests to judge. */
  readonly skipped: readonly string[];
  readonly findings: readonly SegmentFinding[];
}
