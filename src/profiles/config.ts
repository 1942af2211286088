import { z } from 'zod';
import type { ProfileOptions } from './profile.ts';

const featureSpec = z.union([
  z.object({ min: z.number(), max: z.number() }).strict(),
  z.object({ values: z.array(z.string()).min(1).max(100) }).strict(),
]);

export const ProfilesConfigSchema = z
  .object({
    // 0.1: profiling every request cost +80 CPU µs per request (+45 %) in scripts/bench-profiles.ts, 10 % costs
    // +8 µs (within noise); docs/benchmarks.md#profiles. Segments need 10x the traffic for the same power.
    sampleRate: z.number().min(0).max(1).default(0.1),
    features: z.array(z.string().min(1)).optional(),
    bins: z.number().int().min(2).max(50).default(10),
    specs: z.record(z.string(), featureSpec).default({}),
    scoreRange: z.tuple([z.number(), z.number()]).default([0, 1]),
    scoreBins: z.number().int().min(0).max(100).default(20),
  })
  .strict()
  .superRefine((p, ctx) => {
    for (const [name, s] of Object.entries(p.specs)) {
      if ('min' in s && !(s.max > s.min)) ctx.addIssue({ code: 'custom', path: ['specs', name, 'max'], message: 'must be greater than min' });
    }
    if (!(p.scoreRange[1] > p.scoreRange[0])) ctx.addIssue({ code: 'custom', path: ['scoreRange'], message: 'must be [low, high] with high > low' });
  });

export type ProfilesConfig = z.infer<typeof ProfilesConfigSchema>;

/** Profiled features default to the candidate's inputs. */
export function profileOptionsOf(c: ProfilesConfig, candidateFeatures: readonly string[]): ProfileOptions {
  return { sampleRate: c.sampleRate, features: c.features ?? candidateFeatures, bins: c.bins, specs: c.specs, scoreRange: c.scoreRange, scoreBins: c.scoreBins };
}
