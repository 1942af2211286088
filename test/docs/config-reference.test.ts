import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configReference, configRows, descriptionProblems, REFERENCE_FILE } from '../../scripts/config-reference.ts';
import { ConfigSchema } from '../../src/config/schema.ts';
import { REPO } from '../support/config.ts';

const FIX = 'run `npm run docs:config` and commit docs/configuration-reference.md';

describe('docs/configuration-reference.md', () => {
  it('equals what scripts/config-reference.ts generates from the zod schema', () => {
    const committed = readFileSync(join(REPO, REFERENCE_FILE), 'utf8');
    assert.ok(committed === configReference(), `${REFERENCE_FILE} is out of date with src/config/schema.ts: ${FIX}`);
  });

  it('describes every key, and no key the schema does not have', () => {
    assert.deepEqual(descriptionProblems(), []);
  });

  it('lists every key of a fully parsed default config, with its default', () => {
    const parsed = ConfigSchema.parse({
      model: 'm',
      candidate: { version: 'v1', path: 'm.onnx', featureSchemaVersion: 1, features: ['f'], outputs: { scores: 'p' } },
      task: { type: 'binary' },
      gate: {},
    });
    const rows = new Map(configRows().map((r) => [r.key, r]));
    const leaves = (v: unknown, key: string): string[] =>
      v !== null && typeof v === 'object' && !Array.isArray(v) && key !== 'kafka.ssl'
        ? Object.entries(v).flatMap(([k, child]) => leaves(child, key ? `${key}.${k}` : k))
        : [key];
    for (const key of leaves(parsed, '')) {
      const row = rows.get(key.replace(/^task\./, 'task(binary).'));
      assert.ok(row, `${key} is in the parsed config but not in the reference`);
      const value = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], parsed);
      if (row.default !== 'required' && row.default !== '-') assert.equal(row.default, `\`${JSON.stringify(value)}\``.replaceAll('|', '\\|'), key);
    }
  });
});
