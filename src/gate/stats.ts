// Pure statistics for the gate: normal distribution, Wilson score bounds, Newcombe's interval for a
// difference of proportions, the score test's p-value, and multiple-testing corrections.

/** Standard normal CDF, via erfc (W. J. Cody's rational approximations are overkill here; this is
 * Numerical Recipes' erfcc, fractional error < 1.2e-7, enough for p-values compared with 0.05/m). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 +
        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

// Acklam's rational approximation of the inverse normal CDF (relative error < 1.15e-9),
// https://web.archive.org/web/20151030215612/http://home.online.no/~pjacklam/notes/invnorm/
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/** z such that P(Z <= z) = p. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const [a0, a1, a2, a3, a4, a5] = A as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = B as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = C as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = D as [number, number, number, number];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1);
}

export interface Interval {
  readonly lower: number;
  readonly upper: number;
}

/**
 * Wilson score interval for `successes` out of `n` with critical value `z` (E. B. Wilson, 1927).
 * With z = normalQuantile(c) each side is a one-sided bound at confidence c. n = 0 gives [0, 1].
 */
export function wilson(successes: number, n: number, z: number): Interval {
  if (n <= 0) return { lower: 0, upper: 1 };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

/**
 * Interval for p1 - p2 from the two Wilson intervals: Newcombe (1998), "Interval estimation for the
 * difference between independent proportions", method 10.
 */
export function newcombeDifference(x1: number, n1: number, x2: number, n2: number, z: number): Interval & { estimate: number } {
  const p1 = n1 > 0 ? x1 / n1 : 0;
  const p2 = n2 > 0 ? x2 / n2 : 0;
  const a = wilson(x1, n1, z);
  const b = wilson(x2, n2, z);
  const d = p1 - p2;
  return {
    estimate: d,
    lower: d - Math.sqrt((p1 - a.lower) ** 2 + (b.upper - p2) ** 2),
    upper: d + Math.sqrt((a.upper - p1) ** 2 + (p2 - b.lower) ** 2),
  };
}

/**
 * One-sided score test of H0: p >= threshold against H1: p < threshold. Its p-value is below 1 - c
 * exactly when the Wilson upper bound at confidence c is below the threshold, so segment tests and
 * overall bounds agree when no correction applies.
 */
export function pValueBelow(successes: number, n: number, threshold: number): number {
  if (n <= 0) return 1;
  const p = successes / n;
  if (threshold <= 0) return 1;
  if (threshold >= 1) return p < 1 ? 0 : 1;
  return normalCdf((p - threshold) / Math.sqrt((threshold * (1 - threshold)) / n));
}

/** Benjamini-Hochberg adjusted p-values (as R's p.adjust(p, "BH")), in the input order. */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((x, y) => y.p - x.p); // largest first
  const out = new Array<number>(m);
  let min = 1;
  order.forEach(({ p, i }, k) => {
    const rank = m - k;
    min = Math.min(min, (p * m) / rank);
    out[i] = min;
  });
  return out;
}

/** Bonferroni adjusted p-values: p x m, capped at 1. */
export function bonferroni(pValues: readonly number[]): number[] {
  return pValues.map((p) => Math.min(1, p * pValues.length));
}

/** A paired 2x2 table: the same rows judged twice (e.g. "disagrees with the logged primary" by two models). */
export interface PairedTable {
  /** Both events (both models disagree). */
  readonly both: number;
  /** First only (the candidate disagrees, the reproduced primary agrees). */
  readonly firstOnly: number;
  /** Second only (the reproduced primary disagrees, the candidate agrees). */
  readonly secondOnly: number;
  /** Neither. */
  readonly neither: number;
}

/**
 * Interval for p1 - p2 of paired proportions (p1 = (both + firstOnly) / n, p2 = (both + secondOnly) / n):
 * Newcombe (1998), "Improved confidence intervals for the difference between binomial proportions based
 * on paired data", Stat Med 17:2635, method 10 (square-and-add of the two Wilson intervals with the
 * continuity-corrected correlation phi). With z = normalQuantile(c) each side is a one-sided bound at c.
 * Checked against the published example in test/gate/stats.test.ts.
 */
export function newcombePairedDifference(t: PairedTable, z: number): Interval & { estimate: number } {
  const n = t.both + t.firstOnly + t.secondOnly + t.neither;
  if (n <= 0) return { estimate: 0, lower: -1, upper: 1 };
  const x1 = t.both + t.firstOnly;
  const x2 = t.both + t.secondOnly;
  const p1 = x1 / n;
  const p2 = x2 / n;
  const a = wilson(x1, n, z);
  const b = wilson(x2, n, z);
  const rows = [x1, n - x1, x2, n - x2];
  let phi = 0;
  if (rows.every((r) => r > 0)) {
    const cross = t.both * t.neither - t.firstOnly * t.secondOnly;
    // Newcombe's continuity correction: a positive cross product is reduced by n/2, down to 0.
    const c = cross > n / 2 ? cross - n / 2 : cross >= 0 ? 0 : cross;
    phi = c / Math.sqrt(rows.reduce((x, y) => x * y, 1));
  }
  const d = p1 - p2;
  const dl1 = p1 - a.lower;
  const du2 = b.upper - p2;
  const dl2 = p2 - b.lower;
  const du1 = a.upper - p1;
  return {
    estimate: d,
    lower: Math.max(-1, d - Math.sqrt(Math.max(0, dl1 ** 2 - 2 * phi * dl1 * du2 + du2 ** 2))),
    upper: Math.min(1, d + Math.sqrt(Math.max(0, dl2 ** 2 - 2 * phi * dl2 * du1 + du1 ** 2))),
  };
}

/**
 * One-sided p-value of H0: p1 - p2 <= margin against H1: p1 - p2 > margin, by inverting the Newcombe
 * paired interval: the p at which its one-sided lower bound (confidence 1 - p) equals the margin. So
 * p < 1 - c exactly when the lower bound at confidence c is above the margin, and segment tests agree
 * with the window's bound when no correction applies. Bisection on z: the bound is monotone in z.
 */
export function pValueExcessAbove(t: PairedTable, margin: number): number {
  const n = t.both + t.firstOnly + t.secondOnly + t.neither;
  if (n <= 0) return 1;
  const est = newcombePairedDifference(t, 0).estimate;
  if (est === margin) return 0.5;
  const above = est > margin;
  // above: find z with lower(z) = margin, p = 1 - Phi(z); below: find z with upper(z) = margin, p = Phi(z).
  const gap = (z: number) => {
    const i = newcombePairedDifference(t, z);
    return above ? i.lower - margin : margin - i.upper;
  };
  let lo = 0;
  let hi = 40;
  if (gap(hi) > 0) return above ? 0 : 1;
  for (let k = 0; k < 100 && hi - lo > 1e-10; k++) {
    const mid = (lo + hi) / 2;
    if (gap(mid) > 0) lo = mid;
    else hi = mid;
  }
  const z = (lo + hi) / 2;
  return above ? 1 - normalCdf(z) : normalCdf(z);
}

/** P(X >= k) for X ~ Binomial(n, p), summed in log space (exact for the n of a day's labels). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  let logC = logChoose(n, k);
  let sum = 0;
  for (let i = k; i <= n; i++) {
    sum += Math.exp(logC + i * logP + (n - i) * logQ);
    logC += Math.log(n - i) - Math.log(i + 1);
  }
  return Math.min(1, sum);
}

/** P(X <= k) for X ~ Binomial(n, p). */
export function binomialLowerTail(k: number, n: number, p: number): number {
  return binomialUpperTail(n - k, n, 1 - p);
}

function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

const LOG_FACT: number[] = [0];
function logFactorial(n: number): number {
  for (let i = LOG_FACT.length; i <= n; i++) LOG_FACT[i] = (LOG_FACT[i - 1] as number) + Math.log(i);
  return LOG_FACT[n] as number;
}

/**
 * McNemar's exact test on the discordant pairs of a paired 2x2 table of correct answers, with a margin on
 * the accuracy difference d = acc_candidate - acc_primary = (c - b) / n, where b = only the primary right,
 * c = only the candidate right, n = all labelled pairs. Conditional on m = b + c discordant pairs,
 * c ~ Binomial(m, theta) with theta = P(candidate right | discordant); at d = -margin,
 * theta0 = 1/2 - margin * n / (2m) (the discordance rate m/n plugged in: the conditional exact
 * non-inferiority test of e.g. Liu, Hsueh, Hsieh & Chen, Stat Med 2002). margin = 0 is the classic exact
 * McNemar test (theta0 = 1/2).
 *  - nonInferiority: one-sided p of H0 d <= -margin vs H1 d > -margin = P(X >= c | theta0)
 *  - inferiority:    one-sided p of H0 d >= -margin vs H1 d < -margin = P(X <= c | theta0)
 *  - superiority:    one-sided p of H0 d <= 0 vs H1 d > 0 = P(X >= c | 1/2)
 * Checked against scipy.stats.binomtest in test/gate/stats.test.ts.
 */
export function mcnemarExact(b: number, c: number, n: number, margin: number): { nonInferiority: number; inferiority: number; superiority: number; theta0: number } {
  const m = b + c;
  if (m === 0) return { nonInferiority: margin > 0 ? 0 : 1, inferiority: 1, superiority: 1, theta0: 0.5 };
  const theta0 = Math.max(0, Math.min(1, 0.5 - (margin * n) / (2 * m)));
  return {
    nonInferiority: binomialUpperTail(c, m, theta0),
    inferiority: binomialLowerTail(c, m, theta0),
    superiority: binomialUpperTail(c, m, 0.5),
    theta0,
  };
}
