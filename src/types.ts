// Plain types shared by the stages. Nothing here imports an I/O library.
import type { MirroredRequest } from './contracts/request.ts';
import type { PrimaryOutput } from './contracts/primary-output.ts';

export type { MirroredRequest, PrimaryOutput };

/** Which input a record came from. Replay files use the same two names. */
export type Stream = 'requests' | 'primaries';

/** Where a record came from: its identity for counting exactly once. */
export interface SourceRef {
  readonly stream: Stream;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** A record as any source hands it over. */
export interface RawRecord {
  readonly ref: SourceRef;
  readonly key: string | null;
  readonly value: Buffer | string | null;
}

export type CandidateErrorCode = 'MISSING_FEATURE' | 'WRONG_TYPE' | 'NON_FINITE' | 'RUNTIME_ERROR';

/** What the candidate answered for one request (mirrors src/score's ScoreResult). */
export type CandidateResult =
  | ({ ok: true; scores?: number[]; label?: string; value?: number } & Timings)
  | ({ ok: false; code: CandidateErrorCode; reason: string } & Timings);

/**
 * Where a row's time went. latencyMs = queueMs + computeLatencyMs + reading the outputs.
 * - computeLatencyMs: session.run time of the batch the row was in: the latency the request would see
 *   if a server ran the model at that batch size. The gate judges this one.
 * - queueMs: from score() receiving the row to its batch's session.run starting (micro-batch wait,
 *   event-loop stalls, GC): processor health, never a model verdict.
 * - computeMs: the row's share of the batch's run (computeLatencyMs / rows), the CPU time priced as cost.
 */
export interface Timings {
  latencyMs: number;
  computeMs: number;
  computeLatencyMs: number;
  queueMs: number;
}

/** A primary output with the identity of the record that carried it. */
export interface PrimarySide {
  readonly ref: SourceRef;
  readonly version: string;
  readonly eventTime: number;
  readonly output: PrimaryOutput['output'];
  readonly latencyMs: number;
  readonly error: { code: string; message?: string } | null;
  readonly costUsd: number | undefined;
  /** Inline outputs share the request's record. */
  readonly inline: boolean;
}

/** A decoded request, scored (or not: schema mismatch) by the time it reaches the join. */
export interface RequestSide {
  readonly ref: SourceRef;
  readonly msg: MirroredRequest;
  readonly candidate: CandidateResult | null;
  /** The primary's artifact re-scored on the same features (noise floor); null when not configured. */
  readonly reproduced?: CandidateResult | null;
  readonly schemaMismatch: boolean;
}
