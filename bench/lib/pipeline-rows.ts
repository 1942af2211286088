// The processor's input and output for the benchmarks that run it without Kafka: generated traffic
// split over partitions as the backlog producer keys it, and the outcome rows the pipeline makes of it.
import type { Config } from '../../src/config/index.ts';
import { createLogger } from '../../src/ops/logger.ts';
import type { OutcomeRow } from '../../src/outcomes/index.ts';
import { buildPipeline } from '../../src/pipeline/build.ts';
import type { Store } from '../../src/sinks/clickhouse/client.ts';
import type { RowSink } from '../../src/sinks/clickhouse/outcome-sink.ts';
import type { RawRecord } from '../../src/types.ts';
import { PURE_PAIRS, sampleTraffic } from './backlog.ts';

export const BENCH_PARTITIONS = 8;

/**
 * `pairs` generated request/primary pairs as kafkajs hands them over: Buffers, per partition by a
 * hash of the key, offsets counted per topic and partition.
 */
export function partitionedTraffic(name: string, pairs: number, partitions = BENCH_PARTITIONS): RawRecord[][] {
  const envelopes = sampleTraffic({ name, requests: pairs, seed: 5, shape: PURE_PAIRS });
  const perPartition: RawRecord[][] = Array.from({ length: partitions }, () => []);
  const offsets = { requests: new Array<number>(partitions).fill(0), primaries: new Array<number>(partitions).fill(0) };
  for (const e of envelopes) {
    let h = 0;
    for (let i = 0; i < e.key.length; i++) h = (h * 31 + e.key.charCodeAt(i)) | 0;
    const p = Math.abs(h) % partitions;
    const value = Buffer.from(typeof e.payload === 'string' ? e.payload : JSON.stringify(e.payload));
    perPartition[p]!.push({ ref: { stream: e.stream, topic: e.stream, partition: p, offset: offsets[e.stream][p]!++ }, key: e.key, value });
  }
  return perPartition;
}

/** The outcome rows the pipeline makes for `pairs` generated pairs, captured before the sink. */
export async function pipelineRows(config: Readonly<Config>, store: Store, name: string, pairs: number): Promise<OutcomeRow[]> {
  const perPartition = partitionedTraffic(name, pairs);
  const rows: OutcomeRow[] = [];
  const capture: RowSink = {
    async insert(block) {
      rows.push(...block);
    },
    resend: () => Promise.reject(new Error('this sink only captures new blocks: nothing repairs through it')),
  };
  const pipeline = await buildPipeline(config, store, createLogger({ level: 'warn' }), { now: () => 0, wrapSink: () => capture });
  for (let p = 0; p < perPartition.length; p++) {
    pipeline.processor.assign(p);
    // Requests and primaries of a partition arrive as separate batches, as from Kafka.
    const recs = perPartition[p]!;
    for (let i = 0; i < recs.length; i += 500) {
      const chunk = recs.slice(i, i + 500);
      await pipeline.processor.handle(p, chunk.filter((r) => r.ref.stream === 'requests'));
      await pipeline.processor.handle(p, chunk.filter((r) => r.ref.stream === 'primaries'));
      if (pipeline.writer.pendingRows >= config.sink.maxPendingRows) await pipeline.writer.flush();
    }
  }
  pipeline.processor.drain();
  await pipeline.writer.flush();
  await pipeline.close();
  return rows;
}
