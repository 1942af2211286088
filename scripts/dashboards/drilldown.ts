// Drill-down on shadow.disagreements for one segment value: what the disagreements look like (labels,
// score deltas, features, other segments), row by row. shadow.disagreements holds every disagreement
// plus a sample of agreements (sink.agreementSampleRate), which the feature contrast compares against.
import { DashboardBuilder, RowBuilder, VariableRefresh } from '@grafana/grafana-foundation-sdk/dashboard';
import { auditAnnotations } from './annotations.ts';
import { barchart, linkedDashboard, stat, table, timeseries, unitOf } from './panels.ts';
import { CANDIDATE, DB, DIMENSION, MODEL, QueryCollector, SEGMENT, databaseVariable, type QuerySpec } from './spec.ts';
import { wilsonSql, type Thresholds } from './thresholds.ts';

export const DRILLDOWN_UID = 'shadow-disagreements';

// WHERE clause on shadow.disagreements: the selected candidate's rows in the selected segment value.
const ROWS = `model = ${MODEL} AND candidate_version = ${CANDIDATE} AND segments[${DIMENSION}] = ${SEGMENT} AND $__timeFilter(event_time)`;

export function drilldownDashboard(defaultModel: string, database: string, t: Thresholds): { dashboard: DashboardBuilder; specs: QuerySpec[] } {
  const q = new QueryCollector(DRILLDOWN_UID);
  const d = linkedDashboard({
    title: 'Shadow comparison: disagreements drill-down',
    uid: DRILLDOWN_UID,
    description: 'Row-level disagreements (shadow.disagreements) of one candidate in one segment value.',
    from: 'now-24h',
    refresh: '5m',
    includeVars: true,
  });

  d.withVariable(databaseVariable(database));
  d.withVariable(q.variable('model', 'Model', `SELECT DISTINCT model FROM ${DB}.stats_1m ORDER BY model`, { current: defaultModel, refresh: VariableRefresh.OnDashboardLoad }));
  d.withVariable(
    q.variable(
      'candidate',
      'Candidate version',
      `SELECT candidate_version FROM ${DB}.stats_1m WHERE model = ${MODEL} AND $__timeFilter(minute) GROUP BY candidate_version ORDER BY max(minute) DESC`,
    ),
  );
  d.withVariable(
    q.variable(
      'dimension',
      'Segment dimension',
      `SELECT DISTINCT dimension FROM ${DB}.stats_1m WHERE model = ${MODEL} AND candidate_version = ${CANDIDATE} AND dimension != '__all__' AND $__timeFilter(minute) ORDER BY dimension`,
    ),
  );
  // Worst agreement first, so the default is the value most worth looking at.
  d.withVariable(
    q.variable(
      'segment',
      'Segment value',
      `SELECT value FROM ${DB}.stats_1m WHERE model = ${MODEL} AND candidate_version = ${CANDIDATE} AND dimension = ${DIMENSION} AND $__timeFilter(minute) GROUP BY value ORDER BY sum(agreements) / greatest(sum(both_ok), 1) ASC, value`,
    ),
  );

  for (const a of auditAnnotations(q)) d.annotation(a);

  d.withRow(new RowBuilder('How bad is it in this segment?'));
  d.withPanel(
    stat(q, {
      title: 'Agreement in this segment value',
      description: `Comparisons, disagreements and agreement of the selected segment value in the range (from shadow.stats_1m, exact counts), with the gate's ${t.gate.confidence * 100}% Wilson bounds.`,
      sql: `SELECT
    c AS compared,
    n - a AS disagreements,
    if(n > 0, a / n, NULL) AS agreement,
    ${wilsonSql('a', 'n', t.z, 'lower')} AS agreement_lower_bound,
    ${wilsonSql('a', 'n', t.z, 'upper')} AS agreement_upper_bound
FROM
(
    SELECT sum(compared) AS c, sum(agreements) AS a, sum(both_ok) AS n
    FROM ${DB}.stats_1m
    WHERE model = ${MODEL} AND candidate_version = ${CANDIDATE} AND dimension = ${DIMENSION} AND value = ${SEGMENT} AND $__timeFilter(minute)
)`,
      columns: ['compared', 'disagreements', 'agreement', 'agreement_lower_bound', 'agreement_upper_bound'],
      span: 24,
      height: 4,
    })
      .overrideByRegexp('^agreement.*', unitOf('percentunit'))
      .decimals(2),
  );
  d.withPanel(
    timeseries(
      q,
      {
        title: 'Disagreements over time',
        description: 'Disagreements per interval in this segment value, and the sampled agreements kept next to them (sink.agreementSampleRate) for contrast.',
        sql: `SELECT
    $__timeInterval(event_time) AS time,
    countIf(agree = 0) AS disagreements,
    countIf(agree = 1) AS sampled_agreements
FROM ${DB}.disagreements
WHERE ${ROWS}
GROUP BY time
ORDER BY time`,
        columns: ['time', 'disagreements', 'sampled_agreements'],
        span: 12,
        height: 8,
        unit: 'short',
      },
      { bars: true },
    ),
  );
  d.withPanel(
    table(q, {
      title: 'Primary label x candidate label',
      description: 'Which answers flip: disagreements counted by (primary label, candidate label). For a binary model, the two rows are the false-positive and false-negative directions relative to production.',
      sql: `SELECT
    primary_label,
    candidate_label,
    count() AS disagreements
FROM ${DB}.disagreements
WHERE ${ROWS} AND agree = 0
GROUP BY primary_label, candidate_label
ORDER BY disagreements DESC`,
      columns: ['primary_label', 'candidate_label', 'disagreements'],
      span: 12,
      height: 8,
    }),
  );

  d.withRow(new RowBuilder('What do the disagreements have in common?'));
  d.withPanel(
    barchart(
      q,
      {
        title: 'Score delta of disagreements',
        description: 'Distribution of candidate score minus primary score (rounded to 0.1) over the disagreements: mass near 0 means borderline cases around the threshold, mass far from 0 means the models really differ.',
        sql: `SELECT
    toString(bucket) AS score_delta,
    n AS disagreements
FROM
(
    SELECT round(score_delta, 1) AS bucket, count() AS n
    FROM ${DB}.disagreements
    WHERE ${ROWS} AND agree = 0
    GROUP BY bucket
)
ORDER BY bucket`,
        columns: ['score_delta', 'disagreements'],
        span: 12,
        height: 8,
      },
      'score_delta',
    ),
  );
  d.withPanel(
    table(q, {
      title: 'Features that separate disagreements from agreements',
      description: 'Numeric features whose mean over the disagreements differs most from their mean over the sampled agreements of the same segment value (relative difference). Empty agreement means: no sampled agreement in range.',
      sql: `SELECT
    feature,
    avgIf(x, agree = 0) AS mean_when_disagreeing,
    avgIf(x, agree = 1) AS mean_when_agreeing,
    (mean_when_disagreeing - mean_when_agreeing) / greatest(abs(mean_when_agreeing), 1e-9) AS relative_difference,
    countIf(agree = 0) AS disagreements,
    countIf(agree = 1) AS sampled_agreements
FROM
(
    SELECT agree, kv.1 AS feature, toFloat64OrNull(kv.2) AS x
    FROM ${DB}.disagreements
    ARRAY JOIN JSONExtractKeysAndValuesRaw(features) AS kv
    WHERE ${ROWS}
)
WHERE x IS NOT NULL
GROUP BY feature
ORDER BY abs(relative_difference) DESC
LIMIT 15`,
      columns: ['feature', 'mean_when_disagreeing', 'mean_when_agreeing', 'relative_difference', 'disagreements', 'sampled_agreements'],
      nullable: ['mean_when_agreeing', 'relative_difference'],
      span: 12,
      height: 8,
    }).overrideByName('relative_difference', unitOf('percentunit')),
  );
  d.withPanel(
    table(q, {
      title: 'Other segments of these disagreements',
      description: 'The disagreements of this segment value broken down by the other segment dimensions: is the problem this value, or another segment that happens to overlap with it?',
      sql: `SELECT
    seg.1 AS other_dimension,
    seg.2 AS other_value,
    count() AS disagreements
FROM ${DB}.disagreements
ARRAY JOIN arrayZip(mapKeys(segments), mapValues(segments)) AS seg
WHERE ${ROWS} AND agree = 0 AND seg.1 != ${DIMENSION}
GROUP BY other_dimension, other_value
ORDER BY disagreements DESC
LIMIT 20`,
      columns: ['other_dimension', 'other_value', 'disagreements'],
      span: 12,
      height: 8,
    }),
  );
  d.withPanel(
    table(q, {
      title: 'Recent disagreements',
      description: 'The 200 most recent disagreements with both answers, scores, segments and the features as sent to the primary: the rows to replay or hand to the model owners.',
      sql: `SELECT
    event_time AS time,
    request_id,
    primary_version,
    primary_label,
    candidate_label,
    primary_score,
    candidate_score,
    score_delta,
    toJSONString(segments) AS segments_json,
    features
FROM ${DB}.disagreements
WHERE ${ROWS} AND agree = 0
ORDER BY event_time DESC
LIMIT 200`,
      columns: ['time', 'request_id', 'primary_version', 'primary_label', 'candidate_label', 'primary_score', 'candidate_score', 'score_delta', 'segments_json', 'features'],
      span: 24,
      height: 10,
    }),
  );
  return { dashboard: d, specs: q.specs };
}
