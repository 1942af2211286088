import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Config } from '../config/index.ts';
import type { ShadowError } from '../errors.ts';
import type { Logger } from '../ops/logger.ts';
import { Metrics } from '../ops/metrics.ts';
import { startHttpServer, type HttpRoutes } from '../ops/http-server.ts';
import type { Store } from '../sinks/clickhouse/client.ts';
import { randomUUID } from 'node:crypto';
import { createFence } from '../sinks/clickhouse/fence.ts';
import type { Ledger } from '../sinks/clickhouse/ledger.ts';
import { createKafka } from '../kafka/client.ts';
import { watchGroupLag } from '../sources/kafka/group-lag.ts';
import { KafkaSource } from '../sources/kafka/kafka-source.ts';
import { startLabelsSource, type LabelsSource } from '../sources/kafka/labels-source.ts';
import { Driver, membershipFresh } from './driver.ts';
import { buildPipeline, type PipelineOptions } from './build.ts';

export interface RunningProcessor {
  readonly httpUrl: string;
  readonly metrics: Metrics;
  /** Resolves when a non-retryable sink failure, or a consumer kafkajs will not restart, stops the processor. */
  readonly fatal: Promise<ShadowError>;
  /** Graceful: stop fetching, write and commit everything consumed, close. */
  stop(): Promise<void>;
}

export interface RunOptions extends Pick<PipelineOptions, 'wrapSink' | 'storeFence'> {
  /** Test seam for a control run: false switches the client-side write fence off. */
  readonly fence?: boolean;
  /** Test seam: wraps the recovery ledger (fault-injection control runs). */
  readonly wrapLedger?: (ledger: Ledger) => Ledger;
  /** Extra POST routes on the HTTP port (the read-only query endpoint) and the token they require. */
  readonly post?: HttpRoutes['post'];
  readonly token?: string | null;
  readonly instanceId?: string;
}

/** A failed start-up exits even if a part's clean-up never ends (the CLI exits the process after). */
const CLEANUP_MS = 10_000;

/** Waits for every part's clean-up, at most `ms`; logs the parts that failed or had not finished. */
async function settleWithin(ms: number, parts: Record<string, Promise<unknown>>, logger: Logger): Promise<void> {
  const pending = new Set(Object.keys(parts));
  const all = Promise.all(
    Object.entries(parts).map(([name, p]) =>
      p.then(
        () => pending.delete(name),
        (err: unknown) => {
          pending.delete(name);
          logger.warn({ stage: 'run', part: name, err: String(err) }, 'clean-up of a part failed');
        },
      ),
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
  if (pending.size > 0) logger.error({ stage: 'run', parts: [...pending], ms }, 'clean-up did not finish in time: leaving it');
}

/** The Kafka processor: consumer group -> pipeline -> ClickHouse, with metrics and health on HTTP. */
export async function startProcessor(config: Readonly<Config>, store: Store, logger: Logger, opts: RunOptions = {}): Promise<RunningProcessor> {
  const metrics = new Metrics();
  const now = Date.now;
  const clientSuffix = opts.instanceId ? `-${opts.instanceId}` : '';
  const owner = `${config.kafka.clientId}${clientSuffix}/${process.pid}/${randomUUID().slice(0, 8)}`;
  const kafka = createKafka(config.kafka, clientSuffix, { kind: 'pipeline', logger });
  const source = new KafkaSource(config, { kafka, logger, now });
  const joined = () => source.lastHeartbeat() !== null;
  const pipeline = await buildPipeline(config, store, logger, {
    metrics,
    initiallyCaughtUp: false,
    // Client-side write fence: no insert without a live group membership.
    canWrite: opts.fence === false ? joined : () => joined() && membershipFresh(source, now, config.kafka.sessionTimeoutMs),
    fence: createFence(store, `kafka:${config.kafka.groupId}`, owner),
    ...(opts.storeFence === false ? { storeFence: false } : {}),
    ...(opts.wrapSink ? { wrapSink: opts.wrapSink } : {}),
  });
  const driver = new Driver(
    {
      topics: { ...config.kafka.topics },
      sessionTimeoutMs: config.kafka.sessionTimeoutMs,
      maxBuffered: config.join.maxBuffered,
      maxBufferedBytes: config.join.maxBufferedBytes,
      maxPendingRows: config.sink.maxPendingRows,
      memoryMs: 2 * config.join.windowMs,
    },
    {
      source,
      processor: pipeline.processor,
      writer: pipeline.writer,
      ledger: opts.wrapLedger ? opts.wrapLedger(pipeline.ledger) : pipeline.ledger,
      ownership: pipeline.ownership,
      offsets: pipeline.offsets,
      logger,
      metrics,
      now,
    },
  );
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  let ticks = 0;
  const gauges = setInterval(() => {
    metrics.joinBuffered.set(pipeline.processor.buffered());
    metrics.joinBufferedBytes.set(pipeline.processor.bufferedBytes());
    metrics.sinkPending.set(pipeline.writer.pendingRows);
    metrics.observeProcessor(pipeline.processor.counters);
    if (++ticks % 10 === 0) {
      metrics.eventLoopDelayP99.set(loopDelay.percentile(99) / 1e9);
      loopDelay.reset();
    }
  }, 1000);
  gauges.unref();
  const lagWatch = watchGroupLag(config, kafka, metrics, logger);
  const http = await startHttpServer(
    config.http.host,
    config.http.port,
    { metrics, ready: () => driver.ready, token: opts.token ?? null, ...(opts.post ? { post: opts.post } : {}) },
    logger,
    config.http,
  );
  // The driver's clock: windows close every 250 ms, commits and the log-end check every second.
  const tick = setInterval(() => driver.tick(), 250);
  const commit = setInterval(() => void driver.commit().then(() => driver.checkCaughtUp()), 1000);
  const stopTimers = () => [gauges, tick, commit].forEach(clearInterval);
  let labels: LabelsSource | null = null;
  try {
    await driver.start();
    labels = await startLabelsSource({ kafka, store, topic: config.kafka.topics.labels, groupId: `${config.kafka.groupId}.labels`, model: config.model, logger });
  } catch (err) {
    stopTimers();
    // Logged before the clean-up, so a clean-up that never ends still shows why it began.
    logger.error({ stage: 'run', err: String(err) }, 'start-up failed: closing');
    await settleWithin(CLEANUP_MS, { driver: driver.stop(), source: source.close(), http: http.close(), pipeline: pipeline.close(), lagWatch: lagWatch.stop() }, logger);
    throw err;
  }
  let stopping: Promise<void> | null = null;
  return {
    httpUrl: http.url,
    metrics,
    fatal: Promise.race([pipeline.fatal, source.fatal]),
    stop() {
      stopping ??= (async () => {
        stopTimers();
        loopDelay.disable();
        await lagWatch.stop();
        await driver.stop();
        await source.close();
        await labels?.stop();
        await pipeline.close();
        await http.close();
      })();
      return stopping;
    },
  };
}
