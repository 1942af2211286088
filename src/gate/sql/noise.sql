-- Gate input 4: the noise floor (paired table of candidate vs re-scored primary, each against the logged
-- primary output) from noise_1m, per sub-window x dimension x value. Run twice, like latency.sql: with
-- sub_window_seconds = the whole window (sub_window = 0, every segment value) and = the sub-window
-- (the gate keeps the overall rows). No rows when the primary was not re-scored.
SELECT
    intDiv(toUInt32(minute) - toUInt32({start:DateTime('UTC')}), {sub_window_seconds:UInt32}) AS sub_window,
    dimension,
    value,
    sum(paired)                 AS paired,
    sum(both_agree)             AS both_agree,
    sum(candidate_only_agree)   AS candidate_only_agree,
    sum(reproduced_only_agree)  AS reproduced_only_agree,
    sum(neither_agree)          AS neither_agree
FROM ${db}.noise_1m
WHERE model = {model:String}
  AND candidate_version = {candidate:String}
  AND minute >= {start:DateTime('UTC')}
  AND minute <  {end:DateTime('UTC')}
GROUP BY sub_window, dimension, value
ORDER BY sub_window, dimension = '__all__' DESC, dimension, value
