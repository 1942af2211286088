-- Issue 14: the aggregate tables are now filled from the cells each block carries (outcome_blocks,
-- migration 000086), not from a materialized view over every outcome row. This view goes first, so no
-- row reaches the table twice: once per row here, once per cell there. A one-way step: upgrade with
-- every processor drained and stopped (docs/operations.md#upgrading-to-block-writes).
DROP VIEW IF EXISTS ${db}.latency_1m_mv
