import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ShadowError, errorMessage } from '../errors.ts';
import { createKafka } from '../kafka/client.ts';
import { TRAFFIC_DEFAULTS, expectedTable, generateTraffic, loadDataset, toNdjson, type Dataset, type TrafficOptions } from '../traffic/index.ts';
import { produceTraffic } from '../traffic/produce.ts';
import { COMMON_HELP, intFlag, parseFlags, type Command } from './command.ts';
import { createContext, type Context } from './context.ts';

// The one traffic command: generated mirrored traffic either produced to Kafka in real time or written
// to an NDJSON file for `replay` (fixtures/make-fixtures.sh writes fixtures/traffic/ with it).

const DEFAULTS = { kafkaRate: 10, dataset: 'breast_cancer', primary: 'v9', seed: 1 } as const;

/** Generator knobs exposed as flags: flag name -> option name. */
const SHAPE_FLAGS = {
  'missing-primary-rate': 'missingPrimaryRate',
  'inline-primary-rate': 'inlinePrimaryRate',
  'duplicate-rate': 'duplicateRate',
  'invalid-rate': 'invalidRate',
  'primary-error-rate': 'primaryErrorRate',
  'reorder-rate': 'reorderRate',
} as const;

const OPTIONS = {
  rate: { type: 'string' },
  count: { type: 'string' },
  continuous: { type: 'boolean', default: false },
  out: { type: 'string' },
  truth: { type: 'string' },
  start: { type: 'string' },
  model: { type: 'string' },
  dataset: { type: 'string', default: DEFAULTS.dataset },
  primary: { type: 'string', default: DEFAULTS.primary },
  seed: { type: 'string' },
  'max-skew-ms': { type: 'string' },
  'feature-schema-version': { type: 'string' },
  'id-prefix': { type: 'string' },
  ...Object.fromEntries(Object.keys(SHAPE_FLAGS).map((k) => [k, { type: 'string' as const }])),
} as const;

export const trafficCommand: Command = {
  help: `Usage: shadow-compare traffic (--count N | --continuous) [options]
       shadow-compare traffic --count N --out FILE.ndjson|- [--truth FILE.json] [options]

Generates mirrored requests and primary outputs (src/traffic: the fixture data set's rows, production
answers from its expected outputs, a few duplicates, missing primaries and invalid messages).
Without --out: produces them to config.kafka.topics.requests and .primaries keyed by request id, each at
its simulated arrival time, event times = now; SIGTERM/SIGINT stop after the batch in flight.
With --out: writes them as NDJSON for \`replay\` (event times from --start), at once.
Prints {"requests","messages","seconds"} (Kafka) or {"envelopes","counts","out"} (file) as JSON on stdout
(on stderr when --out is -).

Options:
      --count N       stop after N requests
      --continuous    run until stopped (Kafka only)
      --out FILE      write NDJSON to FILE (- for stdout) instead of producing to Kafka
      --truth FILE    with --out: also write the ground truth (row per request, deliveries, counts)
      --rate N        requests per second (default ${DEFAULTS.kafkaRate} to Kafka, ${TRAFFIC_DEFAULTS.ratePerSec} to a file)
      --start TIME    with --out: event time of the first request, ISO 8601 or epoch ms
                      (default ${new Date(TRAFFIC_DEFAULTS.startTime).toISOString()})
      --model NAME    model named in the messages (default: config.model)
      --dataset NAME  fixture data set in fixtures/data, or a path (default ${DEFAULTS.dataset})
      --primary V     production version whose answers are mirrored (default ${DEFAULTS.primary});
                      the data set must hold its outputs for the model
      --seed N        generator seed (default ${DEFAULTS.seed})
      --missing-primary-rate R, --inline-primary-rate R, --duplicate-rate R, --invalid-rate R,
      --primary-error-rate R, --reorder-rate R   fractions 0..1 (defaults in src/traffic/generator.ts)
      --max-skew-ms N, --feature-schema-version S, --id-prefix S   (file only for --id-prefix)
${COMMON_HELP}`,
  async run(argv) {
    const { values } = parseFlags(argv, OPTIONS, false);
    const v = values as Record<string, string | boolean | undefined>;
    if ((values.count === undefined) === (values.continuous !== true)) {
      throw new ShadowError('SHADOW_CONFIG', 'give exactly one of --count N and --continuous');
    }
    if (values.out !== undefined && values.continuous) throw new ShadowError('SHADOW_CONFIG', '--out: needs --count N (a file cannot be continuous)');
    if (values.out === undefined && values.truth !== undefined) throw new ShadowError('SHADOW_CONFIG', '--truth: only with --out FILE');
    const toFile = values.out !== undefined;
    const rate = positive('rate', values.rate, toFile ? TRAFFIC_DEFAULTS.ratePerSec : DEFAULTS.kafkaRate);
    const count = values.count === undefined ? undefined : intFlag('count', values.count, 0, 0);
    const seed = values.seed === undefined ? DEFAULTS.seed : intFlag('seed', values.seed, 0, Number.MIN_SAFE_INTEGER);
    const shape: Partial<TrafficOptions> = {
      ...Object.fromEntries(Object.entries(SHAPE_FLAGS).flatMap(([flag, key]) => (v[flag] === undefined ? [] : [[key, fraction(flag, v[flag] as string)]]))),
      ...(values['max-skew-ms'] === undefined ? {} : { maxSkewMs: intFlag('max-skew-ms', values['max-skew-ms'], 0, 0) }),
      ...(values['feature-schema-version'] === undefined ? {} : { featureSchemaVersion: values['feature-schema-version'] }),
    };
    const startTime = values.start === undefined ? undefined : parseStart(values.start);
    const ctx = createContext(values);
    const model = values.model ?? ctx.config.model;
    const dataset = datasetFor(values.dataset as string, model, values.primary as string);
    const common = { dataset, model, primaryVersion: values.primary as string, seed, ratePerSec: rate, ...shape };
    if (toFile) return writeFile(values.out as string, values.truth, { ...common, count: count ?? 0, startTime, idPrefix: values['id-prefix'] });
    return produce(ctx, { ...common, count });
  },
};

function writeFile(out: string, truthFile: string | undefined, opts: TrafficOptions): number {
  let traffic;
  try {
    traffic = generateTraffic(opts);
  } catch (err) {
    throw new ShadowError('SHADOW_CONFIG', `traffic options: ${errorMessage(err)}`, { cause: err });
  }
  const text = toNdjson(traffic.envelopes);
  if (out === '-') process.stdout.write(text);
  else {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, text);
  }
  if (truthFile) {
    const { dataset, ...rest } = opts;
    mkdirSync(dirname(truthFile), { recursive: true });
    writeFileSync(truthFile, `${JSON.stringify({ options: { ...rest, dataset: dataset.dataset }, counts: traffic.counts, truth: traffic.truth, invalid: traffic.invalid })}\n`);
  }
  const summary = `${JSON.stringify({ envelopes: traffic.envelopes.length, counts: traffic.counts, out })}\n`;
  (out === '-' ? process.stderr : process.stdout).write(summary);
  return 0;
}

async function produce(ctx: Context, o: Omit<TrafficOptions, 'count'> & { count: number | undefined }): Promise<number> {
  const { dataset, model, primaryVersion, seed, ratePerSec, count, ...shape } = o;
  const log = ctx.logger.child({ stage: 'traffic' });
  let stopping = false;
  const onSignal = () => {
    stopping = true;
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const kafka = createKafka(ctx.config.kafka, '-traffic', { kind: 'pipeline', logger: ctx.logger });
    log.info({ topics: ctx.config.kafka.topics, rate: ratePerSec, count: count ?? 'continuous' }, 'producing traffic');
    const result = await produceTraffic(
      kafka,
      { dataset, model, primaryVersion, topics: ctx.config.kafka.topics, rate: ratePerSec as number, count, seed, shape },
      () => stopping,
      log,
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

function datasetFor(name: string, model: string, primary: string): Dataset {
  try {
    const dataset = loadDataset(name);
    expectedTable(dataset, model, primary);
    return dataset;
  } catch (err) {
    throw new ShadowError('SHADOW_CONFIG', `--dataset ${name} --primary ${primary}: ${errorMessage(err)}`, { cause: err });
  }
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new ShadowError('SHADOW_CONFIG', `--${name}: expected a positive number, got "${text}"`);
  return n;
}

function fraction(name: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !(n >= 0 && n <= 1)) throw new ShadowError('SHADOW_CONFIG', `--${name}: expected a fraction from 0 to 1, got "${text}"`);
  return n;
}

function parseStart(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(n)) throw new ShadowError('SHADOW_CONFIG', `--start: expected an ISO 8601 time or epoch ms, got "${text}"`);
  return n;
}
