import type { OutcomeRow } from '../outcomes/index.ts';
import { LogHistogram } from './log-histogram.ts';

/** The overall row's dimension and value, as stats_1m spells them. */
export const ALL = '__all__';

/**
 * One (minute × model × versions × segment dimension × value) cell of stats_1m, computed in the
 * processor from the outcome rows of one flush. Cells from any number of flushes and processes add
 * up to what the store's per-row materialized view computes today: counts and sums exactly, latency
 * as log-bucket histograms instead of t-digest states.
 */
export interface StatsPartial {
  readonly minute: string;
  readonly model: string;
  readonly primary_version: string;
  readonly candidate_version: string;
  readonly dimension: string;
  readonly value: string;
  compared: number;
  agreements: number;
  both_ok: number;
  candidate_errors: number;
  primary_errors: number;
  unmatched_requests: number;
  unmatched_primaries: number;
  schema_mismatches: number;
  duplicates: number;
  candidate_scored: number;
  primary_answered: number;
  readonly candidate_latency: LogHistogram;
  readonly primary_latency: LogHistogram;
  candidate_cost_usd: number;
  primary_cost_usd: number;
  delta_n: number;
  delta_sum: number;
  delta_abs_sum: number;
  delta_abs_max: number;
}

/** A partial as inserted: histograms as Map(Int16, UInt64) records. */
export type StatsPartialRow = Omit<StatsPartial, 'candidate_latency' | 'primary_latency'> & {
  readonly candidate_latency_hist: Record<string, number>;
  readonly primary_latency_hist: Record<string, number>;
};

/** Accumulates the cells of one flush; rows() hands them to the sink, then start a new one. */
export class StatsPartials {
  private readonly cells = new Map<string, StatsPartial>();

  get size(): number {
    return this.cells.size;
  }

  add(row: Readonly<OutcomeRow>): void {
    if (row.kind === 'reject') return; // rejects are counted from their own table, as before
    const minute = minuteOf(row.event_time);
    this.addTo(this.cell(minute, row, ALL, ALL), row);
    for (const dim in row.segments) this.addTo(this.cell(minute, row, dim, row.segments[dim]!), row);
  }

  rows(): StatsPartialRow[] {
    return [...this.cells.values()].map(({ candidate_latency, primary_latency, ...counts }) => ({
      ...counts,
      candidate_latency_hist: candidate_latency.toRecord(),
      primary_latency_hist: primary_latency.toRecord(),
    }));
  }

  private cell(minute: string, row: Readonly<OutcomeRow>, dimension: string, value: string): StatsPartial {
    const key = `${minute}\u0000${row.model}\u0000${row.primary_version}\u0000${row.candidate_version}\u0000${dimension}\u0000${value}`;
    let c = this.cells.get(key);
    if (!c) {
      c = emptyPartial(minute, row, dimension, value);
      this.cells.set(key, c);
    }
    return c;
  }

  /** The same predicates as migration 000003's stats_1m_mv, column by column. */
  private addTo(c: StatsPartial, r: Readonly<OutcomeRow>): void {
    const compared = r.kind === 'compared';
    if (compared) {
      c.compared++;
      if (r.agree === 1) c.agreements++;
      if (r.candidate_error === 0 && r.primary_error === 0) c.both_ok++;
      if (r.candidate_error === 1) c.candidate_errors++;
      if (r.primary_error === 1) c.primary_errors++;
    } else if (r.kind === 'unmatched_request') c.unmatched_requests++;
    else if (r.kind === 'unmatched_primary') c.unmatched_primaries++;
    else if (r.kind === 'schema_mismatch') c.schema_mismatches++;
    else if (r.kind === 'duplicate') c.duplicates++;
    if (r.candidate_scored === 1) {
      c.candidate_scored++;
      c.candidate_latency.add(r.candidate_latency_ms);
      c.candidate_cost_usd += r.candidate_cost_usd;
    }
    if (r.primary_present === 1 && r.kind !== 'duplicate') {
      c.primary_answered++;
      c.primary_latency.add(r.primary_latency_ms);
      c.primary_cost_usd += r.primary_cost_usd;
    }
    if (r.has_delta === 1) {
      const a = Math.abs(r.score_delta);
      c.delta_n++;
      c.delta_sum += r.score_delta;
      c.delta_abs_sum += a;
      c.delta_abs_max = Math.max(c.delta_abs_max, a);
    }
  }
}

/** 'YYYY-MM-DDTHH:MM:SS.sssZ' → 'YYYY-MM-DD HH:MM:00', the store's DateTime('UTC') text. */
export function minuteOf(isoTime: string): string {
  return `${isoTime.slice(0, 10)} ${isoTime.slice(11, 16)}:00`;
}

function emptyPartial(minute: string, row: Readonly<OutcomeRow>, dimension: string, value: string): StatsPartial {
  return {
    minute,
    model: row.model,
    primary_version: row.primary_version,
    candidate_version: row.candidate_version,
    dimension,
    value,
    compared: 0,
    agreements: 0,
    both_ok: 0,
    candidate_errors: 0,
    primary_errors: 0,
    unmatched_requests: 0,
    unmatched_primaries: 0,
    schema_mismatches: 0,
    duplicates: 0,
    candidate_scored: 0,
    primary_answered: 0,
    candidate_latency: new LogHistogram(),
    primary_latency: new LogHistogram(),
    candidate_cost_usd: 0,
    primary_cost_usd: 0,
    delta_n: 0,
    delta_sum: 0,
    delta_abs_sum: 0,
    delta_abs_max: 0,
  };
}
