import type { QueryRunner } from '../query/index.ts';
import { loadGateSql } from './sql.ts';
import { EMPTY_TOTALS, type GateInput, type LabelCounts, type LabelSummary, type LatencyFigures, type NoiseCounts, type GateWindow, type SegmentTotals, type SubWindowTotals, type Totals } from './types.ts';

/** One statement as run: the audit record keeps exactly this. */
export interface ExecutedSql {
  readonly name: string;
  readonly sql: string;
  readonly params: Record<string, unknown>;
}

export interface FetchTarget {
  readonly database: string;
  readonly model: string;
  readonly candidate: string;
  readonly window: GateWindow;
}

type Row = Record<string, unknown>;

/** Runs the gate's two queries and turns the rows into typed totals. */
export async function fetchGateInput(runner: QueryRunner, t: FetchTarget): Promise<{ input: GateInput; executed: ExecutedSql[] }> {
  const base = { model: t.model, candidate: t.candidate, start: chDateTime(t.window.start), end: chDateTime(t.window.end) };
  const windowSeconds = Math.round((t.window.end.getTime() - t.window.start.getTime()) / 1000);
  const executed: ExecutedSql[] = [
    { name: 'window_totals', sql: loadGateSql('window_totals', t.database), params: base },
    { name: 'sub_windows', sql: loadGateSql('sub_windows', t.database), params: { ...base, sub_window_seconds: t.window.subWindowSeconds } },
    { name: 'latency_window', sql: loadGateSql('latency', t.database), params: { ...base, sub_window_seconds: windowSeconds } },
    { name: 'latency_sub_windows', sql: loadGateSql('latency', t.database), params: { ...base, sub_window_seconds: t.window.subWindowSeconds } },
    { name: 'noise_window', sql: loadGateSql('noise', t.database), params: { ...base, sub_window_seconds: windowSeconds } },
    { name: 'noise_sub_windows', sql: loadGateSql('noise', t.database), params: { ...base, sub_window_seconds: t.window.subWindowSeconds } },
    { name: 'labels_window', sql: loadGateSql('labels', t.database), params: { ...base, sub_window_seconds: windowSeconds } },
    { name: 'labels_sub_windows', sql: loadGateSql('labels', t.database), params: { ...base, sub_window_seconds: t.window.subWindowSeconds } },
    { name: 'labels_summary', sql: loadGateSql('labels_summary', t.database), params: { model: t.model } },
  ];
  const [totalsRows, subRows, latWindowRows, latSubRows, noiseWindowRows, noiseSubRows, labelWindowRows, labelSubRows, labelSummaryRows] = await Promise.all(
    executed.map((e) => runner.query<Row>(e.sql, e.params)),
  );
  const labelsOf = new Map((labelWindowRows ?? []).filter((r) => Number(r.sub_window) === 0).map((r) => [`${String(r.dimension)}\u0000${String(r.value)}`, toLabels(r)]));
  const labelsBySub = new Map((labelSubRows ?? []).filter((r) => r.dimension === '__all__').map((r) => [Number(r.sub_window), toLabels(r)]));
  const noiseOf = new Map((noiseWindowRows ?? []).filter((r) => Number(r.sub_window) === 0).map((r) => [`${String(r.dimension)}\u0000${String(r.value)}`, toNoise(r)]));
  const noiseBySub = new Map((noiseSubRows ?? []).filter((r) => r.dimension === '__all__').map((r) => [Number(r.sub_window), toNoise(r)]));
  const latBySub = new Map((latSubRows ?? []).map((r) => [Number(r.sub_window), toLatency(r)]));
  const latWindow = (latWindowRows ?? []).find((r) => Number(r.sub_window) === 0);
  const overallRow = (totalsRows ?? []).find((r) => r.dimension === '__all__');
  const segments: SegmentTotals[] = (totalsRows ?? [])
    .filter((r) => r.dimension !== '__all__')
    .map((r) => ({ ...toTotals(r), dimension: String(r.dimension), value: String(r.value), noise: noiseOf.get(`${String(r.dimension)}\u0000${String(r.value)}`) ?? null, labels: labelsOf.get(`${String(r.dimension)}\u0000${String(r.value)}`) ?? null }));
  const subWindows: SubWindowTotals[] = (subRows ?? []).map((r) => ({
    ...toTotals(r),
    index: Number(r.sub_window),
    latency: latBySub.get(Number(r.sub_window)) ?? null,
    noise: noiseBySub.get(Number(r.sub_window)) ?? null,
    labels: labelsBySub.get(Number(r.sub_window)) ?? null,
  }));
  const input: GateInput = {
    window: t.window,
    overall: { ...(overallRow ? toTotals(overallRow) : EMPTY_TOTALS), latency: latWindow ? toLatency(latWindow) : null, noise: noiseOf.get('__all__\u0000__all__') ?? null, labels: labelsOf.get('__all__\u0000__all__') ?? null },
    primaryVersions: Array.isArray(overallRow?.primary_versions) ? (overallRow.primary_versions as unknown[]).map(String) : [],
    subWindows,
    segments,
    labelSummary: toLabelSummary(labelSummaryRows?.[0]),
  };
  return { input, executed };
}


// UInt64 arrives as a JSON string from a server (output_format_json_quote_64bit_integers=1) and as a
// number from chDB; Number() reads both exactly below 2^53.
function toTotals(r: Row): Totals {
  return {
    compared: num(r.compared),
    agreements: num(r.agreements),
    bothOk: num(r.both_ok),
    candidateErrors: num(r.candidate_errors),
    primaryErrors: num(r.primary_errors),
    unmatchedRequests: num(r.unmatched_requests),
    unmatchedPrimaries: num(r.unmatched_primaries),
    schemaMismatches: num(r.schema_mismatches),
    candidateScored: num(r.candidate_scored),
    primaryAnswered: num(r.primary_answered),
    candidateP99Ms: p99(r.candidate_latency_ms),
    primaryP99Ms: p99(r.primary_latency_ms),
    candidateCostUsd: num(r.candidate_cost_usd),
    primaryCostUsd: num(r.primary_cost_usd),
    firstMinute: typeof r.first_minute === 'string' ? r.first_minute : null,
    lastMinute: typeof r.last_minute === 'string' ? r.last_minute : null,
  };
}

function toLabels(r: Row): LabelCounts | null {
  const labelled = num(r.labelled);
  if (labelled === 0) return null;
  return { labelled, bothRight: num(r.both_right), onlyPrimaryRight: num(r.only_primary_right), onlyCandidateRight: num(r.only_candidate_right), bothWrong: num(r.both_wrong) };
}

function toLabelSummary(r: Row | undefined): LabelSummary | null {
  if (!r || num(r.valid) + num(r.invalid) === 0) return null;
  return { valid: num(r.valid), requests: num(r.requests), duplicates: num(r.duplicates), unknown: num(r.unknown), invalid: num(r.invalid) };
}

function toNoise(r: Row): NoiseCounts | null {
  const paired = num(r.paired);
  if (paired === 0) return null;
  return {
    paired,
    bothAgree: num(r.both_agree),
    candidateOnlyAgree: num(r.candidate_only_agree),
    reproducedOnlyAgree: num(r.reproduced_only_agree),
    neitherAgree: num(r.neither_agree),
  };
}

function toLatency(r: Row): LatencyFigures {
  const minutes = num(r.minutes);
  const all = p99(r.compute_all);
  return {
    scored: num(r.scored),
    minutes,
    computeP99Ms: minutes >= 2 ? p99(r.compute_rest) : all,
    computeP99AllMs: all,
    queueP99Ms: p99(r.queue_ms),
    slowestMinute: typeof r.slowest_minute === 'string' ? r.slowest_minute : null,
    slowestMinuteP99Ms: r.slowest_minute_p99 === null || r.slowest_minute_p99 === undefined ? null : num(r.slowest_minute_p99),
  };
}

function num(v: unknown): number {
  const n = Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** quantilesTDigestMerge(0.5, 0.95, 0.99) -> [p50, p95, p99]; an empty state merges to nan (null in JSON). */
function p99(v: unknown): number | null {
  if (!Array.isArray(v) || v[2] === null || v[2] === undefined) return null;
  const n = Number(v[2]);
  return Number.isFinite(n) ? n : null;
}

/** 'YYYY-MM-DD hh:mm:ss' in UTC, the text form a DateTime('UTC') query parameter takes. */
export function chDateTime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}
