-- Per day x model x versions x segment dimension x segment value (dimension = value = '__all__' overall):
-- both models' accuracy on late ground-truth labels and the paired 2x2 table McNemar's test reads.
-- Joined in ClickHouse by request id, at read time (a plain view: labels arrive days after the predictions,
-- so a materialized view triggered by either insert would miss the other side). One label per request:
-- the earliest valid one (duplicates are counted by the gate, not double-counted here). Predictions are
-- the compared outcome rows where both models answered (outcomes keep 30 days: labels for older requests
-- find nothing and are counted as unknown or expired). Regression: mean absolute errors instead of a table.
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
    SELECT model, candidate_version, request_id, any(primary_version) AS pv, any(event_time) AS at,
           any(segments) AS segs, any(primary_label) AS pl, any(candidate_label) AS cl,
           any(primary_score) AS ps, any(candidate_score) AS cs
    FROM ${db}.outcomes
    WHERE kind = 'compared' AND candidate_error = 0 AND primary_error = 0
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
