import { z } from 'zod';

// The gate's thresholds: `gate:` in the config file. Every default below is documented in docs/gate.md;
// change both together. Rates are fractions (0.95 = 95 %), latencies milliseconds, costs US dollars.

const DURATION = /^(\d+)(m|h|d)$/;
const UNIT_SECONDS = { m: 60, h: 3600, d: 86_400 } as const;

/** '7d' -> 604800. Minutes, hours or days; the gate works on whole minutes of shadow.stats_1m. */
export function durationSeconds(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
}

// zod runs the refine even when the regex failed: it must not call durationSeconds on a non-duration.
export const Duration = z.string().regex(DURATION, 'must be a duration like 30m, 12h or 7d').refine((s) => !DURATION.test(s) || durationSeconds(s) > 0, 'must be positive');

const rate = z.number().min(0).max(1);

const evidence = z
  .object({
    /** Comparisons over the whole window; below it: HOLD. */
    minComparisons: z.number().int().min(1).default(5000),
    /**
     * Comparisons in every sub-window; a sub-window below it is not covered: HOLD. 1000 because a
     * sub-window must be able to pass on its own: with no error at all the error rate's upper bound is
     * about z^2/n (2.7/n at 95 %), so n >= 540 is needed to show an excess <= 0.005.
     */
    minPerSubWindow: z.number().int().min(1).default(1000),
  })
  .strict();

const coverage = z
  .object({
    /** Largest gap allowed between the window's start (or end) and the first (or last) minute with data. */
    maxEdgeGapMinutes: z.number().int().min(0).default(60),
  })
  .strict();

const agreement = z.object({ /** Agreement rate floor, judged by its Wilson bound. */ min: rate.default(0.95) }).strict();

const noise = z
  .object({
    /**
     * Share of its own logged answers the re-scored primary must reproduce (Wilson bound). Below it the
     * mirrored features or the artifact do not match what production served: HOLD, the comparison is
     * mostly noise. 0.99: a deterministic model on the features it was served reproduces ~100 %.
     */
    minReproduction: rate.default(0.99),
    /**
     * Largest allowed excess of the candidate's disagreement with the logged primary over the re-scored
     * primary's own (the noise floor), judged by the Newcombe paired bound. Replaces agreement.min
     * wherever the primary was re-scored.
     */
    maxExcessDisagreement: rate.default(0.02),
  })
  .strict();

const labels = z
  .object({
    /**
     * Non-inferiority margin on accuracy: the candidate may be at most this much less accurate than the
     * primary on labelled requests (McNemar's exact test on the discordant pairs, src/gate/stats.ts).
     */
    maxAccuracyDrop: rate.default(0.01),
    /** Labelled requests a scope (window, sub-window, segment value) needs before labels are judged there. */
    minLabels: z.number().int().min(1).default(200),
    /**
     * When labels show the candidate significantly MORE accurate while agreement (or excess disagreement)
     * fails: true lets labels win (PROMOTE possible); false HOLDs with that explanation.
     */
    overrideAgreement: z.boolean().default(false),
  })
  .strict();

const errors = z
  .object({
    /** Candidate error rate ceiling, judged by its Wilson bound. */
    maxCandidateRate: rate.default(0.01),
    /** Largest allowed excess of the candidate's error rate over the primary's (Newcombe interval). */
    maxExcessOverPrimary: rate.default(0.005),
  })
  .strict();

const latency = z
  .object({
    /** Candidate p99 latency ceiling in ms (t-digest estimate, no confidence bound). */
    maxP99Ms: z.number().positive().default(100),
    /** Candidate p99 must stay under primary p99 x this factor (skipped when the primary reports no latency). */
    maxP99VsPrimary: z.number().positive().default(1.5),
  })
  .strict();

const cost = z
  .object({
    /** Budget per inference in USD; unset = no budget check. */
    maxPerInferenceUsd: z.number().nonnegative().optional(),
    /** Candidate cost per inference must stay under the primary's x this factor; null = no check. */
    maxVsPrimary: z.number().positive().nullable().default(2),
  })
  .strict();

const join = z
  .object({
    /** (unmatched requests + unmatched primaries) / all join inputs; above it the join is broken: HOLD. */
    maxUnmatchedRate: rate.default(0.05),
    /** schema mismatches / requests; above it the candidate cannot be judged: HOLD. */
    maxSchemaMismatchRate: rate.default(0.01),
  })
  .strict();

export const CORRECTIONS = ['benjamini-hochberg', 'bonferroni', 'none'] as const;

const segments = z
  .object({
    /** Comparisons a segment value needs to be tested; below it the value is reported as insufficient. */
    minComparisons: z.number().int().min(1).default(200),
    /** Whether insufficient segment values block promotion (HOLD) or are only reported. */
    insufficient: z.enum(['report', 'hold']).default('report'),
    /** Multiple-testing correction over the tested segment values (false discovery rate or family-wise). */
    correction: z.enum(CORRECTIONS).default('benjamini-hochberg'),
    /** How many of the worst segment values the output lists. */
    worst: z.number().int().min(0).default(10),
  })
  .strict();

export const GateConfigSchema = z
  .object({
    /** Window the gate judges, ending now (or at --end). */
    window: Duration.default('7d'),
    /** Every sub-window must pass on its own: "healthy for 7 days" means every day. */
    subWindow: Duration.default('1d'),
    /** Confidence of the one-sided bounds and 1 - the significance level of the segment tests. */
    confidence: z.number().gt(0.5).lt(1).default(0.95),
    evidence: evidence.default(evidence.parse({})),
    coverage: coverage.default(coverage.parse({})),
    agreement: agreement.default(agreement.parse({})),
    noise: noise.default(noise.parse({})),
    labels: labels.default(labels.parse({})),
    errors: errors.default(errors.parse({})),
    latency: latency.default(latency.parse({})),
    cost: cost.default(cost.parse({})),
    join: join.default(join.parse({})),
    segments: segments.default(segments.parse({})),
  })
  .strict()
  .superRefine((g, ctx) => {
    const w = durationSeconds(g.window);
    const s = durationSeconds(g.subWindow);
    if (s > w || w % s !== 0) {
      ctx.addIssue({ code: 'custom', path: ['subWindow'], message: `must divide gate.window (${g.window}) into whole sub-windows` });
    }
  });

export type GateConfig = z.output<typeof GateConfigSchema>;

/** The thresholds used when the config file has no `gate:` section. */
export function defaultGateConfig(): GateConfig {
  return GateConfigSchema.parse({});
}
