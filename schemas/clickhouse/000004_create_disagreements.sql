-- One row per disagreement (both models answered, answers differ), plus a configurable sample of
-- agreements (agree = 1) so analysts can contrast the two.
CREATE TABLE IF NOT EXISTS ${db}.disagreements
(
    event_time            DateTime64(3, 'UTC'),
    model                 LowCardinality(String),
    primary_version       LowCardinality(String),
    candidate_version     LowCardinality(String),
    request_id            String,
    agree                 UInt8,
    primary_label         String,
    candidate_label       String,
    primary_score         Float64,
    candidate_score       Float64,
    score_delta           Float64,
    primary_output        String,
    candidate_output      String,
    segments              Map(LowCardinality(String), String),
    features              String,
    source_partition      Int32,
    req_offset            Int64,
    prim_offset           Int64
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (model, candidate_version, event_time, request_id)
SETTINGS non_replicated_deduplication_window = 10000
