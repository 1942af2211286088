// Every SQL statement the generated files contain, with the columns its panel, annotation, variable
// or alert rule reads. test/dashboards/panels-sql.test.ts runs each one against seeded tables.
import { ConstantVariableBuilder, QueryVariableBuilder, VariableRefresh, VariableSort, type VariableOption } from '@grafana/grafana-foundation-sdk/dashboard';
import { ClickHouseQueryBuilder, DATASOURCE, Format, type FormatValue } from './clickhouse.ts';

export type QueryKind = 'panel' | 'annotation' | 'variable' | 'alert';

export interface QuerySpec {
  /** Dashboard uid, or the alert rule group's name. */
  readonly owner: string;
  readonly kind: QueryKind;
  /** Panel title, annotation name, variable name or alert rule uid. */
  readonly title: string;
  readonly refId: string;
  readonly sql: string;
  readonly format: FormatValue;
  /** Output columns, in order. */
  readonly columns: readonly string[];
  /** Columns allowed to be NULL in every row (e.g. a bound of a value that cannot be computed). */
  readonly nullable?: readonly string[];
}

/** Collects the specs of one dashboard while its builders are made. */
export class QueryCollector {
  readonly specs: QuerySpec[] = [];

  constructor(readonly owner: string) {}

  /** A panel target (refId A). */
  panel(title: string, sql: string, format: FormatValue, columns: readonly string[], nullable: readonly string[] = []): ClickHouseQueryBuilder {
    this.specs.push({ owner: this.owner, kind: 'panel', title, refId: 'A', sql, format, columns, nullable });
    return new ClickHouseQueryBuilder(sql, format, 'A');
  }

  /** An annotation query: Grafana maps time / title / text / tags. */
  annotation(name: string, sql: string, columns: readonly string[]): ClickHouseQueryBuilder {
    this.specs.push({ owner: this.owner, kind: 'annotation', title: name, refId: 'Anno', sql, format: Format.Table, columns });
    return new ClickHouseQueryBuilder(sql, Format.Table, 'Anno');
  }

  /**
   * A query variable. The query is stored in the object form the plugin's variable editor persists
   * (`{queryType: 'sql', rawSql}`), which its metricFindQuery also accepts; one column = text = value.
   */
  variable(name: string, label: string, sql: string, opts: { multi?: boolean; current?: string; refresh?: VariableRefresh } = {}): QueryVariableBuilder {
    this.specs.push({ owner: this.owner, kind: 'variable', title: name, refId: 'var', sql, format: Format.Table, columns: [] });
    const b = new QueryVariableBuilder(name)
      .label(label)
      .datasource(DATASOURCE)
      .query({ refId: 'var', queryType: 'sql', editorType: 'sql', rawSql: sql })
      .refresh(opts.refresh ?? VariableRefresh.OnTimeRangeChanged)
      .sort(VariableSort.Disabled)
      .multi(opts.multi === true)
      .includeAll(opts.multi === true)
      .allowCustomValue(false);
    if (opts.current !== undefined) b.current(option(opts.current));
    else if (opts.multi) b.current({ text: ['All'], value: ['$__all'], selected: true });
    return b;
  }
}

function option(v: string): VariableOption {
  return { text: v, value: v, selected: true };
}

/**
 * `${database}`: the ClickHouse database (config `clickhouse.database`). A constant, so a deployment
 * with another database edits one value; it is hidden from the variable bar.
 */
export function databaseVariable(database: string): ConstantVariableBuilder {
  return new ConstantVariableBuilder('database').value(database).description('ClickHouse database holding the shadow tables (config clickhouse.database)');
}

// Variable references as they appear in SQL. Single-value variables are interpolated as the bare
// value, so the SQL quotes them; a multi-value variable becomes 'a','b' (the plugin's formatter),
// so it goes inside IN (...). Written with plain quotes: these are Grafana syntax, not TS templates.
export const DB = '${database}';
export const MODEL = "'${model}'";
export const CANDIDATE = "'${candidate}'";
export const DIMENSION = "'${dimension}'";
export const SEGMENT = "'${segment}'";
export const VALUES = '${value}';
