import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expectedOutput, loadDataset, modelTask, parseDataset } from '../../src/traffic/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface ManifestEntry {
  model: string;
  version: string;
  path: string;
  dataset: string;
  task: string;
  input_name: string;
  feature_names: string[];
  output_names: string[];
  feature_schema_version: string;
  sha256: string;
}
const manifest = JSON.parse(readFileSync(`${ROOT}fixtures/models/manifest.json`, 'utf8')) as { models: ManifestEntry[] };

test('fixture data sets load and are consistent', () => {
  for (const name of ['breast_cancer', 'diabetes', 'digits']) {
    const ds = loadDataset(name);
    assert.equal(ds.dataset, name);
    assert.match(ds.source, /^sklearn\.datasets\.load_\w+ \(scikit-learn \d+\.\d+/);
    assert.ok(ds.rows.length > 100);
    for (const s of ds.segments) {
      assert.ok(['US', 'DE', 'GB', 'FR', 'BR', 'IN', 'JP', 'MX'].includes(s.country!));
      assert.ok(['ios', 'android', 'web'].includes(s.device!));
      assert.ok(['free', 'pro', 'enterprise'].includes(s.customer_tier!));
    }
  }
});

test('manifest entries match the model files and the data sets', () => {
  assert.equal(manifest.models.length, 8);
  for (const m of manifest.models) {
    const bytes = readFileSync(`${ROOT}${m.path}`);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), m.sha256, `${m.path} sha256`);
    assert.equal(m.input_name, 'float_input');
    assert.equal(m.feature_schema_version, '1');
    const ds = loadDataset(m.dataset);
    assert.deepEqual(m.feature_names, ds.feature_names);
    assert.equal(modelTask(ds, m.model, m.version), m.task);
    assert.deepEqual(m.output_names, m.task === 'regression' ? ['variable'] : ['label', 'probabilities']);
  }
});

test('expectedOutput shapes per task', () => {
  const bc = loadDataset('breast_cancer');
  const o = expectedOutput(bc, 'diagnosis', 'v10', 0);
  assert.deepEqual(Object.keys(o).sort(), ['label', 'score']);
  assert.equal(o.label, o.score! >= 0.5 ? 1 : 0);
  assert.deepEqual(Object.keys(expectedOutput(loadDataset('diabetes'), 'progression', 'v4', 0)), ['value']);
  const d = expectedOutput(loadDataset('digits'), 'digits', 'v2', 0);
  assert.equal(d.scores!.length, 10);
  assert.ok(Math.abs(d.scores!.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  assert.throws(() => expectedOutput(bc, 'diagnosis', 'v9', bc.rows.length), RangeError);
  assert.throws(() => expectedOutput(bc, 'nope', 'v1', 0), /no expected outputs for nope:v1/);
});

test('parseDataset rejects inconsistent documents', () => {
  const ok = { dataset: 'x', source: 's', feature_names: ['a', 'b'], rows: [[1, 2]], segments: [{}], expected: {} };
  assert.equal(parseDataset(ok).rows.length, 1);
  assert.throws(() => parseDataset({ ...ok, rows: [[1]] }), /rows\[0\]/);
  assert.throws(() => parseDataset({ ...ok, segments: [] }), /segments/);
  assert.throws(
    () => parseDataset({ ...ok, expected: { 'm:v1': { task: 'regression', values: [1, 2] } } }),
    /m:v1/,
  );
  assert.throws(() => parseDataset([]), /not a JSON object/);
});
