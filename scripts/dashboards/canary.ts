// Canary rollout: the canary's traffic weight over time (from the registry's audit, shadow.promotions)
// and, per served version, what the stream's canary aggregate (shadow.canary_10s) and stats_1m say:
// requests, error rate, reported latency, per segment value and score distribution. Both versions side
// by side over the same buckets, as the canary judge sees them (src/canary/judge.ts).
import { LineInterpolation } from '@grafana/grafana-foundation-sdk/common';
import { AnnotationQueryBuilder, DashboardBuilder, RowBuilder, VariableRefresh } from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE } from './clickhouse.ts';
import { linkedDashboard, table, timeseries } from './panels.ts';
import { DB, MODEL, QueryCollector, databaseVariable, type QuerySpec } from './spec.ts';

export const CANARY_UID = 'shadow-canary';

const VERSIONS = '${versions}';
const DIMENSIONS = '${dimension}';
const ALL = `model = ${MODEL} AND primary_version IN (${VERSIONS}) AND dimension = '__all__' AND $__timeFilter(bucket)`;

export function canaryDashboard(defaultModel: string, database: string): { dashboard: DashboardBuilder; specs: QuerySpec[] } {
  const q = new QueryCollector(CANARY_UID);
  const d = linkedDashboard({
    title: 'Shadow comparison: canary rollout',
    uid: CANARY_UID,
    description: 'Canary weight over time and both served versions per slice (shadow.canary_10s, shadow.promotions); docs/canary.md.',
    from: 'now-6h',
    refresh: '1m',
    includeVars: false,
  });

  d.withVariable(databaseVariable(database));
  d.withVariable(q.variable('model', 'Model', `SELECT DISTINCT model FROM ${DB}.canary_10s ORDER BY model`, { current: defaultModel, refresh: VariableRefresh.OnDashboardLoad }));
  // Most traffic first: production, then the canary.
  d.withVariable(
    q.variable('versions', 'Served versions', `SELECT primary_version FROM ${DB}.canary_10s WHERE model = ${MODEL} AND dimension = '__all__' AND $__timeFilter(bucket) GROUP BY primary_version ORDER BY sum(answered) DESC`, { multi: true }),
  );
  d.withVariable(
    q.variable('dimension', 'Segment dimensions', `SELECT DISTINCT dimension FROM ${DB}.canary_10s WHERE model = ${MODEL} AND dimension != '__all__' AND $__timeFilter(bucket) ORDER BY dimension`, { multi: true }),
  );

  d.annotation(
    new AnnotationQueryBuilder()
      .name('Canary and production changes')
      .datasource(DATASOURCE)
      .enable(true)
      .iconColor('purple')
      .target(
        q.annotation(
          'Canary and production changes',
          `SELECT
    at AS time,
    concat(action, ' ', model, ' ', to_version, if(startsWith(action, 'canary'), concat(' at ', toString(round(weight * 100, 2)), '%'), '')) AS title,
    concat(reason, ' (by ', actor, ')') AS text,
    concat('registry,', action) AS tags
FROM ${DB}.promotions
WHERE model = ${MODEL} AND $__timeFilter(at)
ORDER BY time`,
          ['time', 'title', 'text', 'tags'],
        ),
      ),
  );

  d.withRow(new RowBuilder('Rollout'));
  d.withPanel(
    timeseries(q, {
      title: 'Canary traffic weight',
      description: 'Share of traffic routed to the canary after each registry change (canary-start, -step, -hold, -abort; 0 after promote or rollback), from shadow.promotions.',
      sql: `SELECT at AS time, weight AS canary_weight
FROM ${DB}.promotions
WHERE model = ${MODEL} AND $__timeFilter(at)
ORDER BY time`,
      columns: ['time', 'canary_weight'],
      span: 12,
      height: 8,
      unit: 'percentunit',
    }).lineInterpolation(LineInterpolation.StepAfter),
  );
  d.withPanel(
    table(q, {
      title: 'Canary decisions',
      description: 'Every canary change and promotion with who made it and why (the judge\'s reasons for the controller), and the time from the command to the flag flip.',
      sql: `SELECT at, action, to_version AS version, weight, actor, reason, flip_ms
FROM ${DB}.promotions
WHERE model = ${MODEL} AND $__timeFilter(at)
ORDER BY at DESC`,
      columns: ['at', 'action', 'version', 'weight', 'actor', 'reason', 'flip_ms'],
      span: 12,
      height: 8,
    }),
  );

  d.withRow(new RowBuilder('Both versions over the same buckets'));
  d.withPanel(
    timeseries(q, {
      title: 'Requests per served version',
      description: 'Requests each version answered (primary outputs, by primary_version), from shadow.canary_10s.',
      sql: `SELECT $__timeInterval(bucket) AS time, primary_version AS version, sum(answered) AS requests
FROM ${DB}.canary_10s
WHERE ${ALL}
GROUP BY time, version
ORDER BY time, version`,
      columns: ['time', 'version', 'requests'],
      span: 8,
      height: 8,
    }),
  );
  d.withPanel(
    timeseries(q, {
      title: 'Error rate per served version',
      description: 'Errors / requests answered, per served version: the canary judge\'s first metric.',
      sql: `SELECT $__timeInterval(bucket) AS time, primary_version AS version, sum(errors) / nullIf(sum(answered), 0) AS error_rate
FROM ${DB}.canary_10s
WHERE ${ALL}
GROUP BY time, version
ORDER BY time, version`,
      columns: ['time', 'version', 'error_rate'],
      span: 8,
      height: 8,
      unit: 'percentunit',
    }),
  );
  d.withPanel(
    timeseries(q, {
      title: 'Reported latency p95 per served version',
      description: 'p95 of the latency the serving layer reported for each version\'s answers (t-digest, shadow.stats_1m).',
      sql: `SELECT $__timeInterval(minute) AS time, primary_version AS version, quantilesTDigestMerge(0.5, 0.95, 0.99)(primary_latency_ms)[2] AS latency_p95_ms
FROM ${DB}.stats_1m
WHERE model = ${MODEL} AND primary_version IN (${VERSIONS}) AND dimension = '__all__' AND $__timeFilter(minute)
GROUP BY time, version
ORDER BY time, version`,
      columns: ['time', 'version', 'latency_p95_ms'],
      span: 8,
      height: 8,
      unit: 'ms',
    }),
  );

  d.withRow(new RowBuilder('Per slice'));
  d.withPanel(
    table(q, {
      title: 'Error rate per segment value and version',
      description: 'For each value of the selected dimensions, each version\'s requests, errors and error rate over the range: the slices the judge compares.',
      sql: `SELECT dimension, value, primary_version AS version, sum(answered) AS requests, sum(errors) AS errored, errored / nullIf(requests, 0) AS error_rate
FROM ${DB}.canary_10s
WHERE model = ${MODEL} AND primary_version IN (${VERSIONS}) AND dimension IN (${DIMENSIONS}) AND $__timeFilter(bucket)
GROUP BY dimension, value, version
ORDER BY dimension, value, version`,
      columns: ['dimension', 'value', 'version', 'requests', 'errored', 'error_rate'],
      span: 12,
      height: 10,
    }),
  );
  d.withPanel(
    table(q, {
      title: 'Score distribution per version',
      description: 'Share of each version\'s answers per score bin (20 bins on [0, 1]), the histogram the judge\'s chi-square test compares.',
      sql: `SELECT version, toFloat64(bin) / 20 AS score_from, answers, answers / sum(answers) OVER (PARTITION BY version) AS share
FROM
(
    SELECT primary_version AS version, k AS bin, v AS answers
    FROM
    (
        SELECT primary_version, sumMap(score_bins) AS h
        FROM ${DB}.canary_10s
        WHERE ${ALL}
        GROUP BY primary_version
    )
    ARRAY JOIN mapKeys(h) AS k, mapValues(h) AS v
)
ORDER BY version, bin`,
      columns: ['version', 'score_from', 'answers', 'share'],
      span: 12,
      height: 10,
    }),
  );
  return { dashboard: d, specs: q.specs };
}
