import type { QueryRunner } from '../query/index.ts';
import type { GateReport } from './run.ts';

/** The audit record of one decision: shadow.gate_decisions (schemas/clickhouse/000010_create_gate_decisions.sql). */
export interface GateDecisionRow {
  decision_id: string;
  decided_at: string;
  model: string;
  candidate_version: string;
  primary_versions: string[];
  window_start: string;
  window_end: string;
  decision: string;
  reasons: string[];
  thresholds: string;
  sql: string;
  measured: string;
  promotion_id: string;
  actor: string;
  source: string;
}

export function decisionRow(report: GateReport, extra: { actor: string; source: string; promotionId?: string }): GateDecisionRow {
  return {
    decision_id: report.decisionId,
    decided_at: chDateTime64(report.decidedAt),
    model: report.model,
    candidate_version: report.candidate,
    primary_versions: [...report.primaryVersions],
    window_start: chDateTime64(report.window.start).slice(0, 19),
    window_end: chDateTime64(report.window.end).slice(0, 19),
    decision: report.decision,
    reasons: [...report.reasons],
    thresholds: JSON.stringify(report.thresholds),
    sql: JSON.stringify(report.sql),
    measured: JSON.stringify({ criteria: report.criteria, subWindows: report.subWindows, segments: report.segments }),
    promotion_id: extra.promotionId ?? '',
    actor: extra.actor,
    source: extra.source,
  };
}

export async function recordDecision(runner: QueryRunner, report: GateReport, extra: { actor: string; source: string; promotionId?: string }): Promise<void> {
  await runner.insert('gate_decisions', [decisionRow(report, extra)]);
}

/** ISO -> 'YYYY-MM-DD hh:mm:ss.sss', which DateTime64(3) parses whatever date_time_input_format is. */
export function chDateTime64(iso: string): string {
  return iso.replace('T', ' ').replace('Z', '');
}
