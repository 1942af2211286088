-- canary_10s from the blocks' cells (migration 000090): exact counts and bins, binned in the processor
-- with migration 000071's formulas (src/aggregate/block-partials.ts).
CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.canary_10s_blocks_mv TO ${db}.canary_10s AS
SELECT
    toStartOfInterval(c_time, INTERVAL 10 SECOND)                                   AS bucket,
    model,
    primary_version,
    c_dimension                                                                     AS dimension,
    c_value                                                                         AS value,
    sum(c_answered)                                                                 AS answered,
    sum(c_errors)                                                                   AS errors,
    sumMap(mapFromArrays(arrayMap(x -> x.1, c_latency), arrayMap(x -> x.2, c_latency))) AS latency_bins,
    sumMap(mapFromArrays(arrayMap(x -> x.1, c_score), arrayMap(x -> x.2, c_score)))     AS score_bins
FROM
(
    SELECT
        event_time                                                                  AS c_time,
        model,
        primary_version,
        JSONExtractString(payload, 'dimension')                                     AS c_dimension,
        JSONExtractString(payload, 'value')                                         AS c_value,
        JSONExtractUInt(payload, 'answered')                                        AS c_answered,
        JSONExtractUInt(payload, 'errors')                                          AS c_errors,
        JSONExtract(payload, 'latency_bins', 'Array(Tuple(UInt32, UInt64))')        AS c_latency,
        JSONExtract(payload, 'score_bins', 'Array(Tuple(UInt32, UInt64))')          AS c_score
    FROM ${db}.outcome_blocks
    WHERE row_type = 'canary'
)
GROUP BY bucket, model, primary_version, dimension, value
