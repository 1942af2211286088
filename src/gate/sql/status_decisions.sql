-- `shadow-compare status`: the latest gate decision per candidate version of a model.
-- (Aliases differ from the column names: an alias named decided_at would be substituted into argMax.)
SELECT
    candidate_version                                   AS version,
    argMax(decision, decided_at)                        AS last_decision,
    toString(max(decided_at))                           AS last_decided_at
FROM ${db}.gate_decisions
WHERE model = {model:String}
GROUP BY candidate_version
