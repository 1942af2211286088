import type { SourceRef, Stream } from '../types.ts';

/**
 * Per topic-partition bookkeeping of offsets handed to the pipeline but not yet durably written.
 * The committable offset is the lowest such offset (or one past the last seen): committing it can
 * never skip a record whose outcome is still in memory.
 */
export class OffsetTracker {
  private readonly inflight: number[] = [];
  private head = 0;
  private readonly done = new Set<number>();
  private next: number | null = null;

  /** Offsets must be tracked in increasing order, as a partition delivers them. */
  track(offset: number): void {
    this.inflight.push(offset);
    this.next = offset + 1;
  }

  complete(offset: number): void {
    this.done.add(offset);
    while (this.head < this.inflight.length && this.done.has(this.inflight[this.head]!)) {
      this.done.delete(this.inflight[this.head]!);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.inflight.length) {
      this.inflight.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The offset to commit (next to read), or null before anything was tracked. */
  committable(): number | null {
    if (this.head < this.inflight.length) return this.inflight[this.head]!;
    return this.next;
  }
}

/**
 * The trackers of every partition and stream this instance reads. The driver tracks what it hands
 * to the processor and completes what needs no write; the writer completes what it made durable.
 */
export class OffsetBook {
  private readonly parts = new Map<number, Record<Stream, OffsetTracker>>();

  open(partition: number): void {
    this.parts.set(partition, { requests: new OffsetTracker(), primaries: new OffsetTracker() });
  }

  close(partition?: number): void {
    if (partition === undefined) this.parts.clear();
    else this.parts.delete(partition);
  }

  track(ref: SourceRef): void {
    this.parts.get(ref.partition)?.[ref.stream].track(ref.offset);
  }

  complete(refs: Iterable<SourceRef>): void {
    for (const ref of refs) this.parts.get(ref.partition)?.[ref.stream].complete(ref.offset);
  }

  /** Called with outcomes the writer made durable. */
  durable(outcomes: readonly { readonly refs: readonly SourceRef[] }[]): void {
    for (const o of outcomes) this.complete(o.refs);
  }

  committable(partition: number, stream: Stream): number | null {
    return this.parts.get(partition)?.[stream].committable() ?? null;
  }
}
