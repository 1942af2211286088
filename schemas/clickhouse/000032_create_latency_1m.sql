-- Candidate latency split in two, per event-time minute x model x versions (overall only: latency is a
-- property of the model and the processor, not of a segment). Read the states with
-- quantilesTDigestMerge(0.5, 0.95, 0.99). Kept apart from stats_1m so that table's schema is untouched.
--   compute_ms: session.run time of the row's batch; the gate's latency criteria judge this.
--   queue_ms:   time in the processor before scoring; dashboards and Prometheus only.
-- Only rows the candidate scored without error: an error's timing says nothing about the model's speed.
CREATE TABLE IF NOT EXISTS ${db}.latency_1m
(
    minute             DateTime('UTC'),
    model              LowCardinality(String),
    primary_version    LowCardinality(String),
    candidate_version  LowCardinality(String),
    scored             SimpleAggregateFunction(sum, UInt64),
    compute_ms         AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64),
    queue_ms           AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64),
    compute_max_ms     SimpleAggregateFunction(max, Float64),
    queue_max_ms       SimpleAggregateFunction(max, Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (model, candidate_version, primary_version, minute)
SETTINGS non_replicated_deduplication_window = 10000
