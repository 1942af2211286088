-- Analyst view: disagreement rate per day x model x versions x segment value, from shadow.stats_1m
-- (exact counts, every comparison). dimension = value = '__all__' is the overall row.
-- disagreement_rate = disagreements / both_ok, the complement of the gate's agreement rate.
-- Example: docs/dashboards.md#analyst-views.
CREATE VIEW IF NOT EXISTS ${db}.disagreement_rate_by_segment_day AS
SELECT
    day,
    model,
    primary_version,
    candidate_version,
    dimension,
    value,
    c AS compared,
    n AS both_ok,
    n - a AS disagreements,
    if(n > 0, (n - a) / n, NULL) AS disagreement_rate,
    ce AS candidate_errors,
    pe AS primary_errors
FROM
(
    SELECT
        toDate(minute) AS day,
        model,
        primary_version,
        candidate_version,
        dimension,
        value,
        sum(compared) AS c,
        sum(agreements) AS a,
        sum(both_ok) AS n,
        sum(candidate_errors) AS ce,
        sum(primary_errors) AS pe
    FROM ${db}.stats_1m
    GROUP BY day, model, primary_version, candidate_version, dimension, value
)
