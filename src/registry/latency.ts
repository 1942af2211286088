import { hostname } from 'node:os';
import ort from 'onnxruntime-node';
import { ShadowError } from '../errors.ts';
import { processCpuMs, timedRun } from '../score/index.ts';
import { sessionOptions } from '../score/session.ts';

// The artifact's single-request latency on this machine: batch 1, p50/p99 over a fixed number of
// session.run calls, with the processor's own session settings (1 intra-op thread, no spinning). This is
// the latency a request would see if a server ran the model one request at a time; `gate` prints it
// beside the primary's. Stored in the registry record by `register` and refreshed by `ready`.

export interface SingleRequestLatency {
  readonly batch: 1;
  readonly runs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly measuredAt: string;
  readonly host: string;
}

/** Runs timed after a warm-up; 200 gives the p99 two samples above it (nearest rank). */
export const DEFAULT_LATENCY_RUNS = 200;
const WARMUP_RUNS = 20;

export async function measureSingleRequestLatency(path: string, opts: { runs?: number; now?: () => Date } = {}): Promise<SingleRequestLatency> {
  const runs = opts.runs ?? DEFAULT_LATENCY_RUNS;
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs must be an integer >= 1, got ${runs}`);
  const session = await ort.InferenceSession.create(path, sessionOptions({ intraOpThreads: 1, allowSpinning: false }));
  try {
    const feeds = { [session.inputNames[0] as string]: zeroRow(session) };
    for (let i = 0; i < WARMUP_RUNS; i++) await session.run(feeds);
    const clock = () => performance.now();
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await timedRun(() => session.run(feeds), clock, processCpuMs);
      // As the processor measures compute latency (src/score/cpu-clock.ts): min(wall, CPU) of the run.
      samples.push(Math.min(r.t1 - r.t0, r.cpuMs ?? Infinity));
    }
    samples.sort((a, b) => a - b);
    return {
      batch: 1,
      runs,
      p50Ms: nearestRank(samples, 0.5),
      p99Ms: nearestRank(samples, 0.99),
      measuredAt: (opts.now?.() ?? new Date()).toISOString(),
      host: hostname(),
    };
  } finally {
    await session.release();
  }
}

/** Nearest-rank quantile of sorted samples: the smallest value with at least q of the samples at or below it. */
export function nearestRank(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('no samples');
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1] as number;
}

// Zeros are a valid row for the numeric models this tool scores (trees, linear, MLP); the content does
// not change a tree's or a dense model's cost materially.
function zeroRow(session: ort.InferenceSession): ort.Tensor {
  if (session.inputNames.length !== 1) throw new ShadowError('SHADOW_REGISTRY', `cannot time a model with ${session.inputNames.length} inputs (one input expected)`);
  const meta = session.inputMetadata[0];
  if (!meta?.isTensor) throw new ShadowError('SHADOW_REGISTRY', 'cannot time a model whose input is not a tensor');
  const width = meta.shape[meta.shape.length - 1];
  if (meta.shape.length !== 2 || typeof width !== 'number') throw new ShadowError('SHADOW_REGISTRY', `cannot time a model with input shape [${meta.shape.join(', ')}] (expected [batch, features])`);
  switch (meta.type) {
    case 'float32': return new ort.Tensor('float32', new Float32Array(width), [1, width]);
    case 'float64': return new ort.Tensor('float64', new Float64Array(width), [1, width]);
    case 'int64': return new ort.Tensor('int64', new BigInt64Array(width), [1, width]);
    case 'int32': return new ort.Tensor('int32', new Int32Array(width), [1, width]);
    default: throw new ShadowError('SHADOW_REGISTRY', `cannot time a model with input type ${meta.type}`);
  }
}
