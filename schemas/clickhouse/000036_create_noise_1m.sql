-- The noise floor, per event-time minute x model x versions x segment dimension x segment value
-- (dimension = value = '__all__' is the overall row), over rows where the primary's artifact was re-scored
-- (outcomes.reproduced = 1). The paired 2x2 table of "agrees with the logged primary output":
--   both_agree             candidate and re-scored primary agree with it
--   candidate_only_agree   the candidate agrees, the re-scored primary does not
--   reproduced_only_agree  the re-scored primary agrees, the candidate does not
--   neither_agree          neither agrees
-- Reproduction rate = (both_agree + reproduced_only_agree) / paired: how often production reproduces its
-- own logged answers (mirror/feature skew, nondeterminism, a stale artifact). The gate judges the
-- candidate's disagreement in excess of the re-scored primary's: (reproduced_only_agree - candidate_only_agree) / paired.
-- A table of its own so stats_1m's schema is untouched.
CREATE TABLE IF NOT EXISTS ${db}.noise_1m
(
    minute                 DateTime('UTC'),
    model                  LowCardinality(String),
    primary_version        LowCardinality(String),
    candidate_version      LowCardinality(String),
    dimension              LowCardinality(String),
    value                  String,
    paired                 SimpleAggregateFunction(sum, UInt64),
    both_agree             SimpleAggregateFunction(sum, UInt64),
    candidate_only_agree   SimpleAggregateFunction(sum, UInt64),
    reproduced_only_agree  SimpleAggregateFunction(sum, UInt64),
    neither_agree          SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (model, candidate_version, primary_version, dimension, value, minute)
SETTINGS non_replicated_deduplication_window = 10000
