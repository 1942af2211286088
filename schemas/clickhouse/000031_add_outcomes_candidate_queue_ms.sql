-- Issue 13: time a request spent in the processor before its batch's session.run started
-- (micro-batch wait, event-loop stalls, GC). Processor health, never a model verdict.
ALTER TABLE ${db}.outcomes ADD COLUMN IF NOT EXISTS candidate_queue_ms Float64 DEFAULT 0 AFTER candidate_compute_ms
