-- Issue 13 (noise floor): the re-scored primary agrees with the logged primary output (same rule as agree).
ALTER TABLE ${db}.outcomes ADD COLUMN IF NOT EXISTS reproduced_agree UInt8 DEFAULT 0 AFTER reproduced
