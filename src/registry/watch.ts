import { randomUUID } from 'node:crypto';
import { ShadowError, errorMessage } from '../errors.ts';
import { DEFAULT_REGISTRY_TOPIC, createRegistryKafka, ensureRegistryTopic, type RegistryKafkaOptions } from '../kafka/registry-topic.ts';
import { tailTopic, topicEndOffsets } from '../kafka/tail.ts';
import { withDeadline } from '../kafka/deadline.ts';
import type { ProductionRecord } from './types.ts';

export interface WatchOptions extends RegistryKafkaOptions {
  /** Called when the subscription fails after it started (e.g. the broker went away for good). */
  readonly onError?: (err: Error) => void;
  /** How long the broker may hold an empty fetch. Default 500 ms. */
  readonly maxWaitMs?: number;
  /** How long to wait for the initial catch-up (group join + reading the topic). Default 30 s. */
  readonly readyTimeoutMs?: number;
}

export interface ProductionWatch {
  /** The production record as of now, null when the model was never promoted. */
  current(): ProductionRecord | null;
  stop(): Promise<void>;
}

/**
 * Follows the production version of `model` for serving code.
 *
 * Reads the compacted flag topic from the beginning in its own consumer group (nothing is committed),
 * and resolves once it has caught up with the end of the topic: at that point, if the model has a
 * production version, `onChange` has been called once with it. After that `onChange` is called for
 * every change (promote or rollback), in order. A serving layer loads `record.artifact.path` (and may
 * check `record.artifact.sha256`) and flips.
 *
 *   const watch = await watchProduction('diagnosis', (r) => swapModel(r.version, r.artifact.path),
 *                                       { brokers: ['kafka:9092'] });
 *   ...
 *   await watch.stop();
 */
export async function watchProduction(model: string, onChange: (record: ProductionRecord) => void, opts: WatchOptions): Promise<ProductionWatch> {
  const topic = opts.topic ?? DEFAULT_REGISTRY_TOPIC;
  const kafka = createRegistryKafka(opts, 'watch');
  await ensureRegistryTopic(kafka, topic);
  let pending: Map<number, number>;
  try {
    pending = await topicEndOffsets(kafka, topic);
  } catch (err) {
    throw new ShadowError('SHADOW_KAFKA', `watchProduction: ${errorMessage(err)}`, { cause: err, retryable: true });
  }

  let current: ProductionRecord | null = null;
  let caughtUp = false;
  let settle!: { resolve: () => void; reject: (err: Error) => void };
  const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const deliver = (r: ProductionRecord) => {
    try {
      onChange(r);
    } catch (err) {
      opts.onError?.(err instanceof Error ? err : new Error(String(err)));
    }
  };
  // Records read while catching up are history: only the last one is handed over, once.
  const finishCatchUp = () => {
    if (caughtUp) return;
    caughtUp = true;
    if (current) deliver(current);
    settle.resolve();
  };

  const onFatal = (cause: unknown) => {
    const err = new ShadowError('SHADOW_KAFKA', `watchProduction(${model}) stopped: ${errorMessage(cause)}`, { cause });
    if (caughtUp) opts.onError?.(err);
    else settle.reject(err);
  };
  let tail: { stop(): Promise<void> } | undefined;
  try {
    tail = await tailTopic(kafka, topic, { groupId: `shadow-compare-watch-${randomUUID()}`, maxWaitMs: opts.maxWaitMs ?? 500, onFatal }, ({ partition, offset, key, value }) => {
      if (key === model) {
        const record = parse(value);
        const changed = current?.version !== record?.version || current?.promotionId !== record?.promotionId;
        current = record;
        if (caughtUp && changed && record) deliver(record);
      }
      const end = pending.get(partition);
      if (end !== undefined && offset >= end - 1) {
        pending.delete(partition);
        if (pending.size === 0) finishCatchUp();
      }
    });
    // An empty topic has nothing to catch up on; the group join finishes in the background and
    // reads from offset 0, so a flip published from now on is still delivered.
    if (pending.size === 0) finishCatchUp();
    await withDeadline(ready, opts.readyTimeoutMs ?? 30_000, `watchProduction(${model}): catching up with ${topic}`);
  } catch (err) {
    await tail?.stop().catch(() => {});
    if (err instanceof ShadowError) throw err;
    throw new ShadowError('SHADOW_KAFKA', `watchProduction(${model}): cannot consume ${topic}: ${errorMessage(err)}`, { cause: err, retryable: true });
  }
  const running = tail;
  return {
    current: () => current,
    stop: () => running.stop(),
  };
}

/** Reads the current production record once (joins, catches up, leaves). */
export async function readProduction(model: string, opts: WatchOptions): Promise<ProductionRecord | null> {
  const watch = await watchProduction(model, () => {}, opts);
  const record = watch.current();
  await watch.stop();
  return record;
}

function parse(value: Buffer | null): ProductionRecord | null {
  if (!value) return null;
  try {
    const r = JSON.parse(value.toString('utf8')) as ProductionRecord;
    return typeof r.version === 'string' ? r : null;
  } catch {
    return null;
  }
}
