-- outcomes_entry (the store's write fence, 000041) must carry every column of outcomes that the writer
-- fills: its view copies rows by name, and a column missing here arrives in outcomes as its default.
-- These are the columns 000030, 000031, 000034 and 000035 added to outcomes. Any column added to
-- outcomes later is added here too.
ALTER TABLE ${db}.outcomes_entry
    ADD COLUMN IF NOT EXISTS candidate_compute_ms Float64 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS candidate_queue_ms Float64 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS reproduced UInt8 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS reproduced_agree UInt8 DEFAULT 0
