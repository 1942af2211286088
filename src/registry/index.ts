// Model registry and the production flag. Input: ONNX artifacts and promote/rollback requests.
// Output: the registry file (versions, production, full history) and, with `registry.backend: kafka`,
// a record keyed by model name on a compacted topic that `watchProduction` follows.
// Guarantee: a version becomes production only if its artifact exists, is unchanged and loads.
export { RegistryConfigSchema, type RegistryConfig } from './config.ts';
export { inspectArtifact, verifyArtifact, sha256File, type ArtifactInfo, type Signature, type TensorSpec } from './artifact.ts';
export { measureSingleRequestLatency, nearestRank, DEFAULT_LATENCY_RUNS, type SingleRequestLatency } from './latency.ts';
export { registerVersion, recordLatency, promoteVersion, rollbackVersion, modelEntry, productionRecord, type Registry, type FlipResult } from './registry.ts';
export { readRegistry } from './file-store.ts';
export { createFlagPublisher, ensureRegistryTopic, DEFAULT_REGISTRY_TOPIC, type FlagPublisher, type RegistryKafkaOptions } from '../kafka/registry-topic.ts';
export { watchProduction, readProduction, type ProductionWatch, type WatchOptions } from './watch.ts';
export { recordPromotion, promotionRow } from './audit.ts';
export { readinessChecklist, type ReadinessItem } from './ready.ts';
export type { VersionRecord, HistoryEvent, ModelEntry, ProductionRecord, RegistryData } from './types.ts';
export { openRegistry, kafkaOptions, actorName } from './open.ts';
export { formatFlip, formatStatus, caughtUpText, formatLatency, type StatusView, type CandidateRow, type ConsumerStatus } from './format.ts';
export { syncPromotions } from './sync-audit.ts';
export { startCanary, stepCanary, abortCanary, promoteCanary, parseSteps, pct, type CanaryPlan } from './canary.ts';
export { routeVersion, requestBucket } from './traffic-split.ts';
export type { CanaryState } from './types.ts';
export { registerFeatureSchema, promoteFeatureSchema, rollbackFeatureSchema, formatFeatureFlip, featureSchemaReadiness, servingFeatureSchema, previousFeatureSchema, deployProblem, pinMismatch } from './feature-schemas.ts';
export type { FeatureSchemaRecord, FeatureSpecRecord, FeatureSchemaAction } from './types.ts';
