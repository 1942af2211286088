-- Issue 14: the entry takes whole blocks (outcome_blocks' columns, migration 000086).
ALTER TABLE ${db}.outcomes_entry
    ADD COLUMN IF NOT EXISTS row_type LowCardinality(String) DEFAULT 'row',
    ADD COLUMN IF NOT EXISTS payload String DEFAULT '',
    ADD COLUMN IF NOT EXISTS l_kind Array(LowCardinality(String)),
    ADD COLUMN IF NOT EXISTS l_request_id Array(String),
    ADD COLUMN IF NOT EXISTS l_req_offset Array(Int64),
    ADD COLUMN IF NOT EXISTS l_prim_offset Array(Int64),
    ADD COLUMN IF NOT EXISTS l_t Array(Int64),
    ADD COLUMN IF NOT EXISTS l_flags Array(UInt8),
    ADD COLUMN IF NOT EXISTS l_seg Array(UInt16),
    ADD COLUMN IF NOT EXISTS l_pv Array(LowCardinality(String)),
    ADD COLUMN IF NOT EXISTS l_pl Array(LowCardinality(String)),
    ADD COLUMN IF NOT EXISTS l_cl Array(LowCardinality(String)),
    ADD COLUMN IF NOT EXISTS l_ps Array(Float64),
    ADD COLUMN IF NOT EXISTS l_cs Array(Float64),
    ADD COLUMN IF NOT EXISTS seg_dict Array(Map(LowCardinality(String), String))
