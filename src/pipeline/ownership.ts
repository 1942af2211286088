import type { Fence } from '../sinks/clickhouse/fence.ts';
import type { FenceStamp } from '../sinks/clickhouse/outcome-sink.ts';

/**
 * The ownership generations this instance holds, per partition: claimed in the store (fence.ts)
 * before a partition's ledger is read, stamped on every block the writer sends, and checked after
 * each insert. A partition found claimed by someone else is reported lost to the listeners (the
 * driver), which drop what they hold of it and re-read it from the committed offsets.
 * Without a fence (unit tests) nothing is stamped and nothing is ever lost.
 */
export class Ownership {
  private readonly generations = new Map<number, number>();
  private readonly listeners: ((partitions: ReadonlySet<number>) => void)[] = [];

  constructor(private readonly fence: Fence | null) {}

  /** Records newer generations for these partitions in the store. Call before reading the ledger. */
  async claim(partitions: readonly number[]): Promise<void> {
    if (!this.fence || partitions.length === 0) return;
    for (const [p, g] of await this.fence.claim(partitions)) this.generations.set(p, g);
  }

  release(partitions?: Iterable<number>): void {
    if (!partitions) this.generations.clear();
    else for (const p of partitions) this.generations.delete(p);
  }

  generation(partition: number): number | undefined {
    return this.generations.get(partition);
  }

  /** What a block of these partitions is sent with; 0 (accepted nowhere) for a partition not held. */
  stamp(partitions: readonly number[]): FenceStamp | undefined {
    if (!this.fence) return undefined;
    return { scope: this.fence.scope, generations: new Map(partitions.map((p) => [p, this.generations.get(p) ?? 0])) };
  }

  /** After an insert: the partitions of the stamp whose rows the store may have dropped. */
  async fenced(stamp: FenceStamp): Promise<ReadonlySet<number>> {
    const out = new Set<number>();
    if (!this.fence) return out;
    const latest = await this.fence.current([...stamp.generations.keys()]);
    for (const [p, g] of stamp.generations) if (g === 0 || (latest.get(p) ?? 0) > g) out.add(p);
    return out;
  }

  onLost(listener: (partitions: ReadonlySet<number>) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Rows of these partitions, sent under `stamp`, were fenced. A partition re-claimed by us since
   * (a newer generation held) is not lost again: its old rows were discarded when it was reset.
   */
  lost(stamp: FenceStamp, partitions: ReadonlySet<number>): void {
    const gone = new Set<number>();
    for (const p of partitions) {
      const held = this.generations.get(p);
      if (held !== undefined && held !== stamp.generations.get(p)) continue;
      this.generations.delete(p);
      gone.add(p);
    }
    if (gone.size > 0) for (const l of this.listeners) l(gone);
  }
}
