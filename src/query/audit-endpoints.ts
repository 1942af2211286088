import { z } from 'zod';
import { bad, failure, issues, type EndpointResponse } from './handler.ts';
import type { QueryRunner } from './runner.ts';

// The audit trail over the network: a gate decision may be appended (the gate's own record, validated
// field by field, stamped and attributed by the server); promotions and rollbacks are never accepted
// from a request: the processor copies them from the registry, which the commands that flip the flag
// write (see registry/sync-audit.ts).

const DateTime64 = z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,3})?$/, 'must be "YYYY-MM-DD hh:mm:ss[.sss]" (UTC)');
const DateTime = z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'must be "YYYY-MM-DD hh:mm:ss" (UTC)');
const Name = z.string().min(1).max(200);
const Json = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => {
      try {
        JSON.parse(s);
        return true;
      } catch {
        return false;
      }
    }, 'must be JSON text');

/** Exactly the row `gate` writes (gate/audit.ts), less what the server decides: `source` and `recorded_at`. */
export const GateDecisionBody = z
  .object({
    decision_id: z.uuid(),
    decided_at: DateTime64,
    model: Name,
    candidate_version: Name,
    primary_versions: z.array(Name).max(100),
    window_start: DateTime,
    window_end: DateTime,
    decision: z.enum(['PROMOTE', 'HOLD', 'REJECT']),
    reasons: z.array(z.string().max(2_000)).max(500),
    thresholds: Json(100_000),
    sql: Json(200_000),
    measured: Json(800_000),
    promotion_id: z.union([z.literal(''), z.uuid()]),
    actor: Name,
  })
  .strict();

/** `POST /gate-decisions {row}` -> `{recorded: decision_id}`; a decision id already recorded is refused (409). */
export async function handleGateDecision(writer: QueryRunner, database: string, body: unknown): Promise<EndpointResponse> {
  const parsed = GateDecisionBody.safeParse(body);
  if (!parsed.success) return bad(`body must be one gate decision: ${issues(parsed.error)}`);
  const row = parsed.data;
  try {
    const seen = await writer.query<{ n: number }>(
      `SELECT count() AS n FROM ${database}.gate_decisions WHERE decision_id = {id:UUID}`,
      { id: row.decision_id },
    );
    if (Number(seen[0]?.n ?? 0) > 0) {
      return { status: 409, body: { error: { code: 'SHADOW_INPUT', message: `decision ${row.decision_id} is already recorded; decisions are append-only` } } };
    }
    await writer.insert('gate_decisions', [{ ...row, source: 'http', recorded_at: serverNow() }]);
    return { status: 200, body: { recorded: row.decision_id } };
  } catch (err) {
    return failure(err);
  }
}

export const SyncBody = z.object({ model: Name }).strict();

/** `POST /promotions/sync {model}`: copy the registry's history of `model` into promotions; nothing is taken from the body but the name. */
export async function handlePromotionSync(sync: (model: string) => Promise<number>, body: unknown): Promise<EndpointResponse> {
  const parsed = SyncBody.safeParse(body);
  if (!parsed.success) return bad(`body must be {"model": string}: ${issues(parsed.error)}`);
  try {
    const n = await sync(parsed.data.model);
    return { status: 200, body: { recorded: String(n) } };
  } catch (err) {
    return failure(err);
  }
}

function serverNow(): string {
  return new Date().toISOString().replace('T', ' ').replace('Z', '');
}
