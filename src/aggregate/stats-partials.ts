import type { OutcomeRow } from '../outcomes/index.ts';
import { LogHistogram, bucketOf } from './log-histogram.ts';
import { CellIndex } from './cell-index.ts';

export { ALL } from './cell-index.ts';

/**
 * The figures of one (minute × model × versions × partition × segment dimension × value) cell of
 * stats_1m, computed in the processor from the outcome rows of one block. Cells from any number of
 * blocks and processes add up to what a per-row materialized view computed: counts and sums exactly,
 * latency as log-bucket histograms (the store builds its t-digest states from their buckets).
 */
export interface StatsFigures {
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
export type StatsPartialRow = Omit<StatsFigures, 'candidate_latency' | 'primary_latency'> & {
  readonly minute: string;
  readonly model: string;
  readonly primary_version: string;
  readonly candidate_version: string;
  readonly dimension: string;
  readonly value: string;
  readonly candidate_latency_hist: Record<string, number>;
  readonly primary_latency_hist: Record<string, number>;
};

/**
 * Accumulates the cells of one flush; rows() hands them to the sink, then start a new one. A cell per
 * source partition too: the store's fence drops a moved partition's share of a block.
 */
export class StatsPartials {
  private readonly cells = new CellIndex<StatsFigures>(emptyFigures);

  /** `minute` is minuteOf(row.event_time), for a caller that has it already. */
  add(row: Readonly<OutcomeRow>, minute = minuteOf(row.event_time)): void {
    if (row.kind === 'reject') return; // rejects are counted from their own table, as before
    const candidate = bucketOf(row.candidate_latency_ms);
    const primary = bucketOf(row.primary_latency_ms);
    for (const c of this.cells.cellsOf(minute, row, true)) addStats(c, row, candidate, primary);
  }

  /** Each cell with the partition it counts. */
  *cellsWithPartition(): Generator<{ partition: number; row: StatsPartialRow }> {
    for (const k of this.cells.entries()) {
      const { candidate_latency, primary_latency, ...counts } = k.cell;
      yield {
        partition: k.partition,
        row: {
          minute: k.time,
          model: k.model,
          primary_version: k.primaryVersion,
          candidate_version: k.candidateVersion,
          dimension: k.dimension,
          value: k.value,
          ...counts,
          candidate_latency_hist: candidate_latency.toRecord(),
          primary_latency_hist: primary_latency.toRecord(),
        },
      };
    }
  }

  rows(): StatsPartialRow[] {
    return [...this.cellsWithPartition()].map((c) => c.row);
  }
}

/** The same predicates as migration 000003's stats_1m_mv, column by column. */
function addStats(c: StatsFigures, r: Readonly<OutcomeRow>, candidateBucket: number, primaryBucket: number): void {
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
    c.candidate_latency.addToBucket(candidateBucket);
    c.candidate_cost_usd += r.candidate_cost_usd;
  }
  if (r.primary_present === 1 && r.kind !== 'duplicate') {
    c.primary_answered++;
    c.primary_latency.addToBucket(primaryBucket);
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

/** 'YYYY-MM-DDTHH:MM:SS.sssZ' → 'YYYY-MM-DD HH:MM:00', the store's DateTime('UTC') text. */
export function minuteOf(isoTime: string): string {
  return `${isoTime.slice(0, 10)} ${isoTime.slice(11, 16)}:00`;
}

function emptyFigures(): StatsFigures {
  return {
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
