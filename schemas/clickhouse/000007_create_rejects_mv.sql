CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.rejects_mv TO ${db}.rejects AS
SELECT
    ingested_at                                   AS received_at,
    if(req_offset >= 0, req_topic, prim_topic)    AS topic,
    source_partition                              AS partition,
    if(req_offset >= 0, req_offset, prim_offset)  AS offset,
    message_key, error_code, error_message, raw_payload, raw_bytes
FROM ${db}.outcomes
WHERE kind = 'reject'
