-- Fans each outcome insert into canary_10s. It hangs off outcomes, not outcomes_entry: rows reach
-- outcomes only through the write fence (000042), so a fenced-out writer's rows never count, and the
-- insert's dedup token covers this view like stats_1m_mv. One row per primary output a version served:
-- a compared row or an unmatched primary; duplicates, rejects and requests without an answer are not
-- answers.
CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.canary_10s_mv TO ${db}.canary_10s AS
SELECT
    toStartOfInterval(event_time, INTERVAL 10 SECOND)                                    AS bucket,
    model,
    primary_version,
    seg.1                                                                                AS dimension,
    seg.2                                                                                AS value,
    count()                                                                              AS answered,
    countIf(primary_error = 1)                                                           AS errors,
    sumMapIf(map(toUInt32(least(79, greatest(0, floor(log2(greatest(primary_latency_ms, 0.1) / 0.1) * 4)))), toUInt64(1)), primary_error = 0) AS latency_bins,
    sumMapIf(map(toUInt32(least(19, greatest(0, floor(primary_score * 20)))), toUInt64(1)), primary_error = 0)                                AS score_bins
FROM ${db}.outcomes
ARRAY JOIN arrayConcat([('__all__', '__all__')], arrayZip(mapKeys(segments), mapValues(segments))) AS seg
WHERE primary_present = 1 AND kind IN ('compared', 'unmatched_primary')
GROUP BY bucket, model, primary_version, dimension, value
