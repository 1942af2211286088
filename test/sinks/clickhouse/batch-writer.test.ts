import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BatchWriter, type BatchWriterOptions } from '../../../src/sinks/clickhouse/batch-writer.ts';
import { blockToken, type RowSink } from '../../../src/sinks/clickhouse/outcome-sink.ts';
import { encodeBlock, type FoldedBlock } from '../../../src/sinks/clickhouse/block-encoding.ts';
import { emptyRow, type Outcome, type OutcomeRow } from '../../../src/outcomes/index.ts';
import { ShadowError } from '../../../src/errors.ts';
import { createLogger } from '../../../src/ops/logger.ts';
import type { SourceRef } from '../../../src/types.ts';

const logger = createLogger({ level: 'silent' });

function outcome(offset: number, partition = 0): Outcome {
  const ref: SourceRef = { stream: 'requests', topic: 'req', partition, offset };
  const row = emptyRow();
  row.request_id = `r-${offset}`;
  row.req_offset = offset;
  row.source_partition = partition;
  return { row, refs: [ref] };
}
const outcomes = (from: number, n: number) => Array.from({ length: n }, (_, i) => outcome(from + i));

/** In-memory RowSink; `failures` decides, per call, whether to throw instead of storing. */
class FakeSink implements RowSink {
  readonly calls: { rows: OutcomeRow[]; token: string; tuples?: unknown[][] }[] = [];
  readonly stored: { rows: OutcomeRow[]; token: string }[] = [];
  constructor(private readonly failures: (call: number) => Error | null = () => null) {}
  async insert(rows: readonly OutcomeRow[], token: string, _stamp?: unknown, folded?: FoldedBlock): Promise<void> {
    const call = this.calls.length;
    this.calls.push({ rows: [...rows], token, tuples: folded?.tuples(token) });
    await Promise.resolve();
    const err = this.failures(call);
    if (err) throw err;
    this.stored.push({ rows: [...rows], token });
  }
  resend(): Promise<void> {
    return Promise.reject(new Error('the batch writer never repairs'));
  }
}

const OPTS: BatchWriterOptions = { maxRows: 10, flushIntervalMs: 10_000, retryInitialMs: 1, retryMaxMs: 4 };

function setup(sink: FakeSink, opts: Partial<BatchWriterOptions> = {}) {
  const durable: Outcome[][] = [];
  const fatal: ShadowError[] = [];
  const retries: number[] = [];
  const sleeps: number[] = [];
  const writer = new BatchWriter(
    sink,
    { ...OPTS, ...opts },
    { onDurable: (b) => durable.push([...b]), onFatal: (e) => fatal.push(e), onRetry: (attempt) => retries.push(attempt) },
    logger,
    async (ms) => {
      sleeps.push(ms);
    },
  );
  return { writer, durable, fatal, retries, sleeps };
}

const retryable = () => new ShadowError('SHADOW_SINK', 'timeout', { retryable: true });

describe('BatchWriter', () => {
  it('writes rows in blocks of at most maxRows, in order', async () => {
    const sink = new FakeSink();
    const { writer, durable } = setup(sink);
    writer.add(outcomes(0, 25));
    await writer.flush();
    assert.deepEqual(sink.stored.map((b) => b.rows.length), [10, 10, 5]);
    assert.deepEqual(sink.stored.flatMap((b) => b.rows.map((r) => r.req_offset)), [...Array(25).keys()]);
    assert.deepEqual(durable.map((b) => b.length), [10, 10, 5]);
    assert.equal(writer.pendingRows, 0);
  });

  it('starts a write as soon as maxRows rows are buffered, without waiting for a flush', async () => {
    const sink = new FakeSink();
    const { writer } = setup(sink);
    writer.add(outcomes(0, 9));
    await new Promise((r) => setImmediate(r));
    assert.equal(sink.calls.length, 0, 'below maxRows nothing is written before the interval');
    writer.add(outcomes(9, 1));
    await writer.settle();
    assert.equal(sink.stored.length, 1);
    assert.equal(sink.stored[0]!.rows.length, 10);
  });

  it('writes buffered rows when the flush interval passes', async () => {
    const sink = new FakeSink();
    const { writer, durable } = setup(sink, { flushIntervalMs: 10 });
    writer.start();
    writer.add(outcomes(0, 3));
    const deadline = Date.now() + 2_000;
    while (durable.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await writer.stop();
    assert.equal(durable.length, 1);
    assert.equal(sink.stored[0]!.rows.length, 3);
  });

  it('retries a retryable failure with the same token until the block lands, then reports it durable once', async () => {
    const sink = new FakeSink((call) => (call < 3 ? retryable() : null));
    const { writer, durable, retries, fatal, sleeps } = setup(sink);
    writer.add(outcomes(0, 4));
    await writer.flush();
    assert.equal(sink.calls.length, 4);
    assert.equal(new Set(sink.calls.map((c) => c.token)).size, 1, 'every attempt carries the same dedup token');
    assert.equal(sink.calls[0]!.token, blockToken(outcomes(0, 4).flatMap((o) => o.refs)));
    assert.equal(sink.stored.length, 1);
    assert.equal(durable.length, 1);
    assert.equal(durable[0]!.length, 4);
    assert.deepEqual(retries, [1, 2, 3]);
    assert.equal(fatal.length, 0);
    // Backoff doubles from retryInitialMs, capped at retryMaxMs, with jitter in [50%, 100%].
    const caps = [1, 2, 4];
    sleeps.forEach((ms, i) => assert.ok(ms >= caps[i]! / 2 && ms <= caps[i]!, `sleep ${i}: ${ms}`));
  });

  it('retries the same block: rows added during a retry go into a later block with its own token', async () => {
    const sink = new FakeSink((call) => (call === 0 ? retryable() : null));
    const { writer, durable } = setup(sink, { maxRows: 3 });
    writer.add(outcomes(0, 3)); // a full block: written at once, fails once
    writer.add(outcomes(3, 2)); // arrives while the first block is in flight
    await writer.flush();
    assert.deepEqual(durable.map((b) => b.map((o) => o.row.req_offset)), [[0, 1, 2], [3, 4]]);
    assert.deepEqual(sink.calls.map((c) => c.rows.length), [3, 3, 2]);
    assert.equal(sink.calls[0]!.token, sink.calls[1]!.token);
    assert.notEqual(sink.calls[1]!.token, sink.calls[2]!.token);
  });

  it('stops on a data error: calls onFatal once, writes nothing more, and refuses new rows', async () => {
    const dataError = new ShadowError('SHADOW_SINK_DATA', 'Cannot parse input', { retryable: false });
    const sink = new FakeSink((call) => (call === 1 ? dataError : null));
    const { writer, durable, fatal, retries } = setup(sink);
    writer.add(outcomes(0, 25));
    await assert.rejects(writer.flush(), (e) => e === dataError);
    assert.deepEqual(fatal, [dataError]);
    assert.equal(durable.length, 1, 'only the block before the failure is durable');
    assert.equal(sink.calls.length, 2, 'the failed block is not retried and nothing after it is tried');
    assert.deepEqual(retries, []);
    assert.throws(() => writer.add(outcomes(100, 1)), (e) => e === dataError);
  });

  it('treats an unclassified error as fatal, wrapped as SHADOW_SINK', async () => {
    const sink = new FakeSink(() => new Error('socket hang up'));
    const { writer, fatal } = setup(sink);
    writer.add(outcomes(0, 1));
    await assert.rejects(writer.flush(), (e) => e instanceof ShadowError && e.code === 'SHADOW_SINK');
    assert.equal(fatal.length, 1);
    assert.match(fatal[0]!.message, /socket hang up/);
    assert.equal(sink.calls.length, 1);
  });

  it('discards buffered rows that match a predicate and reports how many', async () => {
    const sink = new FakeSink();
    const { writer, durable } = setup(sink);
    writer.add([...outcomes(0, 3), outcome(10, 1), outcome(11, 1)]);
    assert.equal(writer.discard((o) => o.refs[0]!.partition === 1), 2);
    assert.equal(writer.pendingRows, 3);
    await writer.flush();
    assert.deepEqual(durable.flat().map((o) => o.row.req_offset), [0, 1, 2]);
  });

  it('sends each block folded as its rows arrived, equal to encoding its rows at once, after a discard too', async () => {
    const sink = new FakeSink();
    const { writer } = setup(sink, { tokenScope: 'm\u0000v2' });
    const kinds = ['compared', 'compared', 'unmatched_request', 'compared', 'reject', 'unmatched_primary', 'duplicate'] as const;
    const rich = (i: number) => {
      const o = outcome(i, i % 3);
      Object.assign(o.row, {
        kind: kinds[i % kinds.length],
        model: kinds[i % kinds.length] === 'reject' ? '' : 'm',
        candidate_version: 'v2',
        primary_version: i % 5 === 0 ? 'v0' : 'v1',
        event_time: new Date(Date.UTC(2026, 11, 2, 10, Math.floor(i / 9), i % 60)).toISOString(),
        segments: { country: ['DE', 'FR', 'US'][i % 3]!, tier: i % 2 ? 'gold' : 'free' },
        agree: i % 4 === 0 ? 0 : 1,
        candidate_scored: 1,
        primary_present: 1,
        candidate_latency_ms: 0.1 * i,
        primary_latency_ms: 2 + (i % 7),
        primary_score: (i % 10) / 10,
        profile: i % 5 === 0 ? { amount: String(i % 4) } : {},
      });
      return o;
    };
    writer.add(Array.from({ length: 23 }, (_, i) => rich(i)));
    writer.add(Array.from({ length: 9 }, (_, i) => rich(100 + i)));
    assert.equal(writer.discard((o) => o.refs[0]!.partition === 1 && o.row.req_offset % 2 === 0), 5);
    await writer.flush();
    // The first block went in flight when it filled, before the discard; the two after it are folded again.
    assert.deepEqual(sink.calls.map((c) => c.rows.length), [10, 8, 7, 2]);
    for (const c of sink.calls) {
      assert.equal(c.token, blockToken(c.rows.map((r) => ({ stream: 'requests', topic: 'req', partition: r.source_partition, offset: r.req_offset })), 'm\u0000v2'));
      assert.ok(c.tuples);
      assert.deepEqual(c.tuples, encodeBlock(c.rows, c.token));
    }
  });

  it('counts buffered and in-flight rows as pending', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const durable: Outcome[][] = [];
    const w = new BatchWriter({ insert: () => gate, resend: () => gate }, { ...OPTS, maxRows: 2 }, { onDurable: (b) => durable.push([...b]), onFatal: () => {} }, logger);
    w.add(outcomes(0, 3)); // two go in flight, one stays buffered
    assert.equal(w.pendingRows, 3);
    release();
    await w.flush();
    assert.equal(w.pendingRows, 0);
    assert.equal(durable.length, 2);
  });
});

describe('blockToken', () => {
  const refs = (offsets: number[], topic = 'req', partition = 0): SourceRef[] => offsets.map((offset) => ({ stream: 'requests', topic, partition, offset }));

  it('is stable for the same refs', () => {
    assert.equal(blockToken(refs([1, 2, 3])), blockToken(refs([1, 2, 3])));
    assert.match(blockToken(refs([1])), /^[0-9a-f]{64}$/);
  });

  it('differs when an offset, the partition or the topic differs', () => {
    const base = blockToken(refs([1, 2, 3]));
    assert.notEqual(blockToken(refs([1, 2, 4])), base);
    assert.notEqual(blockToken(refs([1, 2])), base);
    assert.notEqual(blockToken(refs([1, 2, 3], 'req', 1)), base);
    assert.notEqual(blockToken(refs([1, 2, 3], 'other')), base);
  });

  it('differs by writer scope: two candidates\' blocks of the same records are not one block to the store', () => {
    const v10 = blockToken(refs([1, 2, 3]), 'diagnosis\u0000v10');
    assert.notEqual(blockToken(refs([1, 2, 3]), 'diagnosis\u0000v11'), v10);
    assert.notEqual(blockToken(refs([1, 2, 3])), v10);
    assert.equal(blockToken(refs([1, 2, 3]), 'diagnosis\u0000v10'), v10);
  });

  it('does not confuse field boundaries (topic "a1" partition 2 vs topic "a" partition 12)', () => {
    const a: SourceRef[] = [{ stream: 'requests', topic: 'a1', partition: 2, offset: 3 }];
    const b: SourceRef[] = [{ stream: 'requests', topic: 'a', partition: 12, offset: 3 }];
    assert.notEqual(blockToken(a), blockToken(b));
  });
});
