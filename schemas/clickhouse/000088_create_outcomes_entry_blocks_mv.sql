-- The write fence (as migration 000042), now in front of outcome_blocks: a row passes only if it was
-- produced under its partition's latest ownership generation. Every row of a block carries its
-- partition (cells and ledger rows too), so a moved partition's share of a block is dropped whole.
CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.outcomes_entry_blocks_mv TO ${db}.outcome_blocks AS
SELECT * EXCEPT (fence_scope, fence_generation)
FROM ${db}.outcomes_entry
WHERE (fence_scope, source_partition, fence_generation) IN (
    SELECT scope, partition, max(generation) FROM ${db}.partition_fence GROUP BY scope, partition
)
