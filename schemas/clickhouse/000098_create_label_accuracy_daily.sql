-- Per day x model x versions x segment dimension x segment value (dimension = value = '__all__' overall):
-- both models' accuracy on late ground-truth labels and the paired 2x2 table McNemar's test reads.
-- Joined in ClickHouse by request id, at read time (a plain view: labels arrive days after the predictions,
-- so a materialized view triggered by either insert would miss the other side). One label per request:
-- the earliest valid one (duplicates are counted by the gate, not double-counted here). Predictions are
-- the compared records where both models answered, from the ledger rows of outcome_blocks (30 days, as
-- outcomes: labels for older requests find nothing). Records written before migration 000086 are in
-- outcomes only and not joined here. Regression: mean absolute errors instead of a table.
CREATE VIEW IF NOT EXISTS ${db}.label_accuracy_daily AS
SELECT
    toDate(p.at)                                                           AS day,
    p.model                                                                AS model,
    p.pv                                                                   AS primary_version,
    p.candidate_version                                                    AS candidate_version,
    seg.1                                                                  AS dimension,
    seg.2                                                                  AS value,
    count()                                                                AS labelled,
    countIf(l.labelled_class AND p.pl = l.truth AND p.cl = l.truth)   AS both_right,
    countIf(l.labelled_class AND p.pl = l.truth AND p.cl != l.truth)  AS only_primary_right,
    countIf(l.labelled_class AND p.pl != l.truth AND p.cl = l.truth)  AS only_candidate_right,
    countIf(l.labelled_class AND p.pl != l.truth AND p.cl != l.truth) AS both_wrong,
    (both_right + only_primary_right) / nullIf(countIf(l.labelled_class), 0)    AS primary_accuracy,
    (both_right + only_candidate_right) / nullIf(countIf(l.labelled_class), 0)  AS candidate_accuracy,
    avgIf(abs(p.ps - l.truth_value), l.labelled_value)                     AS primary_abs_error,
    avgIf(abs(p.cs - l.truth_value), l.labelled_value)                   AS candidate_abs_error
FROM
(
    -- Aliases differ from the column names so that none is substituted into another expression.
    SELECT model, candidate_version, e_id AS request_id, any(e_pv) AS pv, any(fromUnixTimestamp64Milli(e_t, 'UTC')) AS at,
           any(seg_dict[e_seg]) AS segs, any(e_pl) AS pl, any(e_cl) AS cl, any(e_ps) AS ps, any(e_cs) AS cs
    FROM ${db}.outcome_blocks
    ARRAY JOIN l_kind AS e_kind, l_request_id AS e_id, l_t AS e_t, l_flags AS e_flags, l_seg AS e_seg,
               l_pv AS e_pv, l_pl AS e_pl, l_cl AS e_cl, l_ps AS e_ps, l_cs AS e_cs
    WHERE row_type = 'ledger' AND e_kind = 'compared' AND NOT bitTest(e_flags, 1) AND NOT bitTest(e_flags, 2)
    GROUP BY model, candidate_version, request_id
) AS p
INNER JOIN
(
    SELECT model, request_id, argMin(label, (label_time, source_offset)) AS truth, argMin(value, (label_time, source_offset)) AS truth_value,
           argMin(has_label, (label_time, source_offset)) AS labelled_class, argMin(has_value, (label_time, source_offset)) AS labelled_value
    FROM ${db}.labels
    WHERE error_code = ''
    GROUP BY model, request_id
) AS l ON l.model = p.model AND l.request_id = p.request_id
ARRAY JOIN arrayConcat([('__all__', '__all__')], arrayZip(mapKeys(p.segs), mapValues(p.segs))) AS seg
GROUP BY day, model, primary_version, candidate_version, dimension, value
