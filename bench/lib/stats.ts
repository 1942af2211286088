// Small statistics helpers: every scenario reports a median and its spread over runs.

export interface Summary {
  /** Number of runs. */
  n: number;
  median: number;
  min: number;
  max: number;
  /** (max - min) / median, as a fraction: the spread reported next to every median. */
  spread: number;
  values: number[];
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function summarize(values: readonly number[]): Summary {
  const v = values.filter((x) => Number.isFinite(x));
  const sorted = [...v].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  const min = sorted[0] ?? NaN;
  const max = sorted[sorted.length - 1] ?? NaN;
  return { n: v.length, median, min, max, spread: median ? (max - min) / Math.abs(median) : NaN, values: [...v] };
}

/** Least-squares slope of y over x (e.g. RSS bytes per consumed record). */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

/** "12,345" style, or with a fixed number of decimals. */
export function fmt(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** "12,345 (±4%)": median and spread of a summary. */
export function fmtSummary(s: Summary | undefined, digits = 0, unit = ''): string {
  if (!s || s.n === 0) return 'n/a';
  const spread = s.n > 1 ? ` (${fmt(s.min, digits)}–${fmt(s.max, digits)}, ±${fmt((s.spread * 100) / 2, 0)}%)` : ' (1 run)';
  return `${fmt(s.median, digits)}${unit}${spread}`;
}

export const MB = 1024 * 1024;
