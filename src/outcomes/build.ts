import { compare } from '../compare/index.ts';
import type { TaskConfig } from '../config/schema.ts';
import type { JoinEvent } from '../join/index.ts';
import type { RejectCode } from '../decode/index.ts';
import type { CandidateResult, PrimarySide, RawRecord, RequestSide, SourceRef } from '../types.ts';
import { emptyRow, type OutcomeRow } from './row.ts';
import type { SegmentCapper } from './segments.ts';
import type { Profiler } from '../profiles/profile.ts';
import { unitHash } from '../request-hash.ts';

export interface Pricing {
  readonly perCpuSecondUsd?: number | undefined;
  readonly per1000Usd?: number | undefined;
}

export interface OutcomeOptions {
  readonly model: string;
  readonly candidateVersion: string;
  readonly task: TaskConfig;
  readonly candidatePricing: Pricing;
  readonly primaryPricing: Pricing;
  readonly agreementSampleRate: number;
  readonly rawPayloadMaxBytes: number;
  readonly segments: SegmentCapper;
  /** Feature and score profiles (issue 15); absent: none. */
  readonly profiler?: Profiler | undefined;
}

/** An outcome row and the input records it accounts for (one or two). */
export interface Outcome {
  readonly row: OutcomeRow;
  readonly refs: readonly SourceRef[];
}

export function outcomeOf(event: JoinEvent, o: OutcomeOptions): Outcome {
  switch (event.type) {
    case 'pair':
      return pairOutcome(event.request, event.primary, o);
    case 'unmatched_request':
      return requestOnly(event.request, o);
    case 'unmatched_primary':
      return primaryOnly(event.requestId, event.primary, o);
    case 'duplicate': {
      const row = withRef(baseRow(o, event.eventTime, event.requestId), event.ref);
      row.kind = 'duplicate';
      return { row, refs: [event.ref] };
    }
  }
}

export function rejectOutcome(record: RawRecord, code: RejectCode, reason: string, o: OutcomeOptions, now: number): Outcome {
  const raw = record.value === null ? Buffer.alloc(0) : Buffer.isBuffer(record.value) ? record.value : Buffer.from(record.value);
  const row = withRef(baseRow(o, now, ''), record.ref);
  row.kind = 'reject';
  row.model = '';
  row.message_key = record.key ?? '';
  row.error_code = code;
  row.error_message = reason.slice(0, 1024);
  row.raw_payload = raw.subarray(0, o.rawPayloadMaxBytes).toString('utf8');
  row.raw_bytes = raw.length;
  return { row, refs: [record.ref] };
}

function pairOutcome(req: RequestSide, prim: PrimarySide, o: OutcomeOptions): Outcome {
  const row = requestRow(req, o);
  fillPrimary(row, prim, o);
  if (req.schemaMismatch) row.kind = 'schema_mismatch';
  else fillComparison(row, req, prim, o);
  const refs = prim.inline ? [req.ref] : [req.ref, prim.ref];
  return { row, refs };
}

function requestOnly(req: RequestSide, o: OutcomeOptions): Outcome {
  const row = requestRow(req, o);
  row.kind = req.schemaMismatch ? 'schema_mismatch' : 'unmatched_request';
  return { row, refs: [req.ref] };
}

function primaryOnly(requestId: string, prim: PrimarySide, o: OutcomeOptions): Outcome {
  const row = baseRow(o, prim.eventTime, requestId);
  row.kind = 'unmatched_primary';
  fillPrimary(row, prim, o);
  return { row, refs: [prim.ref] };
}

function fillComparison(row: OutcomeRow, req: RequestSide, prim: PrimarySide, o: OutcomeOptions): void {
  const cand = req.candidate;
  if (!cand || !cand.ok || prim.error) return;
  const c = compare(o.task, cand, prim.output);
  row.agree = c.agree ? 1 : 0;
  row.primary_label = c.primaryLabel;
  row.candidate_label = c.candidateLabel;
  row.primary_score = finiteOr0(c.primaryScore);
  row.candidate_score = finiteOr0(c.candidateScore);
  if (c.delta !== null) {
    row.has_delta = 1;
    row.score_delta = c.delta;
  }
  row.sampled = !c.agree ? 0 : sampled(req.msg.request_id, o.agreementSampleRate) ? 1 : 0;
  if (o.profiler && profiled(row)) {
    o.profiler.addScores(row.profile, c.primaryScore, c.candidateScore);
  }
  // The noise floor: the same artifact as production, on the same features, against what production logged.
  const rep = req.reproduced;
  if (rep && rep.ok) {
    row.reproduced = 1;
    row.reproduced_agree = compare(o.task, rep, prim.output).agree ? 1 : 0;
  }
  // Raw outputs and features are for analysts, in shadow.disagreements: serialising them for every
  // agreeing row would cost CPU on the hot path and storage for nothing.
  if (!c.agree || row.sampled) {
    row.features = JSON.stringify(req.msg.features);
    row.primary_output = JSON.stringify(prim.output);
    row.candidate_output = JSON.stringify({ label: cand.label, scores: cand.scores, value: cand.value });
  }
}

function requestRow(req: RequestSide, o: OutcomeOptions): OutcomeRow {
  const m = req.msg;
  const row = withRef(baseRow(o, m.event_time, m.request_id), req.ref);
  row.primary_version = m.primary_version;
  row.feature_schema_version = m.feature_schema_version;
  row.segments = o.segments.segmentsOf(m);
  // Inputs of another feature schema are not this schema's drift: they count as schema mismatches.
  const p = o.profiler;
  if (p && p.enabled && !req.schemaMismatch && p.sampled(m.request_id)) row.profile = p.features(m.features);
  fillCandidate(row, req.candidate, o);
  return row;
}

function fillCandidate(row: OutcomeRow, cand: CandidateResult | null, o: OutcomeOptions): void {
  if (!cand) return;
  row.candidate_scored = 1;
  row.candidate_latency_ms = cand.latencyMs;
  row.candidate_compute_ms = cand.computeLatencyMs;
  row.candidate_queue_ms = cand.queueMs;
  row.candidate_cost_usd = costOf(o.candidatePricing, cand.computeMs);
  if (!cand.ok) {
    row.candidate_error = 1;
    row.candidate_error_code = cand.code;
    row.candidate_error_reason = cand.reason.slice(0, 512);
  }
}

function fillPrimary(row: OutcomeRow, prim: PrimarySide, o: OutcomeOptions): void {
  row.primary_present = 1;
  if (!row.primary_version) row.primary_version = prim.version;
  row.primary_latency_ms = prim.latencyMs;
  row.primary_cost_usd = prim.costUsd ?? costOf(o.primaryPricing, prim.latencyMs);
  if (prim.error) {
    row.primary_error = 1;
    row.primary_error_code = prim.error.code;
  }
  if (!prim.inline) {
    row.prim_topic = prim.ref.topic;
    row.prim_offset = prim.ref.offset;
    row.source_partition = prim.ref.partition;
  }
}

function baseRow(o: OutcomeOptions, eventTime: number, requestId: string): OutcomeRow {
  const row = emptyRow();
  row.event_time = new Date(eventTime).toISOString();
  row.model = o.model;
  row.candidate_version = o.candidateVersion;
  row.request_id = requestId;
  return row;
}

function withRef(row: OutcomeRow, ref: SourceRef): OutcomeRow {
  row.source_partition = ref.partition;
  if (ref.stream === 'requests') {
    row.req_topic = ref.topic;
    row.req_offset = ref.offset;
  } else {
    row.prim_topic = ref.topic;
    row.prim_offset = ref.offset;
  }
  return row;
}

/** Per-inference cost: compute share priced per CPU-second, plus a flat price per 1,000 calls. */
export function costOf(p: Pricing, computeMs: number): number {
  return (p.perCpuSecondUsd ?? 0) * (computeMs / 1000) + (p.per1000Usd ?? 0) / 1000;
}

function sampled(requestId: string, rate: number): boolean {
  return rate > 0 && unitHash(requestId) < rate;
}

function profiled(row: OutcomeRow): boolean {
  for (const _ in row.profile) return true;
  return false;
}

function finiteOr0(x: number): number {
  return Number.isFinite(x) ? x : 0;
}
