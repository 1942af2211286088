import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionJoin, type JoinEvent } from '../../src/join/index.ts';
import { mulberry32 } from '../../src/traffic/index.ts';
import type { MirroredRequest, PrimarySide, RequestSide, SourceRef } from '../../src/types.ts';

const WINDOW = 10_000;
const IDLE = 5_000;

let nextOffset = 0;
function ref(stream: 'requests' | 'primaries', offset = nextOffset++): SourceRef {
  return { stream, topic: stream === 'requests' ? 'req' : 'prim', partition: 0, offset };
}

function request(id: string, eventTime: number, opts: { offset?: number; inline?: boolean } = {}): RequestSide {
  const msg: MirroredRequest = {
    request_id: id,
    event_time: eventTime,
    model: 'm',
    primary_version: 'v1',
    feature_schema_version: '1',
    features: { x: 1 },
    ...(opts.inline ? { primary_output: { output: { score: 0.9 }, latency_ms: 3 } } : {}),
  };
  return { ref: ref('requests', opts.offset), msg, candidate: null, schemaMismatch: false };
}

function primary(eventTime: number, offset?: number): PrimarySide {
  return { ref: ref('primaries', offset), version: 'v1', eventTime, output: { score: 0.2 }, latencyMs: 4, error: null, costUsd: undefined, inline: false };
}

function newJoin(): PartitionJoin {
  return new PartitionJoin({ windowMs: WINDOW, idleMs: IDLE });
}

const types = (events: JoinEvent[]) => events.map((e) => e.type);

let ticks = 0;
/**
 * Moves both streams to event time `t` with a request and its primary output, which pair at once
 * and leave nothing pending: stream time then reaches `t` however it is derived from the two streams.
 */
function tick(j: PartitionJoin, t: number, wall = 0): void {
  const id = `tick-${ticks++}`;
  j.addRequest(request(id, t), wall);
  const out = j.addPrimary(id, primary(t), wall);
  assert.deepEqual(types(out), ['pair']);
}

describe('PartitionJoin', () => {
  it('holds the bytes of what waits, per stream, and releases them on pairing and expiry', () => {
    const j = newJoin();
    j.addRequest(request('b1', 1000), 0, 700);
    j.addRequest(request('b2', 1000), 0, 300);
    j.addPrimary('b3', primary(1000), 0, 50);
    assert.deepEqual([j.bytesOf('requests'), j.bytesOf('primaries'), j.bytesOf()], [1000, 50, 1050]);
    j.addPrimary('b1', primary(1001), 0, 40);
    assert.deepEqual([j.bytesOf('requests'), j.bytesOf('primaries')], [300, 50], 'a pair leaves the join with its bytes');
    j.addRequest(request('b3', 1002), 0, 999);
    assert.deepEqual([j.bytesOf('requests'), j.bytesOf('primaries')], [300, 0]);
    j.addRequest(request('b2', 1003), 0, 300);
    assert.equal(j.bytesOf('requests'), 300, 'a duplicate adds nothing');
    j.drain();
    assert.equal(j.bytesOf(), 0);
  });

  it('pairs a request with a primary output that arrives after it', () => {
    const j = newJoin();
    const req = request('a', 1000);
    const prim = primary(1005);
    assert.deepEqual(j.addRequest(req, 0), []);
    const out = j.addPrimary('a', prim, 1);
    assert.equal(out.length, 1);
    const e = out[0]!;
    assert.equal(e.type, 'pair');
    assert.ok(e.type === 'pair');
    assert.equal(e.request, req);
    assert.equal(e.primary, prim);
    assert.equal(j.size, 0);
  });

  it('pairs a primary output with a request that arrives after it', () => {
    const j = newJoin();
    const req = request('a', 1000);
    const prim = primary(990);
    assert.deepEqual(j.addPrimary('a', prim, 0), []);
    assert.equal(j.pendingOf('primaries'), 1);
    const out = j.addRequest(req, 1);
    assert.deepEqual(types(out), ['pair']);
    assert.ok(out[0]!.type === 'pair');
    assert.equal(out[0]!.request, req);
    assert.equal(out[0]!.primary, prim);
    assert.equal(j.size, 0);
  });

  it('pairs a request carrying its primary output inline immediately, with the request as the only record', () => {
    const j = newJoin();
    const req = request('a', 1000, { inline: true });
    const out = j.addRequest(req, 0);
    assert.deepEqual(types(out), ['pair']);
    const e = out[0]!;
    assert.ok(e.type === 'pair');
    assert.equal(e.primary.inline, true);
    assert.deepEqual(e.primary.ref, req.ref);
    assert.equal(e.primary.version, 'v1', 'version defaults to the request primary_version');
    assert.equal(e.primary.eventTime, 1000, 'event time defaults to the request event time');
    assert.deepEqual(e.primary.output, { score: 0.9 });
    assert.equal(e.primary.latencyMs, 3);
    assert.equal(j.size, 0);
  });

  it('reports a redelivered pending request as a duplicate carrying the redelivered ref', () => {
    const j = newJoin();
    j.addRequest(request('a', 1000, { offset: 1 }), 0);
    const again = request('a', 1000, { offset: 7 });
    const out = j.addRequest(again, 1);
    assert.deepEqual(out, [{ type: 'duplicate', ref: again.ref, requestId: 'a', eventTime: 1000 }]);
    assert.equal(j.pendingOf('requests'), 1);
  });

  it('reports a redelivered request that was already paired as a duplicate', () => {
    const j = newJoin();
    j.addRequest(request('a', 1000, { offset: 1 }), 0);
    j.addPrimary('a', primary(1001), 0);
    const again = request('a', 1000, { offset: 9 });
    const out = j.addRequest(again, 1);
    assert.deepEqual(types(out), ['duplicate']);
    assert.ok(out[0]!.type === 'duplicate');
    assert.deepEqual(out[0]!.ref, again.ref);
    assert.equal(j.size, 0);
  });

  it('reports a redelivered inline request as a duplicate', () => {
    const j = newJoin();
    j.addRequest(request('a', 1000, { inline: true, offset: 1 }), 0);
    const again = request('a', 1000, { inline: true, offset: 2 });
    const out = j.addRequest(again, 1);
    assert.deepEqual(types(out), ['duplicate']);
    assert.ok(out[0]!.type === 'duplicate');
    assert.deepEqual(out[0]!.ref, again.ref);
  });

  it('reports a redelivered primary output as a duplicate, whether pending or already paired', () => {
    const j = newJoin();
    j.addPrimary('a', primary(1000, 1), 0);
    const pendingDup = primary(1000, 2);
    assert.deepEqual(j.addPrimary('a', pendingDup, 0), [{ type: 'duplicate', ref: pendingDup.ref, requestId: 'a', eventTime: 1000 }]);
    assert.deepEqual(types(j.addRequest(request('a', 1000), 0)), ['pair']);
    const pairedDup = primary(1000, 3);
    assert.deepEqual(j.addPrimary('a', pairedDup, 0), [{ type: 'duplicate', ref: pairedDup.ref, requestId: 'a', eventTime: 1000 }]);
  });

  it('emits an unmatched request only after stream time passes its event time plus the window', () => {
    const j = newJoin();
    const req = request('a', 1000);
    j.addRequest(req, 0);
    tick(j, 1000 + WINDOW);
    assert.deepEqual(j.expire(0), [], 'stream time == eventTime + window does not expire');
    tick(j, 1000 + WINDOW + 1);
    const out = j.expire(0);
    assert.deepEqual(types(out), ['unmatched_request']);
    assert.ok(out[0]!.type === 'unmatched_request');
    assert.equal(out[0]!.request, req);
    assert.equal(j.pendingOf('requests'), 0);
  });

  it('emits an unmatched primary output only after stream time passes its event time plus the window', () => {
    const j = newJoin();
    const prim = primary(2000);
    j.addPrimary('p', prim, 0);
    tick(j, 2000 + WINDOW);
    assert.deepEqual(j.expire(0), []);
    tick(j, 2000 + WINDOW + 1);
    const out = j.expire(0);
    assert.deepEqual(types(out), ['unmatched_primary']);
    assert.ok(out[0]!.type === 'unmatched_primary');
    assert.equal(out[0]!.primary, prim);
    assert.equal(out[0]!.requestId, 'p');
  });

  it('does not expire a request while the primaries stream is read ahead of the requests stream', () => {
    const j = newJoin();
    j.addRequest(request('a', 1000), 0);
    // A backlog on the requests topic: primary outputs far ahead in event time, requests still at 1000.
    j.addPrimary('far-ahead', primary(1000 + 5 * WINDOW), 0);
    assert.deepEqual(j.expire(0), []);
    assert.deepEqual(types(j.addPrimary('a', primary(1001), 1)), ['pair'], 'its partner still joins');
  });

  it('stops letting a silent stream hold stream time back after idleMs', () => {
    const j = newJoin();
    const req = request('a', 1000);
    j.addRequest(req, 0);
    j.addPrimary('x', primary(1000 + WINDOW + 1), IDLE - 1);
    assert.deepEqual(j.expire(IDLE - 1), [], 'the requests stream is not idle yet');
    j.addPrimary('y', primary(1000 + WINDOW + 2), IDLE);
    const out = j.expire(IDLE);
    assert.deepEqual(out.map((e) => e.type === 'unmatched_request' && e.request.msg.request_id), ['a']);
  });

  it('keeps a caught-up stream holding time back until a check made idleMs after its last record confirms it', () => {
    // Kafka's case: the source says "caught up" at the end of each batch and at periodic log-end checks.
    const j = new PartitionJoin({ windowMs: WINDOW, idleMs: IDLE, initiallyCaughtUp: false });
    j.addRequest(request('a', 1000), 0);
    j.addPrimary('p0', primary(1000), 0);
    j.setCaughtUp('primaries', true, 0); // the primaries batch ended at the log end
    // The processor was busy elsewhere longer than idleMs; the next requests batch reaches far ahead.
    j.addRequest(request('later', 1000 + WINDOW + 50), IDLE + 100);
    assert.deepEqual(j.expire(IDLE + 100), [], 'no check since the last primary: it may be unread, not silent');
    assert.deepEqual(types(j.addPrimary('a', primary(1001), IDLE + 200)), ['pair'], 'its partner, in the next batch, still joins');
    // A log-end check idleMs after the last primary confirms the stream silent: time moves on.
    // (p0's request never comes: it is the first to go once time moves.)
    j.setCaughtUp('primaries', true, 2 * IDLE + 300);
    assert.deepEqual(types(j.expire(2 * IDLE + 300)), ['unmatched_primary']);
    j.addRequest(request('much-later', 1000 + 3 * WINDOW), 2 * IDLE + 300);
    assert.deepEqual(types(j.expire(2 * IDLE + 300)), ['unmatched_request']);
  });

  it('does not expire anything on wall time alone before the partition has been idle for idleMs', () => {
    const j = newJoin();
    j.addRequest(request('a', 1000), 100_000);
    assert.deepEqual(j.expire(100_000 + IDLE - 1), []);
    assert.equal(j.pendingOf('requests'), 1);
  });

  it('advances stream time by the idle wall time once the partition has been idle for idleMs', () => {
    const j = newJoin();
    j.addRequest(request('a', 1000), 100_000);
    // Idle for exactly one window of wall time: stream time = 1000 + WINDOW, not past the window yet.
    assert.deepEqual(j.expire(100_000 + WINDOW), []);
    assert.deepEqual(types(j.expire(100_000 + WINDOW + 1)), ['unmatched_request']);
  });

  it('judges records arriving after a pause by their event times, not by how long the pause lasted', () => {
    const j = newJoin();
    j.addRequest(request('a', 1000), 100_000);
    // Idle for 12 s of wall time: a's window closes on the wall clock.
    assert.deepEqual(types(j.expire(112_000)), ['unmatched_request']);
    // The stream resumes with event times just after a's (a backlog after an outage): b still waits
    // for its primary output instead of looking 12 s late.
    assert.deepEqual(j.addRequest(request('b', 2000), 112_000), []);
    assert.deepEqual(j.expire(112_010), []);
    assert.deepEqual(types(j.addPrimary('b', primary(2005), 112_020)), ['pair']);
  });

  it('drain flushes every pending request and primary output as unmatched', () => {
    const j = newJoin();
    j.addRequest(request('a', 1000), 0);
    j.addRequest(request('b', 1001), 0);
    j.addPrimary('c', primary(1002), 0);
    const out = j.drain();
    assert.deepEqual(types(out).sort(), ['unmatched_primary', 'unmatched_request', 'unmatched_request']);
    assert.equal(j.size, 0);
  });

  it('counts a primary output that arrives after its request expired as unmatched on both sides', () => {
    const j = newJoin();
    const req = request('a', 1000);
    j.addRequest(req, 0);
    tick(j, 1000 + WINDOW + 1);
    assert.deepEqual(j.expire(0).map((e) => e.type === 'unmatched_request' && e.request.msg.request_id), ['a']);
    const late = primary(1500);
    assert.deepEqual(j.addPrimary('a', late, 0), [], 'a late primary never pairs with an expired request');
    assert.deepEqual(j.expire(0), [], 'the late primary waits for its own window');
    tick(j, 1500 + WINDOW + 1);
    const out = j.expire(0);
    assert.deepEqual(types(out), ['unmatched_primary']);
    assert.ok(out[0]!.type === 'unmatched_primary');
    assert.equal(out[0]!.primary, late);
  });

  it('treats a redelivered request as a duplicate within two windows and forgets it after', () => {
    const j = newJoin();
    j.addRequest(request('a', 1000, { inline: true }), 0);
    tick(j, 1000 + 2 * WINDOW);
    j.expire(0);
    assert.deepEqual(types(j.addRequest(request('a', 1000), 0)), ['duplicate'], 'still remembered at exactly two windows');
    tick(j, 1000 + 2 * WINDOW + 1);
    j.expire(0);
    assert.deepEqual(j.addRequest(request('a', 1000), 0), [], 'forgotten after two windows: a new pending request');
    assert.equal(j.pendingOf('requests'), 1);
  });

  it('forgets emitted primary ids after two windows', () => {
    const j = newJoin();
    j.addPrimary('a', primary(1000), 0);
    j.addRequest(request('a', 1000), 0);
    tick(j, 1000 + 2 * WINDOW);
    j.expire(0);
    assert.deepEqual(types(j.addPrimary('a', primary(1000), 0)), ['duplicate'], 'still remembered at exactly two windows');
    tick(j, 1000 + 2 * WINDOW + 1);
    j.expire(0);
    assert.deepEqual(j.addPrimary('a', primary(1000), 0), []);
    assert.equal(j.pendingOf('primaries'), 1);
  });

  it('reports redeliveries of ids remembered from before a restart as duplicates', () => {
    const j = newJoin();
    j.rememberEmitted(['r1'], ['p1'], 1000);
    const req = request('r1', 1000);
    const prim = primary(1000);
    assert.deepEqual(j.addRequest(req, 0), [{ type: 'duplicate', ref: req.ref, requestId: 'r1', eventTime: 1000 }]);
    assert.deepEqual(j.addPrimary('p1', prim, 0), [{ type: 'duplicate', ref: prim.ref, requestId: 'p1', eventTime: 1000 }]);
    assert.equal(j.size, 0);
  });
});

// Seeded, so a failing interleaving can be replayed from its seed.
const prng = mulberry32;

type Arrival = { kind: 'req'; side: RequestSide } | { kind: 'prim'; id: string; side: PrimarySide };

function refsOf(e: JoinEvent): SourceRef[] {
  switch (e.type) {
    case 'pair':
      return e.primary.inline ? [e.request.ref] : [e.request.ref, e.primary.ref];
    case 'unmatched_request':
      return [e.request.ref];
    case 'unmatched_primary':
      return [e.primary.ref];
    case 'duplicate':
      return [e.ref];
  }
}

const key = (r: SourceRef) => `${r.stream}/${r.offset}`;

describe('PartitionJoin under random interleavings', () => {
  const tally = new Map<string, number>();
  for (let seed = 1; seed <= 40; seed++) {
    it(`accounts for every input record in exactly one event (seed ${seed})`, () => {
      const rand = prng(seed);
      const n = 50 + Math.floor(rand() * 150);
      const arrivals: Arrival[] = [];
      let reqOffset = 0;
      let primOffset = 0;
      for (let i = 0; i < n; i++) {
        const id = `r${i}`;
        const t = i * 200 + Math.floor(rand() * 3000);
        const inline = rand() < 0.1;
        const copies = rand() < 0.15 ? 2 : 1;
        if (rand() > 0.1) for (let c = 0; c < copies; c++) arrivals.push({ kind: 'req', side: request(id, t, { offset: reqOffset++, inline }) });
        if (!inline && rand() > 0.15) {
          const pc = rand() < 0.15 ? 2 : 1;
          for (let c = 0; c < pc; c++) arrivals.push({ kind: 'prim', id, side: primary(t + Math.floor(rand() * 500), primOffset++) });
        }
      }
      // Local shuffles only (records of one id stay within a few seconds of each other), plus a few
      // far-flung stragglers that arrive after their window.
      for (let i = arrivals.length - 1; i > 0; i--) {
        const j = Math.max(0, i - Math.floor(rand() * 12));
        [arrivals[i], arrivals[j]] = [arrivals[j]!, arrivals[i]!];
      }
      for (let k = 0; k < 3 && arrivals.length > 10; k++) {
        const [x] = arrivals.splice(Math.floor(rand() * arrivals.length / 2), 1);
        arrivals.push(x!);
      }

      const j = new PartitionJoin({ windowMs: 2_000 + Math.floor(rand() * 8_000), idleMs: 1_000 });
      const events: JoinEvent[] = [];
      let wall = 0;
      for (const a of arrivals) {
        wall += Math.floor(rand() * 50);
        events.push(...(a.kind === 'req' ? j.addRequest(a.side, wall) : j.addPrimary(a.id, a.side, wall)));
        if (rand() < 0.2) events.push(...j.expire(wall));
        if (rand() < 0.01) {
          wall += 5_000; // an idle spell
          events.push(...j.expire(wall));
        }
      }
      events.push(...j.drain());

      const seen = new Map<string, number>();
      for (const e of events) {
        tally.set(e.type, (tally.get(e.type) ?? 0) + 1);
        const refs = refsOf(e);
        if (e.type === 'pair') assert.equal(refs.length, e.primary.inline ? 1 : 2);
        for (const r of refs) seen.set(key(r), (seen.get(key(r)) ?? 0) + 1);
      }
      const inputs = arrivals.map((a) => key(a.side.ref));
      assert.equal(new Set(inputs).size, inputs.length);
      for (const k of inputs) assert.equal(seen.get(k), 1, `${k} appears in ${seen.get(k) ?? 0} events (seed ${seed})`);
      assert.equal(seen.size, inputs.length, 'no event carries a ref that was not an input');
      assert.equal(j.size, 0);
    });
  }

  it('exercises pairs, inline pairs, duplicates and both kinds of unmatched across the seeds', () => {
    for (const t of ['pair', 'duplicate', 'unmatched_request', 'unmatched_primary']) assert.ok((tally.get(t) ?? 0) > 20, `${t}: ${tally.get(t)}`);
  });
});
