-- stats_1m from the cells each block carries (src/aggregate/block-partials.ts), one per minute x model x
-- versions x source partition x segment dimension x value: counts and sums add up exactly. Latency
-- arrives as log-bucket histograms (src/aggregate/log-histogram.ts: each bucket's representative is
-- within 0.5% of its values); the t-digest states readers merge are built from the representatives,
-- each repeated as often as its bucket counts, so every reader of stats_1m is unchanged.
CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.stats_1m_blocks_mv TO ${db}.stats_1m AS
SELECT
    toStartOfMinute(c_time)                                        AS minute,
    model,
    primary_version,
    candidate_version,
    c_dimension                                                    AS dimension,
    c_value                                                        AS value,
    sum(c_compared)                                                AS compared,
    sum(c_agreements)                                              AS agreements,
    sum(c_both_ok)                                                 AS both_ok,
    sum(c_candidate_errors)                                        AS candidate_errors,
    sum(c_primary_errors)                                          AS primary_errors,
    sum(c_unmatched_requests)                                      AS unmatched_requests,
    sum(c_unmatched_primaries)                                     AS unmatched_primaries,
    sum(c_schema_mismatches)                                       AS schema_mismatches,
    sum(c_duplicates)                                              AS duplicates,
    sum(c_candidate_scored)                                        AS candidate_scored,
    sum(c_primary_answered)                                        AS primary_answered,
    quantilesTDigestMergeState(0.5, 0.95, 0.99)(c_candidate_latency) AS candidate_latency_ms,
    quantilesTDigestMergeState(0.5, 0.95, 0.99)(c_primary_latency)   AS primary_latency_ms,
    sum(c_candidate_cost_usd)                                      AS candidate_cost_usd,
    sum(c_primary_cost_usd)                                        AS primary_cost_usd,
    sum(c_delta_n)                                                 AS delta_n,
    sum(c_delta_sum)                                               AS delta_sum,
    sum(c_delta_abs_sum)                                           AS delta_abs_sum,
    max(c_delta_abs_max)                                           AS delta_abs_max
FROM
(
    SELECT
        event_time                                                 AS c_time,
        model,
        primary_version,
        candidate_version,
        JSONExtractString(payload, 'dimension')                    AS c_dimension,
        JSONExtractString(payload, 'value')                        AS c_value,
        JSONExtractUInt(payload, 'compared')                       AS c_compared,
        JSONExtractUInt(payload, 'agreements')                     AS c_agreements,
        JSONExtractUInt(payload, 'both_ok')                        AS c_both_ok,
        JSONExtractUInt(payload, 'candidate_errors')               AS c_candidate_errors,
        JSONExtractUInt(payload, 'primary_errors')                 AS c_primary_errors,
        JSONExtractUInt(payload, 'unmatched_requests')             AS c_unmatched_requests,
        JSONExtractUInt(payload, 'unmatched_primaries')            AS c_unmatched_primaries,
        JSONExtractUInt(payload, 'schema_mismatches')              AS c_schema_mismatches,
        JSONExtractUInt(payload, 'duplicates')                     AS c_duplicates,
        JSONExtractUInt(payload, 'candidate_scored')               AS c_candidate_scored,
        JSONExtractUInt(payload, 'primary_answered')               AS c_primary_answered,
        arrayReduce('quantilesTDigestState(0.5, 0.95, 0.99)', arrayFlatten(arrayMap(
            b -> arrayWithConstant(b.2, if(b.1 = -32768, 0, 2 * pow(1.0100502512562812, b.1) / (1.0100502512562812 + 1))),
            JSONExtract(payload, 'candidate_latency', 'Array(Tuple(Int32, UInt64))')))) AS c_candidate_latency,
        arrayReduce('quantilesTDigestState(0.5, 0.95, 0.99)', arrayFlatten(arrayMap(
            b -> arrayWithConstant(b.2, if(b.1 = -32768, 0, 2 * pow(1.0100502512562812, b.1) / (1.0100502512562812 + 1))),
            JSONExtract(payload, 'primary_latency', 'Array(Tuple(Int32, UInt64))')))) AS c_primary_latency,
        JSONExtractFloat(payload, 'candidate_cost_usd')            AS c_candidate_cost_usd,
        JSONExtractFloat(payload, 'primary_cost_usd')              AS c_primary_cost_usd,
        JSONExtractUInt(payload, 'delta_n')                        AS c_delta_n,
        JSONExtractFloat(payload, 'delta_sum')                     AS c_delta_sum,
        JSONExtractFloat(payload, 'delta_abs_sum')                 AS c_delta_abs_sum,
        JSONExtractFloat(payload, 'delta_abs_max')                 AS c_delta_abs_max
    FROM ${db}.outcome_blocks
    WHERE row_type = 'stats'
)
GROUP BY minute, model, primary_version, candidate_version, dimension, value
