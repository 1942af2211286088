// Seeds shadow.stats_1m with known values for the gate tests (a helper, not a test file).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/sinks/clickhouse/client.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';

/** A fresh embedded store in a temp dir (chDB: one data directory per process, so one per test file). */
export async function openTempStore(): Promise<{ store: Store; dir: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'shadow-gate-'));
  const store = await openStore({ dataDir: join(dir, 'data'), database: 'shadow', username: 'default', password: '', requestTimeoutMs: 30_000 });
  await migrate(store);
  return {
    store,
    dir,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RowValues {
  compared: number;
  agreements: number;
  both_ok: number;
  candidate_errors: number;
  primary_errors: number;
  unmatched_requests: number;
  unmatched_primaries: number;
  schema_mismatches: number;
  candidate_scored: number;
  primary_answered: number;
  candidate_cost_usd: number;
  primary_cost_usd: number;
}

/** 100 comparisons, 99 agreements, no errors, nothing unmatched, $0.0001 per inference on both sides. */
export const GOOD: RowValues = {
  compared: 100, agreements: 99, both_ok: 100, candidate_errors: 0, primary_errors: 0, unmatched_requests: 0,
  unmatched_primaries: 0, schema_mismatches: 0, candidate_scored: 100, primary_answered: 100,
  candidate_cost_usd: 0.01, primary_cost_usd: 0.01,
};

export interface SeedSpec {
  model: string;
  candidate: string;
  primary?: string;
  dimension?: string;
  value?: string;
  /** First row's minute and how many rows, `everyMinutes` apart. */
  from: Date;
  rows: number;
  everyMinutes: number;
  values: RowValues;
  /** Latency samples per row (ms): constant samples give exact t-digest quantiles. */
  candidateLatencyMs?: number[];
  primaryLatencyMs?: number[];
  /** Overall rows only: compute and queue latency samples per row for latency_1m (default [5, 5, 5, 5] and [1]). */
  computeLatencyMs?: number[];
  queueLatencyMs?: number[];
  /** Overall rows only: rows (0-based) whose compute samples are `slowComputeMs` instead. */
  slowRows?: number[];
  slowComputeMs?: number[];
}

export async function seed(store: Store, s: SeedSpec): Promise<void> {
  const v = s.values;
  if ((s.dimension ?? '__all__') === '__all__') await seedLatency(store, s);
  await store.client.command({
    query: `INSERT INTO shadow.stats_1m (minute, model, primary_version, candidate_version, dimension, value,
        compared, agreements, both_ok, candidate_errors, primary_errors, unmatched_requests, unmatched_primaries,
        schema_mismatches, duplicates, candidate_scored, primary_answered, candidate_latency_ms, primary_latency_ms,
        candidate_cost_usd, primary_cost_usd, delta_n, delta_sum, delta_abs_sum, delta_abs_max)
      SELECT toDateTime({from:UInt32}, 'UTC') + number * {step:UInt32}, {model:String}, {primary:String}, {candidate:String},
        {dimension:String}, {value:String}, ${v.compared}, ${v.agreements}, ${v.both_ok}, ${v.candidate_errors},
        ${v.primary_errors}, ${v.unmatched_requests}, ${v.unmatched_primaries}, ${v.schema_mismatches}, 0,
        ${v.candidate_scored}, ${v.primary_answered},
        arrayReduce('quantilesTDigestState(0.5, 0.95, 0.99)', {clat:Array(Float64)}),
        arrayReduce('quantilesTDigestState(0.5, 0.95, 0.99)', {plat:Array(Float64)}),
        ${v.candidate_cost_usd}, ${v.primary_cost_usd}, 0, 0, 0, 0
      FROM numbers({rows:UInt32})`,
    query_params: {
      from: Math.floor(s.from.getTime() / 1000), step: s.everyMinutes * 60, model: s.model, primary: s.primary ?? 'v9',
      candidate: s.candidate, dimension: s.dimension ?? '__all__', value: s.value ?? '__all__',
      clat: s.candidateLatencyMs ?? [10, 10, 10, 10], plat: s.primaryLatencyMs ?? [12, 12, 12, 12], rows: s.rows,
    },
  });
}

/** Compute/queue latency for the overall rows of `s`, in latency_1m (what the gate's latency criteria read). */
async function seedLatency(store: Store, s: SeedSpec): Promise<void> {
  await store.client.command({
    query: `INSERT INTO shadow.latency_1m (minute, model, primary_version, candidate_version, scored, compute_ms, queue_ms, compute_max_ms, queue_max_ms)
      SELECT toDateTime({from:UInt32}, 'UTC') + number * {step:UInt32}, {model:String}, {primary:String}, {candidate:String}, ${s.values.candidate_scored},
        arrayReduce('quantilesTDigestState(0.5, 0.95, 0.99)', if(has({slow:Array(UInt32)}, number), {slowc:Array(Float64)}, {comp:Array(Float64)})),
        arrayReduce('quantilesTDigestState(0.5, 0.95, 0.99)', {queue:Array(Float64)}), 0, 0
      FROM numbers({rows:UInt32})`,
    query_params: {
      from: Math.floor(s.from.getTime() / 1000), step: s.everyMinutes * 60, model: s.model, primary: s.primary ?? 'v9', candidate: s.candidate,
      comp: s.computeLatencyMs ?? [5, 5, 5, 5], queue: s.queueLatencyMs ?? [1], slow: s.slowRows ?? [], slowc: s.slowComputeMs ?? [0], rows: s.rows,
    },
  });
}

/** The noise-floor table per row of `s` (noise_1m): who agrees with the logged primary. */
export interface NoiseValues {
  both_agree: number;
  candidate_only_agree: number;
  reproduced_only_agree: number;
  neither_agree: number;
}

export async function seedNoise(store: Store, s: SeedSpec, v: NoiseValues): Promise<void> {
  const paired = v.both_agree + v.candidate_only_agree + v.reproduced_only_agree + v.neither_agree;
  await store.client.command({
    query: `INSERT INTO shadow.noise_1m (minute, model, primary_version, candidate_version, dimension, value, paired, both_agree,
        candidate_only_agree, reproduced_only_agree, neither_agree)
      SELECT toDateTime({from:UInt32}, 'UTC') + number * {step:UInt32}, {model:String}, {primary:String}, {candidate:String},
        {dimension:String}, {value:String}, ${paired}, ${v.both_agree}, ${v.candidate_only_agree}, ${v.reproduced_only_agree}, ${v.neither_agree}
      FROM numbers({rows:UInt32})`,
    query_params: {
      from: Math.floor(s.from.getTime() / 1000), step: s.everyMinutes * 60, model: s.model, primary: s.primary ?? 'v9', candidate: s.candidate,
      dimension: s.dimension ?? '__all__', value: s.value ?? '__all__', rows: s.rows,
    },
  });
}

export const HOUR = 60;
export const DAY_MS = 86_400_000;
