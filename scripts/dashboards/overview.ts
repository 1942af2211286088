// Overview dashboard, one per model: is the candidate as good as production, where is it not, and is
// the measurement itself healthy? Reads shadow.stats_1m (per minute x segment), rejects, and the
// gate's and registry's audit tables.
import { DashboardBuilder, DashboardCursorSync, DashboardLinkBuilder, DashboardLinkType, RowBuilder, VariableRefresh } from '@grafana/grafana-foundation-sdk/dashboard';
import { auditAnnotations } from './annotations.ts';
import { stat, table, timeseries, unitOf } from './panels.ts';
import { CANDIDATE, DB, DIMENSION, MODEL, QueryCollector, VALUES, databaseVariable, type QuerySpec } from './spec.ts';
import { num, wilsonSql, type Thresholds } from './thresholds.ts';
import { DRILLDOWN_UID } from './drilldown.ts';

export const overviewUid = (model: string): string => `shadow-overview-${model}`;

// WHERE clauses: the overall row, and the selected dimension's values ("All" drops the value filter).
const OVERALL = `model = ${MODEL} AND candidate_version = ${CANDIDATE} AND dimension = '__all__' AND $__timeFilter(minute)`;
/** latency_1m (migration 000032) has no segment dimension: latency belongs to the model and the processor. */
const LATENCY = `model = ${MODEL} AND candidate_version = ${CANDIDATE} AND $__timeFilter(minute)`;
const SEGMENTS = `model = ${MODEL} AND candidate_version = ${CANDIDATE} AND dimension = ${DIMENSION} AND $__conditionalAll(value IN (${VALUES}), $value) AND $__timeFilter(minute)`;

export function overviewDashboard(model: string, database: string, t: Thresholds): { dashboard: DashboardBuilder; specs: QuerySpec[] } {
  const uid = overviewUid(model);
  const q = new QueryCollector(uid);
  const g = t.gate;
  const minAgreement = num(g.agreement.min);
  const minSegment = g.segments.minComparisons;

  const d = new DashboardBuilder(`Shadow comparison: ${model}`)
    .uid(uid)
    .description(`Candidate versus production (primary) for model ${model}, from mirrored traffic. Gate thresholds from src/gate/config.ts defaults.`)
    .tags(['shadow-compare', 'generated'])
    .time({ from: 'now-24h', to: 'now' })
    .refresh('1m')
    .timezone('utc')
    .tooltip(DashboardCursorSync.Crosshair)
    .readonly()
    .link(new DashboardLinkBuilder('Disagreements drill-down').type(DashboardLinkType.Dashboards).tags(['shadow-compare']).asDropdown(false).includeVars(true).keepTime(true));

  d.withVariable(databaseVariable(database));
  d.withVariable(q.variable('model', 'Model', `SELECT DISTINCT model FROM ${DB}.stats_1m ORDER BY model`, { current: model, refresh: VariableRefresh.OnDashboardLoad }));
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
  d.withVariable(
    q.variable(
      'value',
      'Segment values',
      `SELECT DISTINCT value FROM ${DB}.stats_1m WHERE model = ${MODEL} AND candidate_version = ${CANDIDATE} AND dimension = ${DIMENSION} AND $__timeFilter(minute) ORDER BY value`,
      { multi: true },
    ),
  );

  for (const a of auditAnnotations(q)) d.annotation(a);

  // --- Is the candidate safe to promote? ---------------------------------------------------------
  d.withRow(new RowBuilder('Agreement: is the candidate as good as production?'));
  d.withPanel(
    stat(q, {
      title: 'In the selected range',
      description:
        "Totals over the time range for the selected candidate: requests compared, agreement where both models answered, candidate error rate, unmatched rate and the candidate's p99 compute latency (session.run time of its batches, the figure the gate judges). The gate decides on a 7-day window; this is the same arithmetic over the dashboard range.",
      sql: `SELECT
    c AS compared,
    if(n > 0, a / n, NULL) AS agreement,
    if(c > 0, ce / c, NULL) AS candidate_error_rate,
    if(c + u > 0, u / (c + u), NULL) AS unmatched_rate,
    (
        SELECT arrayElement(quantilesTDigestMerge(0.5, 0.95, 0.99)(compute_ms), 3)
        FROM ${DB}.latency_1m
        WHERE ${LATENCY}
    ) AS candidate_compute_p99_ms
FROM
(
    SELECT
        sum(compared) AS c,
        sum(agreements) AS a,
        sum(both_ok) AS n,
        sum(candidate_errors) AS ce,
        sum(unmatched_requests) + sum(unmatched_primaries) AS u
    FROM ${DB}.stats_1m
    WHERE ${OVERALL}
)`,
      columns: ['compared', 'agreement', 'candidate_error_rate', 'unmatched_rate', 'candidate_compute_p99_ms'],
      span: 24,
      height: 4,
    })
      .overrideByName('agreement', unitOf('percentunit'))
      .overrideByName('candidate_error_rate', unitOf('percentunit'))
      .overrideByName('unmatched_rate', unitOf('percentunit'))
      .overrideByName('candidate_compute_p99_ms', unitOf('ms'))
      .decimals(2),
  );
  d.withPanel(
    timeseries(q, {
      title: 'Agreement rate vs gate minimum',
      description: `Share of requests where both models answered and agree, per interval, with its ${num(g.confidence * 100)}% Wilson lower bound (the bound the gate compares) and the gate minimum (gate.agreement.min = ${minAgreement}) as a dashed line. Sustained lower bound under the line means the gate will not promote.`,
      sql: `SELECT
    time,
    if(n > 0, a / n, NULL) AS agreement,
    ${wilsonSql('a', 'n', t.z, 'lower')} AS agreement_lower_bound,
    ${minAgreement} AS gate_min_agreement
FROM
(
    SELECT $__timeInterval(minute) AS time, sum(agreements) AS a, sum(both_ok) AS n
    FROM ${DB}.stats_1m
    WHERE ${OVERALL}
    GROUP BY time
)
ORDER BY time`,
      columns: ['time', 'agreement', 'agreement_lower_bound', 'gate_min_agreement'],
      span: 12,
      height: 9,
      unit: 'percentunit',
    }),
  );
  d.withPanel(
    timeseries(q, {
      title: 'Noise floor: disagreement beyond the primary\'s own',
      description: `Where the primary's artifact is re-scored on the mirrored features (primary.path, or the registry's production version): how often it disagrees with its own logged answers (the noise floor: feature skew, nondeterminism, a stale artifact), how often the candidate disagrees with them, and the difference (excess disagreement, the figure the gate judges with Newcombe's paired bound instead of plain agreement). Dashed: gate.noise.maxExcessDisagreement (${num(g.noise.maxExcessDisagreement)}) and 1 - gate.noise.minReproduction (${num(1 - g.noise.minReproduction)}): a floor above it makes the gate hold ("the comparison is mostly noise"). Empty when the primary is not re-scored.`,
      sql: `SELECT
    time,
    (neither + cand_only) / paired AS noise_floor,
    (neither + rep_only) / paired AS candidate_disagreement,
    (rep_only - cand_only) / paired AS excess_disagreement,
    ${num(g.noise.maxExcessDisagreement)} AS gate_max_excess_disagreement,
    ${num(1 - g.noise.minReproduction)} AS gate_max_noise_floor
FROM
(
    SELECT
        $__timeInterval(minute) AS time,
        sum(paired) AS paired,
        sum(neither_agree) AS neither,
        sum(candidate_only_agree) AS cand_only,
        sum(reproduced_only_agree) AS rep_only
    FROM ${DB}.noise_1m
    WHERE ${OVERALL}
    GROUP BY time
    HAVING paired > 0
)
ORDER BY time`,
      columns: ['time', 'noise_floor', 'candidate_disagreement', 'excess_disagreement', 'gate_max_excess_disagreement', 'gate_max_noise_floor'],
      span: 12,
      height: 9,
      unit: 'percentunit',
    }),
  );
  d.withPanel(
    table(q, {
      title: 'Agreement by segment value (worst first)',
      description: `Per value of the selected dimension: comparisons, disagreements, agreement and its ${num(g.confidence * 100)}% Wilson bounds. Sorted by the upper bound, so a value is at the top only if it is bad with evidence; values with fewer than ${minSegment} comparisons (gate.segments.minComparisons) say "too few to judge" instead of looking bad. Click a value to open the drill-down.`,
      sql: `SELECT
    value,
    c AS compared,
    n AS both_ok,
    n - a AS disagreements,
    if(n > 0, a / n, NULL) AS agreement,
    ${wilsonSql('a', 'n', t.z, 'lower')} AS agreement_lower_bound,
    ${wilsonSql('a', 'n', t.z, 'upper')} AS agreement_upper_bound,
    multiIf(n < ${minSegment}, 'too few to judge', agreement_upper_bound < ${minAgreement}, 'below gate minimum',
            agreement_lower_bound >= ${minAgreement}, 'meets gate minimum', 'not yet conclusive') AS verdict
FROM
(
    SELECT value, sum(compared) AS c, sum(agreements) AS a, sum(both_ok) AS n
    FROM ${DB}.stats_1m
    WHERE ${SEGMENTS}
    GROUP BY value
)
ORDER BY agreement_upper_bound ASC, both_ok DESC`,
      columns: ['value', 'compared', 'both_ok', 'disagreements', 'agreement', 'agreement_lower_bound', 'agreement_upper_bound', 'verdict'],
      span: 12,
      height: 9,
    })
      .overrideByRegexp('^agreement.*', unitOf('percentunit'))
      .overrideByName('value', [
        {
          id: 'links',
          value: [
            {
              title: 'Disagreements for ${dimension} = ${__value.raw}',
              url: `/d/${DRILLDOWN_UID}?var-model=\${model}&var-candidate=\${candidate}&var-dimension=\${dimension}&var-segment=\${__value.raw}&\${__url_time_range}`,
            },
          ],
        },
      ]),
  );
  d.withPanel(
    timeseries(q, {
      title: 'Agreement by segment value over time',
      description: 'Agreement per value of the selected dimension (all values, or those picked in "Segment values"), in 10-minute buckets so small segments are not pure noise.',
      sql: `SELECT
    $__timeInterval(minute) AS time,
    value,
    sum(agreements) / nullIf(sum(both_ok), 0) AS agreement
FROM ${DB}.stats_1m
WHERE ${SEGMENTS}
GROUP BY time, value
ORDER BY time, value`,
      columns: ['time', 'value', 'agreement'],
      span: 24,
      height: 8,
      unit: 'percentunit',
      interval: '10m',
    }),
  );

  // --- Cost of switching: errors, latency, cost ---------------------------------------------------
  d.withPanel(
    table(q, {
      title: 'Label accuracy on ground truth (per day)',
      description: `Late ground-truth labels (the labels topic) joined to the stored predictions by request id, per day of the requests in the range: how many were labelled, both models' accuracy, and the paired table McNemar's test reads (both right, only the primary right, only the candidate right, both wrong). Agreement says "different"; this says which model is right. The gate judges it over its window (gate.labels.maxAccuracyDrop = ${num(g.labels.maxAccuracyDrop)}, at least ${num(g.labels.minLabels)} labels). Reads the view shadow.label_accuracy_daily; labels arrive late, so recent days fill in over time.`,
      sql: `SELECT
    toString(d) AS day,
    n AS labelled,
    (br + pr) / nullIf(br + pr + cr + bw, 0) AS primary_accuracy,
    (br + cr) / nullIf(br + pr + cr + bw, 0) AS candidate_accuracy,
    br AS both_right,
    pr AS only_primary_right,
    cr AS only_candidate_right,
    bw AS both_wrong
FROM
(
    SELECT day AS d, sum(labelled) AS n, sum(both_right) AS br, sum(only_primary_right) AS pr,
           sum(only_candidate_right) AS cr, sum(both_wrong) AS bw
    FROM ${DB}.label_accuracy_daily
    WHERE model = ${MODEL} AND candidate_version = ${CANDIDATE} AND dimension = '__all__'
      AND day >= toDate($__fromTime) AND day <= toDate($__toTime)
    GROUP BY d
)
ORDER BY d DESC`,
      columns: ['day', 'labelled', 'primary_accuracy', 'candidate_accuracy', 'both_right', 'only_primary_right', 'only_candidate_right', 'both_wrong'],
      span: 24,
      height: 7,
    })
      .overrideByName('primary_accuracy', unitOf('percentunit'))
      .overrideByName('candidate_accuracy', unitOf('percentunit')),
  );

  d.withRow(new RowBuilder('Errors, latency and cost of both models'));
  d.withPanel(
    timeseries(q, {
      title: 'Error rates',
      description: `Candidate errors (could not score: missing feature, NaN, runtime error) and primary errors per compared request, with the gate ceiling for the candidate (gate.errors.maxCandidateRate = ${num(g.errors.maxCandidateRate)}).`,
      sql: `SELECT
    $__timeInterval(minute) AS time,
    sum(candidate_errors) / nullIf(sum(compared), 0) AS candidate_error_rate,
    sum(primary_errors) / nullIf(sum(compared), 0) AS primary_error_rate,
    ${num(g.errors.maxCandidateRate)} AS gate_max_candidate_error_rate
FROM ${DB}.stats_1m
WHERE ${OVERALL}
GROUP BY time
ORDER BY time`,
      columns: ['time', 'candidate_error_rate', 'primary_error_rate', 'gate_max_candidate_error_rate'],
      span: 8,
      height: 8,
      unit: 'percentunit',
    }),
  );
  d.withPanel(
    timeseries(q, {
      title: 'Model latency p50 / p95 / p99',
      description: `The candidate's compute latency (session.run time of the batch each request was in: what the gate judges) and the primary's latency as its server reports it (t-digest estimates merged per interval). Processor queueing is not in these lines: see "Processor queue latency". Dashed: the gate's candidate p99 ceiling (gate.latency.maxP99Ms = ${num(g.latency.maxP99Ms)} ms) and primary p99 x gate.latency.maxP99VsPrimary (${num(g.latency.maxP99VsPrimary)}). The gate leaves each day's slowest minute out; this panel does not.`,
      sql: `SELECT
    p.time AS time,
    c.cl[1] AS candidate_compute_p50_ms,
    c.cl[2] AS candidate_compute_p95_ms,
    c.cl[3] AS candidate_compute_p99_ms,
    p.pl[1] AS primary_p50_ms,
    p.pl[2] AS primary_p95_ms,
    p.pl[3] AS primary_p99_ms,
    ${num(g.latency.maxP99Ms)} AS gate_max_candidate_p99_ms,
    p.pl[3] * ${num(g.latency.maxP99VsPrimary)} AS gate_max_p99_vs_primary_ms
FROM
(
    SELECT $__timeInterval(minute) AS time, quantilesTDigestMerge(0.5, 0.95, 0.99)(primary_latency_ms) AS pl
    FROM ${DB}.stats_1m
    WHERE ${OVERALL}
    GROUP BY time
) AS p
LEFT JOIN
(
    SELECT $__timeInterval(minute) AS time, quantilesTDigestMerge(0.5, 0.95, 0.99)(compute_ms) AS cl
    FROM ${DB}.latency_1m
    WHERE ${LATENCY}
    GROUP BY time
) AS c ON c.time = p.time
ORDER BY time`,
      columns: ['time', 'candidate_compute_p50_ms', 'candidate_compute_p95_ms', 'candidate_compute_p99_ms', 'primary_p50_ms', 'primary_p95_ms', 'primary_p99_ms', 'gate_max_candidate_p99_ms', 'gate_max_p99_vs_primary_ms'],
      span: 8,
      height: 8,
      unit: 'ms',
    }),
  );
  d.withPanel(
    timeseries(q, {
      title: 'Processor queue latency (not judged)',
      description:
        "Time requests spent in this processor before the candidate's batch ran (micro-batch wait, event-loop stalls, GC, catch-up), beside the compute p99 for scale. Processor health, never a model verdict: a high queue with a flat compute line is a capacity problem of the processor (more instances, fewer partitions each), not a reason to reject the candidate. Also in Prometheus: shadow_candidate_queue_seconds.",
      sql: `SELECT
    time,
    q[1] AS queue_p50_ms,
    q[2] AS queue_p95_ms,
    q[3] AS queue_p99_ms,
    c[3] AS candidate_compute_p99_ms
FROM
(
    SELECT
        $__timeInterval(minute) AS time,
        quantilesTDigestMerge(0.5, 0.95, 0.99)(queue_ms) AS q,
        quantilesTDigestMerge(0.5, 0.95, 0.99)(compute_ms) AS c
    FROM ${DB}.latency_1m
    WHERE ${LATENCY}
    GROUP BY time
)
ORDER BY time`,
      columns: ['time', 'queue_p50_ms', 'queue_p95_ms', 'queue_p99_ms', 'candidate_compute_p99_ms'],
      span: 8,
      height: 8,
      unit: 'ms',
    }),
  );
  const costGate = g.cost.maxVsPrimary === null ? '' : `,\n    primary_cost_per_inference_usd * ${num(g.cost.maxVsPrimary)} AS gate_max_candidate_cost_usd`;
  d.withPanel(
    timeseries(q, {
      title: 'Cost per inference',
      description: `Candidate cost (measured compute time x candidate.pricing) and primary cost (cost_usd from the serving layer, else primary.pricing) per inference.${g.cost.maxVsPrimary === null ? '' : ` Dashed: primary cost x gate.cost.maxVsPrimary (${num(g.cost.maxVsPrimary)}).`}`,
      sql: `SELECT
    $__timeInterval(minute) AS time,
    sum(candidate_cost_usd) / nullIf(sum(candidate_scored), 0) AS candidate_cost_per_inference_usd,
    sum(primary_cost_usd) / nullIf(sum(primary_answered), 0) AS primary_cost_per_inference_usd${costGate}
FROM ${DB}.stats_1m
WHERE ${OVERALL}
GROUP BY time
ORDER BY time`,
      columns: ['time', 'candidate_cost_per_inference_usd', 'primary_cost_per_inference_usd', ...(g.cost.maxVsPrimary === null ? [] : ['gate_max_candidate_cost_usd'])],
      span: 8,
      height: 8,
      unit: 'currencyUSD',
    }),
  );

  // --- Is the measurement itself healthy? --------------------------------------------------------
  d.withRow(new RowBuilder('Measurement health: join, schema, rejects, volume'));
  d.withPanel(
    timeseries(q, {
      title: 'Unmatched and schema-mismatch rates',
      description: `Unmatched: requests without a primary output (or outputs without a request) within the join window, over all join inputs. Schema mismatch: requests with another feature_schema_version than the candidate's pin. Above the dashed gate ceilings (gate.join.maxUnmatchedRate = ${num(g.join.maxUnmatchedRate)}, gate.join.maxSchemaMismatchRate = ${num(g.join.maxSchemaMismatchRate)}) the gate holds: the comparison cannot be trusted.`,
      sql: `SELECT
    $__timeInterval(minute) AS time,
    (sum(unmatched_requests) + sum(unmatched_primaries))
        / nullIf(sum(compared) + sum(unmatched_requests) + sum(unmatched_primaries), 0) AS unmatched_rate,
    sum(schema_mismatches) / nullIf(sum(compared) + sum(unmatched_requests) + sum(schema_mismatches), 0) AS schema_mismatch_rate,
    ${num(g.join.maxUnmatchedRate)} AS gate_max_unmatched_rate,
    ${num(g.join.maxSchemaMismatchRate)} AS gate_max_schema_mismatch_rate
FROM ${DB}.stats_1m
WHERE ${OVERALL}
GROUP BY time
ORDER BY time`,
      columns: ['time', 'unmatched_rate', 'schema_mismatch_rate', 'gate_max_unmatched_rate', 'gate_max_schema_mismatch_rate'],
      span: 12,
      height: 8,
      unit: 'percentunit',
    }),
  );
  d.withPanel(
    timeseries(
      q,
      {
        title: 'Traffic: compared, unmatched, schema mismatches, duplicates',
        description: 'How much evidence there is: compared requests per interval, and the records that could not be compared (unmatched on either side, schema mismatches) or were redeliveries (duplicates, ignored).',
        sql: `SELECT
    $__timeInterval(minute) AS time,
    sum(compared) AS compared,
    sum(unmatched_requests) AS unmatched_requests,
    sum(unmatched_primaries) AS unmatched_primaries,
    sum(schema_mismatches) AS schema_mismatches,
    sum(duplicates) AS duplicates
FROM ${DB}.stats_1m
WHERE ${OVERALL}
GROUP BY time
ORDER BY time`,
        columns: ['time', 'compared', 'unmatched_requests', 'unmatched_primaries', 'schema_mismatches', 'duplicates'],
        span: 12,
        height: 8,
        unit: 'short',
      },
      { bars: true },
    ),
  );
  d.withPanel(
    timeseries(
      q,
      {
        title: 'Rejected messages by reason',
        description: 'Messages on the mirrored topics that failed to decode or validate, by reason code (INVALID_JSON, SCHEMA_VIOLATION, UNKNOWN_MODEL, ...), by ingestion time. Rejects carry no trustworthy model name, so this panel covers every model on the topics.',
        sql: `SELECT
    $__timeInterval(received_at) AS time,
    error_code,
    count() AS rejects
FROM ${DB}.rejects
WHERE $__timeFilter(received_at)
GROUP BY time, error_code
ORDER BY time, error_code`,
        columns: ['time', 'error_code', 'rejects'],
        span: 12,
        height: 8,
        unit: 'short',
      },
      { bars: true },
    ),
  );
  d.withPanel(
    table(q, {
      title: 'Latest rejects',
      description: 'The 100 most recent rejected messages with where they came from (topic, partition, offset) and the start of the payload, to find the producer that sends them.',
      sql: `SELECT
    received_at AS time,
    topic,
    partition,
    offset,
    message_key,
    error_code,
    error_message,
    substring(raw_payload, 1, 300) AS payload_start
FROM ${DB}.rejects
WHERE $__timeFilter(received_at)
ORDER BY received_at DESC
LIMIT 100`,
      columns: ['time', 'topic', 'partition', 'offset', 'message_key', 'error_code', 'error_message', 'payload_start'],
      span: 12,
      height: 8,
    }),
  );

  // --- What was decided ---------------------------------------------------------------------------
  d.withRow(new RowBuilder('Gate decisions and promotions'));
  d.withPanel(
    table(q, {
      title: 'Latest gate decisions',
      description: 'The last 20 decisions of `shadow-compare gate` for this candidate (whatever the time range): PROMOTE / HOLD / REJECT, the reasons, the window judged and who ran it. Also drawn as annotations on the time series.',
      sql: `SELECT
    decided_at,
    decision,
    arrayStringConcat(reasons, '; ') AS reasons_text,
    arrayStringConcat(primary_versions, ', ') AS primary_versions_text,
    window_start,
    window_end,
    actor,
    toString(decision_id) AS decision_uuid,
    promotion_id
FROM ${DB}.gate_decisions
WHERE model = ${MODEL} AND candidate_version = ${CANDIDATE}
ORDER BY decided_at DESC
LIMIT 20`,
      columns: ['decided_at', 'decision', 'reasons_text', 'primary_versions_text', 'window_start', 'window_end', 'actor', 'decision_uuid', 'promotion_id'],
      span: 12,
      height: 8,
    }),
  );
  d.withPanel(
    table(q, {
      title: 'Promotions and rollbacks',
      description: 'The last 20 production flips of this model (promote / rollback), with the gate decision that allowed it when `promote --if-gate-passes` was used. Also drawn as annotations.',
      sql: `SELECT
    at,
    action,
    from_version,
    to_version,
    actor,
    reason,
    gate_decision_id,
    backend
FROM ${DB}.promotions
WHERE model = ${MODEL}
ORDER BY at DESC
LIMIT 20`,
      columns: ['at', 'action', 'from_version', 'to_version', 'actor', 'reason', 'gate_decision_id', 'backend'],
      span: 12,
      height: 8,
    }),
  );
  return { dashboard: d, specs: q.specs };
}
