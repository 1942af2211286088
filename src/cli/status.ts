import { COMMON_HELP, intFlag, parseFlags, positionalArgs, type Command } from './command.ts';
import { consumerStatus } from './consumer-status.ts';
import { createContext } from './context.ts';
import { ShadowError, errorMessage } from '../errors.ts';
import { loadGateSql } from '../gate/index.ts';
import { Duration, durationSeconds } from '../gate/config.ts';
import { openQueryRunner, type QueryRunner } from '../query/index.ts';
import { formatStatus, kafkaOptions, modelEntry, readProduction, type CandidateRow, type ModelEntry, type StatusView } from '../registry/index.ts';
import { readDatabase } from '../sinks/clickhouse/cluster.ts';

export const statusCommand: Command = {
  help: `Usage: shadow-compare status MODEL [options]

Production version and rollback target from the registry (and, with registry.backend: kafka, what the
flag topic says); for the config's own model whether its consumer group has caught up ("caught up: yes,
0 records behind": everything older than one join window committed; with --via as the processor judges
it, otherwise from the broker's committed offsets and log ends); every registered or recently shadowed
version with its comparisons, agreement and latest gate decision; and the promote/rollback history.

Options:
      --history N     history entries to show (default 20)
      --window D      how far back the traffic figures go (default 7d)
      --via URL       ask a running processor (http://HOST:PORT) instead of opening the store
      --json          print as JSON
${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { history: { type: 'string', default: '20' }, window: { type: 'string', default: '7d' }, via: { type: 'string' }, json: { type: 'boolean', default: false } });
    const [model] = positionalArgs(positionals, ['MODEL'], 'shadow-compare status MODEL [options]');
    const historyLimit = intFlag('history', values.history, 20, 0);
    const window = Duration.safeParse(values.window);
    if (!window.success) throw new ShadowError('SHADOW_CONFIG', `--window: expected a duration like 30m, 12h or 7d, got "${values.window}"`);
    if (values.via !== undefined && !/^https?:\/\/[^/\s]+/.test(values.via)) {
      throw new ShadowError('SHADOW_CONFIG', `--via: expected the URL of a running processor, http://HOST:PORT, got "${values.via}"`);
    }
    const ctx = createContext(values);
    const entry = modelEntry(ctx.config.registry.path, model);
    const opened = await openQueryRunner(ctx.config, { via: values.via, token: values.via ? ctx.apiToken() : null });
    let candidates: CandidateRow[];
    try {
      candidates = await candidateRows(opened.runner, readDatabase(ctx.config.clickhouse), model, entry, new Date(Date.now() - durationSeconds(window.data) * 1000));
    } finally {
      await opened.close();
    }
    if (Object.keys(entry.versions).length === 0 && candidates.length === 0 && model !== ctx.config.model) {
      throw new ShadowError('SHADOW_INPUT', `unknown model "${model}": not in the registry (${ctx.config.registry.path}) and no shadow traffic in the last ${window.data}`);
    }
    const view: StatusView = {
      model, entry, candidates, historyLimit, window: window.data,
      ...(model === ctx.config.model ? { consumer: await consumerStatus(ctx.config, ctx.logger, values.via) } : {}),
    };
    if (ctx.config.registry.backend === 'kafka') {
      const published = await readProduction(model, kafkaOptions(ctx.config)).catch((err: unknown) => ({ error: errorMessage(err) }));
      Object.assign(view, { published });
    }
    process.stdout.write(values.json ? `${JSON.stringify(view, null, 2)}\n` : formatStatus(view));
    return 0;
  },
};

async function candidateRows(runner: QueryRunner, db: string, model: string, entry: ModelEntry, from: Date): Promise<CandidateRow[]> {
  const since = from.toISOString().slice(0, 19).replace('T', ' ');
  const [traffic, decisions] = await Promise.all([
    runner.query<{ version: string; compared: number; agreements: number; both_ok: number; last_seen: string }>(loadGateSql('status_candidates', db), { model, since }),
    runner.query<{ version: string; last_decision: string; last_decided_at: string }>(loadGateSql('status_decisions', db), { model }),
  ]);
  const versions = [...new Set([...traffic.map((t) => t.version), ...Object.keys(entry.versions)])];
  return versions.map((version) => {
    const t = traffic.find((x) => x.version === version);
    const d = decisions.find((x) => x.version === version);
    const bothOk = Number(t?.both_ok ?? 0);
    return {
      version,
      registered: version in entry.versions,
      compared: Number(t?.compared ?? 0),
      agreement: bothOk > 0 ? Number(t?.agreements) / bothOk : null,
      lastSeen: t?.last_seen ?? null,
      lastDecision: d?.last_decision ?? null,
      lastDecidedAt: d?.last_decided_at ?? null,
    };
  });
}
