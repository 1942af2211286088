-- History of production versions: every promote and rollback, for audit and dashboard annotations.
-- The flag itself lives in the registry (file or compacted Kafka topic); this table is its record.
CREATE TABLE IF NOT EXISTS ${db}.promotions
(
    promotion_id      UUID,
    at                DateTime64(3, 'UTC'),
    model             LowCardinality(String),
    action            LowCardinality(String),   -- promote | rollback
    from_version      String,                   -- '' when the model had no production version
    to_version        String,
    actor             String,
    reason            String,
    gate_decision_id  String,                   -- gate_decisions.decision_id for `promote --if-gate-passes`; '' otherwise
    artifact_sha256   String,                   -- of to_version's artifact, as verified before the flip
    backend           LowCardinality(String)    -- file | kafka
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (model, at)
