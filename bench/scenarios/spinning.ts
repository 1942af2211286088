// onnxruntime spinning on vs off (candidate.allowSpinning), with 1 and 2 intra-op threads: CPU cores
// burnt while serving a light steady load (one batch every 2 ms) and while idle afterwards.
import { join } from 'node:path';
import { runWorker } from '../lib/child.ts';
import type { BenchContext } from '../lib/context.ts';
import { REPO } from '../lib/instance.ts';
import { summarize, type Summary } from '../lib/stats.ts';

export interface SpinPoint { intraOpThreads: number; allowSpinning: boolean; pacedCores: Summary; idleCores: Summary }

export async function measureSpinning(ctx: BenchContext): Promise<SpinPoint[]> {
  const out: SpinPoint[] = [];
  for (const intraOpThreads of [1, 2]) {
    for (const allowSpinning of [false, true]) {
      const runs: { pacedCores: number; idleCores: number }[] = [];
      for (let r = 0; r < ctx.profile.spinning.runs; r++) {
        const { result } = await runWorker<{ pacedCores: number; idleCores: number }>('onnx-paced', {
          model: join(REPO, 'fixtures/models/bench/gbdt100.onnx'),
          batchSize: 64,
          width: 30,
          intervalMs: 2,
          seconds: ctx.profile.spinning.seconds,
          idleSeconds: ctx.profile.spinning.idleSeconds,
          intraOpThreads,
          allowSpinning,
          outputs: ['probabilities', 'label'],
        });
        runs.push(result);
      }
      const p: SpinPoint = { intraOpThreads, allowSpinning, pacedCores: summarize(runs.map((r) => r.pacedCores)), idleCores: summarize(runs.map((r) => r.idleCores)) };
      out.push(p);
      ctx.log(`  intraOpThreads=${intraOpThreads} spinning=${allowSpinning ? 'on ' : 'off'}: ${p.pacedCores.median.toFixed(2)} cores at a batch every 2 ms, ${p.idleCores.median.toFixed(2)} idle`);
    }
  }
  for (const p of out) {
    ctx.metrics.push({
      scenario: 'spinning',
      metric: `gbdt100, intraOpThreads=${p.intraOpThreads}, allowSpinning=${p.allowSpinning}`,
      unit: 'cores',
      digits: 2,
      summary: p.pacedCores,
      note: `light load (64 rows every 2 ms); idle afterwards ${p.idleCores.median.toFixed(2)} cores`,
    });
  }
  ctx.details.spinning = out;
  return out;
}
