-- Issue 13 (noise floor): 1 when the primary's own artifact was re-scored on the row's mirrored features
-- and both it and the candidate answered a logged primary output without error. Additive; old rows read 0.
ALTER TABLE ${db}.outcomes ADD COLUMN IF NOT EXISTS reproduced UInt8 DEFAULT 0 AFTER primary_latency_ms
