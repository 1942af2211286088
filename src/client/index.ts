// shadow-compare/client: what serving code imports. Input: its own requests and production's answers.
// Output: mirrored messages on Kafka (createMirror), a deterministic canary split (createTrafficSplit),
// and the production version as the registry flag topic says (watchProduction).
export { createMirror, mirrorMessages, MESSAGE_SCHEMAS, type Mirror, type MirrorOptions, type Inference } from './mirror.ts';
export { createTrafficSplit, splitBucket, fnv1a32, routeVersion, type TrafficSplit } from './traffic-split.ts';
export { watchProduction, readProduction, type ProductionWatch, type WatchOptions } from '../registry/watch.ts';
export type { ProductionRecord } from '../registry/types.ts';
export { ShadowError, isShadowError, type ErrorCode } from '../errors.ts';
