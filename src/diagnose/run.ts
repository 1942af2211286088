import type { QueryRunner } from '../query/index.ts';
import { classifyAll } from './classify.ts';
import { fetchSegments, type DiagnoseTarget } from './fetch.ts';
import { DEFAULT_THRESHOLDS, type DiagnoseThresholds, type Diagnosis } from './types.ts';

/** Fetch both periods, test every segment value, correct across all tests, classify. */
export async function runDiagnose(runner: QueryRunner, t: DiagnoseTarget, thresholds: DiagnoseThresholds = DEFAULT_THRESHOLDS): Promise<Diagnosis> {
  const segments = await fetchSegments(runner, t);
  const c = classifyAll(segments, thresholds);
  return {
    model: t.model,
    candidate: t.candidate,
    window: { from: t.window.from.toISOString(), to: t.window.to.toISOString() },
    reference: { from: t.reference.from.toISOString(), to: t.reference.to.toISOString() },
    thresholds,
    segmentsJudged: c.judged,
    tests: c.tests,
    skipped: c.skipped,
    findings: c.findings,
  };
}
