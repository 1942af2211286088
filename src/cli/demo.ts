import { join, resolve } from 'node:path';
import { ShadowError } from '../errors.ts';
import { existsSync } from 'node:fs';
import { COMMON_HELP, intFlag, parseFlags, type Command } from './command.ts';
import { createContext } from './context.ts';
import { replayAndSummarise } from './replay.ts';
import { generateTraffic, loadDataset, writeNdjson } from '../traffic/index.ts';

// Fixed seed and start time: the demo file is the same on every machine, so a second `demo` run
// is recognised as the same traffic and adds nothing (see replay).
const DEMO = { seed: 20261125, count: 20_000, startTime: Date.UTC(2026, 10, 24, 12, 0, 0) };

/** The package root (src/cli or dist/cli, two levels up): the bundled config, models and data live there. */
const PACKAGE_ROOT = resolve(import.meta.dirname, '..', '..');
const BUNDLED_CONFIG = join(PACKAGE_ROOT, 'shadow-compare.yaml');

export const demoCommand: Command = {
  help: `Usage: shadow-compare demo [options]

Generates ${DEMO.count} mirrored requests and primary outputs (diagnosis:v9 in production) from the
breast-cancer data bundled in fixtures/, replays them through candidate diagnosis:v10, and prints the
comparison summary. Needs no Kafka and no server. Runs from any directory: without --config and without
a shadow-compare.yaml in the current directory it uses the config bundled with the package and keeps its
embedded store in ./.shadow-data of the current directory.

Options:
      --count N       number of requests (default ${DEMO.count})
      --json          print the summary as JSON
${COMMON_HELP}`,
  async run(argv) {
    const { values } = parseFlags(argv, { count: { type: 'string' }, json: { type: 'boolean', default: false } }, false);
    const count = intFlag('count', values.count, DEMO.count);
    const ctx = demoContext(values);
    const file = resolve(ctx.config.clickhouse.dataDir, 'demo', `${ctx.config.model}-${count}.ndjson`);
    if (!existsSync(file)) {
      const traffic = generateTraffic({
        dataset: loadDataset('breast_cancer'),
        model: ctx.config.model,
        primaryVersion: 'v9',
        count,
        seed: DEMO.seed,
        startTime: DEMO.startTime,
      });
      writeNdjson(file, traffic.envelopes);
      ctx.logger.info({ file, envelopes: traffic.envelopes.length, counts: traffic.counts }, 'generated demo traffic');
    }
    return replayAndSummarise(ctx, join(file), values.json === true);
  },
};

function demoContext(values: { config?: string; 'log-level'?: string }) {
  if (values.config !== undefined || existsSync('shadow-compare.yaml')) return createContext(values);
  if (!existsSync(BUNDLED_CONFIG)) throw new ShadowError('SHADOW_CONFIG', `no shadow-compare.yaml here and none bundled at ${BUNDLED_CONFIG} (pass --config FILE)`);
  // The bundled config's paths resolve against the package; the store goes where the user is.
  return createContext({ ...values, config: BUNDLED_CONFIG }, { clickhouse: { dataDir: resolve('.shadow-data') } });
}
