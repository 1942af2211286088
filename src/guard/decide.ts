// What the guard does after one gate evaluation of the demoted version against the new production.
// Pure. The gate's REJECT means evidence that the two versions differ beyond the thresholds; after a
// promotion that evidence points at the new version (the old one was the one production trusted), so
// the guard rolls back. HOLD and PROMOTE change nothing: the guard keeps watching.

export interface GuardState {
  /** The production version the guard protects against (the one promoted). */
  readonly guarded: string;
  /** The version it would roll back to (the demoted one, which the processor shadows). */
  readonly demoted: string;
  /** The registry's production version now. */
  readonly production: string | null;
  /** Milliseconds since the guard started watching. */
  readonly elapsedMs: number;
  readonly durationMs: number;
}

export type GuardAction =
  | { readonly action: 'rollback'; readonly reason: string }
  | { readonly action: 'watch' }
  | { readonly action: 'stop'; readonly why: string };

/** Before an evaluation: is there still something to guard? */
export function stillGuarding(s: GuardState): GuardAction {
  if (s.production !== s.guarded) return { action: 'stop', why: `production is ${s.production ?? 'none'} now, not ${s.guarded}: nothing to guard` };
  if (s.elapsedMs >= s.durationMs) return { action: 'stop', why: `guard period of ${Math.round(s.durationMs / 60_000)} min is over` };
  return { action: 'watch' };
}

/** After an evaluation: roll back on REJECT, with the gate's decisive reasons in words. */
export function afterGate(s: GuardState, gate: { decision: string; decisionId: string; reasons: readonly string[] }): GuardAction {
  if (gate.decision !== 'REJECT') return { action: 'watch' };
  const why = gate.reasons.slice(0, 5).join('; ');
  return { action: 'rollback', reason: `guard: gate REJECT of ${s.guarded} against ${s.demoted} (decision ${gate.decisionId}): ${why}`.slice(0, 2000) };
}
