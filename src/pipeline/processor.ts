import type { Config } from '../config/index.ts';
import { decode } from '../decode/index.ts';
import { PartitionJoin, type JoinEvent } from '../join/index.ts';
import { outcomeOf, rejectOutcome, type Outcome, type OutcomeOptions } from '../outcomes/index.ts';
import type { WrittenSet } from '../sinks/clickhouse/ledger.ts';
import type { CandidateResult, MirroredRequest, PrimaryOutput, RawRecord, RequestSide, SourceRef, Stream } from '../types.ts';

export interface CandidateScorer {
  score(features: Record<string, unknown>[]): Promise<CandidateResult[]>;
}

export interface ProcessorDeps {
  readonly scorer: CandidateScorer;
  /** The primary's artifact, scored on the same rows to measure the noise floor (optional). */
  readonly reproducer?: CandidateScorer | null;
  /** Receives every outcome; the writer makes them durable and tells the driver's offset book. */
  readonly emit: (outcomes: Outcome[]) => void;
  readonly now: () => number;
  readonly outcomeOptions: OutcomeOptions;
  /** False for Kafka: streams hold stream time back until the source reports them caught up. */
  readonly initiallyCaughtUp?: boolean;
}

interface PartitionState {
  readonly join: PartitionJoin;
  readonly skip: Record<Stream, Set<number>>;
}

/** Counters a caller can read for metrics and summaries. */
export interface ProcessorCounters {
  records: number;
  rejects: number;
  skipped: number;
  outcomes: number;
  candidateErrors: number;
}

/**
 * The pipeline's core for any source: decode -> score -> join -> outcome rows, per partition.
 * No offsets, Kafka or ClickHouse here: the driver tracks offsets, sources and sinks are plugged in.
 */
export class Processor {
  private readonly parts = new Map<number, PartitionState>();
  readonly counters: ProcessorCounters = { records: 0, rejects: 0, skipped: 0, outcomes: 0, candidateErrors: 0 };
  constructor(
    private readonly config: Readonly<Config>,
    private readonly deps: ProcessorDeps,
  ) {}

  /** Registers a partition, with what an earlier owner already wrote (skipped on re-read). */
  assign(partition: number, written?: WrittenSet): void {
    const join = new PartitionJoin({ windowMs: this.config.join.windowMs, idleMs: this.config.join.idleMs, initiallyCaughtUp: this.deps.initiallyCaughtUp ?? true });
    if (written) join.rememberEmitted(written.requestIds, written.primaryIds, written.maxEventTime);
    this.parts.set(partition, {
      join,
      skip: { requests: written?.requestOffsets ?? new Set(), primaries: written?.primaryOffsets ?? new Set() },
    });
  }

  /** Forgets every partition: after a rebalance each one is re-read from its committed offset. */
  revokeAll(): void {
    this.parts.clear();
  }

  /** Forgets one partition (its rows were fenced): it is re-read from its committed offset. */
  revoke(partition: number): void {
    this.parts.delete(partition);
  }

  has(partition: number): boolean {
    return this.parts.has(partition);
  }

  /**
   * Records of one partition, in offset order per stream. Resolves with the records skipped because an
   * earlier owner wrote them (they need no write); every other record ends in an emitted outcome.
   */
  async handle(partition: number, records: readonly RawRecord[]): Promise<SourceRef[]> {
    const state = this.parts.get(partition);
    const skipped: SourceRef[] = [];
    if (!state) return skipped;
    const outcomes: Outcome[] = [];
    const requests: { record: RawRecord; msg: MirroredRequest }[] = [];
    const primaries: { record: RawRecord; msg: PrimaryOutput }[] = [];
    for (const record of records) {
      const { stream, offset } = record.ref;
      this.counters.records++;
      if (state.skip[stream].delete(offset)) {
        this.counters.skipped++;
        skipped.push(record.ref);
        continue;
      }
      const d = decode(record, { model: this.config.model, maxMessageBytes: this.config.decode.maxMessageBytes });
      if (!d.ok) {
        this.counters.rejects++;
        outcomes.push(rejectOutcome(record, d.code, d.reason, this.deps.outcomeOptions, this.deps.now()));
      } else if (d.stream === 'requests') requests.push({ record, msg: d.msg });
      else primaries.push({ record, msg: d.msg });
    }
    const sides = await this.score(requests);
    // Revoked while scoring: the new owner (maybe us, after recovery) re-reads these records.
    if (this.parts.get(partition) !== state) return skipped;
    const now = this.deps.now();
    const events: JoinEvent[] = [];
    for (const side of sides) events.push(...state.join.addRequest(side, now, side.bytes));
    for (const { record, msg } of primaries) events.push(...state.join.addPrimary(msg.request_id, primarySide(record, msg), now, encodedBytes(record)));
    this.emit(outcomes, events);
    return skipped;
  }

  /** Closes windows on the wall clock; call periodically. */
  tick(): void {
    const now = this.deps.now();
    for (const state of this.parts.values()) this.emit([], state.join.expire(now));
  }

  /** End of a finite input: everything still waiting is unmatched. */
  drain(): void {
    for (const state of this.parts.values()) this.emit([], state.join.drain());
  }

  /** The source's word on a stream, checked now (the join times silence from such checks). */
  setCaughtUp(partition: number, stream: Stream, caughtUp: boolean): void {
    this.parts.get(partition)?.join.setCaughtUp(stream, caughtUp, this.deps.now());
  }

  /** Records waiting in joins, and per partition and stream for backpressure decisions. */
  buffered(partition?: number, stream?: Stream): number {
    if (partition === undefined) {
      let n = 0;
      for (const s of this.parts.values()) n += s.join.size;
      return n;
    }
    const join = this.parts.get(partition)?.join;
    if (!join) return 0;
    return stream ? join.pendingOf(stream) : join.size;
  }

  /** Encoded bytes of the records waiting in joins, like `buffered`: the join's memory bound. */
  bufferedBytes(partition?: number, stream?: Stream): number {
    if (partition === undefined) {
      let n = 0;
      for (const s of this.parts.values()) n += s.join.bytesOf();
      return n;
    }
    return this.parts.get(partition)?.join.bytesOf(stream) ?? 0;
  }

  private async score(requests: { record: RawRecord; msg: MirroredRequest }[]): Promise<(RequestSide & { bytes: number })[]> {
    const pinned = this.config.candidate.featureSchemaVersion;
    const toScore = requests.filter((r) => r.msg.feature_schema_version === pinned);
    const features = toScore.map((r) => r.msg.features);
    // Both models see the same rows at the same time, so load on the host affects them alike.
    const [results, reproduced] = toScore.length
      ? await Promise.all([this.deps.scorer.score(features), this.deps.reproducer ? this.deps.reproducer.score(features) : null])
      : [[], null];
    for (const r of results) if (!r.ok) this.counters.candidateErrors++;
    let i = 0;
    return requests.map(({ record, msg }) => {
      const mismatch = msg.feature_schema_version !== pinned;
      const k = mismatch ? -1 : i++;
      return {
        ref: record.ref,
        msg,
        schemaMismatch: mismatch,
        candidate: mismatch ? null : results[k]!,
        reproduced: mismatch || !reproduced ? null : reproduced[k]!,
        bytes: encodedBytes(record),
      };
    });
  }

  private emit(outcomes: Outcome[], events: JoinEvent[]): void {
    for (const e of events) outcomes.push(outcomeOf(e, this.deps.outcomeOptions));
    if (outcomes.length === 0) return;
    this.counters.outcomes += outcomes.length;
    this.deps.emit(outcomes);
  }
}

/** What a record weighs in the join's byte bound: its value as it arrived (the heap holds a small multiple). */
function encodedBytes(record: RawRecord): number {
  const v = record.value;
  if (v === null) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

function primarySide(record: RawRecord, msg: PrimaryOutput) {
  return {
    ref: record.ref,
    version: msg.version,
    eventTime: msg.event_time,
    output: msg.output,
    latencyMs: msg.latency_ms,
    error: msg.error ?? null,
    costUsd: msg.cost_usd,
    inline: false,
  };
}
