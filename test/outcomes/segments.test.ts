import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MISSING, OTHER, SegmentCapper } from '../../src/outcomes/index.ts';
import type { MirroredRequest } from '../../src/types.ts';

function msg(segments: Record<string, string> | undefined, features: MirroredRequest['features'] = {}): MirroredRequest {
  return { request_id: 'r', event_time: 0, model: 'm', primary_version: 'v', feature_schema_version: '7', features, ...(segments ? { segments } : {}) };
}

describe('SegmentCapper', () => {
  it('always adds the feature schema version as a segment', () => {
    assert.deepEqual(new SegmentCapper([], 5).segmentsOf(msg(undefined)), { feature_schema_version: '7' });
  });

  it('takes a dimension from segments first and from features otherwise', () => {
    const c = new SegmentCapper(['country', 'device'], 5);
    assert.deepEqual(c.segmentsOf(msg({ country: 'DE' }, { country: 'FR', device: 'ios' })), { feature_schema_version: '7', country: 'DE', device: 'ios' });
  });

  it('stringifies numeric and boolean feature values', () => {
    const c = new SegmentCapper(['tier', 'new_user'], 5);
    assert.deepEqual(c.segmentsOf(msg(undefined, { tier: 2, new_user: false })), { feature_schema_version: '7', tier: '2', new_user: 'false' });
  });

  it('writes __missing__ for an absent, null or empty value', () => {
    const c = new SegmentCapper(['country', 'device', 'tier'], 5);
    const s = c.segmentsOf(msg({ tier: '' }, { device: null }));
    assert.equal(MISSING, '__missing__');
    assert.deepEqual(s, { feature_schema_version: '7', country: MISSING, device: MISSING, tier: MISSING });
  });

  it('sends values beyond the cap to __other__ and keeps the values seen first', () => {
    const c = new SegmentCapper(['country'], 2);
    const country = (v: string) => c.segmentsOf(msg({ country: v })).country;
    assert.equal(country('DE'), 'DE');
    assert.equal(country('FR'), 'FR');
    assert.equal(country('US'), OTHER);
    assert.equal(OTHER, '__other__');
    assert.equal(country('DE'), 'DE', 'a kept value stays kept');
    assert.equal(country('IT'), OTHER);
  });

  it('caps each dimension separately', () => {
    const c = new SegmentCapper(['a', 'b'], 1);
    assert.deepEqual(c.segmentsOf(msg({ a: 'x', b: 'y' })), { feature_schema_version: '7', a: 'x', b: 'y' });
    assert.deepEqual(c.segmentsOf(msg({ a: 'z', b: 'y' })), { feature_schema_version: '7', a: OTHER, b: 'y' });
  });

  it('keeps seeded values ahead of values seen later', () => {
    const c = new SegmentCapper(['country'], 2);
    c.seed('country', ['US', 'GB', 'FR']);
    assert.equal(c.segmentsOf(msg({ country: 'DE' })).country, OTHER);
    assert.equal(c.segmentsOf(msg({ country: 'GB' })).country, 'GB');
    assert.equal(c.segmentsOf(msg({ country: 'FR' })).country, OTHER, 'seeding stops at the cap too');
  });

  it('ignores seeds for dimensions it does not track', () => {
    const c = new SegmentCapper(['country'], 2);
    c.seed('device', ['ios']);
    assert.deepEqual(c.segmentsOf(msg(undefined, { device: 'ios' })), { feature_schema_version: '7', country: MISSING });
  });
});
