import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { outcomeOf, rejectOutcome, costOf, SegmentCapper, type OutcomeOptions } from '../../src/outcomes/index.ts';
import type { CandidateResult, MirroredRequest, PrimarySide, RawRecord, RequestSide, SourceRef } from '../../src/types.ts';

const reqRef: SourceRef = { stream: 'requests', topic: 'shadow.requests', partition: 4, offset: 100 };
const primRef: SourceRef = { stream: 'primaries', topic: 'shadow.primaries', partition: 4, offset: 200 };
const T = Date.UTC(2024, 4, 1, 12, 0, 0, 250);

function options(over: Partial<OutcomeOptions> = {}): OutcomeOptions {
  return {
    model: 'fraud',
    candidateVersion: 'v10',
    task: { type: 'binary', threshold: 0.5, positiveLabel: '1' },
    candidatePricing: { perCpuSecondUsd: 0.01 },
    primaryPricing: { per1000Usd: 2 },
    agreementSampleRate: 0,
    rawPayloadMaxBytes: 16,
    segments: new SegmentCapper(['country'], 10),
    ...over,
  };
}

function req(over: Partial<MirroredRequest> = {}, candidate: CandidateResult | null = okCand(0.9), schemaMismatch = false): RequestSide {
  const msg: MirroredRequest = {
    request_id: 'r-1',
    event_time: T,
    model: 'fraud',
    primary_version: 'v9',
    feature_schema_version: '3',
    features: { amount: 12.5, country: 'DE' },
    ...over,
  };
  return { ref: reqRef, msg, candidate, schemaMismatch };
}

function okCand(p: number): CandidateResult {
  return { ok: true, scores: [1 - p, p], label: p >= 0.5 ? '1' : '0', latencyMs: 7, computeMs: 500, computeLatencyMs: 3, queueMs: 4 };
}

function prim(over: Partial<PrimarySide> = {}): PrimarySide {
  return { ref: primRef, version: 'v9', eventTime: T + 5, output: { score: 0.8 }, latencyMs: 12, error: null, costUsd: 0.003, inline: false, ...over };
}

describe('outcomeOf, compared rows', () => {
  it('writes an agreement with labels, scores, delta and the identities of both records', () => {
    const { row, refs } = outcomeOf({ type: 'pair', request: req(), primary: prim() }, options());
    assert.equal(row.kind, 'compared');
    assert.equal(row.agree, 1);
    assert.equal(row.candidate_label, '1');
    assert.equal(row.primary_label, '1');
    assert.equal(row.candidate_score, 0.9);
    assert.equal(row.primary_score, 0.8);
    assert.equal(row.has_delta, 1);
    assert.ok(Math.abs(row.score_delta - 0.1) < 1e-12, 'delta = candidate minus primary');
    assert.deepEqual(refs, [reqRef, primRef]);
    assert.equal(row.req_topic, 'shadow.requests');
    assert.equal(row.req_offset, 100);
    assert.equal(row.prim_topic, 'shadow.primaries');
    assert.equal(row.prim_offset, 200);
    assert.equal(row.source_partition, 4);
    assert.equal(row.event_time, '2024-05-01T12:00:00.250Z');
    assert.equal(row.model, 'fraud');
    assert.equal(row.candidate_version, 'v10');
    assert.equal(row.primary_version, 'v9');
    assert.equal(row.feature_schema_version, '3');
    assert.equal(row.request_id, 'r-1');
    assert.deepEqual(row.segments, { feature_schema_version: '3', country: 'DE' });
    assert.equal(row.candidate_scored, 1);
    assert.equal(row.primary_present, 1);
    assert.equal(row.candidate_error, 0);
    assert.equal(row.primary_error, 0);
  });

  it('leaves the features out of an agreement that is not sampled', () => {
    const { row } = outcomeOf({ type: 'pair', request: req(), primary: prim() }, options({ agreementSampleRate: 0 }));
    assert.equal(row.agree, 1);
    assert.equal(row.sampled, 0);
    assert.equal(row.features, '');
  });

  it('keeps the features of a disagreement', () => {
    const { row } = outcomeOf({ type: 'pair', request: req({}, okCand(0.2)), primary: prim() }, options());
    assert.equal(row.agree, 0);
    assert.equal(row.sampled, 0);
    assert.equal(row.candidate_label, '0');
    assert.ok(row.score_delta < 0);
    assert.deepEqual(JSON.parse(row.features), { amount: 12.5, country: 'DE' });
  });

  it('keeps the features of a sampled agreement', () => {
    const { row } = outcomeOf({ type: 'pair', request: req(), primary: prim() }, options({ agreementSampleRate: 1 }));
    assert.equal(row.agree, 1);
    assert.equal(row.sampled, 1);
    assert.deepEqual(JSON.parse(row.features), { amount: 12.5, country: 'DE' });
  });

  it('samples agreements deterministically by request id at roughly the configured rate', () => {
    const o = options({ agreementSampleRate: 0.2 });
    let n = 0;
    for (let i = 0; i < 4000; i++) {
      const r = req({ request_id: `req-${i}` });
      const first = outcomeOf({ type: 'pair', request: r, primary: prim() }, o).row.sampled;
      const again = outcomeOf({ type: 'pair', request: req({ request_id: `req-${i}`, event_time: T + 99 }), primary: prim() }, o).row.sampled;
      assert.equal(again, first, `req-${i} sampled the same way twice`);
      n += first;
    }
    assert.ok(n > 4000 * 0.17 && n < 4000 * 0.23, `sampled ${n} of 4000 at rate 0.2`);
  });

  it('records latency and cost, and both raw outputs only where analysts see them (disagreements)', () => {
    const { row } = outcomeOf({ type: 'pair', request: req(), primary: prim() }, options());
    assert.equal(row.agree, 1);
    assert.equal(row.candidate_output, '', 'an unsampled agreement carries no raw outputs');
    assert.equal(row.primary_output, '');
    const { row: d } = outcomeOf({ type: 'pair', request: req(), primary: prim({ output: { score: 0.2 } }) }, options());
    assert.equal(d.agree, 0);
    assert.deepEqual(JSON.parse(d.candidate_output), { label: '1', scores: [0.09999999999999998, 0.9] });
    assert.deepEqual(JSON.parse(d.primary_output), { score: 0.2 });
    assert.equal(row.candidate_latency_ms, 7);
    assert.equal(row.candidate_compute_ms, 3, 'the batch run time, judged by the gate');
    assert.equal(row.candidate_queue_ms, 4, 'time before scoring, processor health');
    assert.equal(row.primary_latency_ms, 12);
    assert.ok(Math.abs(row.candidate_cost_usd - 0.01 * 0.5) < 1e-15, 'compute ms priced per CPU-second');
    assert.equal(row.primary_cost_usd, 0.003, 'the primary cost_usd wins over pricing');
  });

  it('prices the primary from its pricing when the output carries no cost', () => {
    const { row } = outcomeOf({ type: 'pair', request: req(), primary: prim({ costUsd: undefined }) }, options());
    assert.ok(Math.abs(row.primary_cost_usd - 0.002) < 1e-15);
    assert.equal(costOf({ perCpuSecondUsd: 1, per1000Usd: 1 }, 250), 0.251);
  });

  it('writes an inline primary output as one record with no primary identity', () => {
    const inline = prim({ ref: reqRef, inline: true });
    const { row, refs } = outcomeOf({ type: 'pair', request: req(), primary: inline }, options());
    assert.deepEqual(refs, [reqRef]);
    assert.equal(row.req_offset, 100);
    assert.equal(row.prim_offset, -1);
    assert.equal(row.prim_topic, '');
    assert.equal(row.primary_present, 1);
  });

  it('writes a candidate error as a compared row with the error and no agreement', () => {
    const cand: CandidateResult = { ok: false, code: 'MISSING_FEATURE', reason: 'feature "amount" is missing', latencyMs: 1, computeMs: 0, computeLatencyMs: 0, queueMs: 0 };
    const { row, refs } = outcomeOf({ type: 'pair', request: req({}, cand), primary: prim() }, options());
    assert.equal(row.kind, 'compared');
    assert.equal(row.candidate_error, 1);
    assert.equal(row.candidate_error_code, 'MISSING_FEATURE');
    assert.equal(row.candidate_error_reason, 'feature "amount" is missing');
    assert.equal(row.candidate_scored, 1);
    assert.equal(row.agree, 0);
    assert.equal(row.has_delta, 0);
    assert.equal(row.candidate_output, '');
    assert.deepEqual(refs, [reqRef, primRef]);
  });

  it('writes a primary error as a compared row that is not compared for agreement', () => {
    const { row } = outcomeOf({ type: 'pair', request: req(), primary: prim({ error: { code: 'TIMEOUT' }, output: { score: 0.9 } }) }, options({ agreementSampleRate: 1 }));
    assert.equal(row.kind, 'compared');
    assert.equal(row.primary_error, 1);
    assert.equal(row.primary_error_code, 'TIMEOUT');
    assert.equal(row.agree, 0, 'not an agreement even though both scores are positive');
    assert.equal(row.has_delta, 0);
    assert.equal(row.primary_label, '');
    assert.equal(row.sampled, 0);
    assert.equal(row.features, '');
  });

  it('writes a schema mismatch pair as a schema_mismatch row carrying both identities', () => {
    const { row, refs } = outcomeOf({ type: 'pair', request: req({ feature_schema_version: '2' }, null, true), primary: prim() }, options());
    assert.equal(row.kind, 'schema_mismatch');
    assert.equal(row.candidate_scored, 0);
    assert.equal(row.agree, 0);
    assert.equal(row.feature_schema_version, '2');
    assert.deepEqual(refs, [reqRef, primRef]);
    assert.equal(row.prim_offset, 200);
  });
});

describe('outcomeOf, other rows', () => {
  it('writes an unmatched request with the request identity only', () => {
    const { row, refs } = outcomeOf({ type: 'unmatched_request', request: req() }, options());
    assert.equal(row.kind, 'unmatched_request');
    assert.deepEqual(refs, [reqRef]);
    assert.equal(row.req_offset, 100);
    assert.equal(row.prim_offset, -1);
    assert.equal(row.primary_present, 0);
    assert.equal(row.candidate_scored, 1);
    assert.equal(row.agree, 0);
  });

  it('writes an unmatched schema-mismatched request as schema_mismatch', () => {
    const { row } = outcomeOf({ type: 'unmatched_request', request: req({}, null, true) }, options());
    assert.equal(row.kind, 'schema_mismatch');
  });

  it('writes an unmatched primary output with its identity, version and event time', () => {
    const { row, refs } = outcomeOf({ type: 'unmatched_primary', primary: prim(), requestId: 'r-9' }, options());
    assert.equal(row.kind, 'unmatched_primary');
    assert.deepEqual(refs, [primRef]);
    assert.equal(row.request_id, 'r-9');
    assert.equal(row.prim_topic, 'shadow.primaries');
    assert.equal(row.prim_offset, 200);
    assert.equal(row.req_offset, -1);
    assert.equal(row.source_partition, 4);
    assert.equal(row.primary_version, 'v9');
    assert.equal(row.primary_present, 1);
    assert.equal(row.candidate_scored, 0);
    assert.equal(row.event_time, new Date(T + 5).toISOString());
  });

  it('writes a duplicate with the redelivered record identity', () => {
    const dupRef: SourceRef = { ...primRef, offset: 333 };
    const { row, refs } = outcomeOf({ type: 'duplicate', ref: dupRef, requestId: 'r-1', eventTime: T }, options());
    assert.equal(row.kind, 'duplicate');
    assert.deepEqual(refs, [dupRef]);
    assert.equal(row.prim_offset, 333);
    assert.equal(row.req_offset, -1);
    assert.equal(row.request_id, 'r-1');
  });
});

describe('rejectOutcome', () => {
  const raw = (value: RawRecord['value'], key: string | null = 'k-1'): RawRecord => ({ ref: reqRef, key, value });

  it('truncates the raw payload to rawPayloadMaxBytes and records the full size', () => {
    const payload = Buffer.from('x'.repeat(40));
    const { row, refs } = rejectOutcome(raw(payload), 'INVALID_JSON', 'Unexpected token', options({ rawPayloadMaxBytes: 16 }), T);
    assert.equal(row.kind, 'reject');
    assert.equal(row.raw_payload, 'x'.repeat(16));
    assert.equal(row.raw_bytes, 40);
    assert.equal(row.error_code, 'INVALID_JSON');
    assert.equal(row.error_message, 'Unexpected token');
    assert.equal(row.message_key, 'k-1');
    assert.equal(row.model, '', 'a reject belongs to no model');
    assert.deepEqual(refs, [reqRef]);
    assert.equal(row.req_offset, 100);
    assert.equal(row.event_time, '2024-05-01T12:00:00.250Z');
  });

  it('counts a string payload in UTF-8 bytes', () => {
    const { row } = rejectOutcome(raw('é'.repeat(10)), 'SCHEMA_VIOLATION', 'x', options({ rawPayloadMaxBytes: 16 }), T);
    assert.equal(row.raw_bytes, 20);
  });

  it('keeps a short payload whole and an empty value as an empty payload', () => {
    assert.equal(rejectOutcome(raw('{"a":1}'), 'SCHEMA_VIOLATION', 'x', options(), T).row.raw_payload, '{"a":1}');
    const empty = rejectOutcome(raw(null, null), 'EMPTY', 'empty message value', options(), T).row;
    assert.equal(empty.raw_payload, '');
    assert.equal(empty.raw_bytes, 0);
    assert.equal(empty.message_key, '');
  });

  it('bounds the error message', () => {
    const { row } = rejectOutcome(raw('x'), 'INVALID_JSON', 'e'.repeat(5000), options(), T);
    assert.equal(row.error_message.length, 1024);
  });

  it('writes a reject from the primaries topic with the primary identity', () => {
    const { row } = rejectOutcome({ ref: primRef, key: null, value: 'x' }, 'INVALID_JSON', 'bad', options(), T);
    assert.equal(row.prim_topic, 'shadow.primaries');
    assert.equal(row.prim_offset, 200);
    assert.equal(row.req_offset, -1);
  });
});
