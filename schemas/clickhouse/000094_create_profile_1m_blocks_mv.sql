-- profile_1m from the blocks' cells (as stats_1m, migration 000090): per minute x model x versions x
-- source partition x segment value, the count of each feature's profile cell (src/profiles), exact.
CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.profile_1m_blocks_mv TO ${db}.profile_1m AS
SELECT
    toStartOfMinute(event_time)                                 AS minute,
    model,
    candidate_version,
    JSONExtractString(payload, 'dimension')                     AS dimension,
    JSONExtractString(payload, 'value')                         AS value,
    fc.1                                                        AS feature,
    fc.2                                                        AS cell,
    sum(fc.3)                                                   AS n
FROM ${db}.outcome_blocks
ARRAY JOIN JSONExtract(payload, 'cells', 'Array(Tuple(String, String, UInt64))') AS fc
WHERE row_type = 'profile'
GROUP BY minute, model, candidate_version, dimension, value, feature, cell
