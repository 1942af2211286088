// Plain types shared by the scoring stage; no onnxruntime import so packing and batching stay testable alone.
import type { Timings } from '../types.ts';

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

/** Where a row's time went: see Timings in src/types.ts (compute latency is what the gate judges). */
export type { Timings };

export type ScoreResult =
  | ({ ok: true; scores?: number[]; label?: string; value?: number } & Timings)
  | ({ ok: false; code: CandidateErrorCode; reason: string } & Timings);


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
