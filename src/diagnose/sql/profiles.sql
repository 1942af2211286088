-- diagnose input 1: feature and score profiles summed over [from, to) per segment dimension x value x
-- feature x cell (profile_1m, migrations 000060-000063). Run once for the window, once for the reference.
--   clickhouse client --param_model=diagnosis --param_candidate=v10 \
--     --param_from='2025-01-01 00:00:00' --param_to='2025-01-02 00:00:00' --queries-file profiles.sql
SELECT dimension, value, feature, cell, sum(n) AS n
FROM ${db}.profile_1m
WHERE model = {model:String}
  AND candidate_version = {candidate:String}
  AND minute >= {from:DateTime('UTC')}
  AND minute <  {to:DateTime('UTC')}
GROUP BY dimension, value, feature, cell
