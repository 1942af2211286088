-- The write fence's entry table carries every column of outcomes the writer fills (000043): without
-- this, outcomes_entry_mv would deliver every profile as {}.
ALTER TABLE ${db}.outcomes_entry ADD COLUMN IF NOT EXISTS profile Map(LowCardinality(String), LowCardinality(String)) DEFAULT map()
