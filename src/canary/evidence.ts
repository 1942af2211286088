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

// Label accuracy per served version and slice. Labels arrive late (minutes to days after the answer),
// so no aggregate written at insert time can hold them: this joins, at read time, the earliest valid
// label of each request to the answers of the two versions in the step's window, as the gate's
// label_accuracy_daily view does (000039). Only labelled requests take part, a small share of traffic.
const ACCURACY_SQL = (db: string) => `
SELECT
    p.pv                       AS version,
    seg.1                      AS dimension,
    seg.2                      AS value,
    count()                    AS labeled,
    countIf(p.pl = l.truth)    AS correct
FROM
(
    SELECT e_id AS request_id, any(e_pv) AS pv, any(seg_dict[e_seg]) AS segs, any(e_pl) AS pl
    FROM ${db}.outcome_blocks
    ARRAY JOIN l_kind AS e_kind, l_request_id AS e_id, l_t AS e_t, l_flags AS e_flags, l_seg AS e_seg, l_pv AS e_pv, l_pl AS e_pl
    WHERE row_type = 'ledger' AND model = {model:String}
      AND event_time >= {from:DateTime('UTC')}
      AND e_kind IN ('compared', 'unmatched_primary') AND bitTest(e_flags, 4) AND NOT bitTest(e_flags, 2)
      AND e_pv IN ({baseline:String}, {canary:String})
      AND e_t >= toUnixTimestamp64Milli(toDateTime64({from:DateTime('UTC')}, 3, 'UTC'))
      AND e_t <  toUnixTimestamp64Milli(toDateTime64({to:DateTime('UTC')}, 3, 'UTC'))
    GROUP BY request_id
) AS p
INNER JOIN
(
    SELECT request_id, argMin(label, (label_time, source_offset)) AS truth
    FROM ${db}.labels
    WHERE model = {model:String} AND error_code = '' AND has_label = 1
    GROUP BY request_id
) AS l ON l.request_id = p.request_id
ARRAY JOIN arrayConcat([('__all__', '__all__')], arrayZip(mapKeys(p.segs), mapValues(p.segs))) AS seg
GROUP BY version, dimension, value`;

interface AccuracyRow {
  version: string;
  dimension: string;
  value: string;
  labeled: number | string;
  correct: number | string;
}

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

export function canaryAccuracySql(db: string): string {
  return ACCURACY_SQL(db);
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
  const params = { model: q.model, baseline: q.baseline, canary: q.canary, from: ts(firstWholeBucket(q.from)), to: ts(q.to) };
  const rows = await runner.query<Row>(SQL(db), params);
  const accuracy = await runner.query<AccuracyRow>(ACCURACY_SQL(db), params);
  const labels = new Map(accuracy.map((a) => [`${a.version}\u0000${a.dimension}\u0000${a.value}`, { labeled: Number(a.labeled), correct: Number(a.correct) }]));
  const slices = new Map<string, { dimension: string; value: string; baseline: VersionSlice; canary: VersionSlice }>();
  for (const r of rows) {
    const key = `${r.dimension}\u0000${r.value}`;
    const slice = slices.get(key) ?? { dimension: r.dimension, value: r.value, baseline: emptySlice(), canary: emptySlice() };
    const l = labels.get(`${r.version}\u0000${key}`) ?? { labeled: 0, correct: 0 };
    const v: VersionSlice = { answered: Number(r.answered), errors: Number(r.errors), latencyBins: dense(r.latency), scoreBins: dense(r.scores), ...l };
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
