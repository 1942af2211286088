import { createHash } from 'node:crypto';
import type { ProductionRecord } from './types.ts';

// Routing for serving code during a canary. A request id always hashes to the same bucket, so a
// request (and its retries) always hits the same version; and because a bucket below the weight stays
// below a larger weight, requests that went to the canary at 5% still go there at 25%.

const BUCKETS = 1_000_000;

/** The bucket of a request in [0, 1): SHA-256 of "model:requestId", first 6 bytes. */
export function requestBucket(model: string, requestId: string): number {
  const h = createHash('sha256').update(`${model}:${requestId}`).digest();
  return (h.readUIntBE(0, 6) % BUCKETS) / BUCKETS;
}

/** Which version serves `requestId`: the canary for its weight's share of buckets, else production. */
export function routeVersion(record: ProductionRecord, requestId: string): { version: string; artifact: ProductionRecord['artifact'] } {
  const c = record.canary;
  if (c && c.weight > 0 && requestBucket(record.model, requestId) < c.weight) return { version: c.version, artifact: c.artifact };
  return { version: record.version, artifact: record.artifact };
}
