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
