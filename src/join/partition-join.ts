import type { PrimarySide, RequestSide, SourceRef, Stream } from '../types.ts';

export type JoinEvent =
  | { readonly type: 'pair'; readonly request: RequestSide; readonly primary: PrimarySide }
  | { readonly type: 'unmatched_request'; readonly request: RequestSide }
  | { readonly type: 'unmatched_primary'; readonly primary: PrimarySide; readonly requestId: string }
  | { readonly type: 'duplicate'; readonly ref: SourceRef; readonly requestId: string; readonly eventTime: number };

export interface JoinOptions {
  readonly windowMs: number;
  readonly idleMs: number;
  /**
   * Whether a stream counts as caught up before the source says so (default true). The Kafka source
   * passes false and reports each stream's position against the log end: a stream with unread
   * records never stops holding stream time back, however long its fetch takes.
   */
  readonly initiallyCaughtUp?: boolean;
}

interface Pending<T> {
  readonly side: T;
  readonly eventTime: number;
  /** The record's encoded size, for the join's byte bound. */
  readonly bytes: number;
}

/**
 * Windowed outer join of the requests and primary outputs of one partition, keyed by request id.
 * Stream time is the smaller of the two streams' largest event times, so a stream that is read ahead
 * of the other (a backlog, a slow fetch) cannot expire records whose partners are simply not read
 * yet. A stream that is caught up and silent for idleMs of wall time, as a caught-up report made idleMs
 * after its last record confirms, stops holding time back (one with unread records never does), and when
 * neither holds it back, time moves with the wall clock, so
 * the last window closes without new records. Ids already emitted are remembered for two
 * windows, so a redelivery is reported as a duplicate instead of being counted again.
 */
export class PartitionJoin {
  private readonly requests = new Map<string, Pending<RequestSide>>();
  private readonly primaries = new Map<string, Pending<PrimarySide>>();
  private readonly emittedRequests = new Map<string, number>();
  private readonly emittedPrimaries = new Map<string, number>();
  private readonly held: Record<Stream, number> = { requests: 0, primaries: 0 };
  private streamTime = -Infinity;
  private readonly progress: Record<Stream, { maxEventTime: number; lastArrivalWall: number; caughtUp: boolean; confirmedWall: number }>;

  constructor(private readonly opts: JoinOptions) {
    const caughtUp = opts.initiallyCaughtUp ?? true;
    const confirmedWall = caughtUp ? Infinity : -Infinity;
    this.progress = {
      requests: { maxEventTime: -Infinity, lastArrivalWall: -Infinity, caughtUp, confirmedWall },
      primaries: { maxEventTime: -Infinity, lastArrivalWall: -Infinity, caughtUp, confirmedWall },
    };
  }

  /**
   * The source's word on whether a stream has read everything currently in its log, and when it
   * last checked (`atWall`; omitted: the word holds at every instant, as for a finite file).
   */
  setCaughtUp(stream: Stream, caughtUp: boolean, atWall = Infinity): void {
    this.progress[stream].caughtUp = caughtUp;
    this.progress[stream].confirmedWall = caughtUp ? atWall : -Infinity;
  }

  get size(): number {
    return this.requests.size + this.primaries.size;
  }

  pendingOf(stream: 'requests' | 'primaries'): number {
    return stream === 'requests' ? this.requests.size : this.primaries.size;
  }

  /** Encoded bytes of the records waiting, all or one stream's (what the caller passed as `bytes`). */
  bytesOf(stream?: Stream): number {
    return stream ? this.held[stream] : this.held.requests + this.held.primaries;
  }

  /** Ids written before a restart: a redelivery of them is a duplicate, not a new request. */
  rememberEmitted(requestIds: Iterable<string>, primaryIds: Iterable<string>, eventTime: number): void {
    for (const id of requestIds) this.emittedRequests.set(id, eventTime);
    for (const id of primaryIds) this.emittedPrimaries.set(id, eventTime);
  }

  addRequest(req: RequestSide, wallNow: number, bytes = 0): JoinEvent[] {
    const id = req.msg.request_id;
    const t = req.msg.event_time;
    this.arrive('requests', t, wallNow);
    if (this.requests.has(id) || this.emittedRequests.has(id)) return [{ type: 'duplicate', ref: req.ref, requestId: id, eventTime: t }];
    const inline = req.msg.primary_output;
    if (inline) {
      this.emittedRequests.set(id, t);
      return [{ type: 'pair', request: req, primary: inlinePrimary(req) }];
    }
    const waiting = this.primaries.get(id);
    if (waiting) {
      this.take('primaries', id);
      this.emittedRequests.set(id, t);
      this.emittedPrimaries.set(id, waiting.eventTime);
      return [{ type: 'pair', request: req, primary: waiting.side }];
    }
    this.requests.set(id, { side: req, eventTime: t, bytes });
    this.held.requests += bytes;
    return [];
  }

  addPrimary(requestId: string, prim: PrimarySide, wallNow: number, bytes = 0): JoinEvent[] {
    const t = prim.eventTime;
    this.arrive('primaries', t, wallNow);
    if (this.primaries.has(requestId) || this.emittedPrimaries.has(requestId)) {
      return [{ type: 'duplicate', ref: prim.ref, requestId, eventTime: t }];
    }
    const waiting = this.requests.get(requestId);
    if (waiting) {
      this.take('requests', requestId);
      this.emittedRequests.set(requestId, waiting.eventTime);
      this.emittedPrimaries.set(requestId, t);
      return [{ type: 'pair', request: waiting.side, primary: prim }];
    }
    this.primaries.set(requestId, { side: prim, eventTime: t, bytes });
    this.held.primaries += bytes;
    return [];
  }

  /** Emits what the window has passed for; forgets emitted ids after two windows. */
  expire(wallNow: number): JoinEvent[] {
    const { event: now, expiry } = this.times(wallNow);
    const cutoff = expiry - this.opts.windowMs;
    const out: JoinEvent[] = [];
    for (const [id, p] of this.requests) {
      if (p.eventTime >= cutoff) continue;
      this.take('requests', id);
      this.emittedRequests.set(id, p.eventTime);
      out.push({ type: 'unmatched_request', request: p.side });
    }
    for (const [id, p] of this.primaries) {
      if (p.eventTime >= cutoff) continue;
      this.take('primaries', id);
      this.emittedPrimaries.set(id, p.eventTime);
      out.push({ type: 'unmatched_primary', primary: p.side, requestId: id });
    }
    forgetBefore(this.emittedRequests, now - 2 * this.opts.windowMs);
    forgetBefore(this.emittedPrimaries, now - 2 * this.opts.windowMs);
    return out;
  }

  /** End of a finite input (replay): everything still waiting is unmatched. */
  drain(): JoinEvent[] {
    this.streamTime = Infinity;
    return this.expire(-Infinity);
  }

  private take(stream: Stream, id: string): void {
    const map: Map<string, Pending<unknown>> = stream === 'requests' ? this.requests : this.primaries;
    this.held[stream] -= map.get(id)?.bytes ?? 0;
    map.delete(id);
  }

  private arrive(stream: Stream, eventTime: number, wallNow: number): void {
    const p = this.progress[stream];
    p.maxEventTime = Math.max(p.maxEventTime, eventTime);
    p.lastArrivalWall = wallNow;
  }

  /**
   * `event`: stream time proper, from event times only; it decides what is forgotten. `expiry`: what
   * windows close against; while both streams are caught up and silent it also moves with the wall
   * clock, but only for closing windows, so records arriving after a pause (an outage, a backlog with
   * old event times) are judged by their event times, not by how long the pause lasted.
   */
  private times(wallNow: number): { event: number; expiry: number } {
    const streams = [this.progress.requests, this.progress.primaries];
    // Silent means caught up as checked idleMs or more after the last arrival, not merely no arrival
    // for idleMs: a processor busy elsewhere for that long (catching up after a takeover, a loaded
    // machine) has not fetched what was produced meanwhile, and closing windows then split pairs
    // whose primary was in the next batch (seen once in the paused-instance test).
    const holding = streams.filter((p) => !p.caughtUp || (p.maxEventTime > -Infinity && Math.min(wallNow, p.confirmedWall) - p.lastArrivalWall < this.opts.idleMs));
    if (holding.length > 0) {
      this.streamTime = Math.max(this.streamTime, Math.min(...holding.map((p) => p.maxEventTime)));
      return { event: this.streamTime, expiry: this.streamTime };
    }
    const seen = streams.filter((p) => p.maxEventTime > -Infinity);
    if (seen.length === 0) return { event: this.streamTime, expiry: this.streamTime };
    this.streamTime = Math.max(this.streamTime, ...seen.map((p) => p.maxEventTime));
    const idleFor = wallNow - Math.max(...seen.map((p) => p.lastArrivalWall));
    return { event: this.streamTime, expiry: Math.max(this.streamTime, this.streamTime + idleFor) };
  }
}

function forgetBefore(map: Map<string, number>, cutoff: number): void {
  for (const [id, t] of map) {
    if (t >= cutoff) break;
    map.delete(id);
  }
}

function inlinePrimary(req: RequestSide): PrimarySide {
  const p = req.msg.primary_output!;
  return {
    ref: req.ref,
    version: p.version ?? req.msg.primary_version,
    eventTime: p.event_time ?? req.msg.event_time,
    output: p.output,
    latencyMs: p.latency_ms,
    error: p.error ?? null,
    costUsd: p.cost_usd,
    inline: true,
  };
}
