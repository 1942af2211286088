import { statSync } from 'node:fs';
import { COMMON_HELP, parseFlags, positionalArgs, type Command } from './command.ts';
import { ShadowError } from '../errors.ts';
import { createContext, openMigratedStore, type Context } from './context.ts';
import { ingestLabelFile } from '../labels/index.ts';
import { replayFile } from '../pipeline/replay.ts';
import { createStoreRunner } from '../query/index.ts';
import { formatSummary, readSummary } from '../report/summary.ts';
import { readDatabase } from '../sinks/clickhouse/cluster.ts';

export const replayCommand: Command = {
  help: `Usage: shadow-compare replay FILE.ndjson [options]

Each line is {"stream": "requests"|"primaries"|"labels", "key": REQUEST_ID, "payload": MESSAGE}; MESSAGE is
the JSON message as on Kafka (or a string holding raw bytes). "labels" lines are late ground-truth labels
(schemas/messages/ground-truth-label.schema.json), written to shadow.labels and joined by request id in
ClickHouse. Writes to the configured ClickHouse (embedded by default), prints progress, then a summary.
Replaying the same file again adds nothing.

Options:
      --json          print the summary as JSON
${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { json: { type: 'boolean', default: false } });
    const [file] = positionalArgs(positionals, ['FILE.ndjson'], 'shadow-compare replay FILE.ndjson [options]');
    checkReplayFile(file);
    const ctx = createContext(values);
    return replayAndSummarise(ctx, file, values.json === true);
  },
};

/** FILE is relative to the working directory, like any path typed on the command line. */
function checkReplayFile(file: string): void {
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new ShadowError('SHADOW_INPUT', `FILE.ndjson: ${file} does not exist (relative to ${process.cwd()})`);
  }
  if (!isFile) throw new ShadowError('SHADOW_INPUT', `FILE.ndjson: ${file} is not a file; expected an NDJSON file of requests and primary outputs`);
}

/** Shared by `replay` and `demo`. */
export async function replayAndSummarise(ctx: Context, file: string, json: boolean): Promise<number> {
  const store = await openMigratedStore(ctx);
  try {
    const log = ctx.logger.child({ stage: 'replay' });
    const result = await replayFile(file, ctx.config, store, ctx.logger, {
      onProgress: (p) => log.info(p, `replayed ${p.records} records, ${p.outcomes} outcomes (${Math.round(p.records / p.seconds)}/s)`),
    });
    log.info(result, 'replay finished');
    const labels = await ingestLabelFile(file, store, { model: ctx.config.model });
    if (labels.messages > 0) log.info(labels, `ingested ${labels.messages} label messages (${labels.invalid} invalid)`);
    const summary = await readSummary(createStoreRunner(store), readDatabase(ctx.config.clickhouse), ctx.config.model, ctx.config.candidate.version);
    process.stdout.write(json ? `${JSON.stringify({ replay: result, summary }, null, 2)}\n` : `\n${formatSummary(summary)}`);
    return 0;
  } finally {
    await store.close();
  }
}
