// Generate a replay file of mirrored traffic from a fixture data set.
//   tsx src/traffic/cli.ts --dataset breast_cancer --model diagnosis --primary v9 \
//       --count 5000 --seed 1 --out FILE.ndjson [--truth TRUTH.json] [rate options]
import { writeFileSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadDataset } from './dataset.ts';
import { type TrafficOptions, TRAFFIC_DEFAULTS, generateTraffic } from './generator.ts';
import { toNdjson } from './ndjson.ts';

const USAGE = `usage: tsx src/traffic/cli.ts --dataset NAME|PATH --model NAME --primary VERSION
                              --count N --seed N --out FILE.ndjson|-
  optional: --truth FILE.json        ground truth (row index per request, deliveries, counts)
            --start ISO|EPOCH_MS      event time of the first request (default ${new Date(TRAFFIC_DEFAULTS.startTime).toISOString()})
            --rate N                  requests per second (default ${TRAFFIC_DEFAULTS.ratePerSec})
            --missing-primary-rate R  (default ${TRAFFIC_DEFAULTS.missingPrimaryRate})
            --inline-primary-rate R   (default ${TRAFFIC_DEFAULTS.inlinePrimaryRate})
            --duplicate-rate R        (default ${TRAFFIC_DEFAULTS.duplicateRate})
            --invalid-rate R          (default ${TRAFFIC_DEFAULTS.invalidRate})
            --primary-error-rate R    (default ${TRAFFIC_DEFAULTS.primaryErrorRate})
            --reorder-rate R          (default ${TRAFFIC_DEFAULTS.reorderRate})
            --max-skew-ms N           (default ${TRAFFIC_DEFAULTS.maxSkewMs})
            --feature-schema-version S (default "${TRAFFIC_DEFAULTS.featureSchemaVersion}")
            --id-prefix S             (default "${TRAFFIC_DEFAULTS.idPrefix}")
  NAME is a file in fixtures/data (breast_cancer, diabetes, digits).`;

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name}: not a number: ${v}`);
  return n;
}

function time(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw new Error(`--start: not an ISO time or epoch ms: ${v}`);
  return n;
}

/** Run the generator CLI; returns the exit code. */
export function runCli(argv: string[]): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        dataset: { type: 'string' },
        model: { type: 'string' },
        primary: { type: 'string' },
        count: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        truth: { type: 'string' },
        start: { type: 'string' },
        rate: { type: 'string' },
        'missing-primary-rate': { type: 'string' },
        'inline-primary-rate': { type: 'string' },
        'duplicate-rate': { type: 'string' },
        'invalid-rate': { type: 'string' },
        'primary-error-rate': { type: 'string' },
        'reorder-rate': { type: 'string' },
        'max-skew-ms': { type: 'string' },
        'feature-schema-version': { type: 'string' },
        'id-prefix': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const missing = (['dataset', 'model', 'primary', 'count', 'seed', 'out'] as const).filter((k) => values[k] === undefined);
  if (missing.length > 0) {
    process.stderr.write(`missing: ${missing.map((k) => `--${k}`).join(' ')}\n${USAGE}\n`);
    return 2;
  }
  try {
    const dataset = loadDataset(values.dataset as string);
    const opts: TrafficOptions = {
      dataset,
      model: values.model as string,
      primaryVersion: values.primary as string,
      count: num('count', values.count) as number,
      seed: num('seed', values.seed) as number,
      startTime: time(values.start),
      ratePerSec: num('rate', values.rate),
      missingPrimaryRate: num('missing-primary-rate', values['missing-primary-rate']),
      inlinePrimaryRate: num('inline-primary-rate', values['inline-primary-rate']),
      duplicateRate: num('duplicate-rate', values['duplicate-rate']),
      invalidRate: num('invalid-rate', values['invalid-rate']),
      primaryErrorRate: num('primary-error-rate', values['primary-error-rate']),
      reorderRate: num('reorder-rate', values['reorder-rate']),
      maxSkewMs: num('max-skew-ms', values['max-skew-ms']),
      featureSchemaVersion: values['feature-schema-version'],
      idPrefix: values['id-prefix'],
    };
    const traffic = generateTraffic(opts);
    const text = toNdjson(traffic.envelopes);
    const out = values.out as string;
    if (out === '-') process.stdout.write(text);
    else {
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, text);
    }
    if (values.truth) {
      const { dataset: _ds, ...rest } = opts;
      const doc = {
        options: { ...rest, dataset: dataset.dataset },
        counts: traffic.counts,
        truth: traffic.truth,
        invalid: traffic.invalid,
      };
      mkdirSync(dirname(values.truth), { recursive: true });
      writeFileSync(values.truth, JSON.stringify(doc) + '\n');
    }
    process.stderr.write(
      `wrote ${traffic.envelopes.length} envelopes (${JSON.stringify(traffic.counts)}) to ${out === '-' ? 'stdout' : out}\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 1;
  }
}

const isMain = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();
if (isMain) process.exitCode = runCli(process.argv.slice(2));
