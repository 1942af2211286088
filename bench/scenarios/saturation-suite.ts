// The saturation scenario: runs of one and of two instances over the same backlog (a new consumer
// group each), one extra profiled run, and the ratios against the same-run ceilings.
import type { Backlog } from '../lib/backlog.ts';
import type { BenchContext } from '../lib/context.ts';
import { fmt, summarize, type Summary } from '../lib/stats.ts';
import type { Ceilings } from './ceilings.ts';
import { saturationRun, summarizeRuns, type SaturationRun } from './saturation.ts';

export interface Saturation {
  one: SaturationRun[];
  two: SaturationRun[];
  profiled?: SaturationRun;
  onePairsPerSec: Summary;
  twoPairsPerSec: Summary;
}

/**
 * Overrides that keep the join's backpressure from ever engaging on this backlog: used when the
 * default configuration stalls, so throughput can still be measured (and the stall reported).
 */
export function noBackpressure(backlog: Backlog): Record<string, unknown> {
  return { join: { maxBuffered: 2 * (backlog.records.requests + backlog.records.primaries), maxBufferedBytes: Number.MAX_SAFE_INTEGER } };
}

export async function measureSaturation(ctx: BenchContext, backlog: Backlog, ceilings: Ceilings | undefined, profile: boolean): Promise<Saturation> {
  const one: SaturationRun[] = [];
  const two: SaturationRun[] = [];
  // The default configuration first; if it stalls, the stall is the finding and the remaining runs
  // use a configuration without join backpressure so that throughput is still measured.
  const first = await saturationRun(ctx, backlog, { instances: 1, label: 'one-1' });
  let overrides: Record<string, unknown> = {};
  let variant = '';
  if (first.stall) {
    overrides = noBackpressure(backlog);
    variant = ` (join.maxBuffered ${(overrides.join as { maxBuffered: number }).maxBuffered.toLocaleString('en-US')})`;
    ctx.metrics.push({
      scenario: 'saturation',
      metric: '1 process, default config: pairs committed before the stall',
      unit: 'pairs',
      summary: summarize([first.stall.committedRecords / 2]),
      target: 'consumes the backlog',
      pass: false,
      note: `STALLED after ${first.stall.afterSeconds.toFixed(0)} s: consumed ${first.stall.consumed.requests?.toLocaleString('en-US')} requests / ${first.stall.consumed.primaries?.toLocaleString('en-US')} primaries, join buffer ${first.stall.joinBuffered.toLocaleString('en-US')} (join.maxBuffered 200,000), consumer paused`,
    });
    ctx.notes.push(
      `saturation: with the default configuration the processor stopped making progress after ${(first.stall.committedRecords / 2).toLocaleString('en-US')} pairs ` +
        `(join buffer at join.maxBuffered, consumer paused, nothing committed for 60 s); the figures below use join.maxBuffered = ${(overrides.join as { maxBuffered: number }).maxBuffered.toLocaleString('en-US')} so that backpressure never engages.`,
    );
  } else {
    one.push(first);
  }
  // Interleaved, so slow drift of the machine (other load, broker caches) hits both alike.
  for (let r = 0; r < ctx.profile.processRuns; r++) {
    if (one.length <= r) one.push(await saturationRun(ctx, backlog, { instances: 1, label: `one-${r + 1}${variant ? '-nobp' : ''}`, overrides }));
    two.push(await saturationRun(ctx, backlog, { instances: 2, label: `two-${r + 1}${variant ? '-nobp' : ''}`, overrides }));
  }
  let profiled: SaturationRun | undefined;
  if (profile) profiled = await saturationRun(ctx, backlog, { instances: 1, label: 'one-profiled', profile: true, overrides });
  const s1 = summarizeRuns(one);
  const s2 = summarizeRuns(two);
  const m = ctx.metrics;
  const ceiling = ceilings?.cpuCeilingPairsPerSec;
  const ratio1 = ceiling ? s1.e2e.median / ceiling : NaN;
  const scale = s2.e2e.median / s1.e2e.median;
  m.push({
    scenario: 'saturation',
    metric: `1 process, ${backlog.counts.requests.toLocaleString('en-US')} pairs e2e (written + committed)${variant}`,
    unit: 'pairs/s',
    summary: s1.e2e,
    target: '≥ 0.7 × CPU ceiling',
    pass: ceiling ? ratio1 >= 0.7 : null,
    note:
      (ceiling ? `${ratio1.toFixed(2)} × ceiling (${fmt(ceiling)})` : '') +
      (typeof ctx.details.ceilingWithSink === 'number' ? `, ${(s1.e2e.median / ctx.details.ceilingWithSink).toFixed(2)} × the ceiling with the sink (${fmt(ctx.details.ceilingWithSink)})` : '') +
      `; steady ${fmt(s1.steady.median)}/s`,
  });
  // On a short backlog the second instance's start and the rebalance it causes dominate the run.
  const long = backlog.counts.requests >= 200_000;
  m.push({
    scenario: 'saturation',
    metric: `2 processes e2e${variant}`,
    unit: 'pairs/s',
    summary: s2.e2e,
    target: '≥ 1.6 × one',
    pass: long ? scale >= 1.6 : null,
    note: `${scale.toFixed(2)} × one process${long ? '' : '; backlog too short to judge (start-up and the rebalance when the second instance joins dominate)'}`,
  });
  m.push({
    scenario: 'saturation',
    metric: '1 process: processor CPU per pair (steady 20–80%)',
    unit: 'µs',
    digits: 1,
    summary: s1.steadyCpuUsPerPair,
    note:
      (ceilings ? `ceiling parts sum to ${ceilings.usPerPair.total.toFixed(1)} µs (efficiency ${(ceilings.usPerPair.total / s1.steadyCpuUsPerPair.median).toFixed(2)}); ` : '') +
      `whole run incl. start-up and tail ${s1.cpuUsPerPair.median.toFixed(1)} µs; 2 processes ${s2.steadyCpuUsPerPair.median.toFixed(1)} µs`,
  });
  m.push({
    scenario: 'saturation',
    metric: '1 process: cores used, whole run (processor | broker | machine)',
    unit: 'cores',
    digits: 2,
    summary: s1.processorCores,
    note: `broker ${s1.brokerCores.median.toFixed(2)}, whole machine ${s1.machineCores.median.toFixed(2)} of 2, other processes ${Math.max(0, s1.otherCores.median).toFixed(2)}`,
  });
  m.push({
    scenario: 'saturation',
    metric: '2 processes: cores used, whole run (processors | broker | machine)',
    unit: 'cores',
    digits: 2,
    summary: s2.processorCores,
    note: `broker ${s2.brokerCores.median.toFixed(2)}, whole machine ${s2.machineCores.median.toFixed(2)} of 2, other processes ${Math.max(0, s2.otherCores.median).toFixed(2)}`,
  });
  m.push({ scenario: 'saturation', metric: '1 process: peak RSS', unit: 'MB', summary: s1.peakRssMb, note: `2 processes: ${fmt(s2.peakRssMb.median)} MB each (max)` });
  m.push({
    scenario: 'saturation',
    metric: '1 process: RSS growth over the 2nd half of the backlog',
    unit: 'MB/100k pairs',
    digits: 1,
    summary: s1.rssSlope,
    target: 'flat',
    // A short backlog ends while caches and heap still grow: judge flatness on the full run only.
    pass: backlog.counts.requests >= 200_000 ? Math.abs(s1.rssSlope.median) < 5 : null,
    note: `max join buffer ${fmt(s1.maxBuffered.median)} records${backlog.counts.requests < 200_000 ? '; backlog too short to judge' : ''}`,
  });
  m.push({ scenario: 'saturation', metric: '1 process: event-loop delay p99 at saturation', unit: 'ms', digits: 0, summary: s1.eldP99 });
  const wrong = [...one, ...two, ...(profiled ? [profiled] : [])].filter((r) => !r.correct && !r.stall);
  const stalled = [...one, ...two, ...(profiled ? [profiled] : [])].filter((r) => r.stall);
  if (stalled.length) ctx.notes.push(`saturation: ${stalled.map((r) => r.label).join(', ')} stalled even without join backpressure`);
  if (wrong.length) ctx.notes.push(`saturation: compared count differs from the backlog in ${wrong.map((r) => `${r.label} (${r.compared})`).join(', ')}`);
  const sat: Saturation = { one, two, ...(profiled ? { profiled } : {}), onePairsPerSec: s1.e2e, twoPairsPerSec: s2.e2e };
  ctx.details.saturation = { ...sat, ...(first.stall ? { stalledDefault: first } : {}), variant, summary: { one: s1, two: s2, ratioToCeiling: ratio1, twoOverOne: scale } };
  return sat;
}

