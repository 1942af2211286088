// Ground truth for generated traffic, computed from the generator's own record of what it sent and
// the python-computed model outputs in fixtures/data — never from the pipeline's code.
import { expectedOutput, type Dataset, type Traffic } from '../../src/traffic/index.ts';

export interface Figures {
  compared: number;
  agreements: number;
  both_ok: number;
  candidate_errors: number;
  primary_errors: number;
  unmatched_requests: number;
  unmatched_primaries: number;
  duplicates: number;
}

export interface Truth {
  overall: Figures;
  /** `${dimension}=${value}` -> figures */
  segments: Map<string, Figures>;
  rejects: number;
}

const zero = (): Figures => ({ compared: 0, agreements: 0, both_ok: 0, candidate_errors: 0, primary_errors: 0, unmatched_requests: 0, unmatched_primaries: 0, duplicates: 0 });

/** Binary task at `threshold`: both sides' labels from their P(class 1). */
export function groundTruth(traffic: Traffic, ds: Dataset, model: string, candidateVersion: string, threshold = 0.5): Truth {
  const overall = zero();
  const segments = new Map<string, Figures>();
  const bump = (seg: Record<string, string>, f: (x: Figures) => void) => {
    f(overall);
    for (const [d, v] of Object.entries(seg)) {
      const k = `${d}=${v}`;
      if (!segments.has(k)) segments.set(k, zero());
      f(segments.get(k)!);
    }
  };
  for (const t of traffic.truth) {
    const seg = { ...ds.segments[t.row]!, feature_schema_version: '1' };
    if (t.primary === 'missing') {
      bump(seg, (x) => x.unmatched_requests++);
      continue;
    }
    const cand = expectedOutput(ds, model, candidateVersion, t.row).score!;
    const prim = t.primary_output?.score;
    bump(seg, (x) => {
      x.compared++;
      if (t.primary_error || prim === undefined) {
        x.primary_errors++;
        return;
      }
      x.both_ok++;
      if (cand >= threshold === prim >= threshold) x.agreements++;
    });
  }
  overall.duplicates = traffic.counts.duplicate_requests + traffic.counts.duplicate_primaries;
  return { overall, segments, rejects: traffic.counts.invalid };
}

/** Irregular traffic used by the end-to-end tests: duplicates, invalid, missing, inline, errors, reordering. */
export const IRREGULAR_TRAFFIC = {
  model: 'diagnosis',
  primaryVersion: 'v9',
  duplicateRate: 0.03,
  invalidRate: 0.02,
  missingPrimaryRate: 0.05,
  inlinePrimaryRate: 0.1,
  primaryErrorRate: 0.02,
  reorderRate: 0.2,
} as const;
