// Same-run ceilings, per pair: kafkajs fetch+decode (no-op handler), JSON.parse + zod + feature
// packing, and raw onnxruntime for the candidate at the configured batch size. Their CPU costs add
// up on one core (the processor is one JS thread), which gives the CPU ceiling of one process.
import type { Backlog } from '../lib/backlog.ts';
import { runWorker } from '../lib/child.ts';
import type { BenchContext } from '../lib/context.ts';
import { benchConfig } from '../lib/instance.ts';
import { cpuSeconds } from '../lib/procfs.ts';
import { summarize, type Summary } from '../lib/stats.ts';

export interface Ceilings {
  kafka: { pairsPerSec: Summary; cpuUsPerPair: Summary; brokerCores: Summary };
  decode: { pairsPerSec: Summary; usPerPair: Summary; parts: Record<string, Summary> };
  onnx: { batchSize: number; rowsPerSec: Summary; usPerRow: Summary };
  /** The processor without Kafka (in-process records): core stages, sink alone, both. */
  pipeline: Record<'core' | 'sink' | 'full', { pairsPerSec: Summary; cpuUsPerPair: Summary; threads: Record<string, number> }>;
  /** 1e6 / (kafka CPU µs + decode µs + onnx µs) per pair, from the medians. */
  cpuCeilingPairsPerSec: number;
  usPerPair: { kafka: number; decode: number; onnx: number; total: number };
}

interface NoopResult { pairsPerSec: number; cpuUsPerPair: number; wallSeconds: number; records: number }
interface DecodeResult { usPerPair: number; pairsPerSec: number; parts: Record<string, number>; meanBytes: { request: number; primary: number } }
interface PipelineResult { mode: 'core' | 'sink' | 'full'; pairs: number; pairsPerSec: number; cpuUsPerPair: number; threads: Record<string, number> }
interface OnnxResult { points: { batchSize: number; rowsPerSec: number; usPerRow: number; cpuUsPerRow: number }[] }

export async function measureCeilings(ctx: BenchContext, backlog: Backlog): Promise<Ceilings> {
  const { profile, log } = ctx;
  const cfg = benchConfig({});
  await ctx.quiet('the ceilings');
  const noop: NoopResult[] = [];
  const brokerCores: number[] = [];
  for (let r = 0; r < profile.runs; r++) {
    const b0 = ctx.broker.pid ? cpuSeconds(ctx.broker.pid) : NaN;
    const t0 = performance.now();
    const { result } = await runWorker<NoopResult>('kafka-noop', {
      brokers: ctx.broker.brokers,
      topics: backlog.topics,
      groupId: `bench-noop-${ctx.stamp}-${r}`,
      partitionsConsumedConcurrently: cfg.kafka.partitionsConsumedConcurrently,
      maxBytesPerPartition: cfg.kafka.maxBytesPerPartition,
      limitPairs: profile.noopPairs,
    });
    // Broker CPU over the worker's whole life (connect + join + fetch), per wall second of it.
    brokerCores.push(ctx.broker.pid ? (cpuSeconds(ctx.broker.pid) - b0) / ((performance.now() - t0) / 1000) : NaN);
    noop.push(result);
    log(`  kafkajs no-op run ${r + 1}: ${Math.round(result.pairsPerSec).toLocaleString('en-US')} pairs/s, ${result.cpuUsPerPair.toFixed(1)} µs CPU/pair`);
  }
  const dec: DecodeResult[] = [];
  for (let r = 0; r < profile.runs; r++) {
    const { result } = await runWorker<DecodeResult>('decode', { pairs: 5000, seconds: profile.decodeSeconds, batchSize: cfg.candidate.batch.maxSize });
    dec.push(result);
    log(`  decode+pack run ${r + 1}: ${result.usPerPair.toFixed(2)} µs/pair (alone: JSON.parse ${result.parts.jsonParse!.toFixed(2)}, zod ${result.parts.zodValidate!.toFixed(2)}, pack ${result.parts.featurePacking!.toFixed(2)})`);
  }
  const batchSize = cfg.candidate.batch.maxSize;
  const onnx: OnnxResult[] = [];
  for (let r = 0; r < profile.runs; r++) {
    const { result } = await runWorker<OnnxResult>('onnx', {
      model: cfg.candidate.path,
      batchSizes: [batchSize],
      seconds: Math.max(1, profile.onnxSeconds),
      intraOpThreads: cfg.candidate.intraOpThreads,
      allowSpinning: cfg.candidate.allowSpinning,
      features: cfg.candidate.features,
      outputs: Object.values(cfg.candidate.outputs).filter(Boolean),
    });
    onnx.push(result);
    log(`  onnxruntime ${cfg.candidate.version} @${batchSize} run ${r + 1}: ${Math.round(result.points[0]!.rowsPerSec).toLocaleString('en-US')} rows/s`);
  }
  const pipe: PipelineResult[] = [];
  for (let r = 0; r < profile.pipeline.runs; r++) {
    for (const mode of ['core', 'sink', 'full'] as const) {
      const { result } = await runWorker<PipelineResult>('pipeline', { pairs: profile.pipeline.pairs, mode });
      pipe.push(result);
    }
  }
  const pipeline = Object.fromEntries(
    (['core', 'sink', 'full'] as const).map((mode) => {
      const rs = pipe.filter((x) => x.mode === mode);
      const threads: Record<string, number> = {};
      for (const x of rs) for (const [k, v] of Object.entries(x.threads)) threads[k] = (threads[k] ?? 0) + (v * 1e6) / x.pairs / rs.length;
      return [mode, { pairsPerSec: summarize(rs.map((x) => x.pairsPerSec)), cpuUsPerPair: summarize(rs.map((x) => x.cpuUsPerPair)), threads }];
    }),
  ) as Ceilings['pipeline'];
  for (const mode of ['core', 'sink', 'full'] as const) {
    const x = pipeline[mode];
    log(`  pipeline without Kafka, ${mode}: ${Math.round(x.pairsPerSec.median).toLocaleString('en-US')} pairs/s, ${x.cpuUsPerPair.median.toFixed(1)} µs CPU/pair (${Object.entries(x.threads).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')})`);
  }
  const parts: Record<string, Summary> = {};
  for (const k of Object.keys(dec[0]!.parts)) parts[k] = summarize(dec.map((d) => d.parts[k]!));
  const c: Ceilings = {
    kafka: { pairsPerSec: summarize(noop.map((n) => n.pairsPerSec)), cpuUsPerPair: summarize(noop.map((n) => n.cpuUsPerPair)), brokerCores: summarize(brokerCores) },
    decode: { pairsPerSec: summarize(dec.map((d) => d.pairsPerSec)), usPerPair: summarize(dec.map((d) => d.usPerPair)), parts },
    onnx: { batchSize, rowsPerSec: summarize(onnx.map((o) => o.points[0]!.rowsPerSec)), usPerRow: summarize(onnx.map((o) => o.points[0]!.cpuUsPerRow)) },
    pipeline,
    cpuCeilingPairsPerSec: NaN,
    usPerPair: { kafka: NaN, decode: NaN, onnx: NaN, total: NaN },
  };
  const us = { kafka: c.kafka.cpuUsPerPair.median, decode: c.decode.usPerPair.median, onnx: c.onnx.usPerRow.median };
  c.usPerPair = { ...us, total: us.kafka + us.decode + us.onnx };
  c.cpuCeilingPairsPerSec = 1e6 / c.usPerPair.total;
  const m = ctx.metrics;
  m.push({ scenario: 'ceiling', metric: 'kafkajs fetch+decode, no-op eachBatch', unit: 'pairs/s', summary: c.kafka.pairsPerSec, note: `${c.kafka.cpuUsPerPair.median.toFixed(1)} µs CPU/pair; broker ${c.kafka.brokerCores.median.toFixed(2)} cores meanwhile` });
  m.push({
    scenario: 'ceiling',
    metric: 'decode (src/decode: JSON.parse + validation) + feature packing',
    unit: 'pairs/s',
    summary: c.decode.pairsPerSec,
    note: `${c.decode.usPerPair.median.toFixed(1)} µs/pair; alone: JSON.parse ${parts.jsonParse!.median.toFixed(1)}, packing ${parts.featurePacking!.median.toFixed(1)}, zod safeParse ${parts.zodValidate!.median.toFixed(1)} (decode's fallback for messages its fast path refuses)`,
  });
  m.push({ scenario: 'ceiling', metric: `onnxruntime ${cfg.candidate.version} at batch ${batchSize}`, unit: 'rows/s', summary: c.onnx.rowsPerSec, note: `${c.onnx.usPerRow.median.toFixed(2)} µs CPU/row` });
  m.push({
    scenario: 'ceiling',
    metric: 'CPU ceiling of one process (sum of the three)',
    unit: 'pairs/s',
    summary: summarize([c.cpuCeilingPairsPerSec]),
    note: `${c.usPerPair.total.toFixed(1)} µs/pair = ${us.kafka.toFixed(1)} kafka + ${us.decode.toFixed(1)} decode + ${us.onnx.toFixed(2)} onnx`,
  });
  const threadsNote = (t: Record<string, number>) => Object.entries(t).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
  m.push({ scenario: 'pipeline, no Kafka', metric: 'decode → score → join → outcome rows (rows dropped)', unit: 'pairs/s', summary: pipeline.core.pairsPerSec, note: `${pipeline.core.cpuUsPerPair.median.toFixed(1)} µs CPU/pair: ${threadsNote(pipeline.core.threads)}` });
  m.push({ scenario: 'pipeline, no Kafka', metric: 'sink alone: those rows into chDB (50k-row inserts, 3 MVs)', unit: 'pairs/s', summary: pipeline.sink.pairsPerSec, note: `${pipeline.sink.cpuUsPerPair.median.toFixed(1)} µs CPU/pair: ${threadsNote(pipeline.sink.threads)}` });
  // The issue's ceiling leaves out the sink; with it (as the processor must write), per pair:
  const withSink = 1e6 / (c.usPerPair.total + pipeline.sink.cpuUsPerPair.median);
  m.push({
    scenario: 'ceiling',
    metric: 'CPU ceiling including the sink alone (ceiling parts + chDB insert)',
    unit: 'pairs/s',
    summary: summarize([withSink]),
    note: `${(c.usPerPair.total + pipeline.sink.cpuUsPerPair.median).toFixed(1)} µs/pair, all threads`,
  });
  ctx.details.ceilingWithSink = withSink;
  m.push({ scenario: 'pipeline, no Kafka', metric: 'both (replay-like, real sink)', unit: 'pairs/s', summary: pipeline.full.pairsPerSec, note: `${pipeline.full.cpuUsPerPair.median.toFixed(1)} µs CPU/pair: ${threadsNote(pipeline.full.threads)}` });
  ctx.details.ceilings = { ...c, runs: { noop, decode: dec, onnx, pipeline: pipe } };
  return c;
}
