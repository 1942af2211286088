-- noise_1m from the blocks' cells (migration 000090): exact counts.
CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.noise_1m_blocks_mv TO ${db}.noise_1m AS
SELECT
    toStartOfMinute(c_time)               AS minute,
    model,
    primary_version,
    candidate_version,
    c_dimension                           AS dimension,
    c_value                               AS value,
    sum(c_paired)                         AS paired,
    sum(c_both_agree)                     AS both_agree,
    sum(c_candidate_only_agree)           AS candidate_only_agree,
    sum(c_reproduced_only_agree)          AS reproduced_only_agree,
    sum(c_neither_agree)                  AS neither_agree
FROM
(
    SELECT
        event_time                                           AS c_time,
        model,
        primary_version,
        candidate_version,
        JSONExtractString(payload, 'dimension')              AS c_dimension,
        JSONExtractString(payload, 'value')                  AS c_value,
        JSONExtractUInt(payload, 'paired')                   AS c_paired,
        JSONExtractUInt(payload, 'both_agree')               AS c_both_agree,
        JSONExtractUInt(payload, 'candidate_only_agree')     AS c_candidate_only_agree,
        JSONExtractUInt(payload, 'reproduced_only_agree')    AS c_reproduced_only_agree,
        JSONExtractUInt(payload, 'neither_agree')            AS c_neither_agree
    FROM ${db}.outcome_blocks
    WHERE row_type = 'noise'
)
GROUP BY minute, model, primary_version, candidate_version, dimension, value
