// The "Processor health" dashboard and the Prometheus alert rules read only metrics the processor
// exports (src/ops/metrics.ts plus prom-client's defaults), and cover what an operator asks first.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { HEALTH_ROWS, HEALTH_UID, PROMETHEUS_UID, SCRAPE_JOB } from '../../scripts/dashboards/health.ts';
import { Metrics } from '../../src/ops/metrics.ts';
import { REPO } from '../support/config.ts';

const read = (p: string) => readFileSync(join(REPO, p), 'utf8');

/** Every series name /metrics can carry: histograms as _bucket, _sum and _count. */
async function exported(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const m of await new Metrics().registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${m.name}${s}`);
  }
  return names;
}

/** Metric names in a PromQL expression (ours and the default process/nodejs ones, plus `up`). */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:shadow|process|nodejs)_[a-z0-9_]+|up)\b(?=\s*[{[)\s]|$)/g)].map((m) => m[1]!);
}

const dashboard = JSON.parse(read(`dashboards/json/${HEALTH_UID}.json`)) as { title: string; panels: { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string; datasource: { type: string; uid: string } }[] }[] };
const rules = (parse(read('dashboards/prometheus/rules/shadow-compare-processor.yml')) as { groups: { rules: { alert: string; expr: string; for: string; labels: { severity: string }; annotations: { summary: string } }[] }[] }).groups.flatMap((g) => g.rules);

describe('Processor health dashboard and Prometheus rules', () => {
  it('query only metrics the processor exports, on the Prometheus data source and scrape job', async () => {
    const names = await exported();
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => {
      assert.deepEqual(t.datasource, { type: 'prometheus', uid: PROMETHEUS_UID });
      return t.expr;
    });
    assert.ok(exprs.length >= 10);
    for (const expr of [...exprs, ...rules.map((r) => r.expr)]) {
      const used = metricsIn(expr);
      assert.ok(used.length > 0, `no metric found in ${expr}`);
      for (const m of used) assert.ok(m === 'up' || names.has(m), `${m} (in ${expr}) is not on /metrics`);
      assert.ok(expr.includes(`job="${SCRAPE_JOB}"`), `${expr} is limited to the processors' scrape job`);
    }
  });

  it('shows lag per partition, assigned partitions, caught up, event loop, sink, inserts, RSS, CPU and rejects', () => {
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr).join('\n');
    for (const m of [
      'shadow_consumer_lag_records', 'shadow_consumer_assigned_partitions', 'shadow_consumer_caught_up', 'shadow_event_loop_delay_p99_seconds',
      'shadow_sink_pending_rows', 'shadow_insert_duration_seconds_bucket', 'shadow_insert_retries_total', 'process_resident_memory_bytes',
      'process_cpu_seconds_total', 'shadow_rejects_total',
    ]) assert.ok(exprs.includes(m), `no panel reads ${m}`);
    assert.match(exprs, /max by \(topic, partition\) \(shadow_consumer_lag_records/, 'lag per partition, the same figure from every instance');
  });

  it('has alert rules with a duration, a severity and a summary each', () => {
    assert.ok(rules.length >= 5);
    for (const r of rules) {
      assert.match(r.alert, /^Shadow[A-Za-z]+$/);
      assert.match(r.for, /^\d+m$/, r.alert);
      assert.ok(['page', 'warn'].includes(r.labels.severity), r.alert);
      assert.ok(r.annotations.summary.length > 0, r.alert);
    }
  });

  it('is explained in docs/operations.md: every panel and every rule', () => {
    const docs = read('docs/operations.md');
    for (const t of [dashboard.title, ...HEALTH_ROWS.flatMap((r) => r.panels.map((p) => p.title)), ...rules.map((r) => r.alert)]) {
      assert.ok(docs.includes(t), `docs/operations.md does not mention "${t}"`);
    }
  });
});
