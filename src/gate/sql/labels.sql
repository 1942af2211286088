-- Gate input 5: late ground-truth labels joined to the stored predictions by request id, per sub-window
-- (by the request's event time) x segment dimension x value: the paired 2x2 table of correct answers.
-- Run twice like latency.sql (sub_window_seconds = the window, then the sub-window). The same join as the
-- label_accuracy_daily view (schemas/clickhouse/000039), filtered to one model, candidate and window
-- before joining. One label per request: the earliest valid one; duplicates are counted in labels_summary.sql.
SELECT
    intDiv(toUInt32(toStartOfMinute(p.at)) - toUInt32({start:DateTime('UTC')}), {sub_window_seconds:UInt32}) AS sub_window,
    seg.1                                                                        AS dimension,
    seg.2                                                                        AS value,
    count()                                                                      AS labelled,
    countIf(p.pl = l.truth AND p.cl = l.truth)                                   AS both_right,
    countIf(p.pl = l.truth AND p.cl != l.truth)                                  AS only_primary_right,
    countIf(p.pl != l.truth AND p.cl = l.truth)                                  AS only_candidate_right,
    countIf(p.pl != l.truth AND p.cl != l.truth)                                 AS both_wrong
FROM
(
    -- Aliases differ from the column names: an alias named event_time would be substituted into WHERE.
    SELECT request_id, any(event_time) AS at, any(segments) AS segs, any(primary_label) AS pl, any(candidate_label) AS cl
    FROM ${db}.outcomes
    WHERE model = {model:String}
      AND candidate_version = {candidate:String}
      AND kind = 'compared' AND candidate_error = 0 AND primary_error = 0
      AND event_time >= {start:DateTime('UTC')}
      AND event_time <  {end:DateTime('UTC')}
    GROUP BY request_id
) AS p
INNER JOIN
(
    SELECT request_id, argMin(label, (label_time, source_offset)) AS truth
    FROM ${db}.labels
    WHERE model = {model:String} AND error_code = '' AND has_label = 1
    GROUP BY request_id
) AS l ON l.request_id = p.request_id
ARRAY JOIN arrayConcat([('__all__', '__all__')], arrayZip(mapKeys(p.segs), mapValues(p.segs))) AS seg
GROUP BY sub_window, dimension, value
ORDER BY sub_window, dimension = '__all__' DESC, dimension, value
