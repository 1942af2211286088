import { z } from 'zod';
import { ShadowError } from '../errors.ts';
import type { Ledger } from '../sinks/clickhouse/ledger.ts';
import type { RowSink } from '../sinks/clickhouse/outcome-sink.ts';
import type { Logger } from './logger.ts';

/**
 * Test seam at the ClickHouse client boundary, switched on only by the SHADOW_FAULT_INJECTION
 * environment variable (JSON). The fault suite runs real `shadow-compare run` processes and uses it to
 * fail inserts for a while, to SIGKILL the process at a chosen durable step, and, in control runs, to
 * break the counting mechanism on purpose so the suite proves its oracle can fail.
 */
export const FaultPlan = z
  .object({
    /** Retryable insert failures for `forMs`, starting at insert call number `fromInsert` (1-based). */
    failInserts: z.object({ fromInsert: z.number().int().min(1).default(1), forMs: z.number().int().min(1) }).strict().optional(),
    /** SIGKILL this process at insert call number `atInsert`: before it, while it runs, or after it is acknowledged (before the commit). */
    kill: z.object({ point: z.enum(['before-insert', 'during-insert', 'after-insert']), atInsert: z.number().int().min(1) }).strict().optional(),
    /** Control: every block gets the same dedup token, so later blocks are silently dropped. */
    reuseToken: z.boolean().optional(),
    /**
     * Control: skip reading back what was written before a restart, so re-read records count again.
     * Dedup tokens are salted per process too: otherwise a re-read block whose boundaries happen to
     * match the first life's is dropped by the store as a retry, and whether the control sees any
     * duplicate depends on timing (it did not in one CI run).
     */
    skipRecovery: z.boolean().optional(),
    /** Control: switch the client-side write fence off, so a paused instance writes after its partitions moved. */
    disableFence: z.boolean().optional(),
    /** Control: send blocks straight to outcomes, past the store's fence (partition generations). */
    disableStoreFence: z.boolean().optional(),
  })
  .strict();

export type FaultPlan = z.output<typeof FaultPlan>;

export function faultPlanFromEnv(env: Record<string, string | undefined>): FaultPlan | null {
  const raw = env.SHADOW_FAULT_INJECTION;
  if (!raw) return null;
  const parsed = FaultPlan.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new ShadowError('SHADOW_CONFIG', `SHADOW_FAULT_INJECTION: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export function injectSinkFaults(plan: FaultPlan, logger: Logger): (sink: RowSink) => RowSink {
  const log = logger.child({ stage: 'fault-injection' });
  log.warn({ plan }, 'FAULT INJECTION ACTIVE: for tests only');
  let calls = 0;
  let failUntil = 0;
  // A repair's resend is an insert call like any other: kill points and failure windows count it.
  const guarded = async (token: string, send: (token: string) => Promise<void>) => {
    calls++;
    const f = plan.failInserts;
    if (f && calls === f.fromInsert) failUntil = Date.now() + f.forMs;
    if (Date.now() < failUntil) throw new ShadowError('SHADOW_SINK', 'injected insert failure', { retryable: true });
    const kill = plan.kill && calls === plan.kill.atInsert ? plan.kill.point : null;
    if (kill === 'before-insert') die(log, kill, calls);
    const done = send(plan.reuseToken ? 'reused-token' : plan.skipRecovery ? `${token}:${process.pid}` : token);
    if (kill === 'during-insert') setTimeout(() => die(log, kill, calls), 1);
    await done;
    if (kill) die(log, kill, calls);
  };
  return (inner) => ({
    insert: (rows, token, stamp, folded) => guarded(token, (t) => inner.insert(rows, t, stamp, folded)),
    resend: (tuples, token, stamp) => guarded(token, (t) => inner.resend(tuples, t, stamp)),
  });
}

export function injectLedgerFaults(plan: FaultPlan): (ledger: Ledger) => Ledger {
  if (!plan.skipRecovery) return (l) => l;
  return (inner) => ({
    async written(q) {
      const w = await inner.written(q);
      return { ...w, requestOffsets: new Set(), primaryOffsets: new Set(), requestIds: [], primaryIds: [], blocks: [] };
    },
    repair: async () => 0,
  });
}

function die(log: Logger, point: string, call: number): never {
  log.warn({ point, call }, 'injected SIGKILL');
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}
