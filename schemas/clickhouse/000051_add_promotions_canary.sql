-- Canary events (canary-start | canary-step | canary-hold | canary-abort) share the promotions table with
-- promote and rollback: weight is the canary's traffic share after the event (0..1; 0 for promote and
-- rollback), flip_ms the time from the command's start to the flag flip ("speed to rollback").
ALTER TABLE ${db}.promotions ADD COLUMN IF NOT EXISTS weight Float64 DEFAULT 0, ADD COLUMN IF NOT EXISTS flip_ms UInt32 DEFAULT 0
