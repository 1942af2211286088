// What the canary judge reads: per slice (the whole traffic, or one segment value) the figures of the
// baseline (production) and the canary version over the same time buckets.

/** One version's figures in one slice. Histograms share bin edges between the two versions. */
export interface VersionSlice {
  /** Requests the version answered (primary outputs it served). */
  readonly answered: number;
  readonly errors: number;
  /** Latency histogram (log-spaced bins), from the serving layer's reported latency. */
  readonly latencyBins: readonly number[];
  /** Score histogram (20 equal bins on [0, 1]), for classifiers. */
  readonly scoreBins: readonly number[];
  /** Requests with a ground-truth label, and how many the version got right. */
  readonly labeled: number;
  readonly correct: number;
}

export interface SliceEvidence {
  /** '__all__' for the whole traffic. */
  readonly dimension: string;
  readonly value: string;
  readonly baseline: VersionSlice;
  readonly canary: VersionSlice;
}

export type CanaryDecision = 'PROMOTE-STEP' | 'HOLD' | 'ABORT';

export interface CanaryCheck {
  readonly metric: 'evidence' | 'error_rate' | 'latency' | 'scores' | 'accuracy';
  readonly scope: string;
  readonly result: 'pass' | 'hold' | 'abort' | 'insufficient';
  /** The figures that decided, in words. */
  readonly detail: string;
}

export interface CanaryVerdict {
  readonly decision: CanaryDecision;
  /** One line per HOLD or ABORT reason: the figure and what to do. */
  readonly reasons: readonly string[];
  readonly checks: readonly CanaryCheck[];
}
