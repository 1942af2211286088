-- Late ground-truth labels (issue 13), one row per label message as received (the labels topic, default
-- shadow.labels, or a file). Exactly once per message: inserted in blocks with an insert_deduplication_token
-- built from the source identities (topic, partition, offset), so a retried or replayed block is dropped.
-- Several labels for one request id are all kept and counted as duplicates at read time: the earliest by
-- (label_time, source offset) is the truth. A message that breaks the contract is kept with error_code set
-- (bounded: INVALID_JSON, SCHEMA_VIOLATION, WRONG_MODEL) and never joined.
CREATE TABLE IF NOT EXISTS ${db}.labels
(
    received_at      DateTime64(3, 'UTC') DEFAULT now64(3),
    model            LowCardinality(String),
    request_id       String,
    label            String,                   -- classification truth, as the model's labels are written
    value            Float64,                  -- regression truth
    has_label        UInt8,
    has_value        UInt8,
    label_time       DateTime64(3, 'UTC'),
    error_code       LowCardinality(String),   -- '' for a valid label
    error_message    String,
    source_topic     LowCardinality(String),
    source_partition Int32,
    source_offset    Int64
)
ENGINE = MergeTree
ORDER BY (model, request_id, label_time)
SETTINGS non_replicated_deduplication_window = 10000
