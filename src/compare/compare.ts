import type { TaskConfig } from '../config/schema.ts';
import type { CandidateResult, PrimarySide } from '../types.ts';

export interface Comparison {
  readonly agree: boolean;
  readonly primaryLabel: string;
  readonly candidateLabel: string;
  /** Binary: P(positive); multiclass: probability of the primary's label; regression: the value. NaN when unknown. */
  readonly primaryScore: number;
  readonly candidateScore: number;
  /** candidate minus primary, when both sides give a comparable number. */
  readonly delta: number | null;
}

type OkCandidate = Extract<CandidateResult, { ok: true }>;

/** Compares two successful answers. Errors on either side are handled by the caller, not compared. */
export function compare(task: TaskConfig, cand: OkCandidate, prim: PrimarySide['output']): Comparison {
  switch (task.type) {
    case 'binary':
      return compareBinary(task.threshold, task.positiveLabel, cand, prim);
    case 'multiclass':
      return compareMulticlass(task.classes, task.topK, cand, prim);
    case 'regression':
      return compareRegression(task.absTolerance, task.relTolerance, cand, prim);
  }
}

function compareBinary(threshold: number, positive: string, cand: OkCandidate, prim: PrimarySide['output']): Comparison {
  const cScore = cand.scores !== undefined ? (cand.scores[1] ?? cand.scores[0] ?? NaN) : NaN;
  const pScore = prim.score ?? (prim.scores ? (prim.scores[1] ?? NaN) : NaN);
  // A score decides the label when present; labels are the fallback for models that only emit one.
  const cLabel = Number.isFinite(cScore) ? binaryLabel(cScore >= threshold, positive) : (cand.label ?? '');
  const pLabel = Number.isFinite(pScore) ? binaryLabel(pScore >= threshold, positive) : String(prim.label ?? '');
  const delta = Number.isFinite(cScore) && Number.isFinite(pScore) ? cScore - pScore : null;
  return { agree: cLabel !== '' && cLabel === pLabel, primaryLabel: pLabel, candidateLabel: cLabel, primaryScore: pScore, candidateScore: cScore, delta };
}

function binaryLabel(positive: boolean, positiveLabel: string): string {
  return positive ? positiveLabel : positiveLabel === '1' ? '0' : `not_${positiveLabel}`;
}

function compareMulticlass(classes: string[], topK: number, cand: OkCandidate, prim: PrimarySide['output']): Comparison {
  const cScores = cand.scores;
  const cLabel = cScores ? (classes[argmax(cScores)] ?? '') : (cand.label ?? '');
  const pLabel = prim.label !== undefined ? String(prim.label) : prim.scores ? (classes[argmax(prim.scores)] ?? '') : '';
  const pIndex = classes.indexOf(pLabel);
  const cScore = cScores && pIndex >= 0 ? (cScores[pIndex] ?? NaN) : NaN;
  const pScore = prim.scores && pIndex >= 0 ? (prim.scores[pIndex] ?? NaN) : (prim.score ?? NaN);
  const agree = topK > 1 && cScores && pIndex >= 0 ? topIndices(cScores, topK).includes(pIndex) : cLabel !== '' && cLabel === pLabel;
  const delta = Number.isFinite(cScore) && Number.isFinite(pScore) ? cScore - pScore : null;
  return { agree, primaryLabel: pLabel, candidateLabel: cLabel, primaryScore: pScore, candidateScore: cScore, delta };
}

function compareRegression(absTol: number, relTol: number, cand: OkCandidate, prim: PrimarySide['output']): Comparison {
  const c = cand.value ?? NaN;
  const p = prim.value ?? NaN;
  const ok = Number.isFinite(c) && Number.isFinite(p);
  const agree = ok && Math.abs(c - p) <= absTol + relTol * Math.abs(p);
  return { agree, primaryLabel: '', candidateLabel: '', primaryScore: p, candidateScore: c, delta: ok ? c - p : null };
}

export function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if ((xs[i] ?? -Infinity) > (xs[best] ?? -Infinity)) best = i;
  return best;
}

function topIndices(xs: readonly number[], k: number): number[] {
  return xs
    .map((v, i) => [v, i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i);
}
