import { z } from 'zod';

// The canary judge's policy: `canary:` in the config file. The evidence needed per step (canary
// requests) is set per canary by `canary start --min-comparisons` and travels in the flag record; the
// rest is here. Defaults match DEFAULT_JUDGE_POLICY in judge.ts (and docs/canary.md); change both.

const rate = z.number().min(0).max(1);

export const CanaryConfigSchema = z
  .object({
    /** Canary requests a segment value needs, in both versions, before it is judged at all. */
    minSegmentRequests: z.number().int().min(1).default(100),
    /** Largest acceptable increase of the error rate, absolute (0.005 = half a point). */
    maxErrorRateIncrease: rate.default(0.005),
    /** Largest acceptable drop of label accuracy, absolute. */
    maxAccuracyDrop: rate.default(0.01),
    /** Vargha-Delaney A above which a significant latency shift aborts (0.56 = small effect, Vargha & Delaney 2000). */
    latencyEffect: z.number().min(0.5).max(1).default(0.56),
    /** Total variation distance above which a significant score shift holds. */
    scoreDistance: rate.default(0.1),
    /** False-abort budget of a whole rollout, split over steps, evidence bands, metrics and slices (Bonferroni; judge.ts). */
    alpha: z.number().gt(0).lt(0.5).default(0.05),
  })
  .strict();

export type CanaryConfig = z.output<typeof CanaryConfigSchema>;
