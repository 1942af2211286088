import type { RawRecord, SourceRef, Stream } from '../types.ts';

/**
 * What the pipeline driver needs from a source of records (Kafka, a replay file). A source
 * translates and nothing else: recovery, backpressure, the fence and the commit rule are the
 * driver's (driver.ts), so a second source, or another Kafka client, inherits them unchanged.
 */
export interface RecordSource {
  /** Starts delivering; resolves once running (Kafka) or once the input is exhausted (a file). */
  start(handler: SourceHandler): Promise<void>;
  /** Stops fetching anything new; a batch under way still completes. */
  pauseAll(): void;
  /** Leaves (group) and releases the connection. Call after the last commit. */
  close(): Promise<void>;
  /** Holds one stream of one partition back (join backpressure), and lets it go again. */
  pause(partition: number, stream: Stream): void;
  resume(partition: number, stream: Stream): void;
  /** The next delivery of this stream starts at `offset`; batches under way report `current() === false`. */
  seek(partition: number, stream: Stream, offset: number): void;
  /** The committed next-offset to read per stream (0 when nothing is committed). */
  committed(partition: number): Promise<Record<Stream, number>>;
  /** Commits next-offsets to read; rejects when the source refuses (e.g. mid-rebalance). */
  commit(offsets: readonly { partition: number; stream: Stream; offset: number }[]): Promise<void>;
  /** The log end per partition of a stream; null when the source has no notion of it (a file). */
  logEnds(stream: Stream): Promise<Map<number, number> | null>;
  /**
   * When a membership heartbeat last succeeded (ms, the driver's clock), or null for a source with no
   * group (a file: it owns its partition for as long as it runs).
   */
  lastHeartbeat(): number | null;
}

export interface SourceBatch {
  readonly partition: number;
  /** The stream of every record, or null when a batch mixes both in arrival order (a file). */
  readonly stream: Stream | null;
  readonly records: readonly RawRecord[];
  /** The offset after this batch (past any record the client filtered out). */
  readonly nextOffset: number;
  /** The log end when fetched, for lag and caught-up; null when unknown. */
  readonly logEnd: number | null;
  /** False once the source re-positioned this partition (seek, new assignment) since the fetch. */
  current(): boolean;
  /** Keeps the membership alive while the driver waits inside a batch. */
  heartbeat(): Promise<void>;
  /** The records up to this one (one of `records`) are taken: do not deliver them again (unless re-positioned). */
  consumed(upTo: SourceRef): void;
}

export interface SourceHandler {
  /** A new assignment: everything held from before is stale, including rows not yet written. */
  assigned(partitions: readonly number[]): void;
  /** Returning early without `consumed` for some records: the source delivers them again. */
  batch(b: SourceBatch): Promise<void>;
  /** Closes windows due on the clock. A finite source calls it after each batch; a live one is ticked on a timer. */
  tick(): void;
}
