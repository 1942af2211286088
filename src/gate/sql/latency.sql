-- Gate input 3: the candidate's compute and queue latency per scope, from latency_1m.
-- Run twice: with sub_window_seconds = the sub-window (one row per sub-window) and with it = the whole
-- window (sub_window = 0 is the window). Parameters as in sub_windows.sql.
--
-- The single-slow-minute rule (docs/gate.md, "Latency criteria"): the judged p99 of a scope is the p99 of all
-- its compute latencies except those of its slowest minute (by that minute's own p99), when the scope
-- has two minutes or more. One slow minute can then never flip the criterion, whatever share of the
-- scope's rows it holds (a replay or a catch-up can pack many rows into one event-time minute); two
-- slow minutes can, because that is no longer "one bad minute". compute_p99_all keeps the plain figure.
SELECT
    sub_window,
    sum(n)                                                                  AS scored,
    count()                                                                 AS minutes,
    toString(argMax(minute, p99))                                           AS slowest_minute,
    max(p99)                                                                AS slowest_minute_p99,
    quantilesTDigestMerge(0.5, 0.95, 0.99)(compute_state)                   AS compute_all,
    quantilesTDigestMergeIf(0.5, 0.95, 0.99)(compute_state, minute != slowest) AS compute_rest,
    quantilesTDigestMerge(0.5, 0.95, 0.99)(queue_state)                     AS queue_ms
FROM
(
    SELECT *, argMax(minute, p99) OVER (PARTITION BY sub_window) AS slowest
    FROM
    (
        SELECT
            minute,
            intDiv(toUInt32(minute) - toUInt32({start:DateTime('UTC')}), {sub_window_seconds:UInt32}) AS sub_window,
            sum(scored)                                                     AS n,
            quantilesTDigestMergeState(0.5, 0.95, 0.99)(compute_ms)         AS compute_state,
            quantilesTDigestMergeState(0.5, 0.95, 0.99)(queue_ms)           AS queue_state,
            arrayElement(quantilesTDigestMerge(0.5, 0.95, 0.99)(compute_ms), 3) AS p99
        FROM ${db}.latency_1m
        WHERE model = {model:String}
          AND candidate_version = {candidate:String}
          AND minute >= {start:DateTime('UTC')}
          AND minute <  {end:DateTime('UTC')}
        GROUP BY minute, sub_window
    )
)
GROUP BY sub_window
ORDER BY sub_window
