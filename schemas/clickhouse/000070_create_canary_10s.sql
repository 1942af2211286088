-- Canary evidence (issue 16): per 10-second event-time bucket x model x served version x segment
-- dimension x segment value, what the serving layer reported for the requests that version answered.
-- The canary judge compares two values of primary_version (production and the canary) over the same
-- buckets, so it needs no candidate scoring and no per-record scan. dimension = value = '__all__' is the
-- overall row. 10 s rather than a minute: a step's evidence starts at the first whole bucket after the
-- weight changed, and a bucket that straddles the flip (requests routed under the old weight) must be
-- short next to a step (minutes in production, seconds in tests); dashboards roll buckets up to minutes.
-- Histograms are sparse maps bin -> count with the bins of src/canary/bins.ts (latency: 4 per doubling
-- from 0.1 ms; score: 20 equal bins on [0, 1]); errored answers have no latency or score bin.
CREATE TABLE IF NOT EXISTS ${db}.canary_10s
(
    bucket           DateTime('UTC'),
    model            LowCardinality(String),
    primary_version  LowCardinality(String),
    dimension        LowCardinality(String),
    value            String,
    answered         SimpleAggregateFunction(sum, UInt64),
    errors           SimpleAggregateFunction(sum, UInt64),
    latency_bins     SimpleAggregateFunction(sumMap, Map(UInt32, UInt64)),
    score_bins       SimpleAggregateFunction(sumMap, Map(UInt32, UInt64))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (model, primary_version, dimension, value, bucket)
SETTINGS non_replicated_deduplication_window = 10000
