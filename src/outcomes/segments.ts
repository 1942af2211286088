import type { MirroredRequest } from '../types.ts';

export const OTHER = '__other__';
export const MISSING = '__missing__';

/**
 * Caps the number of distinct values per segment dimension: a free-text field used as a segment
 * must not explode the stats table. Values seen first are kept; seeding from the store at start-up
 * keeps the kept set stable across restarts and instances.
 */
export class SegmentCapper {
  private readonly kept = new Map<string, Set<string>>();

  constructor(
    private readonly dimensions: readonly string[],
    private readonly maxValues: number,
  ) {
    for (const d of dimensions) this.kept.set(d, new Set());
  }

  seed(dimension: string, values: Iterable<string>): void {
    const set = this.kept.get(dimension);
    if (!set) return;
    for (const v of values) if (set.size < this.maxValues) set.add(v);
  }

  segmentsOf(msg: MirroredRequest): Record<string, string> {
    const out: Record<string, string> = { feature_schema_version: msg.feature_schema_version };
    for (const d of this.dimensions) out[d] = this.cap(d, rawValue(msg, d));
    return out;
  }

  private cap(dimension: string, value: string): string {
    const set = this.kept.get(dimension)!;
    if (set.has(value)) return value;
    if (set.size < this.maxValues) {
      set.add(value);
      return value;
    }
    return OTHER;
  }
}

function rawValue(msg: MirroredRequest, dimension: string): string {
  const v = msg.segments?.[dimension] ?? msg.features[dimension];
  return v === undefined || v === null || v === '' ? MISSING : String(v);
}
