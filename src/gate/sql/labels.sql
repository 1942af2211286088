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
    -- Every compared record where both models answered, from the ledger rows of outcome_blocks (one
    -- array element per record). Aliases differ from the column names: none is substituted elsewhere.
    SELECT e_id AS request_id, any(fromUnixTimestamp64Milli(e_t, 'UTC')) AS at, any(seg_dict[e_seg]) AS segs, any(e_pl) AS pl, any(e_cl) AS cl
    FROM ${db}.outcome_blocks
    ARRAY JOIN l_kind AS e_kind, l_request_id AS e_id, l_t AS e_t, l_flags AS e_flags, l_seg AS e_seg, l_pl AS e_pl, l_cl AS e_cl
    WHERE row_type = 'ledger'
      AND model = {model:String}
      AND candidate_version = {candidate:String}
      AND event_time >= {start:DateTime('UTC')}  -- a ledger row's event_time is its latest record's
      AND e_kind = 'compared' AND NOT bitTest(e_flags, 1) AND NOT bitTest(e_flags, 2)
      AND e_t >= toUnixTimestamp64Milli(toDateTime64({start:DateTime('UTC')}, 3, 'UTC'))
      AND e_t <  toUnixTimestamp64Milli(toDateTime64({end:DateTime('UTC')}, 3, 'UTC'))
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
