import type { QueryRunner } from '../query/index.ts';
import type { FlipResult } from './registry.ts';

/** One row of shadow.promotions (schemas/clickhouse/000011_create_promotions.sql). */
export function promotionRow(flip: FlipResult, backend: string) {
  const e = flip.event;
  return {
    promotion_id: e.promotionId,
    at: e.at.replace('T', ' ').replace('Z', ''),
    model: flip.record.model,
    action: e.action,
    from_version: e.from ?? '',
    to_version: e.to,
    actor: e.actor,
    reason: e.reason,
    gate_decision_id: e.gateDecisionId ?? '',
    artifact_sha256: flip.record.artifact.sha256,
    backend,
    weight: e.weight ?? 0,
    flip_ms: Math.round(e.flipMs ?? 0),
  };
}

export async function recordPromotion(runner: QueryRunner, flip: FlipResult, backend: string): Promise<void> {
  await runner.insert('promotions', [promotionRow(flip, backend)]);
}
