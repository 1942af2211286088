import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MirroredRequest, PrimaryOutput } from '../../src/contracts/index.ts';
import { fastPrimary, fastRequest } from '../../src/contracts/fast-parse.ts';
import { generateTraffic, loadDataset, mulberry32 } from '../../src/traffic/index.ts';

// The fast path may decline a message (null: zod decides), but whenever it accepts one, zod must
// accept it too and produce exactly the same value; it must never accept what zod rejects.
const traffic = generateTraffic({ dataset: loadDataset('breast_cancer'), model: 'diagnosis', primaryVersion: 'v9', count: 300, seed: 9, invalidRate: 0.05, inlinePrimaryRate: 0.2, primaryErrorRate: 0.1 });
const rand = mulberry32(99);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const WEIRD: unknown[] = [null, '', 'x'.repeat(300), -1, 1.5, 1e400, Number.NaN, true, [], {}, [1, 'a'], { a: 1 }, '2026-02-30T00:00:00Z', '2026-11-25T10:00:00Z', 1795600000000];

function mutate(v: unknown, depth = 0): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || depth > 2) return rand() < 0.5 ? pick(WEIRD) : v;
  const o = { ...(v as Record<string, unknown>) };
  const keys = Object.keys(o);
  const r = rand();
  if (r < 0.25 && keys.length) delete o[pick(keys)];
  else if (r < 0.35) o[pick(['extra', 'features', 'segments', 'error', 'cost_usd'])] = pick(WEIRD);
  else if (keys.length) {
    const k = pick(keys);
    o[k] = mutate(o[k], depth + 1);
  }
  return o;
}

function agree(stream: 'requests' | 'primaries', json: unknown): void {
  const schema = stream === 'requests' ? MirroredRequest : PrimaryOutput;
  const fast = stream === 'requests' ? fastRequest(json) : fastPrimary(json);
  const slow = schema.safeParse(json);
  if (!slow.success) assert.equal(fast, null, `fast path accepted what zod rejects: ${JSON.stringify(json)}`);
  else if (fast !== null) assert.deepEqual(fast, slow.data, JSON.stringify(json));
}

describe('fast message validation', () => {
  it('accepts every valid generated message on the fast path, with exactly zod\'s result', () => {
    let fastHits = 0;
    for (const e of traffic.envelopes) {
      if (typeof e.payload === 'string') continue;
      agree(e.stream, e.payload);
      const fast = e.stream === 'requests' ? fastRequest(e.payload) : fastPrimary(e.payload);
      if (fast) fastHits++;
    }
    assert.ok(fastHits > traffic.envelopes.length * 0.7, `only ${fastHits} messages took the fast path`);
  });

  it('never disagrees with zod on 20,000 mutated messages', () => {
    const valid = traffic.envelopes.filter((e) => typeof e.payload !== 'string');
    for (let i = 0; i < 20_000; i++) {
      const e = pick(valid);
      agree(e.stream, JSON.parse(JSON.stringify(mutate(e.payload))));
    }
  });
});
