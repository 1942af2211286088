import type { Config } from '../config/index.ts';
import type { Logger } from '../ops/logger.ts';
import type { Store } from '../sinks/clickhouse/client.ts';
import { randomUUID } from 'node:crypto';
import { ShadowError } from '../errors.ts';
import { createFence } from '../sinks/clickhouse/fence.ts';
import { readNdjson, replayTopics } from '../sources/file/index.ts';
import { buildPipeline, type PipelineOptions } from './build.ts';

export interface ReplayResult {
  readonly records: number;
  readonly outcomes: number;
  readonly rejects: number;
  /** Records an earlier replay of the same file already wrote. */
  readonly skipped: number;
  readonly seconds: number;
}

export interface ReplayOptions extends PipelineOptions {
  readonly onProgress?: (p: { records: number; outcomes: number; seconds: number }) => void;
  readonly progressEveryMs?: number;
}

/**
 * Runs the Kafka pipeline's stages over a file. Windows close on event time only (the clock is
 * frozen), and what the file has not answered by its end is unmatched. Replaying the same file
 * again writes nothing new: its records are recognised in the ledger.
 */
export async function replayFile(path: string, config: Readonly<Config>, store: Store, logger: Logger, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const started = performance.now();
  const topics = await replayTopics(path);
  const fence = createFence(store, `replay:${topics.requests}`, `replay/${process.pid}/${randomUUID().slice(0, 8)}`);
  const pipeline = await buildPipeline(config, store, logger, { ...opts, now: () => 0, fence });
  const { processor, writer, ledger, ownership } = pipeline;
  // Another replay of the same file into the same store claimed it after us: stop, it does the work.
  let lost = false;
  ownership.onLost(() => (lost = true));
  await ownership.claim([0]);
  const written = await ledger.written({
    partition: 0,
    requestTopic: topics.requests,
    requestFrom: 0,
    primaryTopic: topics.primaries,
    primaryFrom: 0,
    memoryMs: 2 * config.join.windowMs,
  });
  await ledger.repair(written.blocks);
  processor.assign(0, written);
  let lastProgress = performance.now();
  const every = opts.progressEveryMs ?? 2000;
  try {
    for await (const batch of readNdjson(path)) {
      if (lost) break;
      await processor.handle(0, batch);
      processor.tick();
      // Backpressure: a file reads faster than any store writes.
      if (writer.pendingRows >= config.sink.maxRows * 2) await writer.flush();
      if (opts.onProgress && performance.now() - lastProgress >= every) {
        lastProgress = performance.now();
        opts.onProgress({ records: processor.counters.records, outcomes: processor.counters.outcomes, seconds: (lastProgress - started) / 1000 });
      }
    }
    processor.drain();
    await writer.flush();
    if (lost) throw new ShadowError('SHADOW_SINK', `another replay of ${path} took it over in this store; this one stopped and counted nothing more`);
  } finally {
    await pipeline.close();
  }
  const c = processor.counters;
  return { records: c.records, outcomes: c.outcomes, rejects: c.rejects, skipped: c.skipped, seconds: (performance.now() - started) / 1000 };
}
