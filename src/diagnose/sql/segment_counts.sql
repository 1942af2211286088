-- diagnose input 2: per segment dimension x value over [from, to): agreement and schema-mismatch counts
-- from stats_1m (summed: an AggregatingMergeTree's rows may not be merged yet).
SELECT
    dimension,
    value,
    sum(compared)            AS compared,
    sum(agreements)          AS agreements,
    sum(both_ok)             AS both_ok,
    sum(unmatched_requests)  AS unmatched_requests,
    sum(schema_mismatches)   AS schema_mismatches
FROM ${db}.stats_1m
WHERE model = {model:String}
  AND candidate_version = {candidate:String}
  AND minute >= {from:DateTime('UTC')}
  AND minute <  {to:DateTime('UTC')}
GROUP BY dimension, value
