import type { Classification, Diagnosis } from './types.ts';

const TITLE: Record<Classification, string> = {
  feature_pipeline_problem: 'FEATURE PIPELINE PROBLEM',
  world_changed: 'WORLD CHANGED',
  candidate_regression: 'CANDIDATE REGRESSION',
  insufficient_evidence: 'INSUFFICIENT EVIDENCE',
};

/** The terminal form: one block per flagged segment value, the deciding figures, then the action. */
export function formatDiagnosis(d: Diagnosis): string {
  const lines: string[] = [];
  lines.push(`diagnose ${d.model} candidate ${d.candidate}`);
  lines.push(`  window    ${d.window.from} .. ${d.window.to}`);
  lines.push(`  reference ${d.reference.from} .. ${d.reference.to}`);
  lines.push(`  ${d.segmentsJudged} segment values judged, ${d.tests} tests corrected together (Holm, alpha ${d.thresholds.alpha})` + (d.skipped.length ? `; too few requests to judge: ${d.skipped.join(', ')}` : ''));
  lines.push('');
  if (d.findings.length === 0) {
    lines.push(d.segmentsJudged === 0 ? 'No segment value has enough profiled requests in both periods: nothing judged.' : 'Nothing flagged: inputs, outputs, feature health and agreement are stable against the reference.');
    return `${lines.join('\n')}\n`;
  }
  for (const f of d.findings) {
    const where = f.dimension === '__all__' ? 'overall' : `${f.dimension}=${f.value}`;
    lines.push(`${where}: ${TITLE[f.classification]}${f.features.length ? ` (${f.features.join(', ')})` : ''}`);
    for (const e of f.evidence) lines.push(`    ${e}`);
    lines.push(`  → ${f.action}`);
    lines.push('');
  }
  return `${lines.join('\n')}`;
}
