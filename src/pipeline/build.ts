import type { Config } from '../config/index.ts';
import { readDatabase } from '../sinks/clickhouse/cluster.ts';
import type { ShadowError } from '../errors.ts';
import type { Logger } from '../ops/logger.ts';
import { OTHER, SegmentCapper, type OutcomeOptions } from '../outcomes/index.ts';
import { Profiler, profileOptionsOf } from '../profiles/index.ts';
import { createScorer, type Scorer } from '../score/index.ts';
import { BatchWriter } from '../sinks/clickhouse/batch-writer.ts';
import type { Store } from '../sinks/clickhouse/client.ts';
import type { Fence } from '../sinks/clickhouse/fence.ts';
import { createLedger, type Ledger } from '../sinks/clickhouse/ledger.ts';
import { createOutcomeSink, type RowSink } from '../sinks/clickhouse/outcome-sink.ts';
import type { Metrics } from '../ops/metrics.ts';
import { OffsetBook } from './offset-tracker.ts';
import { Ownership } from './ownership.ts';
import { primaryArtifact } from './primary-artifact.ts';
import { profileSpecs } from './profile-specs.ts';
import { Processor } from './processor.ts';

export interface Pipeline {
  readonly processor: Processor;
  readonly writer: BatchWriter;
  readonly scorer: Scorer;
  /** The row sink the writer uses (with the test seam applied); recovery re-sends blocks through it. */
  readonly sink: RowSink;
  /** What earlier owners wrote, read back on (re)assignment; repairs go through the same sink. */
  readonly ledger: Ledger;
  /** Partition generations claimed in the store's fence, stamped on every block. */
  readonly ownership: Ownership;
  /** Offsets handed to the processor and not yet durable; the writer completes them. */
  readonly offsets: OffsetBook;
  /** Resolves with the first non-retryable sink failure. */
  readonly fatal: Promise<ShadowError>;
  close(): Promise<void>;
}

export interface PipelineOptions {
  /** Clock of the join's idle rule; replay passes a constant so windows close on event time only. */
  readonly now?: () => number;
  /** Test seam at the client boundary: wraps the real sink (e.g. to inject write failures). */
  readonly wrapSink?: (sink: RowSink) => RowSink;
  readonly metrics?: Metrics;
  /** See ProcessorDeps.initiallyCaughtUp. */
  readonly initiallyCaughtUp?: boolean;
  /** Client-side write fence, see BatchWriterEvents.canWrite. */
  readonly canWrite?: () => boolean;
  /** The store's write fence for this pipeline's partitions (fence.ts); none in unit tests. */
  readonly fence?: Fence;
  /** Test seam for control runs: false sends blocks past the store's fence, straight to outcomes. */
  readonly storeFence?: boolean;
}

/** Wires scorer -> processor -> batch writer -> ClickHouse for one candidate. The caller owns the store. */
export async function buildPipeline(config: Readonly<Config>, store: Store, logger: Logger, opts: PipelineOptions = {}): Promise<Pipeline> {
  const c = config.candidate;
  const scorerOptions = (modelPath: string) => ({
    modelPath,
    ...(c.inputName ? { inputName: c.inputName } : {}),
    features: [...c.features],
    outputs: { ...c.outputs },
    allowNaN: c.allowNaN,
    maxBatchSize: c.batch.maxSize,
    maxWaitMs: c.batch.maxWaitMs,
    intraOpThreads: c.intraOpThreads,
    allowSpinning: c.allowSpinning,
  });
  const scorer = await createScorer(scorerOptions(c.path), opts.metrics ? { onBatch: (b) => opts.metrics?.scoredBatch(b) } : {});
  // The noise floor: the primary's own artifact on the same rows (src/pipeline/primary-artifact.ts).
  const primary = primaryArtifact(config);
  const reproducer = primary ? await createScorer(scorerOptions(primary.path)).catch(async (err: unknown) => {
    await scorer.close();
    throw err;
  }) : null;
  if (primary) logger.child({ stage: 'score' }).info({ path: primary.path, source: primary.source }, 're-scoring the primary for the noise floor');
  const segments = new SegmentCapper(config.segments.dimensions, config.segments.maxValuesPerDimension);
  await seedSegments(store, config, segments);
  const outcomeOptions: OutcomeOptions = {
    model: config.model,
    candidateVersion: c.version,
    task: config.task,
    candidatePricing: c.pricing,
    primaryPricing: config.primary.pricing,
    agreementSampleRate: config.sink.agreementSampleRate,
    rawPayloadMaxBytes: config.sink.rawPayloadMaxBytes,
    segments,
    profiler: new Profiler({ ...profileOptionsOf(config.profiles, c.features), specs: profileSpecs(config) }),
  };
  const direct = createOutcomeSink(store, { storeFence: opts.storeFence ?? true });
  const sink = opts.wrapSink ? opts.wrapSink(direct) : direct;
  const ownership = new Ownership(opts.fence ?? null);
  const log = logger.child({ stage: 'sink' });
  let resolveFatal!: (e: ShadowError) => void;
  const fatal = new Promise<ShadowError>((r) => (resolveFatal = r));
  const offsets = new OffsetBook();
  const writer = new BatchWriter(
    sink,
    { ...config.sink, tokenScope: `${config.model}\u0000${config.candidate.version}` },
    {
      onDurable: (outcomes) => offsets.durable(outcomes),
      onInsert: (rows, ms) => opts.metrics?.inserted(rows, ms),
      onRetry: () => opts.metrics?.insertRetried(),
      ...(opts.canWrite ? { canWrite: opts.canWrite } : {}),
      stamp: (partitions) => ownership.stamp(partitions),
      fenced: (stamp) => ownership.fenced(stamp),
      onFenced: (stamp, partitions) => ownership.lost(stamp, partitions),
      onFatal: (err) => {
        log.error({ code: err.code, err: err.message }, 'insert failed permanently; stopping without committing');
        resolveFatal(err);
      },
    },
    log,
  );
  const processor = new Processor(config, {
    scorer,
    reproducer,
    emit: (outcomes) => writer.add(outcomes),
    now: opts.now ?? Date.now,
    outcomeOptions,
    initiallyCaughtUp: opts.initiallyCaughtUp ?? true,
  });
  writer.start();
  return {
    processor,
    writer,
    scorer,
    sink,
    ledger: createLedger(store, config.model, c.version, sink, opts.fence, log),
    ownership,
    offsets,
    fatal,
    async close() {
      await writer.stop();
      await scorer.close();
      await reproducer?.close();
    },
  };
}

/** Keeps the capped segment values stable across restarts: the most-compared values win. */
async function seedSegments(store: Store, config: Readonly<Config>, capper: SegmentCapper): Promise<void> {
  const dims = config.segments.dimensions;
  if (dims.length === 0) return;
  const rs = await store.client.query({
    query: `SELECT dimension, value FROM ${readDatabase(config.clickhouse)}.stats_1m
            WHERE model = {m:String} AND candidate_version = {v:String} AND dimension IN {d:Array(String)} AND value != {other:String}
            GROUP BY dimension, value ORDER BY sum(compared) DESC LIMIT {n:UInt32} BY dimension`,
    format: 'JSONEachRow',
    query_params: { m: config.model, v: config.candidate.version, d: dims, other: OTHER, n: config.segments.maxValuesPerDimension },
  });
  for (const r of await rs.json<{ dimension: string; value: string }>()) capper.seed(r.dimension, [r.value]);
}
