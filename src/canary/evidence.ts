import type { QueryRunner } from '../query/index.ts';
import { emptySlice } from './judge.ts';
import type { SliceEvidence, VersionSlice } from './types.ts';

// Canary evidence from the stream's aggregate: canary_10s (migrations 000070-000071) holds, per 10 s
// bucket, served version and segment value, what each version answered, its errors and its latency and
// score histograms. The baseline and the canary are two values of primary_version over the same
// buckets, so no candidate scoring and no scan of per-record rows is needed. A step's evidence starts at
// the first whole bucket after the step began: a bucket straddling the flip mixes requests routed under
// the old weight.

const SQL = (db: string) => `
SELECT
    primary_version            AS version,
    dimension,
    value,
    sum(answered)              AS answered,
    sum(errors)                AS errors,
    sumMap(latency_bins)       AS latency,
    sumMap(score_bins)         AS scores
FROM ${db}.canary_10s
WHERE model = {model:String}
  AND primary_version IN ({baseline:String}, {canary:String})
  AND bucket >= {from:DateTime('UTC')}
  AND bucket <  {to:DateTime('UTC')}
GROUP BY version, dimension, value
ORDER BY dimension = '__all__' DESC, dimension, value, version`;

interface Row {
  version: string;
  dimension: string;
  value: string;
  answered: number | string;
  errors: number | string;
  latency: Record<string, number | string>;
  scores: Record<string, number | string>;
}

export function canaryEvidenceSql(db: string): string {
  return SQL(db);
}

/** The aggregate's bucket width (000070). */
export const BUCKET_MS = 10_000;

/** The first bucket that starts at or after `t`: evidence for a step that began at `t` starts there. */
export function firstWholeBucket(t: Date): Date {
  return new Date(Math.ceil(t.getTime() / BUCKET_MS) * BUCKET_MS);
}

export async function readCanaryEvidence(
  runner: QueryRunner,
  db: string,
  q: { model: string; baseline: string; canary: string; from: Date; to: Date },
): Promise<SliceEvidence[]> {
  // Buckets starting in [first whole bucket at or after from, to): the bucket holding `to` is partial and counts.
  const ts = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
  const rows = await runner.query<Row>(SQL(db), { model: q.model, baseline: q.baseline, canary: q.canary, from: ts(firstWholeBucket(q.from)), to: ts(q.to) });
  const slices = new Map<string, { dimension: string; value: string; baseline: VersionSlice; canary: VersionSlice }>();
  for (const r of rows) {
    const key = `${r.dimension}\u0000${r.value}`;
    const slice = slices.get(key) ?? { dimension: r.dimension, value: r.value, baseline: emptySlice(), canary: emptySlice() };
    const v: VersionSlice = { answered: Number(r.answered), errors: Number(r.errors), latencyBins: dense(r.latency), scoreBins: dense(r.scores), labeled: 0, correct: 0 };
    if (r.version === q.canary) slice.canary = v;
    else slice.baseline = v;
    slices.set(key, slice);
  }
  return [...slices.values()];
}

function dense(map: Record<string, number | string>): number[] {
  const out: number[] = [];
  for (const [k, v] of Object.entries(map ?? {})) out[Number(k)] = Number(v);
  return Array.from(out, (x) => x ?? 0);
}
