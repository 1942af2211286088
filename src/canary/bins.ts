// The bins the stream and the judge share. Latency: 4 bins per doubling from 0.1 ms (about 19%
// wide), 80 bins up to ~100 s; score: 20 equal bins on [0, 1].

export const LATENCY_BINS = 80;
export const SCORE_BINS = 20;

export function latencyBin(ms: number): number {
  if (!(ms > 0.1)) return 0;
  return Math.min(LATENCY_BINS - 1, Math.floor(Math.log2(ms / 0.1) * 4));
}

export function scoreBin(score: number): number {
  if (!(score > 0)) return 0;
  return Math.min(SCORE_BINS - 1, Math.floor(score * SCORE_BINS));
}

/** The same bins in ClickHouse SQL, for the evidence query. */
export const LATENCY_BIN_SQL = (col: string) => `toUInt32(least(${LATENCY_BINS - 1}, greatest(0, floor(log2(greatest(${col}, 0.1) / 0.1) * 4))))`;
export const SCORE_BIN_SQL = (col: string) => `toUInt32(least(${SCORE_BINS - 1}, greatest(0, floor(${col} * ${SCORE_BINS}))))`;
