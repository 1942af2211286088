import { ShadowError } from '../errors.ts';
import type { Logger } from '../ops/logger.ts';
import { createKafka, type Kafka } from '../kafka/client.ts';
import { createTopicProducer, type TopicProducer } from '../kafka/producer.ts';
import { expectedTable, generateTraffic, loadDataset, type Dataset, type Envelope } from '../traffic/index.ts';
import { COMMON_HELP, parseFlags, type Command } from './command.ts';
import { createContext } from './context.ts';

// Mirrors generated traffic into the configured Kafka topics in real time: requests and primary
// outputs from src/traffic (event times = the wall clock), keyed by request id, sent when their
// simulated arrival time comes. Used by docker-compose's traffic service to keep dashboards live.

const DEFAULTS = { rate: 10, dataset: 'breast_cancer', primary: 'v9', seed: 1 } as const;
/** Requests generated at a time: about this many seconds of traffic, and never more than MAX_CHUNK. */
const CHUNK_SECONDS = 10;
const MAX_CHUNK = 5000;
const TICK_MS = 20;
const PROGRESS_EVERY_MS = 10_000;

export interface TrafficOptions {
  readonly dataset: Dataset;
  readonly model: string;
  readonly primaryVersion: string;
  readonly topics: { readonly requests: string; readonly primaries: string };
  /** Requests per second (Poisson arrivals). */
  readonly rate: number;
  /** Requests to send; undefined = until stopped. */
  readonly count?: number;
  readonly seed: number;
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
export async function produceTraffic(kafka: Kafka, o: TrafficOptions, stop: () => boolean, log: Logger): Promise<TrafficResult> {
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
  topics: TrafficOptions['topics'],
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

function positive(name: string, text: string | undefined, fallback: number, integer: boolean): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new ShadowError('SHADOW_CONFIG', `--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${text}"`);
  }
  return n;
}

export const trafficCommand: Command = {
  help: `Usage: shadow-compare traffic (--count N | --continuous) [options]

Generates mirrored requests and primary outputs (src/traffic: the fixture data set's rows, production
answers from its expected outputs, a few duplicates, missing primaries and invalid messages) with event
times = now, and produces them to config.kafka.topics.requests and .primaries keyed by request id, each
at its simulated arrival time. Prints {"requests","messages","seconds"} as JSON when done.
SIGTERM/SIGINT stop after the batch in flight.

Options:
      --rate N        requests per second (default ${DEFAULTS.rate})
      --count N       stop after N requests
      --continuous    run until stopped
      --dataset NAME  fixture data set in fixtures/data (default ${DEFAULTS.dataset})
      --primary V     production version whose answers are mirrored (default ${DEFAULTS.primary});
                      the data set must hold its outputs for config.model
      --seed N        generator seed (default ${DEFAULTS.seed})
${COMMON_HELP}`,
  async run(argv) {
    const { values } = parseFlags(
      argv,
      {
        rate: { type: 'string' },
        count: { type: 'string' },
        continuous: { type: 'boolean', default: false },
        dataset: { type: 'string', default: DEFAULTS.dataset },
        primary: { type: 'string', default: DEFAULTS.primary },
        seed: { type: 'string' },
      },
      false,
    );
    if ((values.count === undefined) === (values.continuous !== true)) {
      throw new ShadowError('SHADOW_CONFIG', 'give exactly one of --count N and --continuous');
    }
    const ctx = createContext(values);
    const rate = positive('rate', values.rate, DEFAULTS.rate, false);
    const count = values.count === undefined ? undefined : positive('count', values.count, 0, true);
    const seed = values.seed === undefined ? DEFAULTS.seed : Number(values.seed);
    if (!Number.isInteger(seed)) throw new ShadowError('SHADOW_CONFIG', `--seed must be an integer, got "${values.seed}"`);
    let dataset: Dataset;
    try {
      dataset = loadDataset(values.dataset as string);
      expectedTable(dataset, ctx.config.model, values.primary as string);
    } catch (err) {
      throw new ShadowError('SHADOW_CONFIG', `--dataset ${values.dataset} --primary ${values.primary}: ${(err as Error).message}`, { cause: err });
    }
    const log = ctx.logger.child({ stage: 'traffic' });
    let stopping = false;
    const onSignal = () => {
      stopping = true;
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    try {
      const kafka = createKafka(ctx.config.kafka, '-traffic', { kind: 'pipeline', logger: ctx.logger });
      log.info({ topics: ctx.config.kafka.topics, rate, count: count ?? 'continuous' }, 'producing traffic');
      const result = await produceTraffic(
        kafka,
        { dataset, model: ctx.config.model, primaryVersion: values.primary as string, topics: ctx.config.kafka.topics, rate, count, seed },
        () => stopping,
        log,
      );
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return 0;
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  },
};
