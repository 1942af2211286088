-- The fence itself: a row reaches outcomes (and through outcomes' views every aggregate) only if its
-- generation is the latest one recorded for its partition at the moment the block is processed. The
-- subquery reads partition_fence at insert time (only outcomes_entry triggers the view). Retries stay
-- idempotent: insert_deduplication_token with deduplicate_blocks_in_dependent_materialized_views=1
-- deduplicates the block in outcomes and in each view below it.
CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.outcomes_entry_mv TO ${db}.outcomes AS
SELECT * EXCEPT (fence_scope, fence_generation)
FROM ${db}.outcomes_entry
WHERE (fence_scope, source_partition, fence_generation) IN (
    SELECT scope, partition, max(generation) FROM ${db}.partition_fence GROUP BY scope, partition
)
