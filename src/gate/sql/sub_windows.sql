-- Gate input 2 of 2: the overall figures per sub-window (e.g. per day), so that every sub-window
-- is judged on its own. sub_window = 0 is the oldest; sub-windows without data return no row.
-- Parameters as in window_totals.sql, plus sub_window_seconds (86400 for a day).
SELECT
    intDiv(toUInt32(minute) - toUInt32({start:DateTime('UTC')}), {sub_window_seconds:UInt32}) AS sub_window,
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
  AND dimension = '__all__'
  AND minute >= {start:DateTime('UTC')}
  AND minute <  {end:DateTime('UTC')}
GROUP BY sub_window
ORDER BY sub_window
