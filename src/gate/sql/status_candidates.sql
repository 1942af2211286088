-- `shadow-compare status`: the versions shadowed for a model recently, with their overall figures.
SELECT
    candidate_version                        AS version,
    sum(compared)                            AS compared,
    sum(agreements)                          AS agreements,
    sum(both_ok)                             AS both_ok,
    toString(max(minute))                    AS last_seen
FROM ${db}.stats_1m
WHERE model = {model:String}
  AND dimension = '__all__'
  AND minute >= {since:DateTime('UTC')}
GROUP BY candidate_version
ORDER BY max(minute) DESC
