// Skew: primary outputs arriving up to the join window late (uniformly, 95% of the window at most)
// and 1% never: a backlog spanning many windows, consumed to the end. The join buffer and RSS must
// stay bounded (by about rate x window records), however long the backlog.
import { join } from 'node:path';
import { ensureBacklog } from '../lib/backlog.ts';
import type { BenchContext } from '../lib/context.ts';
import { REPO } from '../lib/instance.ts';
import { fmt, summarize } from '../lib/stats.ts';
import { saturationRun, type SaturationRun } from './saturation.ts';

export async function measureSkew(ctx: BenchContext, brokerCpu: () => number): Promise<SaturationRun[]> {
  const { requests, windowMs, ratePerSec, runs: n } = ctx.profile.skew;
  const backlog = await ensureBacklog(
    ctx.kafka,
    {
      name: 'skew',
      requests,
      partitions: ctx.profile.partitions,
      seed: 2,
      chunk: 20_000,
      shape: { ratePerSec, maxSkewMs: Math.floor(windowMs * 0.95), missingPrimaryRate: 0.01, inlinePrimaryRate: 0, duplicateRate: 0, invalidRate: 0, reorderRate: 0, primaryErrorRate: 0.01 },
    },
    join(REPO, 'bench', 'results', 'cache', 'backlogs.json'),
    ctx.log,
    brokerCpu,
  );
  const windows = requests / ratePerSec / (windowMs / 1000);
  // Requests wait up to the window for their primary (uniform lateness: about half of it on average),
  // plus whatever one stream is read ahead of the other.
  const bound = ratePerSec * (windowMs / 1000);
  const runs: SaturationRun[] = [];
  const joinCfg = { windowMs, idleMs: Math.min(5000, windowMs), maxBuffered: 200_000, maxBufferedBytes: 128 * 1024 * 1024 };
  let stalled: SaturationRun | undefined;
  for (let r = 0; r < n; r++) {
    const run = await saturationRun(ctx, backlog, {
      instances: 1,
      label: `skew-${r + 1}${stalled ? '-nobp' : ''}`,
      overrides: { join: { ...joinCfg } },
      expect: { compared: backlog.counts.separate_primaries, unmatchedRequests: backlog.counts.missing_primaries },
    });
    if (run.stall && !stalled) {
      // The default backpressure stalled (see the saturation notes): measure how far the buffer grows without it.
      stalled = run;
      joinCfg.maxBuffered = 2 * (backlog.records.requests + backlog.records.primaries);
      joinCfg.maxBufferedBytes = Number.MAX_SAFE_INTEGER;
      ctx.notes.push(`skew: the default join.maxBuffered (200,000) stalled the processor after ${(run.stall.committedRecords / 2).toLocaleString('en-US')} pairs; the other runs use ${joinCfg.maxBuffered.toLocaleString('en-US')}`);
      r--;
      continue;
    }
    runs.push(run);
  }
  if (stalled) {
    ctx.metrics.push({
      scenario: 'skew',
      metric: 'default config: pairs committed before the stall',
      unit: 'pairs',
      summary: summarize([stalled.stall!.committedRecords / 2]),
      target: 'consumes the backlog',
      pass: false,
      note: `join buffer ${stalled.stall!.joinBuffered.toLocaleString('en-US')}, consumed ${JSON.stringify(stalled.stall!.consumed)}`,
    });
  }
  const maxBuf = summarize(runs.map((r) => r.maxJoinBuffered));
  const slope = summarize(runs.map((r) => r.rssSlopeMbPer100k));
  ctx.metrics.push({
    scenario: 'skew',
    metric: `max join buffer, primaries ≤ ${windowMs / 1000} s late, 1% missing, ${fmt(windows, 0)} windows of backlog${stalled ? ' (join.maxBuffered raised)' : ''}`,
    unit: 'records',
    summary: maxBuf,
    target: 'bounded',
    pass: maxBuf.median <= 200_000 && !stalled,
    note: `rate × window = ${fmt(bound)}; backpressure limit join.maxBuffered = 200,000`,
  });
  ctx.metrics.push({
    scenario: 'skew',
    metric: 'RSS growth over the 2nd half of the backlog',
    unit: 'MB/100k pairs',
    digits: 1,
    summary: slope,
    target: 'flat',
    pass: requests >= 200_000 ? Math.abs(slope.median) < 5 : null,
    note: `peak RSS ${fmt(summarize(runs.map((r) => Math.max(...r.peakRssMb))).median)} MB; ${fmt(summarize(runs.map((r) => r.e2ePairsPerSec)).median)} pairs/s`,
  });
  const wrong = runs.filter((r) => !r.correct);
  if (wrong.length) ctx.notes.push(`skew: figures differ from the generated truth in ${wrong.map((r) => `${r.label} (compared ${r.compared}/${backlog.counts.separate_primaries}, unmatched ${r.unmatched}/${backlog.counts.missing_primaries})`).join(', ')}`);
  ctx.details.skew = { ...(stalled ? { stalledDefault: stalled } : {}), backlog: { topics: backlog.topics, counts: backlog.counts, produced: backlog.produced }, windowMs, ratePerSec, windows, bound, runs };
  return runs;
}
