import { chiSquareHomogeneity, type ChiSquare } from '../canary/stats.ts';
import { normalCdf } from '../gate/stats.ts';

// The statistics of `diagnose`, each checked against a reference implementation in
// test/diagnose/stats.test.ts (scipy 1.x values printed by the script there).

export { chiSquareHomogeneity, type ChiSquare };

/**
 * Population stability index of `current` against `reference` over the same cells:
 * sum over cells of (c - r) * ln(c / r), with c and r the shares. Empty cells would make it infinite,
 * so each count gets a pseudo-count of 0.5 first (Laplace-style smoothing, the common practice;
 * docs/diagnose.md). Reading: < 0.1 no change, 0.1-0.25 moderate, > 0.25 major.
 */
export function psi(reference: readonly number[], current: readonly number[]): number {
  const k = Math.max(reference.length, current.length);
  if (k === 0) return 0;
  const nr = sum(reference) + 0.5 * k;
  const nc = sum(current) + 0.5 * k;
  let out = 0;
  for (let i = 0; i < k; i++) {
    const r = ((reference[i] ?? 0) + 0.5) / nr;
    const c = ((current[i] ?? 0) + 0.5) / nc;
    out += (c - r) * Math.log(c / r);
  }
  return out;
}

export interface ProportionTest {
  readonly reference: number;
  readonly window: number;
  /** window - reference */
  readonly difference: number;
  /** One-sided p of "the window's rate is higher" (pooled two-proportion z-test). */
  readonly pHigher: number;
  /** One-sided p of "the window's rate is lower". */
  readonly pLower: number;
}

/** Pooled two-proportion z-test (as statsmodels proportions_ztest), both one-sided p-values. */
export function twoProportion(xRef: number, nRef: number, xWin: number, nWin: number): ProportionTest {
  const pr = nRef > 0 ? xRef / nRef : 0;
  const pw = nWin > 0 ? xWin / nWin : 0;
  if (nRef === 0 || nWin === 0) return { reference: pr, window: pw, difference: pw - pr, pHigher: 1, pLower: 1 };
  const pooled = (xRef + xWin) / (nRef + nWin);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / nRef + 1 / nWin));
  if (se === 0) return { reference: pr, window: pw, difference: pw - pr, pHigher: 1, pLower: 1 };
  const z = (pw - pr) / se;
  return { reference: pr, window: pw, difference: pw - pr, pHigher: 1 - normalCdf(z), pLower: normalCdf(z) };
}

/**
 * Holm's step-down adjusted p-values (as R's p.adjust(p, "holm")), in the input order: controls the
 * chance of any false flag across all tests at alpha, whatever their dependence, and is never less
 * powerful than Bonferroni.
 */
export function holm(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const out = new Array<number>(m);
  let max = 0;
  order.forEach(({ p, i }, k) => {
    max = Math.max(max, Math.min(1, (m - k) * p));
    out[i] = max;
  });
  return out;
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}
