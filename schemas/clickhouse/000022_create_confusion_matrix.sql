-- Analyst view: confusion matrix of primary label x candidate label per day, from shadow.outcomes
-- (every compared request where both models answered; agreements included, not sampled).
-- Sum over days for a window: docs/dashboards.md#analyst-views. outcomes keeps 30 days (TTL).
CREATE VIEW IF NOT EXISTS ${db}.confusion_matrix AS
SELECT
    toDate(event_time) AS day,
    model,
    primary_version,
    candidate_version,
    primary_label,
    candidate_label,
    count() AS requests,
    countIf(agree = 1) AS agreements
FROM ${db}.outcomes
WHERE kind = 'compared' AND candidate_error = 0 AND primary_error = 0
GROUP BY day, model, primary_version, candidate_version, primary_label, candidate_label
