-- One row per input record's outcome: the row-level truth the aggregates are derived from.
-- Every Kafka record (topic, partition, offset) appears in exactly one row: a compared row carries
-- both the request's and the primary output's identity. The materialized views below fan each
-- insert out to stats_1m, disagreements and rejects, so one insert (one dedup token) writes all.
CREATE TABLE IF NOT EXISTS ${db}.outcomes
(
    event_time              DateTime64(3, 'UTC'),
    kind                    LowCardinality(String),   -- compared | unmatched_request | unmatched_primary | schema_mismatch | duplicate | reject
    model                   LowCardinality(String),
    primary_version         LowCardinality(String),
    candidate_version       LowCardinality(String),
    feature_schema_version  LowCardinality(String),
    request_id              String,
    segments                Map(LowCardinality(String), String),
    agree                   UInt8,
    sampled                 UInt8,                    -- agreement sampled into shadow.disagreements
    candidate_scored        UInt8,                    -- the candidate ran on this request
    candidate_error         UInt8,
    candidate_error_code    LowCardinality(String),
    candidate_error_reason  String,
    primary_present         UInt8,                    -- a primary output is part of this row
    primary_error           UInt8,
    primary_error_code      LowCardinality(String),
    primary_label           String,
    candidate_label         String,
    primary_score           Float64,
    candidate_score         Float64,
    has_delta               UInt8,
    score_delta             Float64,                  -- candidate minus primary (score or value)
    primary_output          String,                   -- JSON as received
    candidate_output        String,                   -- JSON
    candidate_latency_ms    Float64,
    primary_latency_ms      Float64,
    candidate_cost_usd      Float64,
    primary_cost_usd        Float64,
    features                String,                   -- JSON; only on disagreements and sampled agreements
    source_partition        Int32,
    req_topic               LowCardinality(String),
    req_offset              Int64,                    -- -1 when the row has no request record
    prim_topic              LowCardinality(String),
    prim_offset             Int64,                    -- -1 when the row has no primary-output record
    message_key             String,
    error_code              LowCardinality(String),   -- rejects: bounded reason code
    error_message           String,
    raw_payload             String,                   -- rejects: payload, truncated to sink.rawPayloadMaxBytes
    raw_bytes               UInt32,
    block_token             String,                   -- insert_deduplication_token of the block this row came in
    ingested_at             DateTime64(3, 'UTC') DEFAULT now64(3),
    INDEX idx_req_offset req_offset TYPE minmax GRANULARITY 1,
    INDEX idx_prim_offset prim_offset TYPE minmax GRANULARITY 1
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ingested_at)
ORDER BY (model, candidate_version, source_partition, event_time)
TTL toDateTime(ingested_at) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000
