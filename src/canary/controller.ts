import type { CanaryState } from '../registry/types.ts';
import { evidenceBand, judgeCanary, type JudgePolicy } from './judge.ts';
import type { CanaryVerdict, SliceEvidence } from './types.ts';

// The ramp controller. At each step it waits for evidence, asks the judge, and advances, holds or
// aborts. It changes the weight only through the registry's flag flips, each atomic and audited, so a
// controller that dies (kill -9 included) leaves the weight where the last flip put it: never at 100
// unless the canary was promoted.

export interface ControllerDeps {
  /** The registry's view now. */
  state(): Promise<{ production: string | null; canary: CanaryState | null }>;
  /** Baseline and canary slices over [from, to). */
  evidence(from: Date, to: Date, versions: { baseline: string; canary: string }): Promise<SliceEvidence[]>;
  advance(reason: string): Promise<void>;
  hold(reason: string): Promise<void>;
  abort(reason: string): Promise<void>;
  promote(reason: string): Promise<void>;
  now(): Date;
  sleep(ms: number): Promise<void>;
  log(event: 'decision' | 'waiting', fields: Record<string, unknown>): void;
}

export interface ControllerOptions {
  readonly policy: JudgePolicy;
  /** How often to look again. */
  readonly pollMs: number;
  /** Stop after this many polls (tests); unbounded by default. */
  readonly maxPolls?: number;
  readonly signal?: AbortSignal;
}

export type ControllerOutcome = 'promoted' | 'aborted' | 'no-canary' | 'stopped';

export async function runCanaryController(deps: ControllerDeps, opts: ControllerOptions): Promise<ControllerOutcome> {
  let holdRecordedFor: string | null = null;
  // The last evidence band of the current step the judge looked for aborts in (judge.ts, abortAlpha).
  let lookedAt = null as { step: string; band: number } | null;
  for (let poll = 0; opts.maxPolls === undefined || poll < opts.maxPolls; poll++) {
    if (opts.signal?.aborted) return 'stopped';
    const { production, canary: c } = await deps.state();
    if (!c || !production || c.status !== 'running' || c.weight <= 0) return c?.status === 'aborted' ? 'aborted' : 'no-canary';
    const now = deps.now();
    const stepStart = new Date(c.stepStartedAt);
    const elapsed = now.getTime() - stepStart.getTime();
    const slices = await deps.evidence(stepStart, now, { baseline: production, canary: c.version });
    // The step's evidence requirement is the canary's own (`canary start --min-comparisons`). Aborts are
    // looked for once per evidence band: a look at every poll would spend alpha many times over.
    const stepKey = `${c.step}:${c.stepStartedAt}`;
    const band = evidenceBand(slices.find((s) => s.dimension === '__all__')?.canary.answered ?? 0, c.minComparisonsPerStep);
    const look = band > 0 && (lookedAt?.step !== stepKey || band > lookedAt.band);
    if (look) lookedAt = { step: stepKey, band };
    const verdict = judgeCanary(slices, { ...opts.policy, minCanaryRequests: c.minComparisonsPerStep, steps: c.steps.length }, { checkAborts: look });
    const stepDone = elapsed >= c.stepDurationMs;
    deps.log('decision', { step: c.step, weight: c.weight, elapsedMs: elapsed, stepDone, band, abortLook: look, decision: verdict.decision, reasons: verdict.reasons });
    if (verdict.decision === 'ABORT') {
      await deps.abort(summary(verdict));
      return 'aborted';
    }
    if (verdict.decision === 'PROMOTE-STEP' && stepDone) {
      const next = c.step + 1;
      const ratio = c.steps[next] ?? 1;
      if (next >= c.steps.length || ratio >= 1) {
        await deps.promote(`canary passed every step up to ${Math.round(c.weight * 100)}%`);
        return 'promoted';
      }
      await deps.advance(`step ${c.step + 1}/${c.steps.length} passed at ${Math.round(c.weight * 100)}%: ${passSummary(verdict)}`);
      holdRecordedFor = null;
    } else if (verdict.decision === 'HOLD' && stepDone) {
      // One audited hold per step, not one per poll: the weight does not change.
      const key = `${c.step}:${c.stepStartedAt}`;
      if (holdRecordedFor !== key) {
        await deps.hold(summary(verdict));
        holdRecordedFor = key;
      }
    } else {
      deps.log('waiting', { step: c.step, remainingMs: Math.max(0, c.stepDurationMs - elapsed) });
    }
    await deps.sleep(opts.pollMs);
  }
  return 'stopped';
}

function summary(v: CanaryVerdict): string {
  return v.reasons.join('; ').slice(0, 2000);
}

function passSummary(v: CanaryVerdict): string {
  return v.checks.filter((c) => c.scope === 'overall' && c.result === 'pass').map((c) => c.detail).join('; ').slice(0, 1000);
}
