import { ms, pval, rate, usd } from './format-values.ts';
import type { GateReport } from './run.ts';
import type { Criterion } from './types.ts';

// Terminal rendering of a gate report. The JSON form (`--json`) is the report object itself.

const MARK = { pass: 'pass', fail: 'FAIL', inconclusive: 'open', skipped: '-' } as const;

export function formatReport(r: GateReport): string {
  const lines: string[] = [];
  lines.push(`gate ${r.model} ${r.candidate} vs primary ${r.primaryVersions.join(', ') || '(none seen)'}`);
  lines.push(`window ${r.window.start} .. ${r.window.end} (${r.window.length}, judged per ${r.window.subWindow})`);
  lines.push('');
  lines.push(`DECISION: ${r.decision}`);
  for (const reason of r.reasons) lines.push(`  - ${reason}`);
  lines.push('');
  lines.push('criteria over the window:');
  lines.push(table(['criterion', 'scope', 'measured', 'bound', 'threshold', 'result'], r.criteria.filter((c) => !c.scope.startsWith('sub-window') && !c.scope.startsWith('segment')).map(criterionRow)));
  lines.push('');
  lines.push(`sub-windows (${r.window.subWindow} each, every one must pass):`);
  lines.push(table(['#', 'from', 'comparisons', 'result', 'not passing'], r.subWindows.map((s) => [String(s.index + 1), s.start.slice(0, 16).replace('T', ' '), String(s.compared), MARK[s.result], s.failing.join(', ')])));
  lines.push('');
  if (r.labels) {
    const l = r.labels;
    lines.push(`labels: ${l.valid} valid message(s) for ${l.requests} request(s): ${l.duplicates} duplicate(s) not counted again, ${l.unknown} for unknown or expired requests, ${l.invalid} invalid`);
    lines.push('');
  }
  lines.push(...latencyLines(r));
  lines.push('');
  const s = r.segments;
  lines.push(`segments: ${s.tested} value(s) tested, ${s.failed} significantly below the agreement floor, ${s.insufficient} with too few comparisons; correction ${s.correction}, alpha ${s.alpha.toFixed(3)}`);
  const segFails = r.criteria.filter((c) => c.scope.startsWith('segment '));
  if (s.worst.length) {
    lines.push('worst segment values:');
    lines.push(table(['segment', 'comparisons', 'agreement', 'bounds', 'p', 'adjusted p', 'result'], s.worst.map((f) => [
      `${f.dimension}=${f.value}`, String(f.compared), f.agreement === null ? '-' : rate(f.agreement),
      f.lower === null || f.upper === null ? '-' : `[${rate(f.lower)}, ${rate(f.upper)}]`,
      f.pValue === null ? '-' : pval(f.pValue), f.adjustedPValue === null ? '-' : pval(f.adjustedPValue),
      f.result === 'fail' ? 'FAIL' : f.result,
    ])));
  } else if (segFails.length === 0) {
    lines.push('  (no segment value tested)');
  }
  lines.push('');
  lines.push(`decision id ${r.decisionId} (recorded in gate_decisions)`);
  return `${lines.join('\n')}\n`;
}

/** The judged figure beside the reported ones, so nobody compares a queue with a model. */
function latencyLines(r: GateReport): string[] {
  const l = r.latency;
  const opt = (x: number | null) => (x === null ? '-' : ms(x));
  const reg = (v: GateReport['latency']['singleRequest']['candidate'], who: string) =>
    v ? [`${who} ${v.version}, batch 1 (registry, ${v.runs} runs on ${v.host})`, ms(v.p50Ms), ms(v.p99Ms), 'reported']
      : [`${who}, batch 1 (registry)`, '-', '-', 'not measured: run `register` or `ready`'];
  return [
    'latency over the window:',
    table(['figure', 'p50', 'p99', 'use'], [
      ['candidate compute (session.run of its batch)', '-', opt(l.candidateComputeP99Ms), 'judged (latency_p99*)'],
      ['candidate queue in the processor', '-', opt(l.candidateQueueP99Ms), 'processor health, not judged'],
      ['candidate end to end in the processor', '-', opt(l.candidateEndToEndP99Ms), 'not judged'],
      ['primary as reported by its server', '-', opt(l.primaryReportedP99Ms), 'judged against (latency_p99_vs_primary)'],
      reg(l.singleRequest.candidate, 'candidate'),
      reg(l.singleRequest.primary, 'primary'),
    ]),
  ];
}

function criterionRow(c: Criterion): string[] {
  const unit = (x: number): string =>
    c.id.startsWith('latency') ? ms(x) : c.id.startsWith('cost') ? usd(x) : c.id === 'min_comparisons' || c.id.endsWith('coverage') ? String(Math.round(x)) : rate(x);
  const bound = c.bound && c.bound.kind !== 'estimate' && !c.bound.kind.startsWith('tdigest') && c.bound.lower !== null && c.bound.upper !== null
    ? `[${unit(c.bound.lower)}, ${unit(c.bound.upper)}] ${c.bound.kind}`
    : '-';
  return [c.id, c.scope, c.measured === null ? '-' : unit(c.measured), bound, c.threshold === null ? '-' : unit(c.threshold), MARK[c.result]];
}

function table(head: string[], rows: string[][]): string {
  if (rows.length === 0) return '  (none)';
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => `  ${r.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ')}`.trimEnd();
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}
