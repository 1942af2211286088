-- Gate input 6: how every label message of the model was counted (exactly once): valid messages, distinct
-- requests labelled, duplicates (further labels for a request already labelled), labels whose request is
-- unknown to the store (never mirrored, another model, or expired after its 30-day TTL), and messages
-- that broke the contract. All labels received so far, not only the window's: a label's request time is
-- only known once it is joined.
SELECT
    (SELECT uniqExact(source_topic, source_partition, source_offset) FROM ${db}.labels
     WHERE model = {model:String} AND error_code != '')                                     AS invalid,
    sum(copies)                                                                             AS valid,
    count()                                                                                 AS requests,
    sum(copies) - count()                                                                   AS duplicates,
    countIf(known = 0)                                                                      AS unknown
FROM
(
    -- A message re-inserted after a re-read (same topic, partition, offset) is still one message.
    SELECT request_id, uniqExact(source_topic, source_partition, source_offset) AS copies
    FROM ${db}.labels
    WHERE model = {model:String} AND error_code = ''
    GROUP BY request_id
) AS l
LEFT JOIN
(
    -- Requests recorded in the ledger rows of outcome_blocks, and (written before migration 000086)
    -- in outcomes.
    SELECT DISTINCT request_id, toUInt8(1) AS known
    FROM
    (
        SELECT e_id AS request_id
        FROM ${db}.outcome_blocks
        ARRAY JOIN l_request_id AS e_id
        WHERE row_type = 'ledger' AND model = {model:String} AND e_id != ''
        UNION ALL
        SELECT request_id FROM ${db}.outcomes WHERE model = {model:String} AND request_id != ''
    )
) AS o ON o.request_id = l.request_id
