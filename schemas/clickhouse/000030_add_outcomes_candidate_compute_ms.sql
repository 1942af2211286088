-- Issue 13: the candidate's compute latency per row = session.run time of the batch the row was in
-- (src/score/timed-run.ts). Additive: existing rows read 0, which latency_1m_mv never aggregates.
ALTER TABLE ${db}.outcomes ADD COLUMN IF NOT EXISTS candidate_compute_ms Float64 DEFAULT 0 AFTER candidate_latency_ms
