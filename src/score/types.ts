// Plain types shared by the scoring stage; no onnxruntime import so packing and batching stay testable alone.

export type FeatureValue = number | string | boolean | null | undefined;

export interface ScorerOptions {
  modelPath: string;
  /** Default: the model's only input. */
  inputName?: string;
  /** Feature names, in the order of the input tensor's last dimension. */
  features: string[];
  /** Model output names to read. */
  outputs: { scores?: string; label?: string; value?: string };
  /** Default false: NaN/Infinity/null features are a candidate error. */
  allowNaN?: boolean;
  maxBatchSize: number;
  maxWaitMs: number;
  /** Default 1. */
  intraOpThreads?: number;
  /** Default false: idle ORT threads would otherwise busy-wait and bill CPU we are measuring. */
  allowSpinning?: boolean;
}

export type CandidateErrorCode = 'MISSING_FEATURE' | 'WRONG_TYPE' | 'NON_FINITE' | 'RUNTIME_ERROR';

export type ScoreResult =
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

export interface ValueSignature {
  name: string;
  /** onnxruntime tensor type ('float32', 'int64', ...) or 'non-tensor' (sequence/map, e.g. sklearn ZipMap). */
  type: string;
  /** Numbers are fixed sizes, strings are symbolic (dynamic) dimensions; [] when unknown. */
  dims: (number | string)[];
}

export interface ModelSignature {
  inputs: ValueSignature[];
  outputs: ValueSignature[];
}

export interface Scorer {
  readonly signature: ModelSignature;
  /** One result per item, same order; never rejects for bad rows or runtime errors. */
  score(features: Record<string, FeatureValue>[]): Promise<ScoreResult[]>;
  /** Runs what is queued, waits for it, then releases the session. */
  close(): Promise<void>;
}

export type InputElementType = 'float32' | 'float64' | 'int64';
export const SUPPORTED_INPUT_TYPES: readonly InputElementType[] = ['float32', 'float64', 'int64'];
