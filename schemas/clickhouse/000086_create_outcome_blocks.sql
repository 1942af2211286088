-- Issue 14: what each block writes, as it arrived (src/sinks/clickhouse/block-encoding.ts). The first
-- table a block lands in, through the write fence (outcomes_entry); the views on it fill outcomes (full
-- rows) and the aggregate tables (cells). `row_type` says what a row is:
--   row                  a full outcome row (disagreements, sampled agreements, errors, rejects, unmatched,
--                        duplicates, schema mismatches): copied to outcomes;
--   ledger               one per block and source partition: every record of the block, as parallel l_*
--                        arrays (one element per outcome): recovery, the oracle, labels, recounts;
--   stats, latency, noise, canary, profile
--                        one cell of stats_1m, latency_1m, noise_1m, canary_10s or profile_1m, its figures
--                        in `payload` (JSON).
-- A repair re-sends a block from here, whole, with its token (src/sinks/clickhouse/ledger.ts).
-- Ledger rows: event_time is the latest event time of a record that is not a reject (1970 for a row of
-- rejects only), req_offset and prim_offset the highest offsets, so a range test on them finds the
-- blocks holding a record at or after an offset, or near the end of the partition's event time.
CREATE TABLE IF NOT EXISTS ${db}.outcome_blocks
(
    event_time              DateTime64(3, 'UTC'),
    kind                    LowCardinality(String),
    model                   LowCardinality(String),
    primary_version         LowCardinality(String),
    candidate_version       LowCardinality(String),
    feature_schema_version  LowCardinality(String),
    request_id              String,
    segments                Map(LowCardinality(String), String),
    agree                   UInt8,
    sampled                 UInt8,
    candidate_scored        UInt8,
    candidate_error         UInt8,
    candidate_error_code    LowCardinality(String),
    candidate_error_reason  String,
    primary_present         UInt8,
    primary_error           UInt8,
    primary_error_code      LowCardinality(String),
    primary_label           String,
    candidate_label         String,
    primary_score           Float64,
    candidate_score         Float64,
    has_delta               UInt8,
    score_delta             Float64,
    primary_output          String,
    candidate_output        String,
    candidate_latency_ms    Float64,
    candidate_compute_ms    Float64,
    candidate_queue_ms      Float64,
    primary_latency_ms      Float64,
    reproduced              UInt8,
    reproduced_agree        UInt8,
    candidate_cost_usd      Float64,
    primary_cost_usd        Float64,
    features                String,
    profile                 Map(LowCardinality(String), LowCardinality(String)),
    source_partition        Int32,
    req_topic               LowCardinality(String),
    req_offset              Int64,
    prim_topic              LowCardinality(String),
    prim_offset             Int64,
    message_key             String,
    error_code              LowCardinality(String),
    error_message           String,
    raw_payload             String,
    raw_bytes               UInt32,
    block_token             String,
    ingested_at             DateTime64(3, 'UTC') DEFAULT now64(3),
    row_type                LowCardinality(String),           -- row | ledger | stats | latency | noise | canary | profile
    payload                 String,                           -- a cell's figures (JSON)
    l_kind                  Array(LowCardinality(String)),    -- ledger: per outcome, the outcome kind
    l_request_id            Array(String),
    l_req_offset            Array(Int64),                     -- -1: no request record
    l_prim_offset           Array(Int64),                     -- -1: no primary-output record
    l_t                     Array(Int64),                     -- event time, Unix milliseconds
    l_flags                 Array(UInt8),                     -- bits: 0 agree, 1 candidate error, 2 primary error,
                                                              --       3 candidate scored, 4 primary present, 5 sampled
    l_seg                   Array(UInt16),                    -- 1-based index into seg_dict
    l_pv                    Array(LowCardinality(String)),    -- primary version
    l_pl                    Array(LowCardinality(String)),    -- primary label
    l_cl                    Array(LowCardinality(String)),    -- candidate label
    l_ps                    Array(Float64),                   -- primary score
    l_cs                    Array(Float64),                   -- candidate score
    seg_dict                Array(Map(LowCardinality(String), String)),
    INDEX idx_req_offset req_offset TYPE minmax GRANULARITY 1,
    INDEX idx_prim_offset prim_offset TYPE minmax GRANULARITY 1
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ingested_at)
ORDER BY (model, candidate_version, source_partition, row_type, event_time)
TTL toDateTime(ingested_at) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000
