// Diagnosis (issue 15): the dashboard beside `shadow-compare diagnose`. Feature drift per feature x
// segment value, feature health (missing and out-of-range rates) and both models' score distributions
// over time, all from shadow.profile_1m (docs/diagnose.md). The CLI decides; this shows where to look.
import { DashboardBuilder, RowBuilder, VariableRefresh } from '@grafana/grafana-foundation-sdk/dashboard';
import { auditAnnotations } from './annotations.ts';
import { barchart, linkedDashboard, table, timeseries } from './panels.ts';
import { CANDIDATE, DB, MODEL, QueryCollector, databaseVariable, type QuerySpec } from './spec.ts';

export const DIAGNOSIS_UID = 'shadow-diagnosis';

const PROFILE = `model = ${MODEL} AND candidate_version = ${CANDIDATE} AND $__timeFilter(minute)`;
// Cells that are health, not values: drift is measured over the valid values only (src/profiles/profile.ts).
const HEALTH_CELLS = "('null', 'nan', 'bad', 'lo', 'hi')";

/**
 * PSI of the range's last hour against the rest of the range, per segment value x feature, with the
 * 0.5 pseudo-count of src/diagnose/stats.ts. The CLI's reference is explicit (default: the 7 days
 * before); a dashboard range has no "before", so it compares the newest hour with the rest.
 */
export function driftSql(extraWhere = ''): string {
  return `SELECT
    concat(dimension, '=', value) AS segment,
    feature,
    round(sum((pc - pr) * log(pc / pr)), 4) AS psi,
    toUInt64(sum(c)) AS last_hour,
    toUInt64(sum(r)) AS before
FROM
(
    SELECT
        dimension, value, feature, c, r,
        (c + 0.5) / (sum(c) OVER w + 0.5 * count() OVER w) AS pc,
        (r + 0.5) / (sum(r) OVER w + 0.5 * count() OVER w) AS pr
    FROM
    (
        SELECT dimension, value, feature, cell,
            sumIf(n, minute >= $__toTime - INTERVAL 1 HOUR) AS c,
            sumIf(n, minute < $__toTime - INTERVAL 1 HOUR) AS r
        FROM ${DB}.profile_1m
        WHERE ${PROFILE} AND cell NOT IN ${HEALTH_CELLS} AND feature NOT LIKE '@%'${extraWhere}
        GROUP BY dimension, value, feature, cell
    )
    WINDOW w AS (PARTITION BY dimension, value, feature)
)
GROUP BY segment, feature
HAVING last_hour > 0 AND before > 0
ORDER BY psi DESC, segment, feature`;
}

export function diagnosisDashboard(defaultModel: string, database: string): { dashboard: DashboardBuilder; specs: QuerySpec[] } {
  const q = new QueryCollector(DIAGNOSIS_UID);
  const d = linkedDashboard({
    title: 'Shadow comparison: diagnosis',
    uid: DIAGNOSIS_UID,
    description: 'Feature drift, feature health and both models\' score distributions (shadow.profile_1m): diagnose before reverting.',
    from: 'now-24h',
    refresh: '5m',
    includeVars: true,
  });
  d.withVariable(databaseVariable(database));
  d.withVariable(q.variable('model', 'Model', `SELECT DISTINCT model FROM ${DB}.profile_1m ORDER BY model`, { current: defaultModel, refresh: VariableRefresh.OnDashboardLoad }));
  d.withVariable(
    q.variable('candidate', 'Candidate version', `SELECT candidate_version FROM ${DB}.profile_1m WHERE model = ${MODEL} AND $__timeFilter(minute) GROUP BY candidate_version ORDER BY max(minute) DESC`),
  );
  for (const a of auditAnnotations(q)) d.annotation(a);

  d.withRow(new RowBuilder('Did the inputs move?'));
  d.withPanel(
    table(q, {
      title: 'Drift heatmap: PSI by segment value x feature (last hour vs the rest of the range)',
      description: 'Population stability index of each feature in each segment value, the newest hour against the rest of the range (0.5 pseudo-count per cell). Below 0.1 stable, 0.1-0.25 moderate, above 0.25 major. `shadow-compare diagnose` tests the same against an explicit reference with a multiple-testing correction.',
      sql: driftSql(),
      columns: ['segment', 'feature', 'psi', 'last_hour', 'before'],
      span: 24,
      height: 10,
    }),
  );

  d.withRow(new RowBuilder('Are the features healthy?'));
  d.withPanel(
    timeseries(q, {
      title: 'Missing and out-of-range rates (all features, overall)',
      description: 'Share of profiled feature values that arrived null, NaN or of the wrong type (missing), or outside the expected range (out of range), over all features, per interval.',
      sql: `SELECT
    $__timeInterval(minute) AS time,
    sumIf(n, cell IN ('null', 'nan', 'bad')) / sum(n) AS missing_rate,
    sumIf(n, cell IN ('lo', 'hi')) / sum(n) AS out_of_range_rate
FROM ${DB}.profile_1m
WHERE ${PROFILE} AND dimension = '__all__' AND feature NOT LIKE '@%'
GROUP BY time
ORDER BY time`,
      columns: ['time', 'missing_rate', 'out_of_range_rate'],
      span: 12,
      height: 8,
      unit: 'percentunit',
    }),
  );
  d.withPanel(
    table(q, {
      title: 'Feature health by segment value (worst first)',
      description: 'Missing (null, NaN, wrong type) and out-of-range rates per feature and segment value over the range.',
      sql: `SELECT
    concat(dimension, '=', value) AS segment,
    feature,
    round(sumIf(n, cell IN ('null', 'nan', 'bad')) / sum(n), 4) AS missing_rate,
    round(sumIf(n, cell IN ('lo', 'hi')) / sum(n), 4) AS out_of_range_rate,
    toUInt64(sum(n)) AS values
FROM ${DB}.profile_1m
WHERE ${PROFILE} AND feature NOT LIKE '@%'
GROUP BY segment, feature
ORDER BY missing_rate + out_of_range_rate DESC, segment, feature
LIMIT 50`,
      columns: ['segment', 'feature', 'missing_rate', 'out_of_range_rate', 'values'],
      span: 12,
      height: 8,
    }),
  );

  d.withPanel(
    timeseries(
      q,
      {
        title: 'Profiled requests per interval',
        description: 'Requests profiled per interval (overall; profiles.sampleRate of all requests): the volume the drift and health figures rest on.',
        sql: `SELECT
    $__timeInterval(minute) AS time,
    sumIf(n, dimension = '__all__' AND feature = (SELECT min(feature) FROM ${DB}.profile_1m WHERE ${PROFILE} AND feature NOT LIKE '@%')) AS profiled
FROM ${DB}.profile_1m
WHERE ${PROFILE}
GROUP BY time
ORDER BY time`,
        columns: ['time', 'profiled'],
        span: 24,
        height: 6,
        unit: 'short',
      },
      { bars: true },
    ),
  );

  d.withRow(new RowBuilder("Did the models' outputs move?"));
  d.withPanel(
    timeseries(q, {
      title: 'Mean score of both models over time',
      description: "Mean of each model's score (bin centres of the score profile) per interval, overall: when inputs drift and both lines move together while agreement holds, the world changed.",
      sql: `SELECT
    $__timeInterval(minute) AS time,
    sumIf(n * (toUInt32OrZero(substring(cell, 2)) + 0.5), feature = '@primary_score') / greatest(sumIf(n, feature = '@primary_score'), 1) / 20 AS primary_mean_score,
    sumIf(n * (toUInt32OrZero(substring(cell, 2)) + 0.5), feature = '@candidate_score') / greatest(sumIf(n, feature = '@candidate_score'), 1) / 20 AS candidate_mean_score
FROM ${DB}.profile_1m
WHERE ${PROFILE} AND dimension = '__all__' AND feature IN ('@primary_score', '@candidate_score') AND cell LIKE 'b%'
GROUP BY time
ORDER BY time`,
      columns: ['time', 'primary_mean_score', 'candidate_mean_score'],
      span: 12,
      height: 8,
    }),
  );
  d.withPanel(
    barchart(
      q,
      {
        title: 'Score distributions of both models (range)',
        description: "Share of each model's scores per score bin (profiles.scoreBins over profiles.scoreRange) over the range, overall.",
        sql: `SELECT
    cell AS bin,
    sumIf(n, feature = '@primary_score') / greatest((SELECT sum(n) FROM ${DB}.profile_1m WHERE ${PROFILE} AND dimension = '__all__' AND feature = '@primary_score'), 1) AS primary,
    sumIf(n, feature = '@candidate_score') / greatest((SELECT sum(n) FROM ${DB}.profile_1m WHERE ${PROFILE} AND dimension = '__all__' AND feature = '@candidate_score'), 1) AS candidate
FROM ${DB}.profile_1m
WHERE ${PROFILE} AND dimension = '__all__' AND feature IN ('@primary_score', '@candidate_score')
GROUP BY bin
ORDER BY bin`,
        columns: ['bin', 'primary', 'candidate'],
        span: 12,
        height: 8,
        unit: 'percentunit',
      },
      'bin',
    ),
  );
  return { dashboard: d, specs: q.specs };
}
