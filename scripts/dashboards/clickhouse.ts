// The ClickHouse data source as the dashboards and alert rules reference it. The foundation SDK ships
// builders for core data sources only; this is its documented way to add a plugin's query type
// (a cog.Dataquery variant with its own builder).
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';

/** Plugin id, and the version docker-compose.yml installs (GF_INSTALL_PLUGINS); a test checks they agree. */
export const CLICKHOUSE_PLUGIN = 'grafana-clickhouse-datasource';
export const CLICKHOUSE_PLUGIN_VERSION = '4.15.0';

/** uid given to the data source in dashboards/provisioning/datasources/clickhouse.yaml. */
export const DATASOURCE_UID = 'shadow-clickhouse';
export const DATASOURCE = { type: CLICKHOUSE_PLUGIN, uid: DATASOURCE_UID } as const;

/**
 * sqlds' format option, which the plugin's backend reads to shape the data frame
 * (grafana-plugin-sdk-go data/sqlutil: FormatOptionTimeSeries = 0, FormatOptionTable = 1).
 */
export const Format = { TimeSeries: 0, Table: 1 } as const;
export type FormatValue = (typeof Format)[keyof typeof Format];

/**
 * A raw-SQL query of plugin v4 (src/types/sql.ts: CHSqlQuery). v4 names the editor `editorType: 'sql'`
 * and uses `queryType` for the result kind; a v3 query (`queryType: 'sql'`, no pluginVersion) is
 * migrated to this shape by the editor on load (src/data/migration.ts), so we write the v4 shape.
 */
export interface ClickHouseQuery {
  refId?: string;
  hide?: boolean;
  datasource: typeof DATASOURCE;
  editorType: 'sql';
  queryType: 'table' | 'timeseries';
  format: FormatValue;
  pluginVersion: string;
  rawSql: string;
  _implementsDataqueryVariant(): void;
}

export function clickhouseQuery(rawSql: string, format: FormatValue, refId = 'A'): ClickHouseQuery {
  return {
    refId,
    datasource: DATASOURCE,
    editorType: 'sql',
    queryType: format === Format.TimeSeries ? 'timeseries' : 'table',
    format,
    pluginVersion: CLICKHOUSE_PLUGIN_VERSION,
    rawSql,
    _implementsDataqueryVariant() {},
  };
}

export class ClickHouseQueryBuilder implements Builder<Dataquery> {
  private readonly query: ClickHouseQuery;

  constructor(rawSql: string, format: FormatValue, refId = 'A') {
    this.query = clickhouseQuery(rawSql, format, refId);
  }

  build(): ClickHouseQuery {
    return this.query;
  }
}
