-- Fans each outcome out to the overall row and one row per segment dimension.
CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.stats_1m_mv TO ${db}.stats_1m AS
SELECT
    toStartOfMinute(event_time)                                            AS minute,
    model,
    primary_version,
    candidate_version,
    seg.1                                                                   AS dimension,
    seg.2                                                                   AS value,
    countIf(kind = 'compared')                                              AS compared,
    countIf(kind = 'compared' AND agree = 1)                                AS agreements,
    countIf(kind = 'compared' AND candidate_error = 0 AND primary_error = 0) AS both_ok,
    countIf(kind = 'compared' AND candidate_error = 1)                      AS candidate_errors,
    countIf(kind = 'compared' AND primary_error = 1)                        AS primary_errors,
    countIf(kind = 'unmatched_request')                                     AS unmatched_requests,
    countIf(kind = 'unmatched_primary')                                     AS unmatched_primaries,
    countIf(kind = 'schema_mismatch')                                       AS schema_mismatches,
    countIf(kind = 'duplicate')                                             AS duplicates,
    countIf(o.candidate_scored = 1)                         AS candidate_scored,
    countIf(primary_present = 1 AND kind != 'duplicate')                    AS primary_answered,
    quantilesTDigestStateIf(0.5, 0.95, 0.99)(o.candidate_latency_ms, o.candidate_scored = 1) AS candidate_latency_ms,
    quantilesTDigestStateIf(0.5, 0.95, 0.99)(o.primary_latency_ms, primary_present = 1 AND kind != 'duplicate') AS primary_latency_ms,
    sumIf(o.candidate_cost_usd, o.candidate_scored = 1)                         AS candidate_cost_usd,
    sumIf(o.primary_cost_usd, primary_present = 1 AND kind != 'duplicate')    AS primary_cost_usd,
    countIf(has_delta = 1)                                                  AS delta_n,
    sumIf(score_delta, has_delta = 1)                                       AS delta_sum,
    sumIf(abs(score_delta), has_delta = 1)                                  AS delta_abs_sum,
    maxIf(abs(score_delta), has_delta = 1)                                  AS delta_abs_max
FROM ${db}.outcomes AS o
ARRAY JOIN arrayConcat([('__all__', '__all__')], arrayZip(mapKeys(segments), mapValues(segments))) AS seg
WHERE kind != 'reject'
GROUP BY minute, model, primary_version, candidate_version, dimension, value
