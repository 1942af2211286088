import type { OutcomeRow } from '../outcomes/index.ts';
import { StatsPartials, minuteOf } from './stats-partials.ts';
import { CellIndex, type Keyed } from './cell-index.ts';
import { LogHistogram } from './log-histogram.ts';

// What one block contributes to each aggregate table, computed in the processor so that the store
// parses a few cells per block instead of one wide row per record (issue 14; docs/benchmarks.md).
// Every cell belongs to one source partition: the store's write fence drops a moved partition's
// rows, and a cell mixing two partitions could not be dropped in part. The predicates are the ones
// the per-row materialized views used (migrations 000003, 000033, 000037, 000063, 000071), column by column;
// test/aggregate/block-partials.test.ts holds them equal on replayed traffic.

export type PartialKind = 'stats' | 'latency' | 'noise' | 'canary' | 'profile';

/** One cell as the block sends it: the table's key in scalar columns, the figures as JSON. */
export interface PartialCell {
  readonly kind: PartialKind;
  /** The minute (or the 10 s bucket for canary), as the store's DateTime text. */
  readonly time: string;
  readonly model: string;
  readonly primaryVersion: string;
  readonly candidateVersion: string;
  readonly partition: number;
  readonly payload: string;
}

/** A histogram as the views read it: [bucket, count] pairs (log-histogram.ts). */
type Buckets = [number, number][];

function buckets(h: LogHistogram): Buckets {
  return Object.entries(h.toRecord()).map(([b, c]) => [Number(b), c]);
}

/** The 10 s bucket of an ISO time, as canary_10s keys it: 'YYYY-MM-DD HH:MM:S0'. */
export function tenSecondsOf(isoTime: string): string {
  return `${isoTime.slice(0, 10)} ${isoTime.slice(11, 18)}0`;
}

/** canary_10s_mv's latency bin: quarter-octaves above 0.1 ms, 0..79. */
export function canaryLatencyBin(ms: number): number {
  return Math.min(79, Math.max(0, Math.floor(Math.log2(Math.max(ms, 0.1) / 0.1) * 4)));
}

/** canary_10s_mv's score bin: twentieths, 0..19. */
export function canaryScoreBin(score: number): number {
  return Math.min(19, Math.max(0, Math.floor(score * 20)));
}

interface LatencyCell {
  scored: number;
  readonly compute: LogHistogram;
  readonly queue: LogHistogram;
  computeMax: number;
  queueMax: number;
}

interface NoiseCell {
  paired: number;
  bothAgree: number;
  candidateOnlyAgree: number;
  reproducedOnlyAgree: number;
  neitherAgree: number;
}

interface CanaryCell {
  answered: number;
  errors: number;
  readonly latencyBins: Map<number, number>;
  readonly scoreBins: Map<number, number>;
}

/** Accumulates one block's cells of all four aggregate tables. */
export class BlockPartials {
  private readonly stats = new StatsPartials();
  private readonly latency = new CellIndex<LatencyCell>(() => ({ scored: 0, compute: new LogHistogram(), queue: new LogHistogram(), computeMax: 0, queueMax: 0 }));
  private readonly noise = new CellIndex<NoiseCell>(() => ({ paired: 0, bothAgree: 0, candidateOnlyAgree: 0, reproducedOnlyAgree: 0, neitherAgree: 0 }));
  private readonly canary = new CellIndex<CanaryCell>(() => ({ answered: 0, errors: 0, latencyBins: new Map(), scoreBins: new Map() }));
  /** Per cell: 'feature\u0000cell' → count (profile_1m). */
  private readonly profile = new CellIndex<Map<string, number>>(() => new Map());

  add(r: Readonly<OutcomeRow>): void {
    if (r.kind === 'reject') return; // rejects are counted from their own table
    const minute = minuteOf(r.event_time);
    this.stats.add(r, minute);
    this.addProfile(r, minute);
    const ok = r.candidate_error === 0 && r.primary_error === 0;
    if (r.candidate_scored === 1 && r.candidate_error === 0 && (r.kind === 'compared' || r.kind === 'unmatched_request')) {
      for (const c of this.latency.cellsOf(minute, r, false)) {
        c.scored++;
        c.compute.add(r.candidate_compute_ms);
        c.queue.add(r.candidate_queue_ms);
        c.computeMax = Math.max(c.computeMax, r.candidate_compute_ms);
        c.queueMax = Math.max(c.queueMax, r.candidate_queue_ms);
      }
    }
    if (r.kind === 'compared' && r.reproduced === 1 && ok) {
      const cell = r.agree === 1 ? (r.reproduced_agree === 1 ? 'bothAgree' : 'candidateOnlyAgree') : r.reproduced_agree === 1 ? 'reproducedOnlyAgree' : 'neitherAgree';
      for (const c of this.noise.cellsOf(minute, r, true)) {
        c.paired++;
        c[cell]++;
      }
    }
    if (r.primary_present === 1 && (r.kind === 'compared' || r.kind === 'unmatched_primary')) {
      const failed = r.primary_error === 1;
      const lat = failed ? -1 : canaryLatencyBin(r.primary_latency_ms);
      const score = failed ? -1 : canaryScoreBin(r.primary_score);
      for (const c of this.canary.cellsOf(tenSecondsOf(r.event_time), r, true)) {
        c.answered++;
        if (failed) c.errors++;
        else {
          c.latencyBins.set(lat, (c.latencyBins.get(lat) ?? 0) + 1);
          c.scoreBins.set(score, (c.scoreBins.get(score) ?? 0) + 1);
        }
      }
    }
  }

  /** A profiled request (its `profile` map is not empty): one count per feature cell, per segment value. */
  private addProfile(r: Readonly<OutcomeRow>, minute: string): void {
    // The row's cells as keys once, not once per segment value.
    const keys: string[] = [];
    for (const feature in r.profile) keys.push(`${feature}\u0000${r.profile[feature]}`);
    if (keys.length === 0) return;
    for (const c of this.profile.cellsOf(minute, r, true)) {
      for (const k of keys) c.set(k, (c.get(k) ?? 0) + 1);
    }
  }

  cells(): PartialCell[] {
    const out: PartialCell[] = [];
    for (const { partition, row } of this.stats.cellsWithPartition()) {
      const { minute, model, primary_version, candidate_version, candidate_latency_hist, primary_latency_hist, ...figures } = row;
      const payload = { ...figures, candidate_latency: recordBuckets(candidate_latency_hist), primary_latency: recordBuckets(primary_latency_hist) };
      out.push({ kind: 'stats', time: minute, model, primaryVersion: primary_version, candidateVersion: candidate_version, partition, payload: JSON.stringify(payload) });
    }
    const emit = <C>(kind: PartialKind, index: CellIndex<C>, payload: (k: Keyed<C>) => unknown) => {
      for (const k of index.entries()) {
        out.push({ kind, time: k.time, model: k.model, primaryVersion: k.primaryVersion, candidateVersion: k.candidateVersion, partition: k.partition, payload: JSON.stringify(payload(k)) });
      }
    };
    emit('latency', this.latency, ({ cell: c }) => ({ scored: c.scored, compute: buckets(c.compute), queue: buckets(c.queue), compute_max: c.computeMax, queue_max: c.queueMax }));
    emit('noise', this.noise, ({ dimension, value, cell: c }) => ({
      dimension,
      value,
      paired: c.paired,
      both_agree: c.bothAgree,
      candidate_only_agree: c.candidateOnlyAgree,
      reproduced_only_agree: c.reproducedOnlyAgree,
      neither_agree: c.neitherAgree,
    }));
    emit('profile', this.profile, ({ dimension, value, cell }) => ({ dimension, value, cells: [...cell].map(([k, n]) => [...k.split('\u0000'), n]) }));
    emit('canary', this.canary, ({ dimension, value, cell: c }) => ({ dimension, value, answered: c.answered, errors: c.errors, latency_bins: [...c.latencyBins], score_bins: [...c.scoreBins] }));
    return out;
  }
}

function recordBuckets(rec: Readonly<Record<string, number>>): Buckets {
  return Object.entries(rec).map(([b, c]) => [Number(b), c]);
}
