// The processor without Kafka, on sample pairs held in memory, in three modes, to split where the
// processor's CPU goes:
//   core   decode -> score -> join -> outcome rows (src/pipeline Processor + BatchWriter), rows dropped
//   sink   the rows `core` made, inserted into a fresh embedded ClickHouse in sink.maxRows blocks
//          (JSONCompactEachRow encoding in JS + chDB parse, write, materialized views on its own threads)
//   full   both, through the real sink, as `shadow-compare run` wires them
// CPU is the whole process (all threads); per-thread shares separate the JS thread from chDB/libuv.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPipeline } from '../../src/pipeline/build.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { openStore } from '../../src/sinks/clickhouse/client.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';
import { createOutcomeSink, type RowSink } from '../../src/sinks/clickhouse/outcome-sink.ts';
import type { OutcomeRow } from '../../src/outcomes/index.ts';
import { partitionedTraffic } from '../lib/pipeline-rows.ts';
import { workerArgs, workerResult } from '../lib/child.ts';
import { benchConfig } from '../lib/instance.ts';
import { threadCpu } from '../lib/procfs.ts';

interface Args {
  pairs: number;
  mode: 'core' | 'sink' | 'full';
}

const a = workerArgs<Args>();
const dir = mkdtempSync(join(tmpdir(), 'shadow-bench-pipeline-'));
const config = benchConfig({ clickhouse: { dataDir: join(dir, 'data') } });
const store = await openStore(config.clickhouse);
await migrate(store);
const logger = createLogger({ level: 'warn' });

// Records as kafkajs hands them over: Buffers, one partition per 1/8 of the ids (as the backlog).
const perPartition = partitionedTraffic('pipeline', a.pairs);
const PARTITIONS = perPartition.length;

const captured: OutcomeRow[][] = [];
const capture: RowSink = {
  async insert(rows) {
    captured.push([...rows]);
  },
  resend: () => Promise.reject(new Error('the capture sink takes new blocks only')),
};

async function runPipeline(sink: 'capture' | 'real'): Promise<void> {
  const pipeline = await buildPipeline(config, store, logger, { now: () => 0, ...(sink === 'capture' ? { wrapSink: () => capture } : {}) });
  for (let p = 0; p < PARTITIONS; p++) pipeline.processor.assign(p);
  // Interleave partitions in chunks of 500 records, as KafkaSource hands them over.
  const cursors = new Array<number>(PARTITIONS).fill(0);
  for (let more = true; more; ) {
    more = false;
    for (let p = 0; p < PARTITIONS; p++) {
      const recs = perPartition[p]!;
      if (cursors[p]! >= recs.length) continue;
      more = true;
      const chunk = recs.slice(cursors[p], cursors[p]! + 500);
      cursors[p]! += chunk.length;
      // The request and primary streams of a partition arrive as separate batches in Kafka.
      await pipeline.processor.handle(p, chunk.filter((r) => r.ref.stream === 'requests'));
      await pipeline.processor.handle(p, chunk.filter((r) => r.ref.stream === 'primaries'));
      if (pipeline.writer.pendingRows >= config.sink.maxPendingRows) await pipeline.writer.flush();
    }
  }
  pipeline.processor.drain();
  await pipeline.writer.flush();
  await pipeline.close();
}

// Warm-up (JIT, ORT session, chDB first insert) on a capture run, not timed.
if (a.mode !== 'sink') {
  await runPipeline('capture');
  captured.length = 0;
}
let rowsOut = 0;
const threads0 = threadCpu(process.pid);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
if (a.mode === 'core') {
  await runPipeline('capture');
  rowsOut = captured.reduce((n, b) => n + b.length, 0);
} else if (a.mode === 'full') {
  await runPipeline('real');
  rowsOut = a.pairs;
}
let wall = (performance.now() - t0) / 1000;
let cpu = process.cpuUsage(cpu0);
let threads1 = threadCpu(process.pid);
if (a.mode === 'sink') {
  await runPipeline('capture');
  const blocks = captured.splice(0);
  const real = createOutcomeSink(store);
  const s0 = threadCpu(process.pid);
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  let k = 0;
  for (const rows of blocks) {
    await real.insert(rows, `bench-${k++}`);
    rowsOut += rows.length;
  }
  wall = (performance.now() - w0) / 1000;
  cpu = process.cpuUsage(c0);
  threads1 = threadCpu(process.pid);
  for (const [k2, v] of s0) threads0.set(k2, v);
}
const threads: Record<string, number> = {};
for (const [k, v] of threads1) {
  const d = v - (threads0.get(k) ?? 0);
  if (d > 0.01) threads[k] = Math.round(d * 100) / 100;
}
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
await store.close();
rmSync(dir, { recursive: true, force: true });
workerResult({
  mode: a.mode,
  pairs: a.pairs,
  rows: rowsOut,
  wallSeconds: wall,
  pairsPerSec: a.pairs / wall,
  cpuSeconds,
  cpuUsPerPair: (cpuSeconds * 1e6) / a.pairs,
  cores: cpuSeconds / wall,
  threads,
});
