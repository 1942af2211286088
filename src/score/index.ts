// Input: feature records decoded from mirrored requests. Output: one ScoreResult per record, same order.
// Guarantee: score() never rejects for bad rows or model runtime errors; those come back as candidate errors,
// and a misconfigured model fails createScorer() with a SHADOW_MODEL error that names the fix.
export { createScorer, type BatchTiming, type ScorerDeps } from './onnx-scorer.ts';
export { timedRun, type TimedRun } from './timed-run.ts';
export { processCpuMs } from './cpu-clock.ts';
export { readModelSignature } from './signature.ts';
export type {
  CandidateErrorCode,
  FeatureValue,
  ModelSignature,
  ScoreResult,
  Timings,
  Scorer,
  ScorerOptions,
  ValueSignature,
} from './types.ts';
