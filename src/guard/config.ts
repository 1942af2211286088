import { z } from 'zod';

// `guard:` in the config file: the post-promotion guard ("reverse shadow"). Off by default. While on,
// the processor shadows the demoted version (the previous production) against the new primary's
// outputs, and `shadow-compare guard MODEL` runs the gate on it every period; a REJECT rolls back.

export const GuardConfigSchema = z
  .object({
    /** Opt-in: false leaves the configured candidate alone and `guard` refuses to start. */
    enabled: z.boolean().default(false),
    /** Seconds between two gate evaluations: the detection delay once the evidence is there. */
    periodSeconds: z.number().int().min(1).default(60),
    /** How long after the promotion the guard watches; afterwards it stops by itself. */
    durationMinutes: z.number().int().min(1).default(1440),
    /**
     * The owner's contact point, paged when the guard rolls back: an http(s) URL receives a JSON POST.
     * Unset: the page is a log line at level fatal with code SHADOW_GUARD_ROLLBACK (alerting picks it up).
     */
    contact: z.string().url().optional(),
    /** Longest wait for the contact point to answer; the rollback never waits on it. */
    contactTimeoutMs: z.number().int().min(100).default(5000),
  })
  .strict();

export type GuardConfig = z.output<typeof GuardConfigSchema>;
