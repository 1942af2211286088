// Alert rules as Grafana file provisioning (apiVersion 1: contactPoints + groups), on the same
// thresholds as the promotion gate. Each rule's SQL returns one numeric column plus string columns;
// Grafana turns each row into an alert instance labelled by the strings (model, candidate_version,
// dimension, value), and a threshold expression compares the number with the gate's threshold.
//
// Provisioning interpolates environment variables in contact point settings and rule labels (not in
// rule models: $__timeFilter stays as written), so nothing below but the webhook URL contains `$`.
import { CLICKHOUSE_PLUGIN_VERSION, DATASOURCE, DATASOURCE_UID, Format, clickhouseQuery } from './clickhouse.ts';
import type { QuerySpec } from './spec.ts';
import { DEFAULT_THRESHOLDS } from '../../src/diagnose/types.ts';
import { num, wilsonSql, type Thresholds } from './thresholds.ts';

export const ALERT_GROUP = 'shadow-compare';
export const ALERT_FOLDER = 'shadow-compare';
export const CONTACT_POINT = 'shadow-compare-escalation';
/** Environment variable holding the escalation webhook; docker-compose.yml sets a placeholder. */
export const WEBHOOK_ENV = 'SHADOW_ALERT_WEBHOOK_URL';
/** How far back each evaluation looks. */
export const ALERT_RANGE_SECONDS = 3600;

export interface AlertRuleDef {
  readonly uid: string;
  readonly title: string;
  readonly sql: string;
  /** The numeric column compared with the threshold, and the label columns before it. */
  readonly labels: readonly string[];
  readonly value: string;
  readonly op: 'gt' | 'lt';
  readonly threshold: number;
  /** Where the threshold comes from in the gate config, e.g. 'agreement.min'. */
  readonly gateSetting: string;
  readonly summary: string;
  readonly severity: 'critical' | 'warning';
}

export function alertRules(database: string, t: Thresholds): AlertRuleDef[] {
  const g = t.gate;
  const db = database;
  return [
    {
      uid: 'shadow-agreement-below-gate',
      title: 'Candidate agreement below the gate minimum',
      labels: ['model', 'candidate_version', 'dimension', 'value'],
      value: 'agreement_upper_bound',
      op: 'lt',
      threshold: g.agreement.min,
      gateSetting: 'agreement.min',
      severity: 'critical',
      summary: `Over the last hour the ${num(g.confidence * 100)}% upper bound of agreement is below the gate minimum ${num(g.agreement.min)} (overall: dimension __all__; segment values with at least ${g.segments.minComparisons} comparisons).`,
      sql: `SELECT
    model,
    candidate_version,
    dimension,
    value,
    ${wilsonSql('a', 'n', t.z, 'upper')} AS agreement_upper_bound
FROM
(
    SELECT model, candidate_version, dimension, value, sum(agreements) AS a, sum(both_ok) AS n
    FROM ${db}.stats_1m
    WHERE $__timeFilter(minute) AND dimension != 'feature_schema_version'
    GROUP BY model, candidate_version, dimension, value
)
WHERE n >= ${g.segments.minComparisons}`,
    },
    {
      uid: 'shadow-candidate-error-rate',
      title: 'Candidate error rate above the gate ceiling',
      labels: ['model', 'candidate_version'],
      value: 'candidate_error_rate_lower_bound',
      op: 'gt',
      threshold: g.errors.maxCandidateRate,
      gateSetting: 'errors.maxCandidateRate',
      severity: 'critical',
      summary: `Over the last hour the ${num(g.confidence * 100)}% lower bound of the candidate's error rate exceeds the gate ceiling ${num(g.errors.maxCandidateRate)}: it fails to score requests production answers.`,
      sql: `SELECT
    model,
    candidate_version,
    ${wilsonSql('e', 'n', t.z, 'lower')} AS candidate_error_rate_lower_bound
FROM
(
    SELECT model, candidate_version, sum(candidate_errors) AS e, sum(compared) AS n
    FROM ${db}.stats_1m
    WHERE $__timeFilter(minute) AND dimension = '__all__'
    GROUP BY model, candidate_version
)
WHERE n > 0`,
    },
    {
      uid: 'shadow-candidate-latency-p99',
      title: 'Candidate p99 compute latency above the gate ceiling',
      labels: ['model', 'candidate_version'],
      value: 'candidate_p99_ms',
      op: 'gt',
      threshold: g.latency.maxP99Ms,
      gateSetting: 'latency.maxP99Ms',
      severity: 'warning',
      summary: `Over the last hour the candidate's p99 compute latency (session.run time of its batches, not processor queueing) exceeds the gate ceiling of ${num(g.latency.maxP99Ms)} ms.`,
      sql: `SELECT
    model,
    candidate_version,
    arrayElement(quantilesTDigestMerge(0.5, 0.95, 0.99)(compute_ms), 3) AS candidate_p99_ms
FROM ${db}.latency_1m
WHERE $__timeFilter(minute)
GROUP BY model, candidate_version
HAVING sum(scored) > 0`,
    },
    {
      uid: 'shadow-unmatched-rate',
      title: 'Unmatched rate above the gate ceiling',
      labels: ['model', 'candidate_version'],
      value: 'unmatched_rate',
      op: 'gt',
      threshold: g.join.maxUnmatchedRate,
      gateSetting: 'join.maxUnmatchedRate',
      severity: 'warning',
      summary: `Over the last hour more than ${num(g.join.maxUnmatchedRate * 100)}% of join inputs found no partner within the join window: the mirror or the primary-output stream is broken, and the gate will hold.`,
      sql: `SELECT
    model,
    candidate_version,
    (ur + up) / (c + ur + up) AS unmatched_rate
FROM
(
    SELECT model, candidate_version, sum(compared) AS c, sum(unmatched_requests) AS ur, sum(unmatched_primaries) AS up
    FROM ${db}.stats_1m
    WHERE $__timeFilter(minute) AND dimension = '__all__'
    GROUP BY model, candidate_version
)
WHERE c + ur + up > 0`,
    },
    {
      uid: 'shadow-schema-mismatch-rate',
      title: 'Schema-mismatch rate above the gate ceiling',
      labels: ['model', 'candidate_version'],
      value: 'schema_mismatch_rate',
      op: 'gt',
      threshold: g.join.maxSchemaMismatchRate,
      gateSetting: 'join.maxSchemaMismatchRate',
      severity: 'warning',
      summary: `Over the last hour more than ${num(g.join.maxSchemaMismatchRate * 100)}% of requests carry another feature_schema_version than the candidate is pinned to: the candidate is not being judged on that traffic.`,
      sql: `SELECT
    model,
    candidate_version,
    sm / (c + ur + sm) AS schema_mismatch_rate
FROM
(
    SELECT model, candidate_version, sum(compared) AS c, sum(unmatched_requests) AS ur, sum(schema_mismatches) AS sm
    FROM ${db}.stats_1m
    WHERE $__timeFilter(minute) AND dimension = '__all__'
    GROUP BY model, candidate_version
)
WHERE c + ur + sm > 0`,
    },
    ...diagnoseAlertRules(db),
  ];
}

/**
 * Drift and feature health (issue 15), on `diagnose`'s default thresholds (src/diagnose/types.ts): the
 * last hour against the 7 days before it, per segment value and feature, where both periods have at
 * least minRequests profiled values. No significance test here: the rule fires on the effect; the
 * decision (with the multiple-testing correction) is `shadow-compare diagnose`.
 */
function diagnoseAlertRules(db: string): AlertRuleDef[] {
  const d = DEFAULT_THRESHOLDS;
  const periods = `minute >= $__fromTime - INTERVAL 7 DAY AND minute < $__toTime AND feature NOT LIKE '@%'`;
  return [
    {
      uid: 'shadow-feature-drift',
      title: 'Feature drift (PSI) in a segment value',
      labels: ['model', 'candidate_version', 'dimension', 'value', 'feature'],
      value: 'psi',
      op: 'gt',
      threshold: d.psiDrift,
      gateSetting: 'diagnose.psiDrift',
      severity: 'warning',
      summary: `A feature's distribution over the last hour moved from the 7 days before by a PSI above ${num(d.psiDrift)} in a segment value: run \`shadow-compare diagnose\` before reverting anything (docs/diagnose.md).`,
      sql: `SELECT
    model,
    candidate_version,
    dimension,
    value,
    feature,
    sum((pc - pr) * log(pc / pr)) AS psi
FROM
(
    SELECT
        model, candidate_version, dimension, value, feature, c, r,
        (c + 0.5) / (sum(c) OVER w + 0.5 * count() OVER w) AS pc,
        (r + 0.5) / (sum(r) OVER w + 0.5 * count() OVER w) AS pr,
        sum(c) OVER w AS cn,
        sum(r) OVER w AS rn
    FROM
    (
        SELECT model, candidate_version, dimension, value, feature, cell,
            sumIf(n, minute >= $__fromTime) AS c,
            sumIf(n, minute < $__fromTime) AS r
        FROM ${db}.profile_1m
        WHERE ${periods} AND cell NOT IN ('null', 'nan', 'bad', 'lo', 'hi')
        GROUP BY model, candidate_version, dimension, value, feature, cell
    )
    WINDOW w AS (PARTITION BY model, candidate_version, dimension, value, feature)
)
WHERE cn >= ${d.minRequests} AND rn >= ${d.minRequests}
GROUP BY model, candidate_version, dimension, value, feature`,
    },
    {
      uid: 'shadow-feature-health',
      title: 'Feature missing or out-of-range rate jumped in a segment value',
      labels: ['model', 'candidate_version', 'dimension', 'value', 'feature'],
      value: 'unhealthy_rate_jump',
      op: 'gt',
      threshold: d.healthJump,
      gateSetting: 'diagnose.healthJump',
      severity: 'critical',
      summary: `Over the last hour a feature arrives missing (null, NaN, wrong type) or out of range more often than in the 7 days before, by more than ${num(d.healthJump * 100)} points, in a segment value: a feature pipeline problem is likely; roll back the feature schema (\`rollback --features\`), not the model (docs/diagnose.md).`,
      sql: `SELECT
    model,
    candidate_version,
    dimension,
    value,
    feature,
    greatest(mc / c - mr / r, oc / c - orr / r) AS unhealthy_rate_jump
FROM
(
    SELECT model, candidate_version, dimension, value, feature,
        sumIf(n, minute >= $__fromTime) AS c,
        sumIf(n, minute < $__fromTime) AS r,
        sumIf(n, minute >= $__fromTime AND cell IN ('null', 'nan', 'bad')) AS mc,
        sumIf(n, minute < $__fromTime AND cell IN ('null', 'nan', 'bad')) AS mr,
        sumIf(n, minute >= $__fromTime AND cell IN ('lo', 'hi')) AS oc,
        sumIf(n, minute < $__fromTime AND cell IN ('lo', 'hi')) AS orr
    FROM ${db}.profile_1m
    WHERE ${periods}
    GROUP BY model, candidate_version, dimension, value, feature
)
WHERE c >= ${d.minRequests} AND r >= ${d.minRequests}`,
    },
  ];
}

export function alertSpecs(rules: readonly AlertRuleDef[]): QuerySpec[] {
  return rules.map((r) => ({ owner: ALERT_GROUP, kind: 'alert', title: r.uid, refId: 'A', sql: r.sql, format: Format.Table, columns: [...r.labels, r.value] }));
}

/** The provisioning document (contact point + rule group), ready for YAML. */
export function alertProvisioning(rules: readonly AlertRuleDef[]): Record<string, unknown> {
  return {
    apiVersion: 1,
    contactPoints: [
      {
        orgId: 1,
        name: CONTACT_POINT,
        receivers: [
          {
            uid: CONTACT_POINT,
            type: 'webhook',
            // The escalation path: replace the placeholder with your on-call webhook (see docs/dashboards.md#alerts).
            settings: { url: `$${WEBHOOK_ENV}`, httpMethod: 'POST' },
            disableResolveMessage: false,
          },
        ],
      },
    ],
    groups: [
      {
        orgId: 1,
        name: ALERT_GROUP,
        folder: ALERT_FOLDER,
        interval: '1m',
        rules: rules.map(rule),
      },
    ],
  };
}

function rule(r: AlertRuleDef): Record<string, unknown> {
  const { _implementsDataqueryVariant: _drop, ...query } = clickhouseQuery(r.sql, Format.Table, 'A');
  return {
    uid: r.uid,
    title: r.title,
    condition: 'C',
    data: [
      {
        refId: 'A',
        relativeTimeRange: { from: ALERT_RANGE_SECONDS, to: 0 },
        datasourceUid: DATASOURCE_UID,
        model: { ...query, datasource: DATASOURCE, pluginVersion: CLICKHOUSE_PLUGIN_VERSION, intervalMs: 60_000, maxDataPoints: 43_200 },
      },
      {
        refId: 'C',
        datasourceUid: '__expr__',
        model: {
          refId: 'C',
          type: 'threshold',
          datasource: { type: '__expr__', uid: '__expr__' },
          expression: 'A',
          conditions: [{ evaluator: { type: r.op, params: [r.threshold] } }],
        },
      },
    ],
    noDataState: 'OK',
    execErrState: 'Error',
    for: '5m',
    annotations: {
      summary: r.summary,
      description: `${r.gateSetting.startsWith('diagnose.') ? 'diagnose default' : 'Gate setting'} ${r.gateSetting} = ${num(r.threshold)}. Instance: {{ .Labels.model }} {{ .Labels.candidate_version }}${r.labels.includes('dimension') ? ' {{ .Labels.dimension }}={{ .Labels.value }}' : ''}. Open the "Shadow comparison" dashboard of the model; the decision itself is \`shadow-compare gate\` (docs/gate.md).`,
    },
    labels: { service: 'shadow-compare', severity: r.severity, gate_setting: r.gateSetting },
    isPaused: false,
    notification_settings: { receiver: CONTACT_POINT },
  };
}
