-- Feature and score profiles (issue 15), per event-time minute x model x candidate_version x segment
-- dimension x value (dimension = value = '__all__' overall) x feature x cell: how many profiled requests
-- had that feature in that cell. A histogram, mergeable by sum over minutes; null, NaN, out-of-range
-- ('lo', 'hi') and wrong-type ('bad') rates are cells too. Read by `shadow-compare diagnose` and the
-- Diagnosis dashboard. candidate_version is in the key because replays of one traffic for several
-- candidates must not add up; the inputs' profile of one candidate's run is the traffic's profile.
CREATE TABLE IF NOT EXISTS ${db}.profile_1m
(
    minute             DateTime('UTC'),
    model              LowCardinality(String),
    candidate_version  LowCardinality(String),
    dimension          LowCardinality(String),
    value              String,
    feature            LowCardinality(String),
    cell               LowCardinality(String),
    n                  SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (model, candidate_version, dimension, value, feature, minute, cell)
SETTINGS non_replicated_deduplication_window = 10000
