import type { QueryRunner } from '../query/index.ts';
import { LATENCY_BIN_SQL, SCORE_BIN_SQL } from './bins.ts';
import { emptySlice } from './judge.ts';
import type { SliceEvidence, VersionSlice } from './types.ts';

// Canary evidence from the stream's rows: primary outputs say which version served them, so the
// baseline and the canary are the two values of primary_version, over the same minutes, overall and
// per segment value. Histograms use the bins of bins.ts.

const SQL = (db: string) => `
SELECT
    primary_version                                                        AS version,
    d                                                                      AS dimension,
    v                                                                      AS value,
    count()                                                                AS answered,
    countIf(primary_error = 1)                                             AS errors,
    sumMap(if(primary_error = 0, [${LATENCY_BIN_SQL('primary_latency_ms')}], []), if(primary_error = 0, [toUInt64(1)], [])) AS latency,
    sumMap(if(primary_error = 0, [${SCORE_BIN_SQL('primary_score')}], []), if(primary_error = 0, [toUInt64(1)], []))        AS scores
FROM ${db}.outcomes
ARRAY JOIN
    arrayConcat(['__all__'], mapKeys(segments))   AS d,
    arrayConcat(['__all__'], mapValues(segments)) AS v
WHERE model = {model:String}
  AND primary_present = 1
  AND kind IN ('compared', 'unmatched_primary')
  AND primary_version IN ({baseline:String}, {canary:String})
  AND event_time >= {from:DateTime64(3, 'UTC')}
  AND event_time <  {to:DateTime64(3, 'UTC')}
GROUP BY version, dimension, value
ORDER BY dimension = '__all__' DESC, dimension, value, version`;

interface Row {
  version: string;
  dimension: string;
  value: string;
  answered: number | string;
  errors: number | string;
  latency: [number[], (number | string)[]];
  scores: [number[], (number | string)[]];
}

export function canaryEvidenceSql(db: string): string {
  return SQL(db);
}

export async function readCanaryEvidence(
  runner: QueryRunner,
  db: string,
  q: { model: string; baseline: string; canary: string; from: Date; to: Date },
): Promise<SliceEvidence[]> {
  const ts = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
  const rows = await runner.query<Row>(SQL(db), { model: q.model, baseline: q.baseline, canary: q.canary, from: ts(q.from), to: ts(q.to) });
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

function dense([keys, values]: [number[], (number | string)[]]): number[] {
  const out: number[] = [];
  keys.forEach((k, i) => (out[Number(k)] = Number(values[i])));
  return Array.from(out, (x) => x ?? 0);
}
