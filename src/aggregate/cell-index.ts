import type { OutcomeRow } from '../outcomes/index.ts';

/** The overall row's dimension and value, as the aggregate tables spell them. */
export const ALL = '__all__';

/** A cell with its key: the group (time, model, versions, partition) and the segment it counts. */
export interface Keyed<C> {
  readonly time: string;
  readonly model: string;
  readonly primaryVersion: string;
  readonly candidateVersion: string;
  readonly partition: number;
  readonly dimension: string;
  readonly value: string;
  readonly cell: C;
}

interface Group<C> {
  readonly time: string;
  readonly model: string;
  readonly primaryVersion: string;
  readonly candidateVersion: string;
  readonly partition: number;
  all: C | undefined;
  readonly dims: Map<string, Map<string, C>>;
}

/**
 * Cells of one aggregate table in one block, one per (time, model, versions, source partition) and
 * segment dimension and value. Looked up by nested maps from the row's own strings: building a key
 * string per cell cost more than the counting (5 cells a row, several tables).
 */
export class CellIndex<C> {
  private readonly groups = new Map<string, Group<C>>();
  private last: Group<C> | null = null;
  private readonly scratch: C[] = [];

  constructor(private readonly empty: () => C) {}

  /**
   * The row's overall cell and, if `bySegment`, the cell of each of its segment values. The array is
   * reused by the next call: a callback per table and row cost more than the counting.
   */
  cellsOf(time: string, row: Readonly<OutcomeRow>, bySegment: boolean): readonly C[] {
    const out = this.scratch;
    out.length = 0;
    const g = this.group(time, row);
    out.push((g.all ??= this.empty()));
    if (!bySegment) return out;
    for (const dim in row.segments) {
      let byValue = g.dims.get(dim);
      if (!byValue) g.dims.set(dim, (byValue = new Map()));
      const value = row.segments[dim]!;
      let c = byValue.get(value);
      if (!c) byValue.set(value, (c = this.empty()));
      out.push(c);
    }
    return out;
  }

  *entries(): Generator<Keyed<C>> {
    for (const g of this.groups.values()) {
      const { time, model, primaryVersion, candidateVersion, partition } = g;
      if (g.all) yield { time, model, primaryVersion, candidateVersion, partition, dimension: ALL, value: ALL, cell: g.all };
      for (const [dimension, byValue] of g.dims) for (const [value, cell] of byValue) yield { time, model, primaryVersion, candidateVersion, partition, dimension, value, cell };
    }
  }

  private group(time: string, r: Readonly<OutcomeRow>): Group<C> {
    const l = this.last;
    // Consecutive rows mostly share their group: compare before building a key.
    if (l && l.time === time && l.partition === r.source_partition && l.primaryVersion === r.primary_version && l.model === r.model && l.candidateVersion === r.candidate_version) return l;
    const key = `${time}\u0000${r.model}\u0000${r.primary_version}\u0000${r.candidate_version}\u0000${r.source_partition}`;
    let g = this.groups.get(key);
    if (!g) {
      g = { time, model: r.model, primaryVersion: r.primary_version, candidateVersion: r.candidate_version, partition: r.source_partition, all: undefined, dims: new Map() };
      this.groups.set(key, g);
    }
    this.last = g;
    return g;
  }
}
