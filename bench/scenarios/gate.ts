// Gate query time over 14 days of stats_1m with 100 segment values (own embedded store, own process).
import { runWorker } from '../lib/child.ts';
import type { BenchContext } from '../lib/context.ts';
import { summarize } from '../lib/stats.ts';

interface GateResult { rows: number; parts: number; seedSeconds: number; gateSql: boolean; gateError: string; timings: Record<string, number[]> }

export async function measureGate(ctx: BenchContext): Promise<GateResult> {
  const { days, segmentValues, runs } = ctx.profile.gate;
  const { result } = await runWorker<GateResult>('gate', { days, segmentValues, runs });
  ctx.log(`  seeded ${result.rows.toLocaleString('en-US')} stats_1m rows (${result.parts} parts) in ${result.seedSeconds.toFixed(1)} s`);
  if (!result.gateSql) ctx.notes.push(`gate: the gate's SQL could not be loaded (${result.gateError}); only the equivalent aggregate was timed`);
  for (const [name, ms] of Object.entries(result.timings)) {
    // The first run is cold (no marks/uncompressed cache); the median is over all runs.
    const s = summarize(ms);
    ctx.log(`  ${name}: median ${s.median.toFixed(0)} ms (first ${ms[0]!.toFixed(0)} ms)`);
    const headline = name.startsWith('fetchGateInput') || (!result.gateSql && name.startsWith('equivalent'));
    ctx.metrics.push({
      scenario: 'gate',
      metric: `${name}, ${days} days × ${segmentValues} segment values`,
      unit: 'ms',
      summary: s,
      ...(headline ? { target: '< 1000 ms', pass: s.max < 1000 } : {}),
      note: `${result.rows.toLocaleString('en-US')} rows, ${result.parts} parts; first (cold) run ${ms[0]!.toFixed(0)} ms`,
    });
  }
  ctx.details.gate = result;
  return result;
}
