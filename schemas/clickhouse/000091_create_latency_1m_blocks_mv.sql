-- latency_1m from the blocks' cells (as stats_1m, migration 000090): histograms of compute and queue
-- time become t-digest states over their bucket representatives; the maxima are exact.
CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.latency_1m_blocks_mv TO ${db}.latency_1m AS
SELECT
    toStartOfMinute(c_time)                                     AS minute,
    model,
    primary_version,
    candidate_version,
    sum(c_scored)                                               AS scored,
    quantilesTDigestMergeState(0.5, 0.95, 0.99)(c_compute)      AS compute_ms,
    quantilesTDigestMergeState(0.5, 0.95, 0.99)(c_queue)        AS queue_ms,
    max(c_compute_max)                                          AS compute_max_ms,
    max(c_queue_max)                                            AS queue_max_ms
FROM
(
    SELECT
        event_time                                              AS c_time,
        model,
        primary_version,
        candidate_version,
        JSONExtractUInt(payload, 'scored')                      AS c_scored,
        arrayReduce('quantilesTDigestState(0.5, 0.95, 0.99)', arrayFlatten(arrayMap(
            b -> arrayWithConstant(b.2, if(b.1 = -32768, 0, 2 * pow(1.0100502512562812, b.1) / (1.0100502512562812 + 1))),
            JSONExtract(payload, 'compute', 'Array(Tuple(Int32, UInt64))')))) AS c_compute,
        arrayReduce('quantilesTDigestState(0.5, 0.95, 0.99)', arrayFlatten(arrayMap(
            b -> arrayWithConstant(b.2, if(b.1 = -32768, 0, 2 * pow(1.0100502512562812, b.1) / (1.0100502512562812 + 1))),
            JSONExtract(payload, 'queue', 'Array(Tuple(Int32, UInt64))')))) AS c_queue,
        JSONExtractFloat(payload, 'compute_max')                AS c_compute_max,
        JSONExtractFloat(payload, 'queue_max')                  AS c_queue_max
    FROM ${db}.outcome_blocks
    WHERE row_type = 'latency'
)
GROUP BY minute, model, primary_version, candidate_version
