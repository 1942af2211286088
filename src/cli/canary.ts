import { setTimeout as sleep } from 'node:timers/promises';
import { COMMON_HELP, parseFlags, type Command } from './command.ts';
import { createContext, type Context } from './context.ts';
import { audit, recordFlips } from './promote.ts';
import { runCanaryController } from '../canary/controller.ts';
import { readCanaryEvidence } from '../canary/evidence.ts';
import { judgePolicy } from '../canary/judge.ts';
import { ShadowError } from '../errors.ts';
import { openQueryRunner } from '../query/index.ts';
import {
  abortCanary, actorName, modelEntry, openRegistry, parseSteps, pct, promoteCanary, startCanary, stepCanary, type FlipResult, type Registry,
} from '../registry/index.ts';
import { readDatabase } from '../sinks/clickhouse/cluster.ts';

const SUBCOMMANDS = ['start', 'status', 'abort', 'promote', 'run'] as const;

export const canaryCommand: Command = {
  help: `Usage: shadow-compare canary start MODEL VERSION [--steps 1,5,25,50,100] [--step-duration 30m] [--min-comparisons 500]
       shadow-compare canary status MODEL
       shadow-compare canary abort MODEL
       shadow-compare canary promote MODEL
       shadow-compare canary run MODEL [--poll 30s]

A canary routes a share of real traffic to VERSION (serving code reads it from the production flag and
routes by request id: routeVersion in src/registry/traffic-split.ts). Every change is one flag flip,
audited in <database>.promotions with the time from the command to the flip.
  start    weight = the first step; VERSION must be registered, its artifact intact
  status   the canary, its step and weight
  abort    weight 0 at once (all traffic back on production)
  promote  VERSION becomes production (all traffic)
  run      the ramp controller: at each step waits for --min-comparisons canary requests and the step
           duration, asks the canary judge (error rate, latency, scores, accuracy per segment against the
           production version over the same 10 s buckets), then advances, holds or aborts. Killing it leaves
           the weight where it is.

Options:
      --steps LIST            traffic percentages, ascending, last 100 (default 1,5,25,50,100)
      --step-duration D       minimum time per step (default 30m)
      --min-comparisons N     canary requests a step needs before it can pass (default 500)
      --poll D                how often \`run\` looks again (default 30s)
      --reason TEXT           recorded with the change
      --actor NAME            recorded as who acted (default: OS user)
      --via URL               read and audit through a running processor (http://HOST:PORT; SHADOW_API_TOKEN)
      --json                  print JSON
${COMMON_HELP}`,
  async run(argv) {
    const started = Date.now();
    const { values, positionals } = parseFlags(argv, {
      steps: { type: 'string', default: '1,5,25,50,100' },
      'step-duration': { type: 'string', default: '30m' },
      'min-comparisons': { type: 'string', default: '500' },
      poll: { type: 'string', default: '30s' },
      reason: { type: 'string' },
      actor: { type: 'string' },
      via: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    const [sub, model, version] = positionals as [string | undefined, string | undefined, string | undefined];
    if (!sub || !(SUBCOMMANDS as readonly string[]).includes(sub) || !model || (sub === 'start') !== (version !== undefined) || positionals.length > 3) {
      throw new ShadowError('SHADOW_CONFIG', 'usage: shadow-compare canary start MODEL VERSION | status MODEL | abort MODEL | promote MODEL | run MODEL');
    }
    const ctx = createContext(values);
    const actor = actorName(values.actor);
    const reason = values.reason ?? '';
    if (sub === 'status') return status(ctx, model, values.json);
    if (sub === 'run') return run(ctx, model, { actor, via: values.via, poll: duration('--poll', values.poll) });
    const flip = await withRegistry(ctx, async (reg) => {
      if (sub === 'start') {
        return startCanary(reg, {
          model, version: version as string, stepsPercent: parseSteps(values.steps), stepDurationMs: duration('--step-duration', values['step-duration']),
          minComparisonsPerStep: count('--min-comparisons', values['min-comparisons']), actor, reason, startedMs: started,
        });
      }
      if (sub === 'abort') return abortCanary(reg, { model, actor, reason: reason || 'aborted by hand', startedMs: started });
      return promoteCanary(reg, { model, actor, reason });
    });
    const warning = await audit(ctx, values.via, (r) => recordFlips(ctx, r, model));
    const line = `${flip.event.action}: ${model} ${flip.event.to}${flip.event.weight === undefined ? '' : ` at ${pct(flip.event.weight)}`} (flag flipped in ${flip.event.flipMs ?? 0} ms, ${Date.now() - started} ms in all)`;
    process.stdout.write(values.json ? `${JSON.stringify({ flip, warnings: warning ? [warning] : [] }, null, 2)}\n` : `${line}\n`);
    if (warning) process.stderr.write(`warning: ${warning}\n`);
    return 0;
  },
};

async function withRegistry(ctx: Context, f: (reg: Registry) => Promise<FlipResult>): Promise<FlipResult> {
  const reg = await openRegistry(ctx.config);
  try {
    return await f(reg);
  } finally {
    await reg.close();
  }
}

function status(ctx: Context, model: string, json: boolean | undefined): number {
  const entry = modelEntry(ctx.config.registry.path, model);
  const c = entry.canary ?? null;
  if (json) process.stdout.write(`${JSON.stringify({ model, production: entry.production, canary: c }, null, 2)}\n`);
  else if (!c) process.stdout.write(`${model}: production ${entry.production ?? 'none'}, no canary\n`);
  else {
    const steps = c.steps.map((s, i) => (i === c.step ? `[${pct(s)}]` : pct(s))).join(' ');
    process.stdout.write(`${model}: production ${entry.production ?? 'none'}, canary ${c.version} ${c.status} at ${pct(c.weight)}\n  steps ${steps}, step started ${c.stepStartedAt}, min ${c.stepDurationMs / 60_000} min and ${c.minComparisonsPerStep} canary requests per step\n`);
  }
  return 0;
}

async function run(ctx: Context, model: string, o: { actor: string; via?: string; poll: number }): Promise<number> {
  const log = ctx.logger.child({ stage: 'canary', model });
  const opened = await openQueryRunner(ctx.config, { via: o.via, token: o.via ? ctx.apiToken() : null });
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const flipAndAudit = async (f: (reg: Registry) => Promise<FlipResult>) => {
    const flip = await withRegistry(ctx, f);
    log.warn({ action: flip.event.action, to: flip.event.to, weight: flip.event.weight, reason: flip.event.reason, flipMs: flip.event.flipMs }, 'canary flag flipped');
    await recordFlips(ctx, opened, model).catch((err: unknown) => log.warn({ err: String(err) }, 'canary change not recorded in promotions (the registry has it)'));
  };
  try {
    const outcome = await runCanaryController(
      {
        state: async () => {
          const e = modelEntry(ctx.config.registry.path, model);
          return { production: e.production, canary: e.canary ?? null };
        },
        evidence: (from, to, v) => readCanaryEvidence(opened.runner, readDatabase(ctx.config.clickhouse), { model, ...v, from, to }),
        advance: (reason) => flipAndAudit((reg) => stepCanary(reg, { model, advance: true, actor: o.actor, reason })),
        hold: (reason) => flipAndAudit((reg) => stepCanary(reg, { model, advance: false, actor: o.actor, reason })),
        abort: (reason) => flipAndAudit((reg) => abortCanary(reg, { model, actor: o.actor, reason })),
        promote: (reason) => flipAndAudit((reg) => promoteCanary(reg, { model, actor: o.actor, reason })),
        now: () => new Date(),
        sleep: (ms) => sleep(ms, undefined, { signal: controller.signal }).catch(() => {}),
        log: (event, fields) => log.info(fields, event === 'decision' ? 'canary judged' : 'canary waiting'),
      },
      { policy: judgePolicy(ctx.config.canary, 1), pollMs: o.poll, signal: controller.signal },
    );
    log.info({ outcome }, 'canary controller finished');
    process.stdout.write(`${model}: ${outcome}\n`);
    return outcome === 'aborted' ? 4 : 0;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    await opened.close();
  }
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

function duration(flag: string, text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : 0;
  if (!(ms > 0)) throw new ShadowError('SHADOW_CONFIG', `${flag}: must be a duration like 500ms, 30s, 30m or 2h, got ${text}`);
  return ms;
}

function count(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new ShadowError('SHADOW_CONFIG', `${flag}: must be a whole number of at least 1, got ${text}`);
  return n;
}
