import { COMMON_HELP, parseFlags, type Command } from './command.ts';
import { createContext } from './context.ts';
import { formatIssues } from '../config/index.ts';
import { ShadowError, errorMessage, isShadowError } from '../errors.ts';
import { GateConfigSchema, defaultGateConfig, formatReport, recordDecision, runGate, type GateConfig, type SingleRequestFigures, type VersionLatency } from '../gate/index.ts';
import { Duration } from '../gate/config.ts';
import { GATE_EXIT_CODES } from './exit-codes.ts';
import { ensureKnownVersion } from './known-version.ts';
import { openQueryRunner } from '../query/index.ts';
import { actorName, modelEntry } from '../registry/index.ts';
import { readDatabase } from '../sinks/clickhouse/cluster.ts';

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
A --candidate that is neither registered, nor the config's candidate, nor ever shadowed is an error.
Exit code: 0 PROMOTE, 3 HOLD, 4 REJECT, 2 usage or input error (bad flag, config, unknown version),
1 failure (store unreachable or locked: use --via).

Options:
      --model M       model (default: the config's model)
      --candidate V   candidate version (default: the config's candidate.version)
${GATE_HELP}
${COMMON_HELP}`,
  async run(argv) {
    const { values } = parseFlags(argv, { ...GATE_OPTIONS, model: { type: 'string' }, candidate: { type: 'string' } }, false);
    checkGateFlags(values);
    const ctx = createContext(values);
    const model = values.model ?? ctx.config.model;
    const candidate = values.candidate ?? ctx.config.candidate.version;
    const config = gateConfigWith(ctx.config.gate, values.window);
    const end = parseEnd(values.end);
    const opened = await openQueryRunner(ctx.config, { via: values.via, token: values.via ? ctx.apiToken() : null, log: (m) => ctx.logger.info({ stage: 'migrate' }, m) });
    try {
      await ensureKnownVersion(
        opened.runner,
        { database: readDatabase(ctx.config.clickhouse), registryPath: ctx.config.registry.path, configured: { model: ctx.config.model, version: ctx.config.candidate.version } },
        { model, version: candidate, label: '--candidate' },
      );
      const singleRequest = singleRequestFigures(ctx.config.registry.path, model, candidate);
      const report = await runGate(opened.runner, { model, candidate, database: readDatabase(ctx.config.clickhouse), config, end, now: new Date(), singleRequest });
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

/** The flags' own syntax, checked before the config is read or anything is opened. */
export function checkGateFlags(values: { window?: string; end?: string; via?: string }): void {
  if (values.window !== undefined && !Duration.safeParse(values.window).success) {
    throw new ShadowError('SHADOW_CONFIG', `--window: expected a duration like 30m, 12h or 7d, got "${values.window}"`);
  }
  parseEnd(values.end);
  if (values.via !== undefined && !/^https?:\/\/[^/\s]+/.test(values.via)) {
    throw new ShadowError('SHADOW_CONFIG', `--via: expected the URL of a running processor, http://HOST:PORT, got "${values.via}"`);
  }
}

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
  if (Number.isNaN(d.getTime())) throw new ShadowError('SHADOW_CONFIG', `--end: expected an ISO 8601 time like 2025-01-08T00:00:00Z, got "${text}"`);
  return d;
}

export function notRecorded(decisionId: string, err: unknown): ShadowError {
  return new ShadowError(isShadowError(err) ? err.code : 'SHADOW_SINK', `decision ${decisionId} was not recorded in gate_decisions: ${errorMessage(err)}`, { cause: err });
}
