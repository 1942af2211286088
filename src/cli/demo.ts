import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { COMMON_HELP, intFlag, parseFlags, type Command } from './command.ts';
import { createContext } from './context.ts';
import { replayAndSummarise } from './replay.ts';
import { generateTraffic, loadDataset, writeNdjson } from '../traffic/index.ts';

// Fixed seed and start time: the demo file is the same on every machine, so a second `demo` run
// is recognised as the same traffic and adds nothing (see replay).
const DEMO = { seed: 20261125, count: 20_000, startTime: Date.UTC(2026, 10, 24, 12, 0, 0) };

export const demoCommand: Command = {
  help: `Usage: shadow-compare demo [options]

Generates ${DEMO.count} mirrored requests and primary outputs (diagnosis:v9 in production) from the
breast-cancer data bundled in fixtures/, replays them through candidate diagnosis:v10 with the default
config (shadow-compare.yaml), and prints the comparison summary. Needs no Kafka and no server.

Options:
      --count N       number of requests (default ${DEMO.count})
      --json          print the summary as JSON
${COMMON_HELP}`,
  async run(argv) {
    const { values } = parseFlags(argv, { count: { type: 'string' }, json: { type: 'boolean', default: false } }, false);
    const count = intFlag('count', values.count, DEMO.count);
    const ctx = createContext(values);
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
