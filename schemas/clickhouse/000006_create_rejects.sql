-- Every message that failed to decode or validate, with where it came from.
CREATE TABLE IF NOT EXISTS ${db}.rejects
(
    received_at    DateTime64(3, 'UTC'),
    topic          LowCardinality(String),
    partition      Int32,
    offset         Int64,
    message_key    String,
    error_code     LowCardinality(String),
    error_message  String,
    raw_payload    String,
    raw_bytes      UInt32
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(received_at)
ORDER BY (topic, partition, offset)
SETTINGS non_replicated_deduplication_window = 10000
