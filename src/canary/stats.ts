import { normalCdf } from '../gate/stats.ts';

// Unpaired tests for the canary judge, on binned data (the stream keeps histograms, not samples).
// Checked against scipy in test/canary/stats.test.ts.

export interface RankTest {
  /** Mann-Whitney U of the first sample. */
  readonly u: number;
  readonly z: number;
  /** One-sided p-value for "the first sample tends to be larger". */
  readonly pGreater: number;
  /** P(X > Y) + P(X = Y) / 2: 0.5 is no shift; Vargha-Delaney's 0.56 / 0.64 / 0.71 are small / medium / large. */
  readonly effect: number;
}

/**
 * Mann-Whitney U on two histograms over the same bins: every value in a bin ties with the rest of
 * it (midranks). Normal approximation with tie correction and continuity correction, as
 * scipy.stats.mannwhitneyu(x, y, alternative='greater', method='asymptotic', use_continuity=True).
 */
export function mannWhitneyBinned(x: readonly number[], y: readonly number[]): RankTest {
  const n1 = sum(x);
  const n2 = sum(y);
  const n = n1 + n2;
  if (n1 === 0 || n2 === 0) return { u: 0, z: 0, pGreater: 1, effect: 0.5 };
  let below = 0; // values in lower bins, both samples
  let r1 = 0; // rank sum of x
  let ties = 0;
  const bins = Math.max(x.length, y.length);
  for (let i = 0; i < bins; i++) {
    const a = x[i] ?? 0;
    const b = y[i] ?? 0;
    const t = a + b;
    if (t === 0) continue;
    const midrank = below + (t + 1) / 2;
    r1 += a * midrank;
    ties += t ** 3 - t;
    below += t;
  }
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)));
  const z = variance > 0 ? (u - mean - 0.5) / Math.sqrt(variance) : 0;
  return { u, z, pGreater: variance > 0 ? 1 - normalCdf(z) : 1, effect: u / (n1 * n2) };
}

export interface ChiSquare {
  readonly statistic: number;
  readonly df: number;
  readonly p: number;
  /** Total variation distance between the two distributions (0 = same, 1 = disjoint). */
  readonly distance: number;
}

/**
 * Chi-square test of homogeneity of two histograms over the same bins (a 2 x k table), bins empty in
 * both dropped, as scipy.stats.chi2_contingency(table, correction=False).
 */
export function chiSquareHomogeneity(x: readonly number[], y: readonly number[]): ChiSquare {
  const bins = Math.max(x.length, y.length);
  const cols: [number, number][] = [];
  for (let i = 0; i < bins; i++) if ((x[i] ?? 0) + (y[i] ?? 0) > 0) cols.push([x[i] ?? 0, y[i] ?? 0]);
  const n1 = sum(cols.map((c) => c[0]));
  const n2 = sum(cols.map((c) => c[1]));
  const n = n1 + n2;
  if (n1 === 0 || n2 === 0 || cols.length < 2) return { statistic: 0, df: 0, p: 1, distance: 0 };
  let stat = 0;
  let tv = 0;
  for (const [a, b] of cols) {
    const col = a + b;
    const e1 = (n1 * col) / n;
    const e2 = (n2 * col) / n;
    stat += (a - e1) ** 2 / e1 + (b - e2) ** 2 / e2;
    tv += Math.abs(a / n1 - b / n2);
  }
  const df = cols.length - 1;
  return { statistic: stat, df, p: chiSquareSurvival(stat, df), distance: tv / 2 };
}

/** P(X >= x) for X ~ chi-square(df): the regularized upper incomplete gamma Q(df/2, x/2). */
export function chiSquareSurvival(x: number, df: number): number {
  if (x <= 0) return 1;
  return gammaQ(df / 2, x / 2);
}

// Numerical Recipes (2nd ed.), 6.2: series for x < a + 1, continued fraction otherwise.
function gammaQ(a: number, x: number): number {
  if (x < a + 1) return 1 - gammaPSeries(a, x);
  return gammaQFraction(a, x);
}

function gammaPSeries(a: number, x: number): number {
  let ap = a;
  let del = 1 / a;
  let s = del;
  for (let i = 0; i < 10_000; i++) {
    ap += 1;
    del *= x / ap;
    s += del;
    if (Math.abs(del) < Math.abs(s) * 1e-15) break;
  }
  return s * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

function gammaQFraction(a: number, x: number): number {
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

// Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for the arguments used here.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function logGamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const x = z - 1;
  let a = LANCZOS[0] as number;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += (LANCZOS[i] as number) / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const v of xs) s += v;
  return s;
}
