import type { ProductionRecord } from './types.ts';

// Deterministic traffic split for canary routing: the same key always lands on the same side, in every
// process and language, so a request (and its retries) always hits the same version, and a bucket below
// the weight stays below a larger weight: requests on the canary at 5% are still on it at 25%. The
// bucket is FNV-1a (32-bit) of `${salt}:${key}` modulo 10,000, a few lines in any language
// (docs/client.md has Python); the canary uses the model name as the salt.

export const SPLIT_BUCKETS = 10_000;

/** FNV-1a over the UTF-8 bytes: offset basis 2166136261, prime 16777619 (FNV spec, draft-eastlake-fnv). */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** 0..9999 for a key; stable for a given salt. */
export function splitBucket(key: string, salt = ''): number {
  return fnv1a32(`${salt}:${key}`) % SPLIT_BUCKETS;
}

/** The bucket of a request as a share in [0, 1): the canary gets the requests below its weight. */
export function requestBucket(model: string, requestId: string): number {
  return splitBucket(requestId, model) / SPLIT_BUCKETS;
}

/** Which version serves `requestId` under a production flag record: the canary for its weight's share, else production. */
export function routeVersion(record: ProductionRecord, requestId: string): { version: string; artifact: ProductionRecord['artifact'] } {
  const c = record.canary;
  if (c && c.weight > 0 && splitBucket(requestId, record.model) < Math.round(c.weight * SPLIT_BUCKETS)) return { version: c.version, artifact: c.artifact };
  return { version: record.version, artifact: record.artifact };
}
