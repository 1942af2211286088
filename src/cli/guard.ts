import { setTimeout as sleep } from 'node:timers/promises';
import { COMMON_HELP, parseFlags, positionalArgs, type Command } from './command.ts';
import { createContext } from './context.ts';
import { EXIT } from './exit-codes.ts';
import { gateConfigWith } from './gate.ts';
import { recordFlips } from './promote.ts';
import { ShadowError } from '../errors.ts';
import { recordDecision, runGate } from '../gate/index.ts';
import { demotedVersion } from '../guard/candidate.ts';
import { pageOwner } from '../guard/page.ts';
import { runGuard } from '../guard/run.ts';
import { openQueryRunner } from '../query/index.ts';
import { actorName, modelEntry, openRegistry, rollbackVersion } from '../registry/index.ts';
import { readDatabase } from '../sinks/clickhouse/cluster.ts';

export const guardCommand: Command = {
  help: `Usage: shadow-compare guard MODEL [--via URL] [--actor NAME]

The post-promotion guard (needs guard.enabled: true). After a promotion the processor keeps shadowing
the demoted version (the previous production, from the registry's lineage) against the new primary's
outputs. Every guard.periodSeconds, for guard.durationMinutes after the promotion, this runs the gate
(gate: thresholds) on the demoted version; on REJECT it rolls back to it (the flag flips, audited in
<database>.promotions with actor and reason), pages guard.contact and exits 4. It stops by itself (exit
0) when the period is over or production changed. Its detection-to-flip time is in the audit row (flip_ms).

Options:
      --via URL       read and audit through a running processor (http://HOST:PORT; SHADOW_API_TOKEN)
      --actor NAME    recorded as who rolled back (default: guard)
${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { via: { type: 'string' }, actor: { type: 'string' } });
    const [model] = positionalArgs(positionals, ['MODEL'], 'shadow-compare guard MODEL');
    const ctx = createContext(values);
    const config = ctx.config;
    if (!config.guard.enabled) throw new ShadowError('SHADOW_CONFIG', 'guard.enabled is false: the guard is opt-in (set guard.enabled: true and restart the processor so it shadows the demoted version)');
    const entry = modelEntry(config.registry.path, model);
    const demoted = demotedVersion(config, entry);
    if (!entry.production || !demoted) throw new ShadowError('SHADOW_REGISTRY', `${model} has no demoted version to guard with: promote a version over an earlier one first`);
    const guarded = entry.production;
    const promoted = [...entry.history].reverse().find((h) => h.to === guarded && (h.action === 'promote' || h.action === 'rollback'));
    const actor = actorName(values.actor ?? 'guard');
    const log = ctx.logger.child({ stage: 'guard', model });
    const opened = await openQueryRunner(config, { via: values.via, token: values.via ? ctx.apiToken() : null });
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    log.warn({ guarded, demoted: demoted.version, periodSeconds: config.guard.periodSeconds, durationMinutes: config.guard.durationMinutes }, 'guard watching: a gate REJECT of the demoted version rolls back');
    try {
      const outcome = await runGuard(
        {
          production: () => modelEntry(config.registry.path, model).production,
          gate: async () => {
            const now = new Date();
            // The window ends at the end of the current minute: the minute under way counts, so detection waits for no boundary.
            const end = new Date(Math.ceil((now.getTime() + 1) / 60_000) * 60_000);
            const report = await runGate(opened.runner, { model, candidate: demoted.version, database: readDatabase(config.clickhouse), config: gateConfigWith(config.gate, undefined), end, now });
            await recordDecision(opened.runner, report, { actor, source: opened.source }).catch((err: unknown) => log.warn({ err: String(err), decisionId: report.decisionId }, 'guard decision not recorded in gate_decisions'));
            return { decision: report.decision, decisionId: report.decisionId, reasons: report.reasons };
          },
          rollback: async (reason, gateDecisionId, detectedMs) => {
            const reg = await openRegistry(config);
            try {
              const flip = await rollbackVersion(reg, { model, to: demoted.version, actor, reason, gateDecisionId, startedMs: detectedMs, expectProduction: guarded });
              log.fatal({ code: 'SHADOW_GUARD_ROLLBACK', from: guarded, to: demoted.version, reason, gateDecisionId, flipMs: flip.event.flipMs, promotionId: flip.event.promotionId }, 'GUARD ROLLED BACK production');
              await recordFlips(ctx, opened, model).catch((err: unknown) => log.error({ err: String(err) }, 'guard rollback not recorded in promotions (the registry has it)'));
              return { promotionId: flip.event.promotionId, flipMs: flip.event.flipMs ?? 0 };
            } finally {
              await reg.close();
            }
          },
          page: (page) => pageOwner(page, { contact: config.guard.contact, timeoutMs: config.guard.contactTimeoutMs, log }),
          now: () => Date.now(),
          sleep: (ms) => sleep(ms, undefined, { signal: controller.signal }).catch(() => {}),
          log: (event, fields) => log.info(fields, event === 'evaluated' ? 'guard evaluated' : 'guard stopped'),
        },
        {
          model, guarded, demoted: demoted.version, promotedMs: promoted ? Date.parse(promoted.at) : Date.now(), periodMs: config.guard.periodSeconds * 1000,
          durationMs: config.guard.durationMinutes * 60_000, owner: config.owner ?? null, runbook: config.runbook ?? null, signal: controller.signal,
        },
      );
      process.stdout.write(outcome.outcome === 'rolled-back'
        ? `${model}: rolled back ${guarded} -> ${demoted.version} (${outcome.detectionToFlipMs} ms from detection to flag flip): ${outcome.reason}\n`
        : `${model}: guard stopped: ${outcome.why}\n`);
      return outcome.outcome === 'rolled-back' ? EXIT.REJECT : EXIT.OK;
    } finally {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      await opened.close();
    }
  },
};
