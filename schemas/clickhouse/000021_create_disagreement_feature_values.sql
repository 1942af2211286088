-- Analyst view: which feature values are over-represented among disagreements, from shadow.disagreements
-- (every disagreement plus the sampled agreements, sink.agreementSampleRate). Numeric values are
-- bucketed to two significant digits (1234.5 -> 1200, 0.0734 -> 0.073); strings and booleans are kept.
-- lift = (share of the model's disagreements with this value) / (share of its sampled agreements with
-- it): independent of the sample rate; > 1 means the value is more common where the models disagree.
-- NULL lift: no sampled agreement has the value. Example: docs/dashboards.md#analyst-views.
CREATE VIEW IF NOT EXISTS ${db}.disagreement_feature_values AS
SELECT
    model,
    candidate_version,
    feature,
    value,
    disagreements,
    sampled_agreements,
    disagreements / sum(disagreements) OVER w AS share_of_disagreements,
    sampled_agreements / nullIf(sum(sampled_agreements) OVER w, 0) AS share_of_sampled_agreements,
    share_of_disagreements / nullIf(share_of_sampled_agreements, 0) AS lift
FROM
(
    SELECT
        model,
        candidate_version,
        kv.1 AS feature,
        if(isNull(toFloat64OrNull(kv.2)),
           trim(BOTH '"' FROM kv.2),
           toString(toFloat32(if(toFloat64(kv.2) = 0, 0,
               round(toFloat64(kv.2) / exp10(floor(log10(abs(toFloat64(kv.2)))) - 1))
                   * exp10(floor(log10(abs(toFloat64(kv.2)))) - 1))))) AS value,
        countIf(agree = 0) AS disagreements,
        countIf(agree = 1) AS sampled_agreements
    FROM ${db}.disagreements
    ARRAY JOIN JSONExtractKeysAndValuesRaw(features) AS kv
    GROUP BY model, candidate_version, feature, value
)
WINDOW w AS (PARTITION BY model, candidate_version, feature)
