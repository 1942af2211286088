-- Fans each outcome insert into noise_1m, overall and per segment (same insert and dedup token as stats_1m_mv).
CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.noise_1m_mv TO ${db}.noise_1m AS
SELECT
    toStartOfMinute(event_time)                          AS minute,
    model,
    primary_version,
    candidate_version,
    seg.1                                                AS dimension,
    seg.2                                                AS value,
    count()                                              AS paired,
    countIf(agree = 1 AND reproduced_agree = 1)          AS both_agree,
    countIf(agree = 1 AND reproduced_agree = 0)          AS candidate_only_agree,
    countIf(agree = 0 AND reproduced_agree = 1)          AS reproduced_only_agree,
    countIf(agree = 0 AND reproduced_agree = 0)          AS neither_agree
FROM ${db}.outcomes
ARRAY JOIN arrayConcat([('__all__', '__all__')], arrayZip(mapKeys(segments), mapValues(segments))) AS seg
WHERE kind = 'compared' AND reproduced = 1 AND candidate_error = 0 AND primary_error = 0
GROUP BY minute, model, primary_version, candidate_version, dimension, value
