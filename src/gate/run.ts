import { randomUUID } from 'node:crypto';
import type { QueryRunner } from '../query/index.ts';
import type { GateConfig } from './config.ts';
import { evaluateGate, gateWindow } from './decide.ts';
import { fetchGateInput, type ExecutedSql } from './fetch.ts';
import type { GateEvaluation, LabelSummary } from './types.ts';

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
  /** Batch-1 latencies from the registry (printed beside the window's figures, not judged). */
  readonly singleRequest?: SingleRequestFigures;
}

/** What the registry says about single-request latency of the candidate and of the production version. */
export interface SingleRequestFigures {
  readonly candidate: VersionLatency | null;
  readonly primary: VersionLatency | null;
}

export interface VersionLatency {
  readonly version: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly runs: number;
  readonly measuredAt: string;
  readonly host: string;
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
  /** How every label message of the model was counted (exactly once); null without labels. */
  readonly labels: LabelSummary | null;
  /** Latency figures side by side: what the gate judged (compute) and what it only reports. */
  readonly latency: {
    readonly candidateComputeP99Ms: number | null;
    readonly candidateQueueP99Ms: number | null;
    readonly candidateEndToEndP99Ms: number | null;
    readonly primaryReportedP99Ms: number | null;
    readonly singleRequest: SingleRequestFigures;
  };
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
    labels: input.labelSummary ?? null,
    latency: {
      candidateComputeP99Ms: input.overall.latency?.computeP99Ms ?? null,
      candidateQueueP99Ms: input.overall.latency?.queueP99Ms ?? null,
      candidateEndToEndP99Ms: input.overall.candidateP99Ms,
      primaryReportedP99Ms: input.overall.primaryP99Ms,
      singleRequest: req.singleRequest ?? { candidate: null, primary: null },
    },
  };
}
