import type { Signature } from './artifact.ts';
import type { SingleRequestLatency } from './latency.ts';

export interface VersionRecord {
  readonly model: string;
  readonly version: string;
  readonly artifact: { readonly path: string; readonly sha256: string; readonly sizeBytes: number };
  readonly signature: Signature;
  readonly featureSchemaVersion: string | null;
  readonly registeredAt: string;
  readonly registeredBy: string;
  /** Batch-1 latency measured by `register` (refreshed by `ready`); absent on records made before issue 13. */
  readonly latency?: SingleRequestLatency;
}

export type PromotionAction = 'promote' | 'rollback';

export interface HistoryEvent {
  readonly promotionId: string;
  readonly action: PromotionAction;
  readonly from: string | null;
  readonly to: string;
  readonly at: string;
  readonly actor: string;
  readonly reason: string;
  readonly gateDecisionId: string | null;
}

export interface ModelEntry {
  readonly versions: Record<string, VersionRecord>;
  readonly production: string | null;
  /**
   * Versions in the order they became production, current last. Rollback pops it, so two rollbacks
   * from v10 go to v9 then v8, never back to v10.
   */
  readonly lineage: readonly string[];
  readonly history: readonly HistoryEvent[];
}

export interface RegistryData {
  readonly formatVersion: 1;
  readonly models: Record<string, ModelEntry>;
}

/**
 * The production flag as published (Kafka record value, keyed by model name) and as handed to
 * `watchProduction` callbacks. Serving code needs `version` and `artifact`; the rest is context.
 */
export interface ProductionRecord {
  readonly model: string;
  readonly version: string;
  readonly artifact: { readonly path: string; readonly sha256: string; readonly sizeBytes: number };
  readonly featureSchemaVersion: string | null;
  readonly action: PromotionAction;
  readonly previous: string | null;
  readonly at: string;
  readonly actor: string;
  readonly promotionId: string;
}
