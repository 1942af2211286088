-- Issue 14: a block now passes the write fence into outcome_blocks (migrations 000086-000088), and only
-- the rows analysts read row by row reach outcomes, from there. This view sent every entry row straight
-- to outcomes. A one-way step: upgrade with every processor drained and stopped
-- (docs/operations.md#upgrading-to-block-writes).
DROP VIEW IF EXISTS ${db}.outcomes_entry_mv
