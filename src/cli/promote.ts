import { randomUUID } from 'node:crypto';
import { COMMON_HELP, parseFlags, positionalArgs, type Command } from './command.ts';
import { createContext, type Context } from './context.ts';
import { GATE_EXIT_CODES } from './exit-codes.ts';
import { GATE_HELP, GATE_OPTIONS, checkGateFlags, gateConfigWith, parseEnd, singleRequestFigures } from './gate.ts';
import { ShadowError, errorMessage } from '../errors.ts';
import { formatReport, recordDecision, runGate, type GateReport } from '../gate/index.ts';
import { openQueryRunner, type OpenedRunner } from '../query/index.ts';
import { actorName, formatFlip, modelEntry, openRegistry, pinMismatch, promoteVersion, syncPromotions, type FlipResult } from '../registry/index.ts';
import { readDatabase } from '../sinks/clickhouse/cluster.ts';

export const promoteCommand: Command = {
  help: `Usage: shadow-compare promote MODEL VERSION [--if-gate-passes] [options]

Checks VERSION's artifact (present, sha256 unchanged, loads in onnxruntime), publishes it as the
production version (registry file; with registry.backend: kafka also the compacted flag topic) and
records the promotion in <database>.promotions. A failed check changes nothing (exit 2, SHADOW_REGISTRY);
an unregistered VERSION is refused before the gate runs. With --if-gate-passes the gate judges VERSION
first; HOLD (exit 3) or REJECT (exit 4) promote nothing,
and the gate decision is recorded with a link to the promotion it allowed.

Options:
      --if-gate-passes  run the gate on VERSION first and promote only on PROMOTE
      --reason TEXT     recorded with the promotion
${GATE_HELP}
      --allow-feature-schema-change  promote even though VERSION is pinned to another feature schema
                      than the one production serves (refused otherwise)
${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { ...GATE_OPTIONS, 'if-gate-passes': { type: 'boolean', default: false }, reason: { type: 'string' }, 'allow-feature-schema-change': { type: 'boolean', default: false } });
    const [model, version] = positionalArgs(positionals, ['MODEL', 'VERSION'], 'shadow-compare promote MODEL VERSION [--if-gate-passes]');
    checkGateFlags(values);
    const ctx = createContext(values);
    if (!(version in modelEntry(ctx.config.registry.path, model).versions)) {
      throw new ShadowError('SHADOW_REGISTRY', `VERSION ${version}: ${model} ${version} is not registered in ${ctx.config.registry.path}; run \`shadow-compare register ${model} ${version} ARTIFACT\` first`);
    }
    // The model would receive features it was not built for (issue 15): refuse unless told otherwise.
    const mismatch = pinMismatch(modelEntry(ctx.config.registry.path, model), version);
    if (mismatch && !values['allow-feature-schema-change']) throw new ShadowError('SHADOW_REGISTRY', mismatch);
    const actor = actorName(values.actor);
    const reason = values.reason ?? '';
    if (!values['if-gate-passes']) {
      const flip = await flipTo(ctx, { model, version, actor, reason });
      const warning = await audit(ctx, values.via, (r) => recordFlips(ctx, r, model));
      print(values.json, flip, ctx, warning);
      return 0;
    }
    const opened = await openQueryRunner(ctx.config, { via: values.via, token: values.via ? ctx.apiToken() : null });
    try {
      const report = await runGate(opened.runner, {
        model, candidate: version, database: readDatabase(ctx.config.clickhouse),
        config: gateConfigWith(ctx.config.gate, values.window), end: parseEnd(values.end), now: new Date(),
        singleRequest: singleRequestFigures(ctx.config.registry.path, model, version),
      });
      const record = (promotionId?: string) => recordDecision(opened.runner, report, { actor, source: opened.source, promotionId });
      if (report.decision !== 'PROMOTE') {
        await record();
        printGate(values.json, report, `not promoted: the gate decided ${report.decision}`);
        return GATE_EXIT_CODES[report.decision];
      }
      let flip: FlipResult;
      try {
        flip = await flipTo(ctx, { model, version, actor, reason: reason || 'gate passed', gateDecisionId: report.decisionId, promotionId: randomUUID() });
      } catch (err) {
        await record().catch(() => {});
        throw err;
      }
      // Production has flipped: audit failures are reported, not turned into a failed promotion.
      const warnings = [
        await record(flip.event.promotionId).then(() => null, (e: unknown) => `gate decision not recorded in gate_decisions: ${errorMessage(e)}`),
        await recordFlips(ctx, opened, model).then(() => null, (e: unknown) => `promotion not recorded in promotions: ${errorMessage(e)}`),
      ].filter((w): w is string => w !== null);
      if (values.json) process.stdout.write(`${JSON.stringify({ promoted: true, flip, gate: report, warnings }, null, 2)}\n`);
      else {
        process.stdout.write(formatReport(report));
        process.stdout.write(`\n${formatFlip(flip, where(ctx))}`);
      }
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      return 0;
    } finally {
      await opened.close();
    }
  },
};

async function flipTo(ctx: Context, input: Parameters<typeof promoteVersion>[1]): Promise<FlipResult> {
  const reg = await openRegistry(ctx.config);
  try {
    return await promoteVersion(reg, input);
  } finally {
    await reg.close();
  }
}

/**
 * Copies the registry's history into promotions: directly when this command can open the store, else by
 * asking the processor at --via to copy it (the network never carries promotion rows).
 */
export async function recordFlips(ctx: Context, opened: OpenedRunner, model: string): Promise<void> {
  if (opened.source === 'http') await opened.runner.syncPromotions(model);
  else {
    const c = ctx.config;
    await syncPromotions(opened.runner, { registryPath: c.registry.path, database: readDatabase(c.clickhouse), backend: c.registry.backend, model });
  }
}

/** Writes the audit row; returns a warning instead of failing (the flip is done and must stand). */
export async function audit(ctx: Context, via: string | undefined, write: (r: OpenedRunner) => Promise<void>): Promise<string | null> {
  let opened: OpenedRunner | undefined;
  try {
    opened = await openQueryRunner(ctx.config, { via, token: via ? ctx.apiToken() : null });
    await write(opened);
    return null;
  } catch (err) {
    return `not recorded in ${ctx.config.clickhouse.database}.promotions (the registry file has it): ${errorMessage(err)}`;
  } finally {
    await opened?.close().catch(() => {});
  }
}

export function where(ctx: Context) {
  return { backend: ctx.config.registry.backend, path: ctx.config.registry.path, topic: ctx.config.kafka.registryTopic };
}

function print(json: boolean | undefined, flip: FlipResult, ctx: Context, warning: string | null): void {
  if (json) process.stdout.write(`${JSON.stringify({ promoted: true, flip, warnings: warning ? [warning] : [] }, null, 2)}\n`);
  else process.stdout.write(formatFlip(flip, where(ctx)));
  if (warning) process.stderr.write(`warning: ${warning}\n`);
}

function printGate(json: boolean | undefined, report: GateReport, note: string): void {
  if (json) process.stdout.write(`${JSON.stringify({ promoted: false, gate: report }, null, 2)}\n`);
  else process.stdout.write(`${formatReport(report)}\n${note}\n`);
}
