// Panel builders shared by the dashboards: every panel reads the ClickHouse data source, registers
// its SQL and expected columns with the dashboard's QueryCollector, and draws the gate's thresholds
// (columns named gate_*) as dashed red lines.
import { PanelBuilder as BarChartBuilder } from '@grafana/grafana-foundation-sdk/barchart';
import { BigValueColorMode, BigValueGraphMode, GraphDrawStyle, LegendDisplayMode, LegendPlacement, ReduceDataOptionsBuilder, SortOrder, TooltipDisplayMode, VizLegendOptionsBuilder, VizTooltipOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import { DashboardBuilder, DashboardCursorSync, DashboardLinkBuilder, DashboardLinkType, type DynamicConfigValue } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { DATASOURCE, Format } from './clickhouse.ts';
import type { QueryCollector } from './spec.ts';

export interface PanelDef {
  readonly title: string;
  /** What the panel answers; shown as the panel's info tooltip and in README.md. */
  readonly description: string;
  readonly sql: string;
  readonly columns: readonly string[];
  readonly nullable?: readonly string[];
  /** Grid width (of 24) and height. */
  readonly span: number;
  readonly height: number;
  readonly unit?: string;
  /** Minimum query interval, e.g. '1m' (stats_1m's resolution) or '10m' for per-segment series. */
  readonly interval?: string;
}

const GATE_LINE: DynamicConfigValue[] = [
  { id: 'color', value: { mode: 'fixed', fixedColor: 'red' } },
  { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
  { id: 'custom.fillOpacity', value: 0 },
];

export function timeseries(q: QueryCollector, d: PanelDef, opts: { bars?: boolean } = {}): TimeseriesBuilder {
  const b = new TimeseriesBuilder()
    .title(d.title)
    .description(d.description)
    .datasource(DATASOURCE)
    .withTarget(q.panel(d.title, d.sql, Format.TimeSeries, d.columns, d.nullable))
    .interval(d.interval ?? '1m')
    .span(d.span)
    .height(d.height)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom).calcs([]))
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.None))
    .spanNulls(false)
    .overrideByRegexp('^gate_.*', GATE_LINE);
  if (d.unit) b.unit(d.unit);
  if (opts.bars) b.drawStyle(GraphDrawStyle.Bars).fillOpacity(60);
  return b;
}

export function table(q: QueryCollector, d: PanelDef): TableBuilder {
  const b = new TableBuilder()
    .title(d.title)
    .description(d.description)
    .datasource(DATASOURCE)
    .withTarget(q.panel(d.title, d.sql, Format.Table, d.columns, d.nullable))
    .span(d.span)
    .height(d.height);
  if (d.unit) b.unit(d.unit);
  return b;
}

export function stat(q: QueryCollector, d: PanelDef): StatBuilder {
  const b = new StatBuilder()
    .title(d.title)
    .description(d.description)
    .datasource(DATASOURCE)
    .withTarget(q.panel(d.title, d.sql, Format.Table, d.columns, d.nullable))
    .span(d.span)
    .height(d.height)
    .graphMode(BigValueGraphMode.None)
    .colorMode(BigValueColorMode.Value)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false).fields(''));
  if (d.unit) b.unit(d.unit);
  return b;
}

export function barchart(q: QueryCollector, d: PanelDef, xField: string): BarChartBuilder {
  const b = new BarChartBuilder()
    .title(d.title)
    .description(d.description)
    .datasource(DATASOURCE)
    .withTarget(q.panel(d.title, d.sql, Format.Table, d.columns, d.nullable))
    .xField(xField)
    .span(d.span)
    .height(d.height);
  if (d.unit) b.unit(d.unit);
  return b;
}

/** Field override: a unit for one column. */
export function unitOf(unit: string): DynamicConfigValue[] {
  return [{ id: 'unit', value: unit }];
}

/**
 * A generated dashboard that links back to the overviews: the header every drill-down (disagreements,
 * canary, diagnosis) shares. `includeVars`: whether the link carries this dashboard's variables along.
 */
export function linkedDashboard(o: { title: string; uid: string; description: string; from: string; refresh: string; includeVars: boolean }): DashboardBuilder {
  return new DashboardBuilder(o.title)
    .uid(o.uid)
    .description(o.description)
    .tags(['shadow-compare', 'generated'])
    .time({ from: o.from, to: 'now' })
    .refresh(o.refresh)
    .timezone('utc')
    .tooltip(DashboardCursorSync.Crosshair)
    .readonly()
    .link(new DashboardLinkBuilder('Overview').type(DashboardLinkType.Dashboards).tags(['shadow-compare']).asDropdown(false).includeVars(o.includeVars).keepTime(true));
}
