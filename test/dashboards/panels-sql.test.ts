// Acceptance: the SQL of every dashboard panel, annotation and variable, and of every alert rule, as
// committed in dashboards/, runs against tables seeded through the real pipeline, after Grafana's and
// the ClickHouse plugin's macro expansion, and returns the columns its panel reads with data in them.
// Also: each analyst view (schemas/clickhouse/00002x) returns rows, and the dashboards' Wilson bounds
// equal the gate's.
import assert from 'node:assert/strict';
import { CANARY_UID } from '../../scripts/dashboards/canary.ts';
import { HEALTH_UID } from '../../scripts/dashboards/health.ts';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { generate } from '../../scripts/dashboards/generate.ts';
import type { QuerySpec } from '../../scripts/dashboards/spec.ts';
import { loadConfig } from '../../src/config/index.ts';
import { defaultGateConfig } from '../../src/gate/index.ts';
import { createSqlScreen, createStoreRunner, type SqlScreen } from '../../src/query/index.ts';
import { normalQuantile, wilson } from '../../src/gate/stats.ts';
import { REPO } from '../support/config.ts';
import { expandGrafanaSql, type MacroContext, type VariableValue } from './grafana-macros.ts';
import { CANDIDATE, MODEL, seedThroughPipeline, type Seeded } from './seed.ts';

interface Target { refId?: string; rawSql: string; format: number }
interface Panel { id: number; type: string; title: string; interval?: string; targets?: Target[] }
interface Variable { type: string; name: string; query: string | { rawSql: string }; multi?: boolean; includeAll?: boolean; current?: { value: string | string[] } }
interface DashboardJson {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
  annotations: { list: { name: string; target: Target }[] };
}
interface Result { names: string[]; types: string[]; rows: unknown[][] }

const DASHBOARD_DIR = join(REPO, 'dashboards/json');
const dashboards: DashboardJson[] = readdirSync(DASHBOARD_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(DASHBOARD_DIR, f), 'utf8')) as DashboardJson)
  // The Processor health dashboard is PromQL on Prometheus, not SQL: test/dashboards/health.test.ts.
  .filter((d) => d.uid !== HEALTH_UID);
const alertDoc = parse(readFileSync(join(REPO, 'dashboards/provisioning/alerting/shadow-compare-alerts.yaml'), 'utf8')) as {
  groups: { name: string; rules: { uid: string; data: { refId: string; relativeTimeRange?: { from: number; to: number }; model: Target & { intervalMs?: number } }[] }[] }[];
};
const specs = new Map(generate().specs.map((s) => [`${s.owner}|${s.kind}|${s.title}`, s]));

function specOf(owner: string, kind: QuerySpec['kind'], title: string): QuerySpec {
  return specs.get(`${owner}|${kind}|${title}`) ?? assert.fail(`no generator spec for ${kind} "${title}" of ${owner}: regenerate the dashboards`);
}

const DAY_MS = 86_400_000;
const intervalMs = (text = '1m'): number => {
  const m = /^(\d+)([smh])$/.exec(text) ?? assert.fail(`unparsed interval ${text}`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
};

let seeded: Seeded;

/**
 * Grafana's default range "now-24h to now". $__timeFilter compares with whole seconds
 * (toDateTime(unix seconds)), so rows written during the current second only match from the next one;
 * the tests run within a second of seeding, so "now" is one second ahead of the clock.
 */
const now = (): number => Date.now() + 1000;

function lastDay(): Omit<MacroContext, 'variables'> {
  const to = new Date(now());
  return { from: new Date(to.getTime() - DAY_MS), to, intervalMs: 60_000 };
}

let screen: SqlScreen | undefined;

/**
 * Every panel and alert query also passes the processor's /query screen and runs as screened, so an
 * analyst (or Grafana pointed at /query) can send any of them there.
 */
async function run(sql: string): Promise<Result> {
  screen ??= await createSqlScreen(createStoreRunner(seeded.store, { readOnly: true }), {
    database: seeded.store.database,
    limits: loadConfig(join(REPO, 'shadow-compare.yaml')).http.query,
    setReadonly: true,
  });
  const statement = await screen.screen(createStoreRunner(seeded.store, { readOnly: true }), sql, {});
  const rs = await seeded.store.client.query({ query: statement, format: 'JSONCompactEachRowWithNamesAndTypes' });
  const [names, types, ...rows] = (await rs.json()) as unknown[][];
  return { names: names as string[], types: types as string[], rows };
}

async function runExpanded(sql: string, ctx: MacroContext, what: string): Promise<Result> {
  const expanded = expandGrafanaSql(sql, ctx);
  assert.doesNotMatch(expanded, /\$__|\$\{|\[\[/, `${what}: unexpanded macro or variable left in\n${expanded}`);
  try {
    return await run(expanded);
  } catch (err) {
    assert.fail(`${what}: SQL failed: ${(err as Error).message}\n--- expanded SQL ---\n${expanded}`);
  }
}

/** Columns as the spec says, rows, and data in every column that is not allowed to be all NULL. */
function assertShape(r: Result, spec: QuerySpec, what: string): void {
  assert.deepEqual(r.names, [...spec.columns], `${what}: columns`);
  assert.ok(r.rows.length > 0, `${what}: returned no rows`);
  r.names.forEach((name, i) => {
    if (spec.nullable?.includes(name)) return;
    const hasValue = r.rows.some((row) => row[i] !== null && !(typeof row[i] === 'number' && Number.isNaN(row[i])));
    assert.ok(hasValue, `${what}: column ${name} is NULL in every row`);
  });
  if (spec.format === 0) {
    assert.equal(r.names[0], 'time', `${what}: a time series starts with its time column`);
    assert.match(r.types[0] ?? '', /^DateTime/, `${what}: time column type`);
    const times = r.rows.map((row) => Date.parse(`${String(row[0]).replace(' ', 'T')}Z`));
    assert.deepEqual(times, [...times].sort((a, b) => a - b), `${what}: rows ordered by time`);
  }
}

/** Resolves a dashboard's variables in order, as Grafana does: each query sees the values before it. */
async function resolveVariables(d: DashboardJson, ctxBase: Omit<MacroContext, 'variables'>): Promise<Record<string, VariableValue>> {
  const vars: Record<string, VariableValue> = {};
  for (const v of d.templating.list) {
    if (v.type === 'constant') {
      vars[v.name] = { current: v.query as string };
      continue;
    }
    assert.equal(v.type, 'query', `${d.uid}: variable ${v.name} type`);
    const sql = typeof v.query === 'string' ? v.query : v.query.rawSql;
    const spec = specOf(d.uid, 'variable', v.name);
    assert.equal(sql, spec.sql, `${d.uid}: variable ${v.name} SQL differs from the generator`);
    const r = await runExpanded(sql, { ...ctxBase, variables: vars }, `${d.uid} variable ${v.name}`);
    assert.equal(r.names.length, 1, `${d.uid}: variable ${v.name} returns one column (text = value)`);
    const options = r.rows.map((row) => String(row[0]));
    assert.ok(options.length > 0, `${d.uid}: variable ${v.name} has no options`);
    const saved = v.current?.value;
    if (v.multi) vars[v.name] = { current: ['$__all'], options };
    else vars[v.name] = { current: typeof saved === 'string' && options.includes(saved) ? saved : options[0]!, options };
  }
  return vars;
}

before(async () => {
  seeded = await seedThroughPipeline();
});
after(async () => {
  await seeded?.cleanup();
});

describe('dashboard SQL against tables seeded through the pipeline', () => {
  it('finds the committed dashboards: an overview per model, the disagreements drill-down, the canary rollout and the diagnosis', () => {
    assert.deepEqual(
      dashboards.map((d) => d.uid),
      ['shadow-canary', 'shadow-diagnosis', 'shadow-disagreements', `shadow-overview-${MODEL}`],
    );
  });

  for (const d of dashboards) {
    it(`${d.uid}: every variable, panel and annotation query runs and returns the columns its panel reads`, async () => {
      const base = lastDay();
      const vars = await resolveVariables(d, base);
      assert.equal(vars.model?.current, MODEL);
      // The canary dashboard compares served versions (both, production first), not a candidate.
      if (d.uid === CANARY_UID) assert.deepEqual(vars.versions?.options, ['v9', CANDIDATE]);
      else assert.equal(vars.candidate?.current, CANDIDATE);
      let checked = 0;
      for (const p of d.panels.filter((x) => x.type !== 'row')) {
        assert.equal(p.targets?.length, 1, `${p.title}: one query`);
        const target = p.targets![0]!;
        const spec = specOf(d.uid, 'panel', p.title);
        assert.equal(target.rawSql, spec.sql, `${p.title}: SQL differs from the generator`);
        assert.equal(target.format, spec.format, `${p.title}: format`);
        const ctx = { ...base, intervalMs: intervalMs(p.interval), variables: vars };
        assertShape(await runExpanded(target.rawSql, ctx, `${d.uid} panel "${p.title}"`), spec, `${d.uid} panel "${p.title}"`);
        checked++;
      }
      for (const a of d.annotations?.list ?? []) {
        const spec = specOf(d.uid, 'annotation', a.name);
        assert.equal(a.target.rawSql, spec.sql);
        assertShape(await runExpanded(a.target.rawSql, { ...base, variables: vars }, `${d.uid} annotation "${a.name}"`), spec, `${d.uid} annotation "${a.name}"`);
        checked++;
      }
      assert.ok(checked >= 8, `${d.uid}: only ${checked} queries`);
    });
  }

  it('the multi-value segment filter narrows to the selected values, and "All" keeps every value', async () => {
    const d = dashboards.find((x) => x.uid === `shadow-overview-${MODEL}`)!;
    const base = lastDay();
    const vars = await resolveVariables(d, base);
    const options = vars.value!.options!;
    assert.ok(options.length >= 3, `country has ${options.length} values`);
    const table = d.panels.find((p) => p.title === 'Agreement by segment value (worst first)')!;
    const sql = table.targets![0]!.rawSql;
    const valuesFor = async (current: string[]) => {
      const r = await runExpanded(sql, { ...base, variables: { ...vars, value: { current, options } } }, `segment table with ${current}`);
      return r.rows.map((row) => String(row[0])).sort();
    };
    assert.deepEqual(await valuesFor(['$__all']), [...options].sort());
    assert.deepEqual(await valuesFor([options[1]!]), [options[1]]);
    assert.deepEqual(await valuesFor([options[0]!, options[2]!]), [options[0], options[2]].sort());
  });

  it("the segment table's Wilson bounds and verdicts are the gate's (src/gate/stats.ts)", async () => {
    const d = dashboards.find((x) => x.uid === `shadow-overview-${MODEL}`)!;
    const base = lastDay();
    const vars = await resolveVariables(d, base);
    const table = d.panels.find((p) => p.title === 'Agreement by segment value (worst first)')!;
    const r = await runExpanded(table.targets![0]!.rawSql, { ...base, variables: vars }, 'segment table');
    const col = (row: unknown[], name: string) => row[r.names.indexOf(name)];
    const gate = defaultGateConfig();
    const z = normalQuantile(gate.confidence);
    const uppers: number[] = [];
    for (const row of r.rows) {
      const n = Number(col(row, 'both_ok'));
      const a = n - Number(col(row, 'disagreements'));
      const w = wilson(a, n, z);
      assert.ok(Math.abs(Number(col(row, 'agreement_lower_bound')) - w.lower) < 1e-9, `lower bound of ${String(row[0])}`);
      assert.ok(Math.abs(Number(col(row, 'agreement_upper_bound')) - w.upper) < 1e-9, `upper bound of ${String(row[0])}`);
      const verdict = n < gate.segments.minComparisons ? 'too few to judge' : w.upper < gate.agreement.min ? 'below gate minimum' : w.lower >= gate.agreement.min ? 'meets gate minimum' : 'not yet conclusive';
      assert.equal(col(row, 'verdict'), verdict, `verdict of ${String(row[0])}`);
      uppers.push(w.upper);
    }
    assert.deepEqual(uppers, [...uppers].sort((x, y) => x - y), 'worst (lowest upper bound) first');
  });
});

describe('alert rule SQL against the same tables', () => {
  const rules = alertDoc.groups.flatMap((g) => g.rules.map((r) => ({ group: g.name, ...r })));

  it('provisions every alert rule the generator defines', () => {
    const expected = [...specs.values()].filter((s) => s.kind === 'alert').map((s) => s.title).sort();
    assert.deepEqual(rules.map((r) => r.uid).sort(), expected);
  });

  for (const rule of rules) {
    it(`${rule.uid}: returns one numeric value per instance, labelled by string columns`, async () => {
      const a = rule.data.find((x) => x.refId === 'A')!;
      const spec = specOf(rule.group, 'alert', rule.uid);
      assert.equal(a.model.rawSql, spec.sql);
      const range = a.relativeTimeRange ?? assert.fail('alert query without relativeTimeRange');
      const end = now();
      const ctx: MacroContext = {
        from: new Date(end - range.from * 1000),
        to: new Date(end - range.to * 1000),
        intervalMs: a.model.intervalMs ?? 1000,
        variables: {},
      };
      const r = await runExpanded(a.model.rawSql, ctx, `alert ${rule.uid}`);
      assertShape(r, spec, `alert ${rule.uid}`);
      const numeric = r.types.filter((t) => /(Int|Float|Decimal)/.test(t));
      assert.equal(numeric.length, 1, `alert ${rule.uid}: exactly one numeric column (types ${r.types.join(', ')})`);
      for (const t of r.types.slice(0, -1)) assert.match(t, /^(LowCardinality\()?String\)?$/, `alert ${rule.uid}: label column type ${t}`);
    });
  }
});

describe('analyst views (schemas/clickhouse/00002x)', () => {
  const views: Record<string, string> = {
    disagreement_rate_by_segment_day: `SELECT day, dimension, value, compared, both_ok, disagreements, disagreement_rate
      FROM shadow.disagreement_rate_by_segment_day WHERE model = '${MODEL}' AND candidate_version = '${CANDIDATE}' AND dimension = 'country'
      ORDER BY day, disagreement_rate DESC`,
    disagreement_feature_values: `SELECT feature, value, disagreements, sampled_agreements, lift
      FROM shadow.disagreement_feature_values WHERE model = '${MODEL}' AND candidate_version = '${CANDIDATE}' AND disagreements >= 3
      ORDER BY lift DESC LIMIT 10`,
    confusion_matrix: `SELECT primary_label, candidate_label, sum(requests) AS requests
      FROM shadow.confusion_matrix WHERE model = '${MODEL}' AND candidate_version = '${CANDIDATE}'
      GROUP BY primary_label, candidate_label ORDER BY primary_label, candidate_label`,
  };
  for (const [view, sql] of Object.entries(views)) {
    it(`${view} returns rows for the seeded model`, async () => {
      const r = await run(sql);
      assert.ok(r.rows.length > 0, `${view}: no rows`);
    });
  }

  it('disagreement_rate_by_segment_day agrees with stats_1m, and confusion_matrix counts every comparison', async () => {
    const [overall] = (await run(`SELECT sum(both_ok), sum(disagreements) FROM shadow.disagreement_rate_by_segment_day
      WHERE model = '${MODEL}' AND candidate_version = '${CANDIDATE}' AND dimension = '__all__'`)).rows;
    const [stats] = (await run(`SELECT sum(both_ok), sum(both_ok) - sum(agreements) FROM shadow.stats_1m
      WHERE model = '${MODEL}' AND candidate_version = '${CANDIDATE}' AND dimension = '__all__'`)).rows;
    assert.deepEqual(overall!.map(Number), stats!.map(Number));
    const [matrix] = (await run(`SELECT sum(requests), sum(requests) - sum(agreements) FROM shadow.confusion_matrix
      WHERE model = '${MODEL}' AND candidate_version = '${CANDIDATE}'`)).rows;
    assert.deepEqual(matrix!.map(Number), stats!.map(Number), 'matrix total = both_ok, off-diagonal = disagreements');
  });
});
