import type { Kafka } from '../kafka/client.ts';
import { createTopicProducer, type TopicProducer } from '../kafka/producer.ts';
import type { Logger } from '../ops/logger.ts';
import type { Dataset } from './dataset.ts';
import { generateTraffic, type Envelope, type TrafficOptions as GeneratorOptions } from './generator.ts';

// Mirrors generated traffic into the configured Kafka topics in real time: requests and primary
// outputs from src/traffic (event times = the wall clock), keyed by request id, sent when their
// simulated arrival time comes. Used by docker-compose's traffic service to keep dashboards live.

/** Requests generated at a time: about this many seconds of traffic, and never more than MAX_CHUNK. */
const CHUNK_SECONDS = 10;
const MAX_CHUNK = 5000;
const TICK_MS = 20;
const PROGRESS_EVERY_MS = 10_000;

export interface ProduceOptions {
  readonly dataset: Dataset;
  readonly model: string;
  readonly primaryVersion: string;
  readonly topics: { readonly requests: string; readonly primaries: string };
  /** Requests per second (Poisson arrivals). */
  readonly rate: number;
  /** Requests to send; undefined = until stopped. */
  readonly count?: number;
  readonly seed: number;
  /** Generator settings other than the ones above (rates of duplicates, invalid messages, ...). */
  readonly shape?: Partial<Omit<GeneratorOptions, 'dataset' | 'model' | 'primaryVersion' | 'count' | 'seed' | 'startTime' | 'ratePerSec' | 'idPrefix'>>;
}

export interface TrafficResult {
  readonly requests: number;
  /** Messages sent per topic (duplicates and deliberately invalid messages included). */
  readonly messages: Record<string, number>;
  readonly seconds: number;
}

/**
 * Produces until `count` requests were generated and sent, or `stop()` turns true. Request ids are
 * `t<run>-<chunk>-<n>`, unique per run, so a restarted generator is new traffic, not duplicates.
 */
export async function produceTraffic(kafka: Kafka, o: ProduceOptions, stop: () => boolean, log: Logger): Promise<TrafficResult> {
  const producer = await createTopicProducer(kafka);
  const started = Date.now();
  const run = started.toString(36);
  const messages: Record<string, number> = { [o.topics.requests]: 0, [o.topics.primaries]: 0 };
  const chunkSize = Math.max(1, Math.min(MAX_CHUNK, Math.ceil(o.rate * CHUNK_SECONDS)));
  let requests = 0;
  let lastProgress = started;
  try {
    for (let chunk = 0; !stop() && (o.count === undefined || requests < o.count); chunk++) {
      const n = o.count === undefined ? chunkSize : Math.min(chunkSize, o.count - requests);
      const traffic = generateTraffic({
        ...o.shape,
        dataset: o.dataset,
        model: o.model,
        primaryVersion: o.primaryVersion,
        count: n,
        seed: o.seed + chunk,
        startTime: Date.now(),
        ratePerSec: o.rate,
        idPrefix: `t${run}-${chunk}-`,
      });
      await sendPaced(producer, o.topics, traffic.envelopes, traffic.arrivals, stop, messages);
      requests += n;
      if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = Date.now();
        log.info({ requests, messages }, 'traffic progress');
      }
    }
  } finally {
    await producer.disconnect();
  }
  return { requests, messages, seconds: (Date.now() - started) / 1000 };
}

/** Sends each envelope once the clock reaches its simulated arrival time, in small batches. */
async function sendPaced(
  producer: TopicProducer,
  topics: ProduceOptions['topics'],
  envelopes: readonly Envelope[],
  arrivals: readonly number[],
  stop: () => boolean,
  counts: Record<string, number>,
): Promise<void> {
  let i = 0;
  while (i < envelopes.length && !stop()) {
    const now = Date.now();
    let j = i;
    while (j < envelopes.length && arrivals[j]! <= now) j++;
    if (j === i) {
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(TICK_MS, arrivals[i]! - now))));
      continue;
    }
    const batch = envelopes.slice(i, j);
    const topicMessages = (['requests', 'primaries'] as const)
      .map((s) => ({
        topic: topics[s],
        messages: batch
          .filter((e) => e.stream === s)
          .map((e) => ({ key: e.key, value: typeof e.payload === 'string' ? e.payload : JSON.stringify(e.payload) })),
      }))
      .filter((t) => t.messages.length > 0);
    await producer.send(topicMessages);
    for (const t of topicMessages) counts[t.topic] = (counts[t.topic] ?? 0) + t.messages.length;
    i = j;
  }
}
