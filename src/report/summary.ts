import type { QueryRunner } from '../query/index.ts';

export interface Summary {
  readonly model: string;
  readonly candidateVersion: string;
  readonly primaryVersions: string[];
  readonly compared: number;
  readonly agreements: number;
  readonly bothOk: number;
  readonly agreementRate: number | null;
  readonly candidateErrors: number;
  readonly primaryErrors: number;
  readonly unmatchedRequests: number;
  readonly unmatchedPrimaries: number;
  readonly schemaMismatches: number;
  readonly duplicates: number;
  readonly candidateLatencyMs: [number, number, number];
  readonly primaryLatencyMs: [number, number, number];
  readonly candidateCostPerInference: number | null;
  readonly primaryCostPerInference: number | null;
  readonly meanAbsDelta: number | null;
  readonly worstSegments: { dimension: string; value: string; compared: number; agreementRate: number }[];
  readonly rejects: { code: string; count: number }[];
}

const OVERALL = `
SELECT groupUniqArrayIf(primary_version, primary_version != '') AS pv, sum(compared) AS compared, sum(agreements) AS agreements, sum(both_ok) AS both_ok,
  sum(candidate_errors) AS ce, sum(primary_errors) AS pe, sum(unmatched_requests) AS ur, sum(unmatched_primaries) AS up,
  sum(schema_mismatches) AS sm, sum(duplicates) AS dup, sum(candidate_scored) AS cs, sum(primary_answered) AS pa,
  quantilesTDigestMerge(0.5, 0.95, 0.99)(candidate_latency_ms) AS cl, quantilesTDigestMerge(0.5, 0.95, 0.99)(primary_latency_ms) AS pl,
  sum(candidate_cost_usd) AS cc, sum(primary_cost_usd) AS pc, sum(delta_abs_sum) AS das, sum(delta_n) AS dn
FROM {db:Identifier}.stats_1m
WHERE model = {model:String} AND candidate_version = {cv:String} AND dimension = '__all__'`;

const WORST = `
SELECT dimension, value, sum(compared) AS compared, sum(agreements) / sum(both_ok) AS rate
FROM {db:Identifier}.stats_1m
WHERE model = {model:String} AND candidate_version = {cv:String} AND dimension NOT IN ('__all__', 'feature_schema_version')
GROUP BY dimension, value HAVING sum(both_ok) >= {minCount:UInt64}
ORDER BY rate ASC, compared DESC LIMIT {limit:UInt32}`;

const REJECTS = `SELECT error_code AS code, count() AS count FROM {db:Identifier}.rejects GROUP BY code ORDER BY count DESC`;

export async function readSummary(q: QueryRunner, db: string, model: string, cv: string, minSegment = 30): Promise<Summary> {
  const p = { db, model, cv };
  const [o] = await q.query<Record<string, unknown>>(OVERALL, p);
  const worst = await q.query<{ dimension: string; value: string; compared: string; rate: number }>(WORST, { ...p, minCount: minSegment, limit: 5 });
  const rejects = await q.query<{ code: string; count: string }>(REJECTS, { db });
  const n = (k: string) => Number(o?.[k] ?? 0);
  const div = (a: number, b: number) => (b > 0 ? a / b : null);
  return {
    model,
    candidateVersion: cv,
    primaryVersions: (o?.pv as string[] | undefined) ?? [],
    compared: n('compared'),
    agreements: n('agreements'),
    bothOk: n('both_ok'),
    agreementRate: div(n('agreements'), n('both_ok')),
    candidateErrors: n('ce'),
    primaryErrors: n('pe'),
    unmatchedRequests: n('ur'),
    unmatchedPrimaries: n('up'),
    schemaMismatches: n('sm'),
    duplicates: n('dup'),
    candidateLatencyMs: triple(o?.cl),
    primaryLatencyMs: triple(o?.pl),
    candidateCostPerInference: div(n('cc'), n('cs')),
    primaryCostPerInference: div(n('pc'), n('pa')),
    meanAbsDelta: div(n('das'), n('dn')),
    worstSegments: worst.map((w) => ({ dimension: w.dimension, value: w.value, compared: Number(w.compared), agreementRate: Number(w.rate) })),
    rejects: rejects.map((r) => ({ code: r.code, count: Number(r.count) })),
  };
}

function triple(v: unknown): [number, number, number] {
  const a = Array.isArray(v) ? v.map(Number) : [];
  return [a[0] ?? NaN, a[1] ?? NaN, a[2] ?? NaN];
}

export function formatSummary(s: Summary): string {
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(2)}%`);
  const ms = (t: [number, number, number]) => t.map((x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a')).join(' / ');
  const usd = (x: number | null) => (x === null ? 'n/a' : `$${x.toExponential(3)}`);
  const lines = [
    `shadow comparison: ${s.model} candidate ${s.candidateVersion} vs primary ${s.primaryVersions.join(', ') || 'n/a'}`,
    `  compared               ${s.compared}`,
    `  agreement              ${pct(s.agreementRate)}  (${s.agreements} of ${s.bothOk} where both models answered)`,
    `  candidate errors       ${s.candidateErrors}`,
    `  primary errors         ${s.primaryErrors}`,
    `  unmatched              ${s.unmatchedRequests} requests without primary output, ${s.unmatchedPrimaries} primary outputs without request`,
    `  schema mismatches      ${s.schemaMismatches}`,
    `  duplicates ignored     ${s.duplicates}`,
    `  latency p50/p95/p99    candidate ${ms(s.candidateLatencyMs)} ms | primary ${ms(s.primaryLatencyMs)} ms`,
    `  cost per inference     candidate ${usd(s.candidateCostPerInference)} | primary ${usd(s.primaryCostPerInference)}`,
    `  mean |score delta|     ${s.meanAbsDelta === null ? 'n/a' : s.meanAbsDelta.toFixed(4)}`,
    `  worst segments:`,
    ...(s.worstSegments.length
      ? s.worstSegments.map((w) => `    ${`${w.dimension}=${w.value}`.padEnd(28)} agreement ${pct(w.agreementRate).padStart(8)}  (${w.compared} compared)`)
      : ['    (none with enough comparisons)']),
    `  rejects:               ${s.rejects.length ? s.rejects.map((r) => `${r.code} ${r.count}`).join(', ') : 'none'}`,
  ];
  return `${lines.join('\n')}\n`;
}
