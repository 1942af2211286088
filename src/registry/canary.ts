import { ShadowError } from '../errors.ts';
import { verifyArtifact } from './artifact.ts';
import { readRegistry, withRegistryLock } from './file-store.ts';
import { EMPTY_MODEL, historyEvent, promoteVersion, publishAndWrite, type FlipResult, type Registry } from './registry.ts';
import type { CanaryState, ModelEntry } from './types.ts';

// Canary rollout in the registry: the production flag record carries a canary version and the share
// of traffic it gets. Every change is one flag flip (published, then written under the registry lock)
// and one history event, like promote and rollback. Abort is weight 0 at once.

export interface CanaryPlan {
  readonly model: string;
  readonly version: string;
  /** Traffic weights in percent, ascending, ending at 100 (e.g. 1, 5, 25, 50, 100). */
  readonly stepsPercent: readonly number[];
  readonly stepDurationMs: number;
  readonly minComparisonsPerStep: number;
  readonly actor: string;
  readonly reason: string;
  /** When the command started (epoch ms): the audit records the time from it to the flip. */
  readonly startedMs?: number;
}

export function parseSteps(text: string): number[] {
  const steps = text.split(',').map((x) => Number(x.trim()));
  const bad = steps.find((x, i) => !Number.isFinite(x) || x <= 0 || x > 100 || (i > 0 && x <= (steps[i - 1] as number)));
  if (steps.length === 0 || bad !== undefined) {
    throw new ShadowError('SHADOW_CONFIG', `--steps: must be ascending percentages in (0, 100], e.g. 1,5,25,50,100; got ${text}`);
  }
  return steps;
}

export async function startCanary(reg: Registry, plan: CanaryPlan): Promise<FlipResult> {
  const steps = plan.stepsPercent.map((p) => p / 100);
  return withRegistryLock(reg.path, async () => {
    const data = readRegistry(reg.path);
    const entry = data.models[plan.model] ?? EMPTY_MODEL;
    if (!entry.production) throw new ShadowError('SHADOW_REGISTRY', `${plan.model} has no production version: promote one before a canary`);
    if (entry.production === plan.version) throw new ShadowError('SHADOW_REGISTRY', `${plan.version} is already the production version of ${plan.model}`);
    if (entry.canary?.status === 'running' && entry.canary.weight > 0) {
      throw new ShadowError('SHADOW_REGISTRY', `${plan.model} already has a canary running (${entry.canary.version} at ${pct(entry.canary.weight)}); abort or promote it first`);
    }
    const record = entry.versions[plan.version];
    if (!record) throw new ShadowError('SHADOW_REGISTRY', `${plan.model} ${plan.version} is not registered; run \`shadow-compare register ${plan.model} ${plan.version} ARTIFACT\` first`);
    await verifyArtifact(`${plan.model} ${plan.version}`, record.artifact);
    const at = reg.now().toISOString();
    const canary: CanaryState = {
      version: plan.version, weight: steps[0] as number, steps, step: 0, stepDurationMs: plan.stepDurationMs,
      minComparisonsPerStep: plan.minComparisonsPerStep, startedAt: at, stepStartedAt: at, status: 'running',
    };
    const event = historyEvent(reg, entry, { action: 'canary-start', from: entry.production, to: plan.version, actor: plan.actor, reason: plan.reason, weight: canary.weight });
    return publishAndWrite(reg, data, plan.model, { ...entry, canary }, event, plan.startedMs);
  });
}

/** Moves a running canary to its next step (`advance`), or records a hold without changing the weight. */
export async function stepCanary(reg: Registry, input: { model: string; advance: boolean; actor: string; reason: string; startedMs?: number }): Promise<FlipResult> {
  return withRegistryLock(reg.path, async () => {
    const data = readRegistry(reg.path);
    const entry = data.models[input.model] ?? EMPTY_MODEL;
    const c = running(input.model, entry);
    const step = input.advance ? Math.min(c.step + 1, c.steps.length - 1) : c.step;
    const canary: CanaryState = { ...c, step, weight: c.steps[step] as number, stepStartedAt: input.advance ? reg.now().toISOString() : c.stepStartedAt };
    const event = historyEvent(reg, entry, { action: input.advance ? 'canary-step' : 'canary-hold', from: entry.production, to: c.version, actor: input.actor, reason: input.reason, weight: canary.weight });
    return publishAndWrite(reg, data, input.model, { ...entry, canary }, event, input.startedMs);
  });
}

/** Weight to 0 at once: all traffic back on production. The canary stays recorded as aborted. */
export async function abortCanary(reg: Registry, input: { model: string; actor: string; reason: string; startedMs?: number }): Promise<FlipResult> {
  return withRegistryLock(reg.path, async () => {
    const data = readRegistry(reg.path);
    const entry = data.models[input.model] ?? EMPTY_MODEL;
    const c = entry.canary;
    if (!c || c.status !== 'running') throw new ShadowError('SHADOW_REGISTRY', `${input.model} has no running canary to abort`);
    const canary: CanaryState = { ...c, weight: 0, status: 'aborted' };
    const event = historyEvent(reg, entry, { action: 'canary-abort', from: entry.production, to: c.version, actor: input.actor, reason: input.reason, weight: 0 });
    return publishAndWrite(reg, data, input.model, { ...entry, canary }, event, input.startedMs);
  });
}

/** The canary version becomes production (all traffic), through the ordinary promote. */
export async function promoteCanary(reg: Registry, input: { model: string; actor: string; reason: string; gateDecisionId?: string }): Promise<FlipResult> {
  const entry = readRegistry(reg.path).models[input.model] ?? EMPTY_MODEL;
  const c = running(input.model, entry);
  return promoteVersion(reg, { model: input.model, version: c.version, actor: input.actor, reason: input.reason || `canary promoted at ${pct(c.weight)}`, gateDecisionId: input.gateDecisionId });
}

function running(model: string, entry: ModelEntry): CanaryState {
  const c = entry.canary;
  if (!c || c.status !== 'running') throw new ShadowError('SHADOW_REGISTRY', `${model} has no running canary (start one with \`shadow-compare canary start ${model} VERSION\`)`);
  return c;
}

export function pct(weight: number): string {
  return `${Number((weight * 100).toFixed(2))}%`;
}
