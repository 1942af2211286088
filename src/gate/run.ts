import { randomUUID } from 'node:crypto';
import type { QueryRunner } from '../query/index.ts';
import type { GateConfig } from './config.ts';
import { evaluateGate, gateWindow } from './decide.ts';
import { fetchGateInput, type ExecutedSql } from './fetch.ts';
import type { GateEvaluation } from './types.ts';

export interface GateRequest {
  readonly model: string;
  readonly candidate: string;
  /** ClickHouse database the SQL reads (config.clickhouse.database). */
  readonly database: string;
  readonly config: GateConfig;
  /** The window ends here (rounded down to the minute). */
  readonly end: Date;
  /** When the decision is made; the clock is the caller's. */
  readonly now: Date;
}

/** Everything a decision consists of: printed, returned as JSON and written to gate_decisions. */
export interface GateReport extends GateEvaluation {
  readonly decisionId: string;
  readonly decidedAt: string;
  readonly model: string;
  readonly candidate: string;
  readonly primaryVersions: readonly string[];
  readonly window: { readonly start: string; readonly end: string; readonly length: string; readonly subWindow: string };
  readonly thresholds: GateConfig;
  readonly sql: readonly ExecutedSql[];
}

/** Reads stats_1m through the runner and decides. Writes nothing: see `recordDecision`. */
export async function runGate(runner: QueryRunner, req: GateRequest): Promise<GateReport> {
  const window = gateWindow(req.end, req.config);
  const { input, executed } = await fetchGateInput(runner, { database: req.database, model: req.model, candidate: req.candidate, window });
  const evaluation = evaluateGate(input, req.config);
  return {
    decisionId: randomUUID(),
    decidedAt: req.now.toISOString(),
    model: req.model,
    candidate: req.candidate,
    primaryVersions: input.primaryVersions,
    window: { start: window.start.toISOString(), end: window.end.toISOString(), length: req.config.window, subWindow: req.config.subWindow },
    ...evaluation,
    thresholds: req.config,
    sql: executed,
  };
}
