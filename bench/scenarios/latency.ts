// Latency at a steady rate (default 50% of the measured one-process saturation): time from a primary
// output being produced to its comparison being visible in shadow.stats_1m, p50/p99, and the
// processor's event-loop delay p99. Variants: onnxruntime spinning on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runWorker } from '../lib/child.ts';
import type { BenchContext } from '../lib/context.ts';
import { benchConfig, startInstance } from '../lib/instance.ts';
import { createTopics, withAdmin } from '../lib/kafka.ts';
import { cpuSince, markCpu, memory } from '../lib/procfs.ts';
import { MB, quantile, summarize } from '../lib/stats.ts';
import type { Saturation } from './saturation-suite.ts';

const POLL_MS = 100;

export interface LatencyRun {
  label: string;
  ratePerSec: number;
  achievedRate: number;
  pairs: number;
  /** First poll (every 100 ms) at which stats_1m counts the pair, minus its produce time; FIFO by produce order. */
  visibleMs: { p50: number; p99: number; max: number };
  /** outcome_blocks.ingested_at of the ledger row (insert start) minus produce time, exact per pair, 5% sample: a lower bound. */
  ingestedMs: { p50: number; p99: number; n: number };
  eldP99Ms: number;
  eldMaxMs: number;
  gcMaxMs: number;
  processorCores: number;
  brokerCores: number;
  producerCores: number;
  machineCores: number;
  /** Other processes during the window (machine minus processor, broker, producer, bench). */
  otherCores: number;
  rssMb: number;
  lostPairs: number;
}

interface Variant {
  label: string;
  overrides: Record<string, unknown>;
}

export async function measureLatency(ctx: BenchContext, saturation: Saturation | undefined, fixedRate?: number): Promise<LatencyRun[]> {
  const sat = saturation?.onePairsPerSec.median;
  // Without a saturation figure from this run, the given rate or one the 2-core machine sustains.
  const rate = Math.round(fixedRate ?? (sat ? sat * 0.5 : 2000));
  if (!sat && !fixedRate) ctx.notes.push('latency: no saturation figure in this run; used 2,000 pairs/s instead of 50% of saturation');
  const variants: Variant[] = [{ label: 'default', overrides: {} }, { label: 'allowSpinning=true', overrides: { candidate: { allowSpinning: true } } }];
  if (ctx.profile.name === 'full') {
    variants.push({ label: 'intraOpThreads=2, allowSpinning=true', overrides: { candidate: { intraOpThreads: 2, allowSpinning: true } } });
    // What-if for latency and event-loop delay: smaller, more frequent inserts.
    variants.push({ label: 'sink.flushIntervalMs=250, sink.maxRows=10000', overrides: { sink: { flushIntervalMs: 250, maxRows: 10_000 } } });
  }
  const runs: LatencyRun[] = [];
  for (const v of variants) {
    const n = v.label === 'default' ? ctx.profile.latency.runs : 1;
    for (let r = 0; r < n; r++) runs.push(await latencyRun(ctx, rate, `${v.label} #${r + 1}`, v.overrides));
  }
  const def = runs.filter((r) => r.label.startsWith('default'));
  const p99 = summarize(def.map((r) => r.visibleMs.p99));
  const eld = summarize(def.map((r) => r.eldP99Ms));
  ctx.metrics.push({
    scenario: 'latency',
    metric: `primary produced → visible in stats_1m, p50 at ${rate.toLocaleString('en-US')} pairs/s`,
    unit: 'ms',
    summary: summarize(def.map((r) => r.visibleMs.p50)),
    note: sat ? '50% of the 1-process saturation' : 'fixed rate',
  });
  ctx.metrics.push({ scenario: 'latency', metric: 'primary produced → visible in stats_1m, p99', unit: 'ms', summary: p99, target: '< 2000 ms', pass: p99.median < 2000, note: `insert start (exact, sampled) p99 ${Math.round(quantile(def.map((r) => r.ingestedMs.p99).sort((a, b) => a - b), 0.5))} ms` });
  ctx.metrics.push({ scenario: 'latency', metric: 'event-loop delay p99 at that rate', unit: 'ms', summary: eld, target: '< 50 ms', pass: eld.median < 50, note: `max ${Math.round(Math.max(...def.map((r) => r.eldMaxMs)))} ms` });
  ctx.metrics.push({ scenario: 'latency', metric: 'processor cores at that rate (spinning off)', unit: 'cores', digits: 2, summary: summarize(def.map((r) => r.processorCores)), note: `broker ${summarize(def.map((r) => r.brokerCores)).median.toFixed(2)}, producer ${summarize(def.map((r) => r.producerCores)).median.toFixed(2)}` });
  for (const r of runs.filter((x) => !x.label.startsWith('default'))) {
    const sink = r.label.startsWith('sink.');
    ctx.metrics.push({
      scenario: sink ? 'what-if' : 'spinning',
      metric: sink ? `latency at ${rate.toLocaleString('en-US')} pairs/s with ${r.label.replace(/ #\d+$/, '')}: visible p99` : `processor cores at ${rate.toLocaleString('en-US')} pairs/s, ${r.label.replace(/ #\d+$/, '')}`,
      unit: sink ? 'ms' : 'cores',
      digits: sink ? 0 : 2,
      summary: summarize([sink ? r.visibleMs.p99 : r.processorCores]),
      note: sink
        ? `p50 ${Math.round(r.visibleMs.p50)} ms, ELD p99 ${r.eldP99Ms} ms, processor ${r.processorCores.toFixed(2)} cores`
        : `p99 visible ${Math.round(r.visibleMs.p99)} ms, ELD p99 ${r.eldP99Ms} ms`,
    });
  }
  ctx.details.latency = { rate, runs };
  return runs;
}

async function latencyRun(ctx: BenchContext, rate: number, label: string, overrides: Record<string, unknown>): Promise<LatencyRun> {
  const { warmupSeconds, windowSeconds } = ctx.profile.latency;
  const id = `${ctx.stamp}-${label.replace(/[^a-z0-9]+/gi, '-')}-${Math.random().toString(36).slice(2, 6)}`.toLowerCase();
  const topics = { requests: `bench.lat.${id}.requests`, primaries: `bench.lat.${id}.primaries` };
  await createTopics(ctx.kafka, [topics.requests, topics.primaries], ctx.profile.partitions);
  const config = benchConfig({ ...overrides, kafka: { brokers: ctx.broker.brokers.split(','), groupId: `bench-lat-${id}`, topics } });
  await ctx.quiet(label);
  const inst = await startInstance({ name: `lat-${id}`, config, root: ctx.workDir });
  const polls: { t: number; n: number }[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const s = performance.now();
      try {
        const [r] = await inst.query<{ n: number | string }>(`SELECT sum(compared) AS n FROM shadow.stats_1m WHERE dimension = '__all__'`);
        polls.push({ t: Date.now(), n: Number(r?.n ?? 0) });
      } catch {
        // a failed poll only lowers the resolution
      }
      await new Promise((r) => setTimeout(r, Math.max(0, POLL_MS - (performance.now() - s))));
    }
  })();
  const logFile = join(ctx.workDir, `lat-${id}.json`);
  let producerPid = 0;
  let mark: ReturnType<typeof markCpu> | undefined;
  let windowStart = 0;
  const pids = () => [inst.pid, producerPid, process.pid, ...(ctx.broker.pid ? [ctx.broker.pid] : [])];
  let cpu: ReturnType<typeof cpuSince> | undefined;
  let windowEnd = 0;
  let rss = NaN;
  const warm = setTimeout(() => {
    // End of warm-up: the measurement window starts (CPU marks, event-loop window).
    windowStart = Date.now();
    mark = markCpu(pids());
    inst.markWindow();
  }, warmupSeconds * 1000);
  const stop = setTimeout(() => {
    // End of the window, while the producer still runs (its /proc entry goes when it exits).
    windowEnd = Date.now();
    if (mark) cpu = cpuSince(mark, pids());
    inst.markWindow();
    rss = memory(inst.pid).rss / MB;
  }, (warmupSeconds + windowSeconds) * 1000 - 200);
  const prod = await runWorker<{ sent: number; achievedRate: number; cpuCores: number }>(
    'steady-producer',
    { brokers: ctx.broker.brokers, topics, ratePerSec: rate, seconds: warmupSeconds + windowSeconds, prefix: `${id}-`, logFile },
    { onSpawn: (pid) => (producerPid = pid) },
  );
  clearTimeout(warm);
  clearTimeout(stop);
  if (!windowEnd) throw new Error(`latency ${label}: the producer stopped before the end of the window`);
  // Wait until everything produced is visible (or give up after 30 s: the rest counts as lost).
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && (polls[polls.length - 1]?.n ?? 0) < prod.result.sent) await new Promise((r) => setTimeout(r, 100));
  polling = false;
  await poller;
  const batches = JSON.parse(readFileSync(logFile, 'utf8')) as [number, number, number][];
  const producedAt = new Float64Array(prod.result.sent);
  for (const [from, to, t] of batches) for (let s = from; s <= to; s++) producedAt[s] = t;
  // FIFO: the k-th pair produced (k from 1) is visible at the first poll counting >= k pairs.
  const lat: number[] = [];
  let pi = 0;
  for (let k = 0; k < prod.result.sent; k++) {
    while (pi < polls.length && polls[pi]!.n < k + 1) pi++;
    if (pi >= polls.length) break;
    if (producedAt[k]! >= windowStart && producedAt[k]! <= windowEnd) lat.push(polls[pi]!.t - producedAt[k]!);
  }
  lat.sort((x, y) => x - y);
  const sample = await inst.query<{ id: string; t: number | string }>(
    // Every compared pair is in its block's ledger row (outcomes keeps only the rows read row by row).
    `SELECT e_id AS id, toUnixTimestamp64Milli(ingested_at) AS t FROM shadow.outcome_blocks ARRAY JOIN l_request_id AS e_id, l_kind AS e_kind
     WHERE row_type = 'ledger' AND e_kind = 'compared' AND cityHash64(e_id) % 20 = 0`,
  );
  const ing = sample
    .map((r) => {
      const s = Number(r.id.slice(r.id.lastIndexOf('-') + 1));
      return { p: producedAt[s]!, t: Number(r.t) };
    })
    .filter((x) => x.p >= windowStart && x.p <= windowEnd)
    .map((x) => x.t - x.p)
    .sort((x, y) => x - y);
  const visible = polls[polls.length - 1]?.n ?? 0;
  await new Promise((r) => setTimeout(r, 200));
  const probe = inst.probe().filter((l) => l.kind === 'window-end');
  const w = probe[1] ?? probe[probe.length - 1];
  await inst.stop();
  inst.cleanup();
  await withAdmin(ctx.kafka, (admin) => admin.deleteTopics({ topics: [topics.requests, topics.primaries] })).catch(() => {});
  const s = (pid: number) => (cpu ? (cpu.seconds.get(pid) ?? NaN) / cpu.wallSeconds : NaN);
  const run: LatencyRun = {
    label,
    ratePerSec: rate,
    achievedRate: prod.result.achievedRate,
    pairs: prod.result.sent,
    visibleMs: { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), max: lat[lat.length - 1] ?? NaN },
    ingestedMs: { p50: quantile(ing, 0.5), p99: quantile(ing, 0.99), n: ing.length },
    eldP99Ms: w?.window.p99 ?? NaN,
    eldMaxMs: w?.window.max ?? NaN,
    gcMaxMs: w?.window.gcMaxMs ?? NaN,
    processorCores: s(inst.pid),
    brokerCores: ctx.broker.pid ? s(ctx.broker.pid) : NaN,
    producerCores: s(producerPid),
    machineCores: cpu?.machineBusyCores ?? NaN,
    otherCores: cpu ? (cpu.machineBusySeconds - [...cpu.seconds.values()].filter(Number.isFinite).reduce((x, y) => x + y, 0)) / cpu.wallSeconds : NaN,
    rssMb: rss,
    lostPairs: prod.result.sent - visible,
  };
  ctx.log(
    `  ${label}: ${Math.round(run.achievedRate)} pairs/s, visible p50 ${Math.round(run.visibleMs.p50)} / p99 ${Math.round(run.visibleMs.p99)} ms ` +
      `(insert start p99 ${Math.round(run.ingestedMs.p99)}), ELD p99 ${run.eldP99Ms} ms, processor ${run.processorCores.toFixed(2)} cores, producer ${run.producerCores.toFixed(2)}, broker ${run.brokerCores.toFixed(2)}, other processes ${run.otherCores.toFixed(2)}`,
  );
  if (run.lostPairs > 0) ctx.notes.push(`latency ${label}: ${run.lostPairs} pairs not visible 30 s after the producer stopped`);
  return run;
}
