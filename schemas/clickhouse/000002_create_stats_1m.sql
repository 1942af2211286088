-- Per event-time minute x model x versions x segment dimension x segment value.
-- dimension = value = '__all__' is the overall row. Counts are exact sums; latencies are t-digest
-- quantile states (read with quantilesTDigestMerge(0.5, 0.95, 0.99)); approximate by design.
CREATE TABLE IF NOT EXISTS ${db}.stats_1m
(
    minute                DateTime('UTC'),
    model                 LowCardinality(String),
    primary_version       LowCardinality(String),
    candidate_version     LowCardinality(String),
    dimension             LowCardinality(String),
    value                 String,
    compared              SimpleAggregateFunction(sum, UInt64),
    agreements            SimpleAggregateFunction(sum, UInt64),
    both_ok               SimpleAggregateFunction(sum, UInt64),  -- compared with neither model in error: agreement denominator
    candidate_errors      SimpleAggregateFunction(sum, UInt64),
    primary_errors        SimpleAggregateFunction(sum, UInt64),
    unmatched_requests    SimpleAggregateFunction(sum, UInt64),
    unmatched_primaries   SimpleAggregateFunction(sum, UInt64),
    schema_mismatches     SimpleAggregateFunction(sum, UInt64),
    duplicates            SimpleAggregateFunction(sum, UInt64),
    candidate_scored      SimpleAggregateFunction(sum, UInt64),
    primary_answered      SimpleAggregateFunction(sum, UInt64),
    candidate_latency_ms  AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64),
    primary_latency_ms    AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64),
    candidate_cost_usd    SimpleAggregateFunction(sum, Float64),
    primary_cost_usd      SimpleAggregateFunction(sum, Float64),
    delta_n               SimpleAggregateFunction(sum, UInt64),
    delta_sum             SimpleAggregateFunction(sum, Float64),
    delta_abs_sum         SimpleAggregateFunction(sum, Float64),
    delta_abs_max         SimpleAggregateFunction(max, Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (model, candidate_version, primary_version, dimension, value, minute)
SETTINGS non_replicated_deduplication_window = 10000
