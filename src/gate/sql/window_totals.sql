-- Gate input 1 of 2: totals over the gate window for one model and candidate version.
-- One row for the overall figures (dimension = value = '__all__') and one per segment value.
-- Run it yourself:
--   clickhouse client --param_model=diagnosis --param_candidate=v10 \
--     --param_start='2025-01-01 00:00:00' --param_end='2025-01-08 00:00:00' --queries-file window_totals.sql
-- (with ${db} replaced by the database, default `shadow`).
-- stats_1m is an AggregatingMergeTree: rows of one key may not be merged yet, so every counter is
-- summed here and the latency states are merged, never read as stored.
SELECT
    dimension,
    value,
    arraySort(groupUniqArray(primary_version))                       AS primary_versions,
    sum(compared)                                                    AS compared,
    sum(agreements)                                                  AS agreements,
    sum(both_ok)                                                     AS both_ok,
    sum(candidate_errors)                                            AS candidate_errors,
    sum(primary_errors)                                              AS primary_errors,
    sum(unmatched_requests)                                          AS unmatched_requests,
    sum(unmatched_primaries)                                         AS unmatched_primaries,
    sum(schema_mismatches)                                           AS schema_mismatches,
    sum(candidate_scored)                                            AS candidate_scored,
    sum(primary_answered)                                            AS primary_answered,
    quantilesTDigestMerge(0.5, 0.95, 0.99)(candidate_latency_ms)     AS candidate_latency_ms,
    quantilesTDigestMerge(0.5, 0.95, 0.99)(primary_latency_ms)       AS primary_latency_ms,
    sum(candidate_cost_usd)                                          AS candidate_cost_usd,
    sum(primary_cost_usd)                                            AS primary_cost_usd,
    toString(min(minute))                                            AS first_minute,
    toString(max(minute))                                            AS last_minute
FROM ${db}.stats_1m
WHERE model = {model:String}
  AND candidate_version = {candidate:String}
  AND minute >= {start:DateTime('UTC')}
  AND minute <  {end:DateTime('UTC')}
GROUP BY dimension, value
ORDER BY dimension = '__all__' DESC, dimension, value
