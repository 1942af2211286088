// Deterministic traffic split for canary routing: the same key always lands on the same side, in every
// process and language, so a user's requests do not flip between versions. The bucket is FNV-1a
// (32-bit) of `${salt}:${key}` modulo 10,000 — a few lines in any language (docs/client.md has Python).

const BUCKETS = 10_000;

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
  return fnv1a32(`${salt}:${key}`) % BUCKETS;
}

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
