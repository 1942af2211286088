-- Full rows to outcomes, where analysts and the row-level views (disagreements, rejects) read them. Agreeing pairs outside the samples have no row here: they are in the ledger and the cells.
CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.outcome_blocks_rows_mv TO ${db}.outcomes AS
SELECT * EXCEPT (row_type, payload, l_kind, l_request_id, l_req_offset, l_prim_offset, l_t, l_flags, l_seg, l_pv, l_pl, l_cl, l_ps, l_cs, seg_dict)
FROM ${db}.outcome_blocks
WHERE row_type = 'row'
