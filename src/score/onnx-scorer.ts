// Candidate scorer: validates rows on arrival, micro-batches the valid ones into one session.run per batch,
// and maps every row (valid or not) to exactly one ScoreResult.
import { Tensor } from 'onnxruntime-node';
import { MicroBatcher } from './batcher.ts';
import { rowReader, type OutputTensor } from './outputs.ts';
import { packRows, readRow } from './pack.ts';
import { openSession, signatureOf } from './session.ts';
import { checkSignature } from './signature.ts';
import { processCpuMs } from './cpu-clock.ts';
import { RetimePolicy, type RetimeOptions } from './retime.ts';
import { timedRun } from './timed-run.ts';
import type { FeatureValue, ScoreResult, Scorer, ScorerOptions } from './types.ts';
import { errorMessage } from '../errors.ts';

interface QueuedRow {
  values: number[];
  /** When score() received the row; latency is measured from here. */
  at: number;
}

/** One session.run, for metrics: observed once per batch, never per row. */
export interface BatchTiming {
  readonly rows: number;
  /** session.run time of the batch (the compute latency of each of its rows). */
  readonly computeMs: number;
  /** Queue time of the batch's oldest row: score() call to the start of session.run. */
  readonly maxQueueMs: number;
  /** The batch was run again (up to RetimeOptions.maxRuns in all) because its timing looked like interference (src/score/retime.ts). */
  readonly retimed: boolean;
}

export interface ScorerDeps {
  /** Wall clock (ms). Injecting one also turns the CPU clock off unless `cpuNow` is given. */
  now?: () => number;
  /**
   * CPU clock (ms). Compute latency is min(wall, CPU) over the run, so other processes taking the core
   * mid-run cannot make the model look slow (src/score/cpu-clock.ts says why). Default: the process's
   * CPU time; null: wall time only.
   */
  cpuNow?: (() => number) | null;
  /** When a batch is timed again (src/score/retime.ts). */
  retime?: RetimeOptions;
  onBatch?: (t: BatchTiming) => void;
}

export async function createScorer(opts: ScorerOptions, deps: ScorerDeps = {}): Promise<Scorer> {
  MicroBatcher.checkOptions(opts); // before loading, so a bad setting cannot leak a session
  const now = deps.now ?? (() => performance.now());
  // With several intra-op threads the process CPU time exceeds the wall time and min() picks the wall.
  const cpuNow = deps.cpuNow === undefined ? (deps.now === undefined ? processCpuMs : undefined) : (deps.cpuNow ?? undefined);
  const allowNaN = opts.allowNaN ?? false;
  const width = opts.features.length;
  // Loaded once for the scorer's life: onnxruntime leaks native memory across create/release cycles.
  const session = await openSession(opts.modelPath, {
    intraOpThreads: opts.intraOpThreads ?? 1,
    allowSpinning: opts.allowSpinning ?? false,
  });
  const signature = signatureOf(session);
  let io: ReturnType<typeof checkSignature>;
  try {
    io = checkSignature(signature, opts);
  } catch (err) {
    await session.release();
    throw err;
  }
  const { inputName, elementType } = io;
  // Fetch only the configured outputs: skips extra work such as a ZipMap the stage never reads.
  const fetches = [...new Set(Object.values(opts.outputs).filter((n): n is string => n !== undefined))];

  const retime = new RetimePolicy(deps.retime);
  // The tighter of two upper bounds on what a run cost (see ScorerDeps.cpuNow).
  const costOf = (r: { t0: number; t1: number; cpuMs: number | null }): number => (r.cpuMs === null ? r.t1 - r.t0 : Math.min(r.cpuMs, r.t1 - r.t0));

  const runBatch = async (rows: QueuedRow[]): Promise<ScoreResult[]> => {
    let t0: number | undefined;
    let t1: number | undefined;
    try {
      const tensor = new Tensor(elementType, packRows(rows.map((r) => r.values), width, elementType), [rows.length, width]);
      const feeds = { [inputName]: tensor };
      const run = await timedRun(() => session.run(feeds, fetches), now, cpuNow);
      ({ t0, t1 } = run);
      let batchMs = costOf(run);
      let retimed = false;
      for (let runs = 1; runs < retime.maxRuns && retime.suspicious(rows.length, batchMs); runs++) {
        retimed = true;
        batchMs = Math.min(batchMs, costOf(await timedRun(() => session.run(feeds, fetches), now, cpuNow)));
      }
      retime.record(rows.length, batchMs);
      const read = rowReader(run.out as unknown as Record<string, OutputTensor>, opts.outputs, rows.length);
      const done = now();
      deps.onBatch?.({ rows: rows.length, computeMs: batchMs, maxQueueMs: t0 - rows[0]!.at, retimed });
      return rows.map((r, i): ScoreResult => ({
        ok: true,
        ...(read.scores && { scores: read.scores(i) }),
        ...(read.label && { label: read.label(i) }),
        ...(read.value && { value: read.value(i) }),
        latencyMs: done - r.at,
        computeMs: batchMs / rows.length,
        computeLatencyMs: batchMs,
        queueMs: t0! - r.at,
      }));
    } catch (err) {
      // One bad row must not fail the rows batched with it: score them one by one to find it. Costs
      // extra runs only when a batch failed; the batcher keeps serving later batches either way.
      if (rows.length > 1) return (await Promise.all(rows.map((r) => runBatch([r])))).flat();
      const done = now();
      const batchMs = t0 === undefined ? 0 : (t1 ?? done) - t0;
      return failRows(rows, err, done, batchMs, t0);
    }
  };

  const batcher = new MicroBatcher<QueuedRow, ScoreResult>({
    maxBatchSize: Math.min(opts.maxBatchSize, io.maxRowsPerRun ?? Infinity),
    maxWaitMs: opts.maxWaitMs,
    run: runBatch,
    fail: (err, rows) => failRows(rows, err, now(), 0, undefined),
  });

  let closing: Promise<void> | undefined;

  return {
    signature,
    async score(rows: Record<string, FeatureValue>[]): Promise<ScoreResult[]> {
      if (closing) throw new Error('scorer is closed');
      const at = now();
      const results = new Array<ScoreResult>(rows.length);
      const queued: QueuedRow[] = [];
      const slots: number[] = [];
      rows.forEach((row, i) => {
        const c = readRow(row, opts.features, elementType, allowNaN);
        if (c.ok) {
          queued.push({ values: c.values, at });
          slots.push(i);
        } else {
          results[i] = { ok: false, code: c.code, reason: c.reason, latencyMs: now() - at, computeMs: 0, computeLatencyMs: 0, queueMs: 0 };
        }
      });
      const scored = await batcher.submit(queued);
      scored.forEach((r, k) => (results[slots[k]!] = r));
      return results;
    },
    close(): Promise<void> {
      closing ??= batcher.close().then(() => session.release());
      return closing;
    },
  };
}

function failRows(rows: QueuedRow[], err: unknown, done: number, batchMs: number, started: number | undefined): ScoreResult[] {
  // onnxruntime messages span lines; one line keeps the reason column and log lines greppable.
  const reason = errorMessage(err).replace(/\s+/g, ' ').trim();
  return rows.map((r) => ({
    ok: false, code: 'RUNTIME_ERROR', reason, latencyMs: done - r.at,
    computeMs: batchMs / rows.length, computeLatencyMs: batchMs, queueMs: started === undefined ? done - r.at : started - r.at,
  }));
}
