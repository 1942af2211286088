import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { MirroredRequest, PrimaryOutput } from '../../src/contracts/index.ts';
import { createMirror, createTrafficSplit, fnv1a32, mirrorMessages, splitBucket } from '../../src/client/index.ts';
import { uniqueName, useKafka } from '../support/kafka.ts';
import { createTopics } from '../support/produce.ts';

const OPTS = { model: 'diagnosis', primaryVersion: 'v9', featureSchemaVersion: '1' };
const inference = (id: string) => ({ requestId: id, features: { mean_radius: 14.2, country: 'DE' }, segments: { country: 'DE' }, receivedAt: 1_700_000_000_000, output: { label: 1, score: 0.93 }, latencyMs: 12 });

describe('traffic split', () => {
  it('uses FNV-1a 32-bit as published (test vectors from the FNV reference)', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  });

  it('routes a key the same way every time, sends about the asked share, and a ramp only adds keys', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);
    const five = createTrafficSplit({ candidatePercent: 5, salt: 'diagnosis-v10' });
    const twenty = createTrafficSplit({ candidatePercent: 20, salt: 'diagnosis-v10' });
    const at5 = keys.filter((k) => five.route(k) === 'candidate');
    assert.ok(at5.length > 800 && at5.length < 1200, `${at5.length} of 20000 at 5%`);
    assert.deepEqual(keys.filter((k) => five.route(k) === 'candidate'), at5, 'deterministic');
    assert.ok(at5.every((k) => twenty.route(k) === 'candidate'), 'raising the share keeps earlier keys on the candidate');
    assert.equal(createTrafficSplit({ candidatePercent: 0 }).route('x'), 'production');
    assert.equal(createTrafficSplit({ candidatePercent: 100 }).route('x'), 'candidate');
    assert.notEqual(splitBucket('user-1', 'a'), splitBucket('user-1', 'b'));
    assert.throws(() => createTrafficSplit({ candidatePercent: 101 }), /between 0 and 100/);
  });
});

describe('mirror messages', () => {
  it('key both messages by the request id and match the message contracts', () => {
    const [req, prim] = mirrorMessages(OPTS, inference('r-1'));
    assert.equal(req.key, 'r-1');
    assert.equal(prim.key, 'r-1');
    assert.equal((req.headers as Record<string, string>)['x-shadow-schema'], 'https://shadow-compare.dev/schemas/messages/mirrored-request.schema.json');
    const r = MirroredRequest.parse(JSON.parse(String(req.value)));
    const p = PrimaryOutput.parse(JSON.parse(String(prim.value)));
    assert.equal(r.event_time, 1_700_000_000_000);
    assert.equal(p.event_time, 1_700_000_000_012, 'answered = received + latency');
    assert.deepEqual(p.output, { label: 1, score: 0.93 });
  });

  it('refuse a message the processor would reject, naming the field', () => {
    assert.throws(() => mirrorMessages(OPTS, { ...inference('r-2'), features: { nested: { a: 1 } as unknown as number } }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SHADOW_INPUT');
      assert.match(err.message, /^mirror r-2: the request does not match its schema: features\.nested: /);
      return true;
    });
    assert.throws(() => mirrorMessages(OPTS, { ...inference('r-3'), latencyMs: -1 }), /primary output does not match its schema: latency_ms/);
  });
});

describe('createMirror on the real broker', () => {
  it('puts a request and its primary output on the same partition number of the two topics', async () => {
    const kafka = new Kafka({ clientId: 'client-test', brokers: (await useKafka()).split(','), logLevel: logLevel.NOTHING });
    const topics = { requests: uniqueName('requests'), primaries: uniqueName('primaries') };
    await createTopics(kafka, topics, 4);
    const mirror = await createMirror({ ...OPTS, kafka, topics });
    const ids = Array.from({ length: 20 }, (_, i) => `req-${i}`);
    try {
      for (const id of ids) await mirror.mirror(inference(id));
    } finally {
      await mirror.close();
    }
    const consumer = kafka.consumer({ groupId: uniqueName('client-test') });
    const seen = new Map<string, Map<string, number>>();
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topics.requests, topics.primaries], fromBeginning: true });
      let count = 0;
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ topic, partition, message }) => {
            const key = String(message.key);
            if (!seen.has(key)) seen.set(key, new Map());
            seen.get(key)!.set(topic, partition);
            if (++count === ids.length * 2) resolve();
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
    for (const id of ids) {
      const at = seen.get(id)!;
      assert.equal(at.get(topics.requests), at.get(topics.primaries), `${id}: same partition number`);
    }
    assert.ok(new Set(ids.map((id) => seen.get(id)!.get(topics.requests))).size > 1, 'keys spread over partitions');
  });
});
