-- Per day x model x versions: primary label x candidate label over compared requests where neither
-- model errored, from the ledger rows of outcome_blocks (one array element per record). Records
-- written before migration 000086 are in outcomes only and not counted here.
CREATE VIEW IF NOT EXISTS ${db}.confusion_matrix AS
SELECT
    toDate(fromUnixTimestamp64Milli(e_t, 'UTC'))  AS day,
    model,
    e_pv                                          AS primary_version,
    candidate_version,
    e_pl                                          AS primary_label,
    e_cl                                          AS candidate_label,
    count()                                       AS requests,
    countIf(bitTest(e_flags, 0))                  AS agreements
FROM ${db}.outcome_blocks
ARRAY JOIN l_kind AS e_kind, l_t AS e_t, l_flags AS e_flags, l_pv AS e_pv, l_pl AS e_pl, l_cl AS e_cl
WHERE row_type = 'ledger' AND e_kind = 'compared' AND NOT bitTest(e_flags, 1) AND NOT bitTest(e_flags, 2)
GROUP BY day, model, primary_version, candidate_version, primary_label, candidate_label
