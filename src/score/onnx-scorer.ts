// Candidate scorer: validates rows on arrival, micro-batches the valid ones into one session.run per batch,
// and maps every row (valid or not) to exactly one ScoreResult.
import { Tensor } from 'onnxruntime-node';
import { MicroBatcher } from './batcher.ts';
import { rowReader, type OutputTensor } from './outputs.ts';
import { packRows, readRow } from './pack.ts';
import { openSession, signatureOf } from './session.ts';
import { checkSignature } from './signature.ts';
import type { FeatureValue, ScoreResult, Scorer, ScorerOptions } from './types.ts';
import { errorMessage } from '../errors.ts';

interface QueuedRow {
  values: number[];
  /** When score() received the row; latency is measured from here. */
  at: number;
}

export async function createScorer(opts: ScorerOptions, deps: { now?: () => number } = {}): Promise<Scorer> {
  MicroBatcher.checkOptions(opts); // before loading, so a bad setting cannot leak a session
  const now = deps.now ?? (() => performance.now());
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

  const runBatch = async (rows: QueuedRow[]): Promise<ScoreResult[]> => {
    let t0: number | undefined;
    let t1: number | undefined;
    try {
      const tensor = new Tensor(elementType, packRows(rows.map((r) => r.values), width, elementType), [rows.length, width]);
      t0 = now();
      // onnxruntime-node exposes no synchronous run: this wall time includes its setImmediate hop, so
      // on a busy event loop it over-states compute slightly; it never under-states it.
      const out = await session.run({ [inputName]: tensor }, fetches);
      t1 = now();
      const computeMs = (t1 - t0) / rows.length;
      const read = rowReader(out as unknown as Record<string, OutputTensor>, opts.outputs, rows.length);
      const done = now();
      return rows.map((r, i): ScoreResult => ({
        ok: true,
        ...(read.scores && { scores: read.scores(i) }),
        ...(read.label && { label: read.label(i) }),
        ...(read.value && { value: read.value(i) }),
        latencyMs: done - r.at,
        computeMs,
      }));
    } catch (err) {
      // One bad row must not fail the rows batched with it: score them one by one to find it. Costs
      // extra runs only when a batch failed; the batcher keeps serving later batches either way.
      if (rows.length > 1) return (await Promise.all(rows.map((r) => runBatch([r])))).flat();
      const done = now();
      const computeMs = t0 === undefined ? 0 : ((t1 ?? done) - t0) / rows.length;
      return failRows(rows, err, done, computeMs);
    }
  };

  const batcher = new MicroBatcher<QueuedRow, ScoreResult>({
    maxBatchSize: Math.min(opts.maxBatchSize, io.maxRowsPerRun ?? Infinity),
    maxWaitMs: opts.maxWaitMs,
    run: runBatch,
    fail: (err, rows) => failRows(rows, err, now(), 0),
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
          results[i] = { ok: false, code: c.code, reason: c.reason, latencyMs: now() - at, computeMs: 0 };
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

function failRows(rows: QueuedRow[], err: unknown, done: number, computeMs: number): ScoreResult[] {
  // onnxruntime messages span lines; one line keeps the reason column and log lines greppable.
  const reason = errorMessage(err).replace(/\s+/g, ' ').trim();
  return rows.map((r) => ({ ok: false, code: 'RUNTIME_ERROR', reason, latencyMs: done - r.at, computeMs }));
}
