// What-if measurements behind the proposed optimisations (docs/benchmarks.md): each compares what
// the processor does today with a candidate change, measured in the same run. Nothing in src/ changes.
import type { Backlog } from '../lib/backlog.ts';
import { runWorker } from '../lib/child.ts';
import type { BenchContext } from '../lib/context.ts';
import { summarize } from '../lib/stats.ts';
import { saturationRun } from './saturation.ts';
import { noBackpressure, type Saturation } from './saturation-suite.ts';

interface ValidateResult { usPerPair: { parseOnly: number; parseZod: number; parseFast: number } }
interface SinkResult { rows: number; variants: Record<string, { usPerRow: number; bytesPerRow: number; threads: Record<string, number> }> }
interface PipelineResult { cpuUsPerPair: number; pairsPerSec: number; threads: Record<string, number> }

export async function measureWhatIf(ctx: BenchContext, pairs: Backlog | undefined, saturation: Saturation | undefined): Promise<void> {
  const m = ctx.metrics;
  await ctx.quiet('the what-if measurements');
  const v: ValidateResult[] = [];
  for (let r = 0; r < 3; r++) v.push((await runWorker<ValidateResult>('whatif', { part: 'validate', pairs: 5000, seconds: ctx.profile.decodeSeconds })).result);
  const zod = summarize(v.map((x) => x.usPerPair.parseZod));
  const fast = summarize(v.map((x) => x.usPerPair.parseFast));
  ctx.log(`  JSON.parse + zod ${zod.median.toFixed(2)} µs/pair, JSON.parse + hand-written check ${fast.median.toFixed(2)} µs/pair`);
  m.push({ scenario: 'what-if', metric: 'decode: JSON.parse + zod safeParse (today), request + primary', unit: 'µs/pair', digits: 2, summary: zod });
  m.push({ scenario: 'what-if', metric: 'decode: JSON.parse + hand-written validation of the same rules, in place', unit: 'µs/pair', digits: 2, summary: fast, note: `saves ${(zod.median - fast.median).toFixed(1)} µs/pair on the JS thread (JSON.parse alone ${summarize(v.map((x) => x.usPerPair.parseOnly)).median.toFixed(1)})` });

  const s: SinkResult[] = [];
  for (let r = 0; r < 2; r++) s.push((await runWorker<SinkResult>('whatif', { part: 'sink', pairs: ctx.profile.name === 'quick' ? 30_000 : 100_000, seconds: 1 })).result);
  for (const name of Object.keys(s[0]!.variants)) {
    const us = summarize(s.map((x) => x.variants[name]!.usPerRow));
    const x = s[0]!.variants[name]!;
    ctx.log(`  sink ${name}: ${us.median.toFixed(1)} µs CPU/row, ${x.bytesPerRow.toFixed(0)} B/row`);
    m.push({ scenario: 'what-if', metric: `sink: ${name}`, unit: 'µs CPU/row', digits: 1, summary: us, note: `${x.bytesPerRow.toFixed(0)} B/row; ${Object.entries(x.threads).map(([k, t]) => `${k} ${t}`).join(', ')}` });
  }

  const semis = [0, 64];
  const gc: Record<number, PipelineResult[]> = { 0: [], 64: [] };
  for (let r = 0; r < 3; r++) {
    for (const semi of semis) {
      const { result } = await runWorker<PipelineResult>('pipeline', { pairs: ctx.profile.pipeline.pairs, mode: 'full' }, { nodeArgs: semi ? [`--max-semi-space-size=${semi}`] : [] });
      gc[semi]!.push(result);
    }
  }
  for (const semi of semis) {
    const us = summarize(gc[semi]!.map((x) => x.cpuUsPerPair));
    ctx.log(`  pipeline without Kafka, ${semi ? `--max-semi-space-size=${semi}` : 'default young generation'}: ${us.median.toFixed(1)} µs CPU/pair`);
    m.push({ scenario: 'what-if', metric: `pipeline without Kafka, ${semi ? `node --max-semi-space-size=${semi}` : 'node defaults (today)'}`, unit: 'µs CPU/pair', digits: 1, summary: us, note: `${Math.round(summarize(gc[semi]!.map((x) => x.pairsPerSec)).median).toLocaleString('en-US')} pairs/s` });
  }
  const detail: Record<string, unknown> = { validate: v, sink: s, gc };
  if (pairs && saturation && ctx.profile.name === 'full') {
    // The same backlog end to end with the larger young generation (and the configuration the saturation runs used).
    const overrides = saturation.one[0]?.label.endsWith('-nobp') ? noBackpressure(pairs) : {};
    const run = await saturationRun(ctx, pairs, { instances: 1, label: 'one-semispace64', overrides, nodeArgs: ['--max-semi-space-size=64'] });
    m.push({
      scenario: 'what-if',
      metric: '1 process e2e with node --max-semi-space-size=64',
      unit: 'pairs/s',
      summary: summarize([run.e2ePairsPerSec]),
      note: `vs ${Math.round(saturation.onePairsPerSec.median).toLocaleString('en-US')} median today; steady ${run.steady.cpuUsPerPair.toFixed(1)} µs CPU/pair, ELD p99 ${run.eldP99Ms} ms, peak RSS ${Math.round(run.peakRssMb[0]!)} MB`,
    });
    detail.semispaceRun = run;
  }
  ctx.details.whatif = detail;
}
