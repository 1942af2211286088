// Saturation: the pure-pairs backlog consumed to the end by one or two processor instances (own
// chDB data dir each), written to ClickHouse and committed. Throughput end to end, CPU of the
// processors, the broker and the machine, peak RSS and its growth with the number of messages.
import { join } from 'node:path';
import type { Backlog } from '../lib/backlog.ts';
import type { BenchContext } from '../lib/context.ts';
import { benchConfig, startInstance, sumOver, type BenchInstance } from '../lib/instance.ts';
import { committedProgress, endOffsets, withAdmin } from '../lib/kafka.ts';
import { cpuSeconds, cpuSince, machineCpu, markCpu, memory, threadCpu } from '../lib/procfs.ts';
import { summarizeProfile, type ProfileSummary } from '../lib/profile.ts';
import { sum } from '../lib/prom.ts';
import { MB, slope, summarize, type Summary } from '../lib/stats.ts';

export interface TimelinePoint {
  t: number;
  committed: number;
  /** Records handed to the processors (shadow_records_total). */
  consumed: number;
  written: number;
  buffered: number;
  pending: number;
  paused: number;
  rss: number[];
  /** CPU seconds so far: each instance, the broker, the machine (busy). */
  cpu: number[];
  brokerCpu: number;
  machineBusy: number;
}

export interface SaturationRun {
  label: string;
  instances: number;
  pairs: number;
  e2eSeconds: number;
  e2ePairsPerSec: number;
  /** Rows written per second between 20% and 80% of the backlog (no start-up, no tail). */
  steadyPairsPerSec: number;
  /** Over the same 20%..80% interval: cores of the processors, the broker, the machine; CPU per pair. */
  steady: { processorCores: number; brokerCores: number; machineCores: number; cpuUsPerPair: number };
  /** Seconds from spawn to /readyz (joined the group), per instance. */
  readySeconds: number[];
  /** Cores used by other processes on the machine just before the run. */
  otherCoresBefore: number;
  /** From "everything written" to "everything committed". */
  commitTailSeconds: number;
  processorCores: number;
  processorCpuUsPerPair: number;
  brokerCores: number;
  machineBusyCores: number;
  otherCores: number;
  peakRssMb: number[];
  /** RSS growth over the second half of the backlog, MB per 100k pairs (0 = flat). */
  rssSlopeMbPer100k: number;
  maxJoinBuffered: number;
  maxSinkPending: number;
  eldP99Ms: number;
  eldMaxMs: number;
  gcMs: number;
  threads: Record<string, number>;
  compared: number;
  unmatched: number;
  correct: boolean;
  drainSeconds: number;
  timeline: TimelinePoint[];
  profile?: ProfileSummary;
  /** Set when commits stopped moving: where, and the state the processors were left in. */
  stall?: { afterSeconds: number; committedRecords: number; consumed: Record<string, number>; joinBuffered: number; paused: number; sinkPending: number };
}

export interface SaturationOptions {
  readonly instances: number;
  readonly label: string;
  readonly overrides?: Record<string, unknown>;
  readonly profile?: boolean;
  readonly nodeArgs?: readonly string[];
  /** No commit progress for this long ends the run as stalled (default 60 s). */
  readonly stallSeconds?: number;
  /** What the store must hold at the end; default: every pair of a pure-pairs backlog compared. */
  readonly expect?: { readonly compared: number; readonly unmatchedRequests: number };
}

export async function saturationRun(ctx: BenchContext, backlog: Backlog, o: SaturationOptions): Promise<SaturationRun> {
  const groupId = `bench-sat-${ctx.stamp}-${o.label.replace(/[^a-z0-9]+/gi, '-')}-${Math.random().toString(36).slice(2, 8)}`;
  const config = benchConfig({
    ...(o.overrides ?? {}),
    // A short heartbeat interval lets a member that joins while another is busy get its partitions
    // within about half a second (kafkajs notices a rebalance only when it heartbeats).
    kafka: { brokers: ctx.broker.brokers.split(','), groupId, topics: backlog.topics, heartbeatIntervalMs: 500, ...((o.overrides?.kafka as object) ?? {}) },
  });
  const pairs = backlog.counts.requests;
  const expect = o.expect ?? { compared: pairs, unmatchedRequests: 0 };
  // Outcome rows of a backlog without duplicates or rejects: one per compared pair or unmatched record.
  const expectRows = expect.compared + expect.unmatchedRequests + (backlog.records.primaries - expect.compared);
  const ends = await withAdmin(ctx.kafka, (admin) => endOffsets(admin, [backlog.topics.requests, backlog.topics.primaries]));
  const root = join(ctx.workDir, groupId);
  const profileDir = o.profile ? join(ctx.outDir, 'profiles') : undefined;
  const names = Array.from({ length: o.instances }, (_, i) => `${o.label.replace(/[^a-z0-9]+/gi, '-')}-${i}`);
  const otherCoresBefore = await ctx.quiet(o.label);
  const started = performance.now();
  const instances: BenchInstance[] = await Promise.all(names.map((name) => startInstance({ name, config, root, ...(profileDir ? { profileDir } : {}), ...(o.nodeArgs ? { nodeArgs: o.nodeArgs } : {}) })));
  const pids = instances.map((i) => i.pid);
  const all = [...pids, ...(ctx.broker.pid ? [ctx.broker.pid] : []), process.pid];
  // Consumption starts when the first instance has joined the group.
  const t0 = Math.min(...instances.map((i) => i.readyAt));
  const mark = markCpu(all);
  const threads0 = threadCpu(pids[0]!);
  for (const i of instances) i.markWindow();
  const timeline: TimelinePoint[] = [];
  let writtenAt = NaN;
  let doneAt = NaN;
  let lastProgress = performance.now();
  let lastCommitted = -1;
  let stall: SaturationRun['stall'];
  let adminFailingSince = NaN;
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    for (;;) {
      // The gauges (join buffer, pending rows) are refreshed by the processor once a second.
      const samples = await Promise.all(instances.map((i) => i.metrics().catch(() => [])));
      const m = {
        consumed: samples.reduce((a, s) => a + sum(s, 'shadow_records_total'), 0),
        written: samples.reduce((a, s) => a + sum(s, 'shadow_outcome_rows_written_total'), 0),
        buffered: samples.reduce((a, s) => a + sum(s, 'shadow_join_buffered_records'), 0),
        pending: samples.reduce((a, s) => a + sum(s, 'shadow_sink_pending_rows'), 0),
        paused: samples.reduce((a, s) => a + sum(s, 'shadow_consumer_paused'), 0),
      };
      if (Number.isNaN(writtenAt) && m.written >= expectRows) writtenAt = performance.now();
      // The broker can be briefly unable to answer for the group (coordinator lookups under load):
      // retry for a while before calling the run failed.
      let p: { committed: number; done: boolean };
      try {
        p = await committedProgress(admin, groupId, ends);
        adminFailingSince = NaN;
      } catch (err) {
        if (Number.isNaN(adminFailingSince)) adminFailingSince = performance.now();
        if (performance.now() - adminFailingSince > 30_000) throw err;
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      timeline.push({
        t: (performance.now() - t0) / 1000,
        committed: p.committed,
        ...m,
        rss: pids.map((pid) => memory(pid).rss),
        cpu: pids.map((pid) => cpuSeconds(pid)),
        brokerCpu: ctx.broker.pid ? cpuSeconds(ctx.broker.pid) : NaN,
        machineBusy: machineCpu().busy,
      });
      if (p.done) {
        doneAt = performance.now();
        break;
      }
      if (p.committed !== lastCommitted) {
        lastCommitted = p.committed;
        lastProgress = performance.now();
      }
      if (performance.now() - lastProgress > (o.stallSeconds ?? 60) * 1000) {
        const samples = await Promise.all(instances.map((i) => i.metrics().catch(() => [])));
        const consumed: Record<string, number> = {};
        for (const st of ['requests', 'primaries']) consumed[st] = samples.reduce((a, x) => a + sum(x, 'shadow_records_total', { stream: st }), 0);
        stall = { afterSeconds: (lastProgress - t0) / 1000, committedRecords: p.committed, consumed, joinBuffered: m.buffered, paused: m.paused, sinkPending: m.pending };
        ctx.log(`  ${o.label}: STALLED: no commit for ${o.stallSeconds ?? 60} s at ${p.committed.toLocaleString('en-US')} records committed; consumed ${JSON.stringify(consumed)}, join buffer ${m.buffered}, paused ${m.paused}, sink pending ${m.pending}`);
        break;
      }
      const exited = instances.find((i) => i.child.exitCode !== null);
      if (exited) throw new Error(`instance ${exited.name} exited with ${exited.child.exitCode}:\n${exited.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (err) {
    await Promise.all(instances.map((i) => i.stop(5000)));
    for (const i of instances) i.cleanup();
    throw err;
  } finally {
    await admin.disconnect();
  }
  const cpu = cpuSince(mark, all);
  const threads1 = threadCpu(pids[0]!);
  const peak = pids.map((pid) => memory(pid).peak / MB);
  for (const i of instances) i.markWindow();
  const wall = (doneAt - t0) / 1000;
  const compared = await sumOver(instances, `SELECT sum(compared) AS n FROM shadow.stats_1m WHERE dimension = '__all__'`);
  const unmatched = await sumOver(instances, `SELECT sum(unmatched_requests) AS n FROM shadow.stats_1m WHERE dimension = '__all__'`);
  await new Promise((r) => setTimeout(r, 300)); // let the probe write its window line
  const probes = instances.map((i) => i.probe());
  const s0 = performance.now();
  // A stalled processor may not drain: give it 20 s, then SIGKILL.
  const codes = await Promise.all(instances.map((i) => i.stop(stall ? 20_000 : 60_000)));
  const drainSeconds = (performance.now() - s0) / 1000;
  if (!stall && codes.some((c) => c !== 0)) ctx.notes.push(`saturation ${o.label}: an instance exited with ${codes.join(',')} on SIGTERM`);
  const processorSeconds = pids.reduce((a, pid) => a + (cpu.seconds.get(pid) ?? 0), 0);
  const brokerSeconds = ctx.broker.pid ? (cpu.seconds.get(ctx.broker.pid) ?? NaN) : NaN;
  const benchSeconds = cpu.seconds.get(process.pid) ?? 0;
  const windows = probes.map((lines) => lines.filter((l) => l.kind === 'window-end').pop());
  // RSS against records consumed, over the second half of consumption (not the drain after it).
  const records = backlog.records.requests + backlog.records.primaries;
  const half = timeline.filter((x) => x.consumed >= 0.5 * records && x.consumed < records);
  const rssPoints = half.map((x) => ({ x: (x.consumed / records) * pairs, y: Math.max(...x.rss) }));
  const steadyFrom = timeline.find((x) => x.written >= 0.2 * expectRows);
  const steadyTo = timeline.find((x) => x.written >= 0.8 * expectRows);
  const steady = (() => {
    // Needs a few distinct samples in between (inserts land in blocks of up to sink.maxRows rows).
    const between = new Set(timeline.filter((x) => steadyFrom && steadyTo && x.t >= steadyFrom.t && x.t <= steadyTo.t).map((x) => x.written)).size;
    if (!steadyFrom || !steadyTo || steadyTo.t <= steadyFrom.t || between < 4) return { processorCores: NaN, brokerCores: NaN, machineCores: NaN, cpuUsPerPair: NaN };
    const dt = steadyTo.t - steadyFrom.t;
    const proc = steadyTo.cpu.reduce((acc, c, i) => acc + c - steadyFrom.cpu[i]!, 0);
    return {
      processorCores: proc / dt,
      brokerCores: (steadyTo.brokerCpu - steadyFrom.brokerCpu) / dt,
      machineCores: (steadyTo.machineBusy - steadyFrom.machineBusy) / dt,
      cpuUsPerPair: (proc * 1e6) / (steadyTo.written - steadyFrom.written),
    };
  })();
  const threads: Record<string, number> = {};
  for (const [k, v] of threads1) threads[k] = Math.round((v - (threads0.get(k) ?? 0)) * 100) / 100;
  const run: SaturationRun = {
    label: o.label,
    instances: o.instances,
    pairs,
    e2eSeconds: wall,
    e2ePairsPerSec: pairs / wall,
    steady,
    otherCoresBefore,
    readySeconds: instances.map((i) => (i.readyAt - started) / 1000),
    steadyPairsPerSec: Number.isFinite(steady.cpuUsPerPair) ? (steadyTo!.written - steadyFrom!.written) / (steadyTo!.t - steadyFrom!.t) : NaN,
    commitTailSeconds: (doneAt - writtenAt) / 1000,
    processorCores: processorSeconds / cpu.wallSeconds,
    processorCpuUsPerPair: (processorSeconds * 1e6) / pairs,
    brokerCores: brokerSeconds / cpu.wallSeconds,
    machineBusyCores: cpu.machineBusyCores,
    otherCores: (cpu.machineBusySeconds - processorSeconds - (Number.isFinite(brokerSeconds) ? brokerSeconds : 0) - benchSeconds) / cpu.wallSeconds,
    peakRssMb: peak,
    rssSlopeMbPer100k: (slope(rssPoints) * 100_000) / MB,
    maxJoinBuffered: Math.max(...timeline.map((x) => x.buffered)),
    maxSinkPending: Math.max(...timeline.map((x) => x.pending)),
    eldP99Ms: Math.max(...windows.map((w) => w?.window.p99 ?? NaN)),
    eldMaxMs: Math.max(...windows.map((w) => w?.window.max ?? NaN)),
    gcMs: windows.reduce((a, w) => a + (w?.window.gcMs ?? 0), 0),
    threads,
    compared,
    unmatched,
    correct: !stall && compared === expect.compared && unmatched === expect.unmatchedRequests,
    drainSeconds,
    timeline: thin(timeline, 300),
    ...(stall ? { stall } : {}),
  };
  if (o.profile) {
    const f = instances[0]!.profileFile();
    if (f) run.profile = summarizeProfile(f);
    else ctx.notes.push(`saturation ${o.label}: no CPU profile was written`);
  }
  for (const i of instances) i.cleanup();
  ctx.log(
    `  ${o.label}: ${Math.round(run.e2ePairsPerSec).toLocaleString('en-US')} pairs/s e2e (steady ${Math.round(run.steadyPairsPerSec).toLocaleString('en-US')}), ` +
      `processor ${run.processorCores.toFixed(2)} cores, broker ${run.brokerCores.toFixed(2)}, machine ${run.machineBusyCores.toFixed(2)}, ` +
      `peak RSS ${peak.map((p) => Math.round(p)).join('/')} MB, ELD p99 ${run.eldP99Ms} ms, compared ${compared}/${expect.compared}${unmatched ? `, unmatched ${unmatched}/${expect.unmatchedRequests}` : ''}` +
      ` (ready after ${instances.map((i) => ((i.readyAt - started) / 1000).toFixed(1)).join('/')} s; steady ${run.steady.processorCores.toFixed(2)} cores, ${run.steady.cpuUsPerPair.toFixed(0)} µs/pair)`,
  );
  return run;
}

function thin<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs;
  const step = xs.length / n;
  return Array.from({ length: n }, (_, i) => xs[Math.floor(i * step)]!).concat([xs[xs.length - 1]!]);
}

export interface Saturation {
  one: SaturationRun[];
  two: SaturationRun[];
  profiled?: SaturationRun;
  onePairsPerSec: Summary;
  twoPairsPerSec: Summary;
}

export function summarizeRuns(runs: SaturationRun[]) {
  return {
    e2e: summarize(runs.map((r) => r.e2ePairsPerSec)),
    steady: summarize(runs.map((r) => r.steadyPairsPerSec)),
    steadyCores: summarize(runs.map((r) => r.steady.processorCores)),
    steadyCpuUsPerPair: summarize(runs.map((r) => r.steady.cpuUsPerPair)),
    processorCores: summarize(runs.map((r) => r.processorCores)),
    cpuUsPerPair: summarize(runs.map((r) => r.processorCpuUsPerPair)),
    brokerCores: summarize(runs.map((r) => r.brokerCores)),
    machineCores: summarize(runs.map((r) => r.machineBusyCores)),
    otherCores: summarize(runs.map((r) => r.otherCores)),
    peakRssMb: summarize(runs.map((r) => Math.max(...r.peakRssMb))),
    rssSlope: summarize(runs.map((r) => r.rssSlopeMbPer100k)),
    eldP99: summarize(runs.map((r) => r.eldP99Ms)),
    maxBuffered: summarize(runs.map((r) => r.maxJoinBuffered)),
    commitTail: summarize(runs.map((r) => r.commitTailSeconds)),
  };
}

