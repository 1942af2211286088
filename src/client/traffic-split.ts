import { SPLIT_BUCKETS as BUCKETS, splitBucket } from '../registry/traffic-split.ts';

export { fnv1a32, splitBucket, routeVersion } from '../registry/traffic-split.ts';

// A fixed split for serving code that manages its own percentage; with a canary in the registry, route
// by the production flag record instead (routeVersion): same buckets, salt = model name.

export interface TrafficSplit {
  /** 'candidate' for `candidatePercent` % of keys, 'production' for the rest. */
  route(key: string): 'candidate' | 'production';
  readonly candidatePercent: number;
}

/**
 * `candidatePercent` in [0, 100], in steps of 0.01. Raising it only moves keys from production to the
 * candidate (a key's bucket does not change), so a ramp 1% -> 5% -> 25% keeps early users where they were.
 * Change `salt` to reshuffle which keys go first.
 */
export function createTrafficSplit(opts: { candidatePercent: number; salt?: string }): TrafficSplit {
  const p = opts.candidatePercent;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`candidatePercent must be between 0 and 100, got ${p}`);
  const threshold = Math.round(p * (BUCKETS / 100));
  const salt = opts.salt ?? '';
  return {
    candidatePercent: p,
    route: (key) => (splitBucket(key, salt) < threshold ? 'candidate' : 'production'),
  };
}
