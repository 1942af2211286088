-- Audit trail of the promotion gate: one row per decision, with everything needed to re-check it.
-- Written by `shadow-compare gate` (and `promote --if-gate-passes`), never updated.
CREATE TABLE IF NOT EXISTS ${db}.gate_decisions
(
    decision_id        UUID,
    decided_at         DateTime64(3, 'UTC'),
    model              LowCardinality(String),
    candidate_version  LowCardinality(String),
    primary_versions   Array(String),           -- primary versions seen in the window
    window_start       DateTime('UTC'),
    window_end         DateTime('UTC'),
    decision           LowCardinality(String),  -- PROMOTE | HOLD | REJECT
    reasons            Array(String),
    thresholds         String,                  -- JSON: the gate config used
    sql                String,                  -- JSON: [{name, sql, params}], each statement exactly as run
    measured           String,                  -- JSON: {criteria, subWindows, segments}: values, bounds, thresholds, results
    promotion_id       String,                  -- promotions.promotion_id when `promote --if-gate-passes` followed; '' otherwise
    actor              String,
    source             LowCardinality(String)   -- how the gate reached ClickHouse: embedded | server | http
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(decided_at)
ORDER BY (model, candidate_version, decided_at)
