-- Write fence enforced by the store (DESIGN.md#write-fence). One row per claim: an instance taking a
-- partition records a new, higher ownership generation here BEFORE it reads the ledger. Rows inserted
-- through outcomes_entry carry the generation they were produced under; the entry view passes only
-- rows whose generation is the partition's latest, so a writer whose partition moved, whenever it
-- wakes (before its insert, mid-request, between its client-side check and the send), adds nothing.
-- scope names the owner namespace: `kafka:<consumer group>` or `replay:<file topic>`.
CREATE TABLE IF NOT EXISTS ${db}.partition_fence
(
    scope       String,
    partition   Int32,
    generation  UInt64,
    owner       String,
    claimed_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (scope, partition, generation)
