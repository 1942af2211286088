// Batch-size sweep: raw onnxruntime rows/s per batch size for the bench models (100-tree GBDT, MLP)
// and the demo candidate, and the default that follows from it.
import { join } from 'node:path';
import { runWorker } from '../lib/child.ts';
import type { BenchContext } from '../lib/context.ts';
import { REPO, benchConfig } from '../lib/instance.ts';
import { summarize, type Summary } from '../lib/stats.ts';

interface Point { batchSize: number; rowsPerSec: number; usPerRow: number; callMs: { p50: number; p99: number; max: number } }

export interface SweepModel {
  model: string;
  points: { batchSize: number; rowsPerSec: Summary; callP99Ms: Summary }[];
  best: number;
}

export interface Sweep {
  models: SweepModel[];
  chosen: number;
  reason: string;
}

export const SWEEP_MODELS = [
  { label: 'gbdt100 (100-tree GBDT)', path: 'fixtures/models/bench/gbdt100.onnx' },
  { label: 'mlp (32x32 MLP)', path: 'fixtures/models/bench/mlp.onnx' },
  { label: 'diagnosis v10 (candidate, 30-tree RF)', path: 'fixtures/models/diagnosis/v10.onnx' },
];

// A batch is good enough when onnxruntime's extra CPU per row, against the model's best batch size,
// is at most this: 0.5 µs is about 0.5% of the ~100 µs of CPU the processor spends per pair (see the
// saturation figures), so the remaining per-call overhead no longer matters end to end...
const EXTRA_US_PER_ROW = 0.5;
// ...and one session.run at it stays short: it runs on the event loop, so long calls stall everything.
const MAX_CALL_P99_MS = 5;

export async function measureSweep(ctx: BenchContext): Promise<Sweep> {
  const cfg = benchConfig({});
  const models: SweepModel[] = [];
  await ctx.quiet('the batch-size sweep');
  for (const m of SWEEP_MODELS) {
    const runs: Point[][] = [];
    for (let r = 0; r < ctx.profile.sweepRuns; r++) {
      const { result } = await runWorker<{ points: Point[] }>('onnx', {
        model: join(REPO, m.path),
        batchSizes: ctx.profile.sweepBatchSizes,
        seconds: ctx.profile.onnxSeconds,
        intraOpThreads: 1,
        allowSpinning: false,
        features: cfg.candidate.features,
        outputs: ['probabilities', 'label'],
      });
      runs.push(result.points);
    }
    const points = ctx.profile.sweepBatchSizes.map((b, i) => ({
      batchSize: b,
      rowsPerSec: summarize(runs.map((r) => r[i]!.rowsPerSec)),
      callP99Ms: summarize(runs.map((r) => r[i]!.callMs.p99)),
    }));
    const best = points.reduce((a, p) => (p.rowsPerSec.median > a.rowsPerSec.median ? p : a)).batchSize;
    models.push({ model: m.label, points, best });
    ctx.log(`  ${m.label}: ${points.map((p) => `${p.batchSize}:${Math.round(p.rowsPerSec.median / 1000)}k`).join(' ')} rows/s (best ${best})`);
  }
  // The smallest batch size within the per-row budget of every model's best, with short calls.
  const extra = (m: SweepModel, b: number) => {
    const best = Math.max(...m.points.map((x) => x.rowsPerSec.median));
    return 1e6 / m.points.find((x) => x.batchSize === b)!.rowsPerSec.median - 1e6 / best;
  };
  const ok = (b: number) => models.every((m) => extra(m, b) <= EXTRA_US_PER_ROW && m.points.find((x) => x.batchSize === b)!.callP99Ms.median <= MAX_CALL_P99_MS);
  const candidates = ctx.profile.sweepBatchSizes.filter(ok);
  const current = cfg.candidate.batch.maxSize;
  let chosen: number;
  let reason: string;
  const extras = (b: number) => models.map((m) => `${m.model.split(' ')[0]} ${extra(m, b).toFixed(2)}`).join(', ');
  if (candidates.includes(current)) {
    // A default changes only for a measurable gain: keep the configured size when it passes.
    chosen = current;
    reason =
      `the configured ${current} keeps every model's onnxruntime CPU per row within ${EXTRA_US_PER_ROW} µs of its best batch size ` +
      `(extra µs/row: ${extras(current)}) with session.run p99 <= ${MAX_CALL_P99_MS} ms; the smallest size that does is ${candidates[0]}`;
  } else if (candidates.length > 0) {
    chosen = candidates[0]!;
    reason =
      `smallest batch size at which every model's onnxruntime CPU per row is within ${EXTRA_US_PER_ROW} µs of its best batch size ` +
      `(extra µs/row at ${chosen}: ${extras(chosen)}) and session.run p99 <= ${MAX_CALL_P99_MS} ms`;
  } else {
    const worst = (b: number) => Math.max(...models.map((m) => extra(m, b)));
    chosen = [...ctx.profile.sweepBatchSizes].sort((a, b) => worst(a) - worst(b))[0]!;
    reason = `no size is within ${EXTRA_US_PER_ROW} µs/row of every model's best; ${chosen} has the smallest worst-case extra (${worst(chosen).toFixed(2)} µs/row)`;
  }
  for (const m of models) {
    const at = (b: number) => m.points.find((p) => p.batchSize === b)?.rowsPerSec;
    ctx.metrics.push({
      scenario: 'batch sweep',
      metric: `${m.model} at batch ${chosen}`,
      unit: 'rows/s',
      summary: at(chosen)!,
      note: `best ${m.best} (${Math.round(m.points.find((p) => p.batchSize === m.best)!.rowsPerSec.median).toLocaleString('en-US')} rows/s); batch 1: ${Math.round(at(1)?.median ?? NaN).toLocaleString('en-US')}`,
    });
  }
  ctx.metrics.push({ scenario: 'batch sweep', metric: 'chosen default candidate.batch.maxSize', unit: '', summary: summarize([chosen]), note: `${reason}; configured now: ${current}` });
  const sweep = { models, chosen, reason };
  ctx.details.sweep = sweep;
  return sweep;
}
