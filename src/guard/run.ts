import { afterGate, stillGuarding, type GuardState } from './decide.ts';
import type { GuardPage } from './page.ts';

// The guard loop: every period, while the promoted version is still production and the guard period
// lasts, run the gate on the demoted version (which the processor shadows) and roll back on REJECT.
// Every effect is a dependency, so the loop is tested with a fake clock; the CLI wires the real ones.

export interface GateOutcome {
  readonly decision: string;
  readonly decisionId: string;
  readonly reasons: readonly string[];
}

export interface GuardDeps {
  production(): string | null;
  gate(): Promise<GateOutcome>;
  /** Rolls back to the demoted version; `detectedMs` is when the REJECT came back (the flip's clock starts there). */
  rollback(reason: string, gateDecisionId: string, detectedMs: number): Promise<{ promotionId: string; flipMs: number }>;
  page(page: GuardPage): Promise<unknown>;
  now(): number;
  sleep(ms: number): Promise<void>;
  log(event: 'evaluated' | 'stopped', fields: Record<string, unknown>): void;
}

export interface GuardOptions {
  readonly model: string;
  readonly guarded: string;
  readonly demoted: string;
  /** When the guarded version was promoted (epoch ms): the guard period counts from it. */
  readonly promotedMs: number;
  readonly periodMs: number;
  readonly durationMs: number;
  readonly owner: string | null;
  readonly runbook: string | null;
  readonly signal?: AbortSignal;
}

export type GuardOutcome =
  | { readonly outcome: 'rolled-back'; readonly detectionToFlipMs: number; readonly reason: string; readonly detectedAt: string }
  | { readonly outcome: 'stopped'; readonly why: string };

export async function runGuard(deps: GuardDeps, o: GuardOptions): Promise<GuardOutcome> {
  for (;;) {
    if (o.signal?.aborted) return { outcome: 'stopped', why: 'signal' };
    const state = (): GuardState => ({ guarded: o.guarded, demoted: o.demoted, production: deps.production(), elapsedMs: deps.now() - o.promotedMs, durationMs: o.durationMs });
    const before = stillGuarding(state());
    if (before.action === 'stop') {
      deps.log('stopped', { why: before.why });
      return { outcome: 'stopped', why: before.why };
    }
    const gate = await deps.gate();
    const detectedMs = deps.now();
    const next = afterGate(state(), gate);
    deps.log('evaluated', { decision: gate.decision, decisionId: gate.decisionId, reasons: gate.reasons.slice(0, 5), action: next.action });
    if (next.action === 'rollback') {
      // Checked again under the registry lock by rollbackVersion: a human may have acted meanwhile.
      const flip = await deps.rollback(next.reason, gate.decisionId, detectedMs);
      const detectedAt = new Date(detectedMs).toISOString();
      await deps.page({
        code: 'SHADOW_GUARD_ROLLBACK', model: o.model, from: o.guarded, to: o.demoted, reason: next.reason, gateDecisionId: gate.decisionId,
        promotionId: flip.promotionId, detectedAt, detectionToFlipMs: flip.flipMs, owner: o.owner, runbook: o.runbook,
      });
      return { outcome: 'rolled-back', detectionToFlipMs: flip.flipMs, reason: next.reason, detectedAt };
    }
    await deps.sleep(o.periodMs);
  }
}
