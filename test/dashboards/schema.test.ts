// The committed dashboard JSON type-checks against Grafana's dashboard schema as published in
// @grafana/schema (the TypeScript types Grafana generates from its CUE kinds), with excess-property
// checks: each file becomes a TS module `export const d = <json> satisfies Checked` compiled by tsc.
// Enum-typed fields accept their literal values (JSON has no enums), and query targets are checked
// against the ClickHouse plugin's raw-SQL query shape (DataQuery plus its fields), or for the
// Processor health dashboard Prometheus's query shape, instead of the bare DataQuery, which a data
// source's query always extends.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO } from '../support/config.ts';

const DIR = join(REPO, 'dashboards/json');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

const PRELUDE = `import type { AnnotationQuery, Dashboard, DataQuery, Panel, RowPanel } from '@grafana/schema';

/** JSON spelling of a schema type: string enums as their values, recursively. */
type Literal<T> = T extends string ? \`\${T}\` : T extends readonly (infer U)[] ? Literal<U>[] : T extends object ? { [K in keyof T]: Literal<T[K]> } : T;

/** grafana-clickhouse-datasource v4 raw-SQL query (src/types/sql.ts CHSqlQuery). */
interface ClickHouseQuery extends DataQuery {
  datasource: { type: 'grafana-clickhouse-datasource'; uid: string };
  editorType: 'sql';
  queryType: 'table' | 'timeseries';
  format: 0 | 1;
  pluginVersion: string;
  rawSql: string;
}

/** Grafana's core Prometheus query (public/app/plugins/datasource/prometheus: PromQuery). */
interface PrometheusQuery extends DataQuery {
  datasource: { type: 'prometheus'; uid: string };
  expr: string;
  legendFormat?: string;
  range?: boolean;
  instant?: boolean;
}

type CheckedPanel = Omit<Literal<Panel>, 'targets'> & { targets: Array<ClickHouseQuery | PrometheusQuery> };
type CheckedAnnotation = Omit<Literal<AnnotationQuery>, 'target'> & { target: ClickHouseQuery };
type Checked = Omit<Literal<Dashboard>, 'panels' | 'annotations'> & {
  panels: Array<CheckedPanel | Literal<RowPanel>>;
  annotations?: { list: CheckedAnnotation[] };
};
`;

let work: string | undefined;
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('dashboard JSON against @grafana/schema', () => {
  it('type-checks every committed dashboard (tsc, strict, excess properties are errors)', () => {
    assert.ok(files.length >= 2, 'no dashboards found');
    mkdirSync(join(REPO, '.cache'), { recursive: true }); // git-ignored; inside the repo so node_modules resolves
    work = mkdtempSync(join(REPO, '.cache', 'dashboard-schema-'));
    files.forEach((f, i) => {
      const json = readFileSync(join(DIR, f), 'utf8');
      writeFileSync(join(work!, `dashboard${i}.ts`), `${PRELUDE}\n// ${f}\nexport const dashboard = ${json.trim()} satisfies Checked;\n`);
    });
    writeFileSync(
      join(work, 'tsconfig.json'),
      JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { noEmit: true, types: [], skipLibCheck: true }, include: ['*.ts'] }),
    );
    const tsc = spawnSync(join(REPO, 'node_modules/.bin/tsc'), ['-p', join(work, 'tsconfig.json')], { encoding: 'utf8' });
    const out = `${tsc.stdout}${tsc.stderr}`.replaceAll(work, '<dashboards>');
    assert.equal(tsc.status, 0, `dashboards do not match the schema:\n${out.slice(0, 6000)}\nfiles: ${files.map((f, i) => `dashboard${i}.ts = ${f}`).join(', ')}`);
  });

  it('fails a dashboard whose field has a value the schema does not allow', () => {
    assert.ok(work, 'the previous test prepares the check directory');
    const bad = JSON.parse(readFileSync(join(DIR, files[0]!), 'utf8')) as { graphTooltip: unknown; panels: { type: string; gridPos: unknown }[] };
    bad.graphTooltip = 'shared';
    writeFileSync(join(work, 'dashboard0.ts'), `${PRELUDE}\nexport const dashboard = ${JSON.stringify(bad)} satisfies Checked;\n`);
    const tsc = spawnSync(join(REPO, 'node_modules/.bin/tsc'), ['-p', join(work, 'tsconfig.json')], { encoding: 'utf8' });
    assert.notEqual(tsc.status, 0, 'a string graphTooltip must not type-check');
    assert.match(`${tsc.stdout}${tsc.stderr}`, /not assignable to type 'DashboardCursorSync/);
  });
});
