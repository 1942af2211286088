/** One row of `shadow.outcomes`; column names are the table's. */
export interface OutcomeRow {
  event_time: string;
  kind: OutcomeKind;
  model: string;
  primary_version: string;
  candidate_version: string;
  feature_schema_version: string;
  request_id: string;
  segments: Record<string, string>;
  agree: 0 | 1;
  sampled: 0 | 1;
  candidate_scored: 0 | 1;
  candidate_error: 0 | 1;
  candidate_error_code: string;
  candidate_error_reason: string;
  primary_present: 0 | 1;
  primary_error: 0 | 1;
  primary_error_code: string;
  primary_label: string;
  candidate_label: string;
  primary_score: number;
  candidate_score: number;
  has_delta: 0 | 1;
  score_delta: number;
  primary_output: string;
  candidate_output: string;
  /** End to end inside the processor: queue + compute (kept for continuity; not judged). */
  candidate_latency_ms: number;
  /** session.run time of the row's batch: what the gate judges (migration 000030). */
  candidate_compute_ms: number;
  /** Time before scoring (micro-batch wait, event-loop stalls): processor health (migration 000031). */
  candidate_queue_ms: number;
  primary_latency_ms: number;
  /** 1 when the primary's artifact was re-scored and both it and the logged primary answered (migration 000034). */
  reproduced: 0 | 1;
  /** The re-scored primary agrees with the logged primary (migration 000035). */
  reproduced_agree: 0 | 1;
  candidate_cost_usd: number;
  primary_cost_usd: number;
  features: string;
  /** Feature and score cells of a profiled request (src/profiles; migration 000060); {} otherwise. */
  profile: Record<string, string>;
  source_partition: number;
  req_topic: string;
  req_offset: number;
  prim_topic: string;
  prim_offset: number;
  message_key: string;
  error_code: string;
  error_message: string;
  raw_payload: string;
  raw_bytes: number;
  /** Set by the writer: the dedup token of the block, so recovery can re-send exactly that block. */
  block_token: string;
}

/**
 * The columns the sink sends, in the order it sends them (JSONCompactEachRow: one array per row, the
 * names once per insert). The one place the order is written down; test/sinks/clickhouse/outcome-encoding.test.ts
 * checks it against OutcomeRow and against the outcomes and outcomes_entry tables of a migrated store.
 */
export const OUTCOME_COLUMNS = [
  'event_time',
  'kind',
  'model',
  'primary_version',
  'candidate_version',
  'feature_schema_version',
  'request_id',
  'segments',
  'agree',
  'sampled',
  'candidate_scored',
  'candidate_error',
  'candidate_error_code',
  'candidate_error_reason',
  'primary_present',
  'primary_error',
  'primary_error_code',
  'primary_label',
  'candidate_label',
  'primary_score',
  'candidate_score',
  'has_delta',
  'score_delta',
  'primary_output',
  'candidate_output',
  'candidate_latency_ms',
  'candidate_compute_ms',
  'candidate_queue_ms',
  'primary_latency_ms',
  'reproduced',
  'reproduced_agree',
  'candidate_cost_usd',
  'primary_cost_usd',
  'features',
  'profile',
  'source_partition',
  'req_topic',
  'req_offset',
  'prim_topic',
  'prim_offset',
  'message_key',
  'error_code',
  'error_message',
  'raw_payload',
  'raw_bytes',
  'block_token',
] as const satisfies readonly (keyof OutcomeRow)[];

// A key of OutcomeRow left out of OUTCOME_COLUMNS would be silently dropped by the sink; this stops tsc.
type Unlisted = Exclude<keyof OutcomeRow, (typeof OUTCOME_COLUMNS)[number]>;
const listsEveryKey: [Unlisted] extends [never] ? true : Unlisted = true;

export type OutcomeKind = 'compared' | 'unmatched_request' | 'unmatched_primary' | 'schema_mismatch' | 'duplicate' | 'reject';

/** Every column at its neutral value; builders override what they know. */
export function emptyRow(): OutcomeRow {
  return {
    event_time: '',
    kind: 'compared',
    model: '',
    primary_version: '',
    candidate_version: '',
    feature_schema_version: '',
    request_id: '',
    segments: {},
    agree: 0,
    sampled: 0,
    candidate_scored: 0,
    candidate_error: 0,
    candidate_error_code: '',
    candidate_error_reason: '',
    primary_present: 0,
    primary_error: 0,
    primary_error_code: '',
    primary_label: '',
    candidate_label: '',
    primary_score: 0,
    candidate_score: 0,
    has_delta: 0,
    score_delta: 0,
    primary_output: '',
    candidate_output: '',
    candidate_latency_ms: 0,
    candidate_compute_ms: 0,
    candidate_queue_ms: 0,
    primary_latency_ms: 0,
    reproduced: 0,
    reproduced_agree: 0,
    candidate_cost_usd: 0,
    primary_cost_usd: 0,
    features: '',
    profile: {},
    source_partition: 0,
    req_topic: '',
    req_offset: -1,
    prim_topic: '',
    prim_offset: -1,
    message_key: '',
    error_code: '',
    error_message: '',
    raw_payload: '',
    raw_bytes: 0,
    block_token: '',
  };
}
