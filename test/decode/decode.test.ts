import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decode, type Decoded, type DecodeOptions } from '../../src/decode/index.ts';
import type { RawRecord, Stream } from '../../src/types.ts';

const opts: DecodeOptions = { model: 'fraud', maxMessageBytes: 2048 };

function record(stream: Stream, value: unknown, key: string | null = null): RawRecord {
  const v = value === null || typeof value === 'string' || Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value));
  return { ref: { stream, topic: stream, partition: 3, offset: 17 }, key, value: v as Buffer | string | null };
}

const request = (over: Record<string, unknown> = {}) => ({
  request_id: 'r-1',
  event_time: '2024-05-01T12:00:00.250Z',
  model: 'fraud',
  primary_version: 'v9',
  feature_schema_version: '3',
  features: { amount: 12.5, country: 'DE', new_user: true, note: null },
  ...over,
});

const primaryOutput = (over: Record<string, unknown> = {}) => ({
  request_id: 'r-1',
  event_time: 1_714_564_800_300,
  model: 'fraud',
  version: 'v9',
  output: { score: 0.8, label: 1 },
  latency_ms: 4.5,
  ...over,
});

function rejected(d: Decoded): { code: string; reason: string } {
  assert.equal(d.ok, false, `expected a reject, got ${JSON.stringify(d)}`);
  return d as { code: string; reason: string };
}

describe('decode rejects', () => {
  it('rejects a null value as EMPTY', () => {
    assert.equal(rejected(decode(record('requests', null), opts)).code, 'EMPTY');
  });

  it('rejects a zero-length buffer or string as EMPTY', () => {
    assert.equal(rejected(decode(record('requests', Buffer.alloc(0)), opts)).code, 'EMPTY');
    assert.equal(rejected(decode(record('primaries', ''), opts)).code, 'EMPTY');
  });

  it('rejects a message over maxMessageBytes as TOO_LARGE without parsing it', () => {
    const big = Buffer.from(`{"x":"${'a'.repeat(3000)}"`); // not even valid JSON: must not get that far
    const r = rejected(decode(record('requests', big), opts));
    assert.equal(r.code, 'TOO_LARGE');
    assert.match(r.reason, /3\d{3} bytes; limit is 2048/);
  });

  it('accepts a message of exactly maxMessageBytes', () => {
    const base = JSON.stringify(request());
    const padded = base + ' '.repeat(opts.maxMessageBytes - Buffer.byteLength(base));
    assert.equal(Buffer.byteLength(padded), opts.maxMessageBytes);
    assert.equal(decode(record('requests', Buffer.from(padded)), opts).ok, true);
  });

  it('measures a string value in UTF-8 bytes for the TOO_LARGE limit', () => {
    // 1,000 characters of 3 bytes each: 3,000 bytes on the wire, over the 2,048-byte limit.
    const value = JSON.stringify(request({ features: { note: '€'.repeat(1000) } }));
    assert.ok(value.length <= opts.maxMessageBytes && Buffer.byteLength(value) > opts.maxMessageBytes);
    const r = rejected(decode(record('requests', value), opts));
    assert.equal(r.code, 'TOO_LARGE');
  });

  it('rejects malformed JSON as INVALID_JSON', () => {
    const r = rejected(decode(record('requests', '{"request_id": "r-1",'), opts));
    assert.equal(r.code, 'INVALID_JSON');
    assert.ok(r.reason.length > 0);
  });

  it('rejects a request without request_id as SCHEMA_VIOLATION naming the field', () => {
    const { request_id: _, ...noId } = request();
    const r = rejected(decode(record('requests', noId), opts));
    assert.equal(r.code, 'SCHEMA_VIOLATION');
    assert.match(r.reason, /^request_id: /);
  });

  it('names the nested field path of a schema violation', () => {
    const r = rejected(decode(record('requests', request({ features: { amount: { nested: 1 } } })), opts));
    assert.equal(r.code, 'SCHEMA_VIOLATION');
    assert.match(r.reason, /^features\.amount: /);
  });

  it('names the field of a schema violation in a primary output', () => {
    const r = rejected(decode(record('primaries', primaryOutput({ latency_ms: -1 })), opts));
    assert.equal(r.code, 'SCHEMA_VIOLATION');
    assert.match(r.reason, /^latency_ms: /);
  });

  it('rejects unknown keys as SCHEMA_VIOLATION (contracts are strict)', () => {
    const r = rejected(decode(record('requests', request({ extra: 1 })), opts));
    assert.equal(r.code, 'SCHEMA_VIOLATION');
    assert.match(r.reason, /extra/);
  });

  it('rejects a JSON value that is not an object as SCHEMA_VIOLATION at the root', () => {
    const r = rejected(decode(record('requests', '[1,2]'), opts));
    assert.equal(r.code, 'SCHEMA_VIOLATION');
    assert.match(r.reason, /^\(root\): /);
  });

  it('rejects a message for another model as UNKNOWN_MODEL', () => {
    const r = rejected(decode(record('requests', request({ model: 'churn' })), opts));
    assert.equal(r.code, 'UNKNOWN_MODEL');
    assert.match(r.reason, /"churn"/);
    assert.equal(rejected(decode(record('primaries', primaryOutput({ model: 'churn' })), opts)).code, 'UNKNOWN_MODEL');
  });

  it('rejects a message whose key differs from its request_id as KEY_MISMATCH', () => {
    const r = rejected(decode(record('requests', request(), 'r-2'), opts));
    assert.equal(r.code, 'KEY_MISMATCH');
    assert.match(r.reason, /"r-2".*"r-1"/);
    assert.equal(rejected(decode(record('primaries', primaryOutput(), 'other'), opts)).code, 'KEY_MISMATCH');
  });
});

describe('decode accepts', () => {
  it('decodes a valid request with an ISO event time into epoch ms', () => {
    const d = decode(record('requests', request(), 'r-1'), opts);
    assert.ok(d.ok && d.stream === 'requests');
    assert.equal(d.msg.event_time, Date.UTC(2024, 4, 1, 12, 0, 0, 250));
    assert.equal(d.msg.request_id, 'r-1');
    assert.deepEqual(d.msg.features, { amount: 12.5, country: 'DE', new_user: true, note: null });
  });

  it('normalises an ISO event time with an offset to epoch ms', () => {
    const d = decode(record('requests', request({ event_time: '2024-05-01T14:00:00.250+02:00' })), opts);
    assert.ok(d.ok && d.stream === 'requests');
    assert.equal(d.msg.event_time, Date.UTC(2024, 4, 1, 12, 0, 0, 250));
  });

  it('keeps an epoch-ms event time as is', () => {
    const d = decode(record('requests', request({ event_time: 1_714_564_800_250 })), opts);
    assert.ok(d.ok && d.stream === 'requests');
    assert.equal(d.msg.event_time, 1_714_564_800_250);
  });

  it('turns a numeric feature_schema_version into a string', () => {
    const d = decode(record('requests', request({ feature_schema_version: 3 })), opts);
    assert.ok(d.ok && d.stream === 'requests');
    assert.equal(d.msg.feature_schema_version, '3');
  });

  it('turns segment values into strings', () => {
    const d = decode(record('requests', request({ segments: { tier: 2, mobile: false, country: 'FR' } })), opts);
    assert.ok(d.ok && d.stream === 'requests');
    assert.deepEqual(d.msg.segments, { tier: '2', mobile: 'false', country: 'FR' });
  });

  it('decodes an inline primary output with an ISO event time', () => {
    const inline = { output: { score: 0.3 }, latency_ms: 2, event_time: '2024-05-01T12:00:01Z' };
    const d = decode(record('requests', request({ primary_output: inline })), opts);
    assert.ok(d.ok && d.stream === 'requests');
    assert.equal(d.msg.primary_output?.event_time, Date.UTC(2024, 4, 1, 12, 0, 1));
  });

  it('decodes a valid primary output from a buffer with a matching key', () => {
    const d = decode(record('primaries', primaryOutput(), 'r-1'), opts);
    assert.ok(d.ok && d.stream === 'primaries');
    assert.equal(d.msg.event_time, 1_714_564_800_300);
    assert.deepEqual(d.msg.output, { score: 0.8, label: 1 });
    assert.equal(d.msg.version, 'v9');
  });

  it('decodes a primary output with an ISO event time into epoch ms', () => {
    const d = decode(record('primaries', primaryOutput({ event_time: '2024-05-01T12:00:00Z' })), opts);
    assert.ok(d.ok && d.stream === 'primaries');
    assert.equal(d.msg.event_time, Date.UTC(2024, 4, 1, 12));
  });

  it('skips the key check when the key is null or empty', () => {
    assert.equal(decode(record('requests', request(), null), opts).ok, true);
    assert.equal(decode(record('requests', request(), ''), opts).ok, true);
  });

  it('validates against the schema of the stream the record came from', () => {
    // A primary output on the requests topic is not a valid request.
    assert.equal(rejected(decode(record('requests', primaryOutput()), opts)).code, 'SCHEMA_VIOLATION');
  });
});
