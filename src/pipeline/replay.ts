import { randomUUID } from 'node:crypto';
import type { Config } from '../config/index.ts';
import { ShadowError } from '../errors.ts';
import type { Logger } from '../ops/logger.ts';
import type { Store } from '../sinks/clickhouse/client.ts';
import { createFence } from '../sinks/clickhouse/fence.ts';
import { FileSource, replayTopics } from '../sources/file/index.ts';
import { buildPipeline, type PipelineOptions } from './build.ts';
import { Driver } from './driver.ts';

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
 * Runs the Kafka pipeline over a file, through the same driver (recovery, fence, backpressure,
 * commit rule). Windows close on event time only (the clock is frozen), and what the file has not
 * answered by its end is unmatched. Replaying the same file again writes nothing new: its records are
 * recognised in the ledger.
 */
export async function replayFile(path: string, config: Readonly<Config>, store: Store, logger: Logger, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const started = performance.now();
  const topics = await replayTopics(path);
  const fence = createFence(store, `replay:${topics.requests}`, `replay/${process.pid}/${randomUUID().slice(0, 8)}`);
  const pipeline = await buildPipeline(config, store, logger, { ...opts, now: () => 0, fence });
  const { processor } = pipeline;
  // Another replay of the same file into the same store claimed it after us: it does the work.
  let lost = false;
  pipeline.ownership.onLost(() => (lost = true));
  const driver = new Driver(
    { topics, sessionTimeoutMs: Infinity, maxBuffered: config.join.maxBuffered, maxBufferedBytes: config.join.maxBufferedBytes, maxPendingRows: config.sink.maxPendingRows, memoryMs: 2 * config.join.windowMs },
    { source: new FileSource(path), processor, writer: pipeline.writer, ledger: pipeline.ledger, ownership: pipeline.ownership, offsets: pipeline.offsets, logger, now: Date.now },
  );
  const every = opts.progressEveryMs ?? 2000;
  const progress = opts.onProgress
    ? setInterval(() => opts.onProgress!({ records: processor.counters.records, outcomes: processor.counters.outcomes, seconds: (performance.now() - started) / 1000 }), every)
    : null;
  try {
    await driver.start();
    if (!lost) await driver.finish();
    if (lost) throw new ShadowError('SHADOW_SINK', `another replay of ${path} took it over in this store; this one stopped and counted nothing more`);
  } finally {
    if (progress) clearInterval(progress);
    await pipeline.close();
  }
  const c = processor.counters;
  return { records: c.records, outcomes: c.outcomes, rejects: c.rejects, skipped: c.skipped, seconds: (performance.now() - started) / 1000 };
}
