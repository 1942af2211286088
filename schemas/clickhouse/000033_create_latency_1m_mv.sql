-- Fans each outcome insert into latency_1m (same insert, same dedup token as stats_1m_mv).
CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.latency_1m_mv TO ${db}.latency_1m AS
SELECT
    toStartOfMinute(event_time)                                        AS minute,
    model,
    primary_version,
    candidate_version,
    count()                                                            AS scored,
    quantilesTDigestState(0.5, 0.95, 0.99)(candidate_compute_ms)       AS compute_ms,
    quantilesTDigestState(0.5, 0.95, 0.99)(candidate_queue_ms)         AS queue_ms,
    max(candidate_compute_ms)                                          AS compute_max_ms,
    max(candidate_queue_ms)                                            AS queue_max_ms
FROM ${db}.outcomes
WHERE candidate_scored = 1 AND candidate_error = 0 AND kind IN ('compared', 'unmatched_request')
GROUP BY minute, model, primary_version, candidate_version
