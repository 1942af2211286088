import { unitHash } from '../request-hash.ts';
// Feature and score profiles (issue 15): each profiled request becomes a small map feature -> cell,
// carried on its outcome row; the store's view profile_1m_mv counts cells per minute x segment value,
// so profiles ride the same fenced, deduplicated insert as every other count (exactly once).
// Pure and deterministic in the config: a replay or a recovery rebuilds the identical row, which the
// block's deduplication token requires (a token with different data would be silently dropped).
// One module on purpose: issue 14 moves aggregation into the processor and can take this file along.

/** How one numeric feature is binned: equal-width bins over the expected range. */
export interface NumericSpec {
  readonly min: number;
  readonly max: number;
}

/** A categorical feature: the known values (top-k of the schema); anything else is OTHER_CELL. */
export interface CategoricalSpec {
  readonly values: readonly string[];
}

export type FeatureSpec = NumericSpec | CategoricalSpec;

export interface ProfileOptions {
  /** Share of requests profiled, deterministic in the request id (0 turns profiles off). */
  readonly sampleRate: number;
  /** Features profiled, in order (default: the candidate's inputs). */
  readonly features: readonly string[];
  /** Bins per numeric feature with a range. */
  readonly bins: number;
  readonly specs: Readonly<Record<string, FeatureSpec>>;
  /** Model scores are binned over this range (binary: P(positive) in [0, 1]). */
  readonly scoreRange: readonly [number, number];
  readonly scoreBins: number;
}

// Cells besides the bins. Health rates are read from these (docs/diagnose.md).
export const NULL_CELL = 'null';
export const NAN_CELL = 'nan';
export const LOW_CELL = 'lo';
export const HIGH_CELL = 'hi';
/** A value of the wrong type (a string for a numeric feature): a schema problem, not drift. */
export const BAD_CELL = 'bad';
export const OTHER_CELL = '__other__';
/** Profile keys of the two models' scores; features cannot start with '@' in practice. */
export const PRIMARY_SCORE = '@primary_score';
export const CANDIDATE_SCORE = '@candidate_score';

export type Profile = Record<string, string>;

export class Profiler {
  private readonly known = new Map<string, Set<string>>();

  constructor(private readonly o: ProfileOptions) {
    for (const [name, spec] of Object.entries(o.specs)) if ('values' in spec) this.known.set(name, new Set(spec.values));
  }

  get enabled(): boolean {
    return this.o.sampleRate > 0 && (this.o.features.length > 0 || this.o.scoreBins > 0);
  }

  /** Whether this request is in the profile sample (same answer on every replay). */
  sampled(requestId: string): boolean {
    return this.o.sampleRate >= 1 || (this.o.sampleRate > 0 && unitHash(requestId) < this.o.sampleRate);
  }

  /** The feature cells of one request. */
  features(features: Readonly<Record<string, unknown>>): Profile {
    const out: Profile = {};
    for (const name of this.o.features) out[name] = this.cellOf(name, features[name]);
    return out;
  }

  /** Adds both models' score cells (compared rows where both answered). */
  addScores(p: Profile, primary: number, candidate: number): void {
    if (this.o.scoreBins <= 0) return;
    p[PRIMARY_SCORE] = this.scoreCell(primary);
    p[CANDIDATE_SCORE] = this.scoreCell(candidate);
  }

  private cellOf(name: string, v: unknown): string {
    if (v === null || v === undefined) return NULL_CELL;
    const cats = this.known.get(name);
    if (cats) return cats.has(String(v)) ? String(v) : OTHER_CELL;
    if (typeof v !== 'number') return BAD_CELL;
    if (Number.isNaN(v)) return NAN_CELL;
    const spec = this.o.specs[name];
    return spec && 'min' in spec ? binOf(v, spec.min, spec.max, this.o.bins) : logCell(v);
  }

  private scoreCell(x: number): string {
    if (!Number.isFinite(x)) return NAN_CELL;
    return binOf(x, this.o.scoreRange[0], this.o.scoreRange[1], this.o.scoreBins);
  }
}

/** 'b00'..'bNN' over [min, max] (max itself in the last bin), LOW_CELL / HIGH_CELL outside. */
export function binOf(x: number, min: number, max: number, bins: number): string {
  if (x < min) return LOW_CELL;
  if (x > max) return HIGH_CELL;
  const i = max > min ? Math.min(bins - 1, Math.floor(((x - min) / (max - min)) * bins)) : 0;
  return i < 10 ? `b0${i}` : `b${i}`;
}

/**
 * A feature without an expected range still gets a fixed, config-free histogram: half-decades of |x|
 * with the sign ('p-2' = [10^-1, 10^-0.5), 'n3' negative, 'z' zero), clamped to 1e-6 .. 1e9. No
 * out-of-range rate exists without a range.
 */
export function logCell(x: number): string {
  if (x === 0) return 'z';
  if (!Number.isFinite(x)) return x > 0 ? HIGH_CELL : LOW_CELL;
  const k = Math.max(-12, Math.min(18, Math.floor(2 * Math.log10(Math.abs(x)))));
  return `${x > 0 ? 'p' : 'n'}${k}`;
}

