/**
 * Mergeable latency histogram with logarithmic buckets (the DDSketch layout): bucket i holds the
 * values in (γ^(i-1), γ^i], and its representative 2γ^i/(γ+1) is within RELATIVE_ERROR of every
 * value in it. Merging is adding counts per bucket, so partials from any number of flushes,
 * partitions and processes merge exactly in the store (sumMap), and a quantile read from the merged
 * buckets is within RELATIVE_ERROR of the exact quantile of the same rank. t-digest states, used
 * before, give no such bound and are not deterministic.
 */

/** Half-width of a bucket, relative: the promise is 1%, half of it leaves room for float rounding. */
export const RELATIVE_ERROR = 0.005;
/** Ratio of consecutive bucket bounds; migrations 000090 and 000091 spell it as a literal (tested). */
export const GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR);
const LOG_GAMMA = Math.log(GAMMA);

/** Values at or below this (ms) go to the zero bucket: no latency is measured that finely. */
export const MIN_VALUE = 1e-6;
/** The zero bucket's key; the smallest real key (log_γ 1e-6 ≈ -1382) stays far above it. */
export const ZERO_BUCKET = -32768;

/** Bucket keys fit Int16 in ClickHouse for any value up to γ^32767 (far beyond any latency). */
export function bucketOf(value: number): number {
  if (!(value > MIN_VALUE)) return ZERO_BUCKET;
  return Math.ceil(Math.log(value) / LOG_GAMMA);
}

export function representative(bucket: number): number {
  return bucket === ZERO_BUCKET ? 0 : (2 * Math.pow(GAMMA, bucket)) / (GAMMA + 1);
}

/**
 * Nearest-rank index (0-based) of quantile q among n sorted values. Both the histogram and the
 * exact reference use it, so "the same rank" is well defined.
 */
export function rankOf(q: number, n: number): number {
  return Math.max(0, Math.ceil(q * n) - 1);
}

export class LogHistogram {
  private readonly counts = new Map<number, number>();
  private n = 0;

  get count(): number {
    return this.n;
  }

  add(value: number, times = 1): void {
    this.addToBucket(bucketOf(value), times);
  }

  /** For a value whose bucketOf() is already known (one value counted in several cells). */
  addToBucket(bucket: number, times = 1): void {
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + times);
    this.n += times;
  }

  merge(other: LogHistogram): void {
    for (const [b, c] of other.counts) this.counts.set(b, (this.counts.get(b) ?? 0) + c);
    this.n += other.n;
  }

  /** NaN when empty, like the store's quantile of no rows. */
  quantile(q: number): number {
    if (this.n === 0) return NaN;
    const k = rankOf(q, this.n);
    let seen = 0;
    for (const b of [...this.counts.keys()].sort((x, y) => x - y)) {
      seen += this.counts.get(b)!;
      if (seen > k) return representative(b);
    }
    return NaN; // unreachable: seen ends at n > k
  }

  /** Bucket → count, as written to a Map(Int16, UInt64) column (JSON keys are strings). */
  toRecord(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [b, c] of this.counts) out[String(b)] = c;
    return out;
  }

  static fromRecord(rec: Readonly<Record<string, number>>): LogHistogram {
    const h = new LogHistogram();
    for (const [b, c] of Object.entries(rec)) {
      h.counts.set(Number(b), (h.counts.get(Number(b)) ?? 0) + c);
      h.n += c;
    }
    return h;
  }
}

/**
 * SQL for quantile q of a merged histogram expression (a Map(Int16, UInt64), e.g. `sumMap(h)`),
 * the same rank rule and representative as LogHistogram.quantile. NaN for an empty histogram.
 */
export function histogramQuantileSql(mapExpr: string, q: number): string {
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile level must be in [0, 1], got ${q}`);
  const sorted = `arraySort(mapKeys(${mapExpr}))`;
  const counts = `arrayMap(k -> ${mapExpr}[k], ${sorted})`;
  const n = `arraySum(mapValues(${mapExpr}))`;
  const rank = `greatest(0, toInt64(ceil(${q} * ${n})) - 1)`;
  const key = `${sorted}[arrayFirstIndex(c -> c > ${rank}, arrayCumSum(${counts}))]`;
  return `if(${n} = 0, nan, if(${key} = ${ZERO_BUCKET}, 0, 2 * pow(${GAMMA}, ${key}) / (${GAMMA} + 1)))`;
}
