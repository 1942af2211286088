// The committed dashboards and alert rules are exactly what scripts/dashboards generates, their
// thresholds are the gate's defaults, and the provisioning files are safe to interpolate.
import { DEFAULT_THRESHOLDS } from '../../src/diagnose/types.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { CONTACT_POINT, WEBHOOK_ENV } from '../../scripts/dashboards/alerts.ts';
import { CLICKHOUSE_PLUGIN, DATASOURCE_UID } from '../../scripts/dashboards/clickhouse.ts';
import { ALERTS_FILE, drift, generate } from '../../scripts/dashboards/generate.ts';
import { defaultGateConfig, type GateConfig } from '../../src/gate/index.ts';
import { normalQuantile } from '../../src/gate/stats.ts';
import { REPO } from '../support/config.ts';

const read = (path: string) => readFileSync(join(REPO, path), 'utf8');

interface Rule {
  uid: string;
  title: string;
  condition: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  notification_settings: { receiver: string };
  data: { refId: string; datasourceUid: string; model: { rawSql?: string; type?: string; expression?: string; conditions?: { evaluator: { type: string; params: number[] } }[] } }[];
}
const alerts = parse(read(ALERTS_FILE)) as {
  apiVersion: number;
  contactPoints: { name: string; receivers: { type: string; settings: Record<string, string> }[] }[];
  groups: { name: string; folder: string; rules: Rule[] }[];
};
const rules = alerts.groups.flatMap((g) => g.rules);
const gate = defaultGateConfig();

function setting(cfg: GateConfig, path: string): number {
  const v = path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], cfg);
  assert.equal(typeof v, 'number', `gate.${path}`);
  return v as number;
}

describe('generated dashboards and alert rules', () => {
  it('are committed exactly as scripts/dashboards/generate.ts produces them (run `npm run dashboards`)', () => {
    const { artifacts } = generate();
    assert.ok(artifacts.length >= 3);
    assert.deepEqual(drift(artifacts), []);
  });

  it("alert on exactly the gate's default thresholds (src/gate/config.ts)", () => {
    const byGateSetting = new Map(rules.filter((r) => !(r.labels.gate_setting ?? '').startsWith('diagnose.')).map((r) => [r.labels.gate_setting, r]));
    const expected: Record<string, 'lt' | 'gt'> = {
      'agreement.min': 'lt',
      'errors.maxCandidateRate': 'gt',
      'latency.maxP99Ms': 'gt',
      'join.maxUnmatchedRate': 'gt',
      'join.maxSchemaMismatchRate': 'gt',
    };
    assert.deepEqual([...byGateSetting.keys()].sort(), Object.keys(expected).sort());
    for (const [path, op] of Object.entries(expected)) {
      const r = byGateSetting.get(path)!;
      const c = r.data.find((d) => d.refId === r.condition)!;
      assert.equal(c.model.type, 'threshold', r.uid);
      assert.equal(c.model.expression, 'A', r.uid);
      assert.deepEqual(c.model.conditions?.map((x) => x.evaluator), [{ type: op, params: [setting(gate, path)] }], `${r.uid} threshold = gate.${path}`);
    }
    const agreement = byGateSetting.get('agreement.min')!.data.find((d) => d.refId === 'A')!.model.rawSql!;
    assert.match(agreement, new RegExp(`WHERE n >= ${gate.segments.minComparisons}$`), 'segments need gate.segments.minComparisons comparisons');
    assert.ok(agreement.includes(String(normalQuantile(gate.confidence))), 'Wilson bound at gate.confidence');
  });

  it("alert on drift and feature health at diagnose's default thresholds (src/diagnose/types.ts)", () => {
    const diag = rules.filter((r) => (r.labels.gate_setting ?? '').startsWith('diagnose.'));
    assert.deepEqual(diag.map((r) => r.labels.gate_setting).sort(), ['diagnose.healthJump', 'diagnose.psiDrift']);
    for (const r of diag) {
      const c = r.data.find((d) => d.refId === r.condition)!;
      const key = (r.labels.gate_setting ?? '').slice('diagnose.'.length) as 'healthJump' | 'psiDrift';
      assert.deepEqual(c.model.conditions?.map((x) => x.evaluator), [{ type: 'gt', params: [DEFAULT_THRESHOLDS[key]] }], r.uid);
    }
  });

  it("draw the gate's thresholds as the dashboards' gate_* lines", () => {
    const overview = read('dashboards/json/shadow-overview-diagnosis.json');
    const lines: [string, number][] = [
      ['gate_min_agreement', gate.agreement.min],
      ['gate_max_candidate_error_rate', gate.errors.maxCandidateRate],
      ['gate_max_candidate_p99_ms', gate.latency.maxP99Ms],
      ['gate_max_unmatched_rate', gate.join.maxUnmatchedRate],
      ['gate_max_schema_mismatch_rate', gate.join.maxSchemaMismatchRate],
    ];
    for (const [column, value] of lines) assert.ok(overview.includes(`${value} AS ${column}`), `${column} = ${value}`);
    assert.ok(overview.includes(`pl[3] * ${gate.latency.maxP99VsPrimary} AS gate_max_p99_vs_primary_ms`));
  });

  it('route every rule to the escalation contact point, whose URL is the only environment reference', () => {
    assert.equal(alerts.apiVersion, 1);
    assert.deepEqual(alerts.contactPoints.map((c) => c.name), [CONTACT_POINT]);
    assert.equal(alerts.contactPoints[0]!.receivers[0]!.settings.url, `$${WEBHOOK_ENV}`);
    for (const r of rules) {
      assert.equal(r.notification_settings.receiver, CONTACT_POINT, r.uid);
      assert.equal(r.data.find((d) => d.refId === 'A')!.datasourceUid, DATASOURCE_UID, r.uid);
      // Provisioning interpolates environment variables in labels (and may in annotations): no '$' there.
      for (const text of [r.title, ...Object.values(r.labels), ...Object.values(r.annotations)]) {
        assert.ok(!text.includes('$'), `${r.uid}: '$' in "${text}" would be read as an environment variable`);
      }
    }
  });

  it('are each explained in docs/dashboards.md: every panel, annotation, alert rule and analyst view', () => {
    const docs = read('docs/dashboards.md');
    const titles: string[] = [];
    for (const f of ['dashboards/json/shadow-overview-diagnosis.json', 'dashboards/json/shadow-disagreements.json', 'dashboards/json/shadow-diagnosis.json']) {
      const d = JSON.parse(read(f)) as { title: string; panels: { type: string; title: string }[]; annotations?: { list: { name: string }[] } };
      titles.push(d.title.replace('diagnosis', 'MODEL'), ...d.panels.filter((p) => p.type !== 'row').map((p) => p.title), ...(d.annotations?.list ?? []).map((a) => a.name));
    }
    titles.push(...rules.map((r) => r.title));
    titles.push('disagreement_rate_by_segment_day', 'disagreement_feature_values', 'confusion_matrix');
    for (const t of titles) assert.ok(docs.includes(t), `docs/dashboards.md does not mention "${t}"`);
  });

  it('provision the data source from environment variables only, with the uid the dashboards use', () => {
    const ds = parse(read('dashboards/provisioning/datasources/clickhouse.yaml')) as {
      datasources: { type: string; uid: string; jsonData: Record<string, string>; secureJsonData: Record<string, string> }[];
    };
    assert.equal(ds.datasources.length, 1);
    const [d] = ds.datasources;
    assert.equal(d!.type, CLICKHOUSE_PLUGIN);
    assert.equal(d!.uid, DATASOURCE_UID);
    for (const [k, v] of Object.entries({ ...d!.jsonData, ...d!.secureJsonData })) {
      assert.match(String(v), /^\$\{[A-Z_]+\}$/, `${k} must come from the environment, not the file`);
    }
    assert.equal(d!.secureJsonData.password, '${CLICKHOUSE_PASSWORD}');
  });
});
