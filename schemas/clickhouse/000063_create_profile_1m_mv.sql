-- Fans each outcome insert into profile_1m: every profiled row once per segment value (and overall) and
-- once per feature. Reads outcomes, so only rows that passed the write fence count, with the same
-- insert and deduplication token as stats_1m_mv (exactly once).
CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.profile_1m_mv TO ${db}.profile_1m AS
SELECT
    toStartOfMinute(event_time)  AS minute,
    model,
    candidate_version,
    seg.1                        AS dimension,
    seg.2                        AS value,
    fc.1                         AS feature,
    fc.2                         AS cell,
    count()                      AS n
FROM ${db}.outcomes
ARRAY JOIN arrayConcat([('__all__', '__all__')], arrayZip(mapKeys(segments), mapValues(segments))) AS seg
ARRAY JOIN arrayZip(mapKeys(profile), mapValues(profile)) AS fc
WHERE notEmpty(profile)
GROUP BY minute, model, candidate_version, dimension, value, feature, cell
