import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GroundTruthLabel, MirroredRequest, PrimaryOutput, toJsonSchemas } from '../../src/contracts/index.ts';

const DIR = join(import.meta.dirname, '..', '..', 'schemas', 'messages');
const FIX = 'run `npx tsx scripts/export-json-schema.ts` and commit schemas/messages/';

describe('committed JSON Schemas', () => {
  const generated = toJsonSchemas();

  for (const [file, schema] of Object.entries(generated)) {
    it(`schemas/messages/${file} equals what the zod contracts generate`, () => {
      let committed: string;
      try {
        committed = readFileSync(join(DIR, file), 'utf8');
      } catch {
        assert.fail(`schemas/messages/${file} is missing: ${FIX}`);
      }
      const expected = `${JSON.stringify(schema, null, 2)}\n`;
      assert.ok(committed === expected, `schemas/messages/${file} is out of date with src/contracts (${firstDifference(committed, expected)}): ${FIX}`);
    });
  }

  it('has no committed schema file that the contracts no longer generate', () => {
    const committed = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
    assert.deepEqual(committed, Object.keys(generated).sort(), `stale or missing files in schemas/messages/: ${FIX}`);
  });

  it('describes the input side: event_time accepts an ISO string or epoch ms', () => {
    const req = generated['mirrored-request.schema.json'] as { properties: Record<string, { anyOf?: { type: string }[] }>; required: string[] };
    assert.deepEqual(req.properties.event_time?.anyOf?.map((x) => x.type), ['string', 'integer']);
    assert.ok(req.required.includes('request_id'));
  });
});

function firstDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  const i = x.findIndex((line, k) => line !== y[k]);
  const at = i < 0 ? x.length : i;
  return `first difference at line ${at + 1}: committed ${JSON.stringify(x[at] ?? '<end>')}, generated ${JSON.stringify(y[at] ?? '<end>')}`;
}

const validRequest = {
  request_id: 'r-1',
  event_time: 1_714_564_800_000,
  model: 'fraud',
  primary_version: 'v9',
  feature_schema_version: 1,
  features: { amount: 1.5, country: 'DE', flag: true, missing: null },
};

function issuePaths(input: unknown): string[] {
  const r = MirroredRequest.safeParse(input);
  assert.equal(r.success, false, 'expected the message to be invalid');
  return r.error!.issues.map((i) => i.path.join('.'));
}

describe('message contracts', () => {
  it('accept a valid mirrored request', () => {
    assert.equal(MirroredRequest.safeParse(validRequest).success, true);
  });

  it('reject a request without request_id, naming the field', () => {
    const { request_id: _, ...rest } = validRequest;
    assert.ok(issuePaths(rest).includes('request_id'));
  });

  it('reject a feature whose value is an object, naming the feature', () => {
    assert.ok(issuePaths({ ...validRequest, features: { amount: { nested: 1 } } }).includes('features.amount'));
  });

  it('reject a feature whose value is an array, naming the feature', () => {
    assert.ok(issuePaths({ ...validRequest, features: { amount: [1, 2] } }).includes('features.amount'));
  });

  it('reject an event time that is neither ISO-8601 nor epoch ms', () => {
    assert.ok(issuePaths({ ...validRequest, event_time: 'yesterday' }).includes('event_time'));
    assert.ok(issuePaths({ ...validRequest, event_time: -5 }).includes('event_time'));
  });

  it('reject an unknown key in an inline primary output, naming the path', () => {
    const bad = { ...validRequest, primary_output: { output: {}, latency_ms: 1, surprise: 1 } };
    assert.ok(issuePaths(bad).some((p) => p === 'primary_output' || p.startsWith('primary_output.')));
  });

  it('reject a primary output without version, naming the field', () => {
    const r = PrimaryOutput.safeParse({ request_id: 'r', event_time: 0, model: 'm', output: {}, latency_ms: 1 });
    assert.equal(r.success, false);
    assert.ok(r.error!.issues.some((i) => i.path.join('.') === 'version'));
  });
});

// Issue 13 (3): the labels topic's contract.
describe('ground-truth label contract', () => {
  const valid = { request_id: 'r-1', model: 'diagnosis', label: 1, label_time: '2025-03-09T10:00:00Z' };

  it('accepts a label or a value, with an ISO or epoch-ms label time', () => {
    assert.equal(GroundTruthLabel.safeParse(valid).success, true);
    assert.equal(GroundTruthLabel.safeParse({ ...valid, label: undefined, value: 151.5, label_time: 1_741_514_400_000 }).success, true);
    assert.equal(GroundTruthLabel.parse(valid).label_time, Date.parse('2025-03-09T10:00:00Z'));
  });

  it('rejects neither or both of label and value, naming label', () => {
    for (const bad of [{ ...valid, label: undefined }, { ...valid, value: 1 }]) {
      const r = GroundTruthLabel.safeParse(bad);
      assert.equal(r.success, false);
      assert.deepEqual(r.error!.issues.map((i) => i.path.join('.')), ['label']);
    }
  });

  it('rejects an unknown field and a missing request id', () => {
    assert.equal(GroundTruthLabel.safeParse({ ...valid, extra: 1 }).success, false);
    const { request_id: _, ...rest } = valid;
    assert.ok(GroundTruthLabel.safeParse(rest).error!.issues.some((i) => i.path.join('.') === 'request_id'));
  });

  it('is exported as JSON Schema requiring request_id, model and label_time', () => {
    const s = toJsonSchemas()['ground-truth-label.schema.json'] as { required: string[]; additionalProperties: boolean };
    assert.deepEqual([...s.required].sort(), ['label_time', 'model', 'request_id']);
    assert.equal(s.additionalProperties, false);
  });
});
