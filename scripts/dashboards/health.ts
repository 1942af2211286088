// "Processor health": the processors' own /metrics, scraped by Prometheus (docker-compose.yml), one
// series per instance. Is the group keeping up, is this process healthy (event loop, memory, CPU), is
// ClickHouse keeping up with the sink? Everything the gate's dashboards cannot show from ClickHouse.
import { BigValueColorMode, BigValueGraphMode, LegendDisplayMode, LegendPlacement, ReduceDataOptionsBuilder, SortOrder, TooltipDisplayMode, VizLegendOptionsBuilder, VizTooltipOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import { DashboardBuilder, DashboardCursorSync, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

export const HEALTH_UID = 'shadow-processor-health';

/** uid given to the data source in dashboards/provisioning/datasources/prometheus.yaml. */
export const PROMETHEUS_UID = 'shadow-prometheus';
export const PROMETHEUS = { type: 'prometheus', uid: PROMETHEUS_UID } as const;

/** The scrape job in dashboards/prometheus/prometheus.yml; every panel is limited to it. */
export const SCRAPE_JOB = 'shadow-compare-processor';
const JOB = `job="${SCRAPE_JOB}"`;

export interface HealthPanel {
  readonly title: string;
  readonly description: string;
  /** PromQL, one query per series group; legend in Grafana's {{label}} syntax. */
  readonly queries: readonly { readonly expr: string; readonly legend: string }[];
  readonly unit: string;
  readonly span: number;
  readonly kind?: 'stat';
}

/** Every panel, in order, under its row. Also read by test/dashboards/health.test.ts. */
export const HEALTH_ROWS: readonly { readonly row: string; readonly panels: readonly HealthPanel[] }[] = [
  {
    row: 'Is the consumer group keeping up?',
    panels: [
      {
        title: 'Caught up',
        description: '1 when the group has committed everything that was in the log one join window ago (shadow_consumer_caught_up, the same on every instance); the `status` command prints the same judgement.',
        queries: [{ expr: `min(shadow_consumer_caught_up{${JOB}})`, legend: 'caught up' }],
        unit: 'bool_yes_no',
        span: 6,
        kind: 'stat',
      },
      {
        title: 'Records behind',
        description: 'Records older than one join window the group has not committed (shadow_consumer_behind_records); 0 when caught up.',
        queries: [{ expr: `max(shadow_consumer_behind_records{${JOB}})`, legend: 'behind' }],
        unit: 'short',
        span: 6,
        kind: 'stat',
      },
      {
        title: 'Consumer lag per partition',
        description: "Log end offset minus the group's committed offset, per topic and partition, from the broker (every instance reports every partition: max over instances).",
        queries: [{ expr: `max by (topic, partition) (shadow_consumer_lag_records{${JOB}})`, legend: '{{topic}} p{{partition}}' }],
        unit: 'short',
        span: 12,
      },
      {
        title: 'Assigned partitions',
        description: 'Partitions of each topic the group gave each instance (shadow_consumer_assigned_partitions); an instance with 0 is idle, a total below the partition count means a rebalance is under way.',
        queries: [{ expr: `shadow_consumer_assigned_partitions{${JOB}}`, legend: '{{instance}} {{topic}}' }],
        unit: 'short',
        span: 12,
      },
      {
        title: 'Records consumed and rejected per second',
        description: 'Input records consumed per stream (shadow_records_total) and records rejected by decode or validation (shadow_rejects_total), per instance.',
        queries: [
          { expr: `sum by (instance, stream) (rate(shadow_records_total{${JOB}}[$__rate_interval]))`, legend: '{{instance}} {{stream}}' },
          { expr: `sum by (instance) (rate(shadow_rejects_total{${JOB}}[$__rate_interval]))`, legend: '{{instance}} rejects' },
        ],
        unit: 'reqps',
        span: 12,
      },
    ],
  },
  {
    row: 'Is ClickHouse keeping up with the sink?',
    panels: [
      {
        title: 'Sink pending rows',
        description: 'Outcome rows waiting to be written (shadow_sink_pending_rows); consumption stops at sink.maxPendingRows.',
        queries: [{ expr: `shadow_sink_pending_rows{${JOB}}`, legend: '{{instance}}' }],
        unit: 'short',
        span: 8,
      },
      {
        title: 'Insert latency p50 / p99',
        description: 'ClickHouse insert latency from shadow_insert_duration_seconds.',
        queries: [
          { expr: `histogram_quantile(0.5, sum by (le, instance) (rate(shadow_insert_duration_seconds_bucket{${JOB}}[$__rate_interval])))`, legend: '{{instance}} p50' },
          { expr: `histogram_quantile(0.99, sum by (le, instance) (rate(shadow_insert_duration_seconds_bucket{${JOB}}[$__rate_interval])))`, legend: '{{instance}} p99' },
        ],
        unit: 's',
        span: 8,
      },
      {
        title: 'Insert retries per second',
        description: 'Insert attempts retried after a transient ClickHouse failure (shadow_insert_retries_total); retries are not drops.',
        queries: [{ expr: `sum by (instance) (rate(shadow_insert_retries_total{${JOB}}[$__rate_interval]))`, legend: '{{instance}}' }],
        unit: 'ops',
        span: 8,
      },
    ],
  },
  {
    row: 'Is the process healthy?',
    panels: [
      {
        title: 'Event-loop delay p99',
        description: 'Event-loop delay p99 over 10 s (shadow_event_loop_delay_p99_seconds): long stalls delay heartbeats and commits.',
        queries: [{ expr: `shadow_event_loop_delay_p99_seconds{${JOB}}`, legend: '{{instance}}' }],
        unit: 's',
        span: 8,
      },
      {
        title: 'Resident memory',
        description: 'Resident set size of each processor (process_resident_memory_bytes, prom-client default metrics).',
        queries: [{ expr: `process_resident_memory_bytes{${JOB}}`, legend: '{{instance}}' }],
        unit: 'bytes',
        span: 8,
      },
      {
        title: 'CPU',
        description: 'CPU time per second of wall time (rate of process_cpu_seconds_total): 1 = one core busy.',
        queries: [{ expr: `rate(process_cpu_seconds_total{${JOB}}[$__rate_interval])`, legend: '{{instance}}' }],
        unit: 'short',
        span: 8,
      },
    ],
  },
];

export function healthDashboard(): DashboardBuilder {
  const d = new DashboardBuilder('shadow-compare: Processor health')
    .uid(HEALTH_UID)
    .description('The processors\' own metrics (/metrics, scraped by Prometheus): consumer lag and caught-up, assigned partitions, sink and insert health, event loop, memory and CPU.')
    .tags(['shadow-compare', 'generated'])
    .time({ from: 'now-3h', to: 'now' })
    .refresh('30s')
    .timezone('utc')
    .tooltip(DashboardCursorSync.Crosshair)
    .readonly();
  for (const { row, panels } of HEALTH_ROWS) {
    d.withRow(new RowBuilder(row));
    for (const p of panels) d.withPanel(p.kind === 'stat' ? statPanel(p) : timeseriesPanel(p));
  }
  return d;
}

function targets(p: HealthPanel): DataqueryBuilder[] {
  return p.queries.map((q, i) => new DataqueryBuilder().datasource(PROMETHEUS).expr(q.expr).legendFormat(q.legend).range().refId(String.fromCharCode(65 + i)));
}

function timeseriesPanel(p: HealthPanel): TimeseriesBuilder {
  const b = new TimeseriesBuilder()
    .title(p.title)
    .description(p.description)
    .datasource(PROMETHEUS)
    .unit(p.unit)
    .span(p.span)
    .height(8)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom).calcs([]))
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.None));
  for (const t of targets(p)) b.withTarget(t);
  return b;
}

function statPanel(p: HealthPanel): StatBuilder {
  const b = new StatBuilder()
    .title(p.title)
    .description(p.description)
    .datasource(PROMETHEUS)
    .unit(p.unit)
    .span(p.span)
    .height(4)
    .graphMode(BigValueGraphMode.None)
    .colorMode(BigValueColorMode.Value)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false).fields(''));
  for (const t of targets(p)) b.withTarget(t);
  return b;
}
