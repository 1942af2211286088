import { COMMON_HELP, parseFlags, type Command } from './command.ts';
import { createContext } from './context.ts';
import { formatIssues } from '../config/index.ts';
import { ShadowError, errorMessage, isShadowError } from '../errors.ts';
import { GATE_EXIT_CODES, GateConfigSchema, defaultGateConfig, formatReport, recordDecision, runGate, type GateConfig, type SingleRequestFigures, type VersionLatency } from '../gate/index.ts';
import { openQueryRunner } from '../query/index.ts';
import { actorName, modelEntry } from '../registry/index.ts';

export const GATE_OPTIONS = {
  window: { type: 'string' },
  end: { type: 'string' },
  json: { type: 'boolean', default: false },
  via: { type: 'string' },
  actor: { type: 'string' },
} as const;

export const GATE_HELP = `      --window D      window length, e.g. 7d or 14d (default: gate.window, 7d)
      --end TIME      window end, ISO 8601 (default: now)
      --json          print the decision as JSON (stable keys) instead of tables
      --via URL       ask a running processor (http://HOST:PORT) instead of opening the store
      --actor NAME    recorded with the decision (default: OS user)`;

export const gateCommand: Command = {
  help: `Usage: shadow-compare gate [--model M] [--candidate V] [options]

Judges the candidate over the window with the thresholds in the config's gate: section (SQL in
src/gate/sql/), prints every criterion with its measured value, bound and threshold, and records the
decision in <database>.gate_decisions.
Exit code: 0 PROMOTE, 1 REJECT, 3 HOLD, 2 error (bad config, store unreachable or locked).

Options:
      --model M       model (default: the config's model)
      --candidate V   candidate version (default: the config's candidate.version)
${GATE_HELP}
${COMMON_HELP}`,
  async run(argv) {
    const { values } = parseFlags(argv, { ...GATE_OPTIONS, model: { type: 'string' }, candidate: { type: 'string' } }, false);
    const ctx = createContext(values);
    const model = values.model ?? ctx.config.model;
    const candidate = values.candidate ?? ctx.config.candidate.version;
    const config = gateConfigWith(ctx.config.gate, values.window);
    const end = parseEnd(values.end);
    const opened = await openQueryRunner(ctx.config, { via: values.via, log: (m) => ctx.logger.info({ stage: 'migrate' }, m) });
    try {
      const singleRequest = singleRequestFigures(ctx.config.registry.path, model, candidate);
      const report = await runGate(opened.runner, { model, candidate, database: ctx.config.clickhouse.database, config, end, now: new Date(), singleRequest });
      const recorded = await recordDecision(opened.runner, report, { actor: actorName(values.actor), source: opened.source }).then(
        () => null,
        (err: unknown) => err,
      );
      process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      // An unrecorded decision is not a decision: the audit trail is part of the contract.
      if (recorded !== null) throw notRecorded(report.decisionId, recorded);
      return GATE_EXIT_CODES[report.decision];
    } finally {
      await opened.close();
    }
  },
};

/** The configured thresholds (or the defaults), with --window applied and validated. */
export function gateConfigWith(configured: GateConfig | undefined, window: string | undefined): GateConfig {
  const base = configured ?? defaultGateConfig();
  if (window === undefined) return base;
  const parsed = GateConfigSchema.safeParse({ ...base, window });
  if (!parsed.success) throw new ShadowError('SHADOW_CONFIG', formatIssues(parsed.error, '--window with gate config'));
  return parsed.data;
}

/** Batch-1 latencies of the candidate and of production from the registry file; missing ones are null. */
export function singleRequestFigures(registryPath: string, model: string, candidate: string): SingleRequestFigures {
  const entry = modelEntry(registryPath, model);
  const of = (version: string | null): VersionLatency | null => {
    const l = version ? entry.versions[version]?.latency : undefined;
    return version && l ? { version, p50Ms: l.p50Ms, p99Ms: l.p99Ms, runs: l.runs, measuredAt: l.measuredAt, host: l.host } : null;
  };
  return { candidate: of(candidate), primary: of(entry.production) };
}

export function parseEnd(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new ShadowError('SHADOW_CONFIG', `--end: not a date: ${text} (use ISO 8601, e.g. 2025-01-08T00:00:00Z)`);
  return d;
}

export function notRecorded(decisionId: string, err: unknown): ShadowError {
  return new ShadowError(isShadowError(err) ? err.code : 'SHADOW_SINK', `decision ${decisionId} was not recorded in gate_decisions: ${errorMessage(err)}`, { cause: err });
}
