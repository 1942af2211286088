CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.disagreements_mv TO ${db}.disagreements AS
SELECT
    event_time, model, primary_version, candidate_version, request_id, agree,
    primary_label, candidate_label, primary_score, candidate_score, score_delta,
    primary_output, candidate_output, segments, features, source_partition, req_offset, prim_offset
FROM ${db}.outcomes
WHERE kind = 'compared' AND candidate_error = 0 AND primary_error = 0 AND (agree = 0 OR sampled = 1)
