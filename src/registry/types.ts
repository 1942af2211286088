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

export type PromotionAction = 'promote' | 'rollback' | 'canary-start' | 'canary-step' | 'canary-abort' | 'canary-hold' | FeatureSchemaAction;

/** Flips of the feature schema serving uses (src/registry/feature-schemas.ts); from/to are schema versions. */
export type FeatureSchemaAction = 'features-promote' | 'features-rollback';

/**
 * A canary in progress: `weight` of the traffic (0..1) goes to `version`, the rest to production.
 * `steps` are the weights of the ramp; `step` indexes the current one. Weight 0 with status
 * 'aborted' is a rolled-back canary; it stays recorded until the next canary starts.
 */
export interface CanaryState {
  readonly version: string;
  readonly weight: number;
  readonly steps: readonly number[];
  readonly step: number;
  readonly stepDurationMs: number;
  readonly minComparisonsPerStep: number;
  readonly startedAt: string;
  readonly stepStartedAt: string;
  readonly status: 'running' | 'aborted';
}

export interface HistoryEvent {
  readonly promotionId: string;
  readonly action: PromotionAction;
  readonly from: string | null;
  readonly to: string;
  readonly at: string;
  readonly actor: string;
  readonly reason: string;
  readonly gateDecisionId: string | null;
  /** Canary events: the version's traffic weight after the event (0..1). */
  readonly weight?: number;
  /** Milliseconds from the command's start to the flag flip (published, or written for the file backend). */
  readonly flipMs?: number;
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
  /** The canary of this model, if one was started and not yet promoted or replaced. */
  readonly canary?: CanaryState | null;
  /** Registered feature schema versions (issue 15); immutable like model versions. */
  readonly featureSchemas?: Readonly<Record<string, FeatureSchemaRecord>>;
  /** The feature schema serving uses, when one was promoted; otherwise the production version's pin. */
  readonly featureSchemaProduction?: string | null;
  /** Feature schema versions in the order they became production, current last (rollback pops it). */
  readonly featureSchemaLineage?: readonly string[];
}

/** One feature of a feature schema: its type and the expected range or values (profiles bin by them). */
export interface FeatureSpecRecord {
  readonly name: string;
  readonly type: 'numeric' | 'categorical';
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
}

export interface FeatureSchemaRecord {
  readonly model: string;
  readonly version: string;
  readonly features: readonly FeatureSpecRecord[];
  /** Where the transformation producing these features lives (a commit, an image), for the operator. */
  readonly transformation: string | null;
  readonly registeredAt: string;
  readonly registeredBy: string;
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
  /**
   * The canary serving code routes a share of traffic to (`routeVersion` in traffic-split.ts does it
   * deterministically by request id). Absent or weight 0: everything goes to `version`.
   */
  readonly canary?: { readonly version: string; readonly weight: number; readonly artifact: VersionRecord['artifact'] } | null;
}
