import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig, parseConfig } from '../../src/config/index.ts';
import { ShadowError } from '../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'shadow-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function writeConfig(yaml: string, sub = ''): string {
  const d = join(dir, sub);
  mkdirSync(d, { recursive: true });
  const path = join(d, `config-${n++}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

const MINIMAL = `
model: fraud
candidate:
  version: v2
  path: models/fraud.onnx
  featureSchemaVersion: 3
  features: [amount, country]
  outputs: { scores: probabilities }
task: { type: binary }
kafka: { brokers: ["file-broker:9092"] }
`;

function configError(fn: () => unknown): ShadowError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ShadowError, `expected a ShadowError, got ${String(err)}`);
    assert.equal(err.code, 'SHADOW_CONFIG');
    return err;
  }
  assert.fail('expected loading to fail');
}

describe('loadConfig', () => {
  it('loads a minimal file with defaults filled in', () => {
    const c = loadConfig(writeConfig(MINIMAL));
    assert.equal(c.model, 'fraud');
    assert.equal(c.candidate.featureSchemaVersion, '3');
    assert.equal(c.candidate.batch.maxSize, 64);
    assert.equal(c.join.windowMs, 60_000);
    assert.equal(c.sink.maxRows, 50_000);
    assert.equal(c.clickhouse.database, 'shadow');
    assert.ok(c.task.type === 'binary' && c.task.threshold === 0.5);
  });

  it('returns a frozen config', () => {
    const c = loadConfig(writeConfig(MINIMAL));
    assert.ok(Object.isFrozen(c));
    assert.ok(Object.isFrozen(c.candidate.batch));
    assert.throws(() => {
      (c.join as { windowMs: number }).windowMs = 1;
    }, TypeError);
  });

  it('fails with SHADOW_CONFIG naming the dotted path of an invalid field', () => {
    const err = configError(() => loadConfig(writeConfig(MINIMAL.replace('features: [amount, country]', 'features: [amount, country]\n  batch: { maxSize: 0 }'))));
    assert.match(err.message, /candidate\.batch\.maxSize: /);
    assert.match(err.message, />=\s*1|too small/i);
  });

  it('names the field and the expected type for a value of the wrong type', () => {
    const err = configError(() => loadConfig(writeConfig(`${MINIMAL}join: { windowMs: soon }\n`)));
    assert.match(err.message, /join\.windowMs: .*number/i);
  });

  it('names a missing required field', () => {
    const err = configError(() => loadConfig(writeConfig(MINIMAL.replace('  version: v2\n', ''))));
    assert.match(err.message, /candidate\.version: /);
  });

  it('rejects an unknown key in a section, naming the section and the key', () => {
    const err = configError(() => loadConfig(writeConfig(`${MINIMAL}join: { windowMs: 1000, windowMS: 2000 }\n`)));
    assert.match(err.message, /join: .*windowMS/);
  });

  it('rejects an unknown top-level key', () => {
    const err = configError(() => loadConfig(writeConfig(`${MINIMAL}modle: typo\n`)));
    assert.match(err.message, /modle/);
  });

  it('applies cross-field rules with a path-qualified message', () => {
    const err = configError(() => loadConfig(writeConfig(MINIMAL.replace('{ type: binary }', '{ type: regression }'))));
    assert.match(err.message, /candidate\.outputs\.value: is required for task\.type "regression"/);
    const idle = configError(() => loadConfig(writeConfig(`${MINIMAL}join: { windowMs: 1000, idleMs: 20000 }\n`)));
    assert.match(idle.message, /join\.idleMs: must be at most 10 x join\.windowMs/);
  });

  it('fails with SHADOW_CONFIG for a missing file and for unparseable YAML', () => {
    assert.match(configError(() => loadConfig(join(dir, 'nope.yaml'))).message, /not found/);
    assert.match(configError(() => loadConfig(writeConfig('model: [unclosed\n'))).message, /not valid YAML/);
  });

  it('lets environment variables override connection settings from the file', () => {
    const c = loadConfig(writeConfig(MINIMAL), {
      KAFKA_BROKERS: 'k1:9092, k2:9092,',
      CLICKHOUSE_URL: 'https://ch.example.com:8443',
      CLICKHOUSE_USER: 'shadow',
      CLICKHOUSE_PASSWORD: 's3cret',
      CLICKHOUSE_DATABASE: 'shadow_test',
      KAFKA_SSL: 'true',
    });
    assert.deepEqual(c.kafka.brokers, ['k1:9092', 'k2:9092']);
    assert.equal(c.kafka.ssl, true);
    assert.equal(c.clickhouse.url, 'https://ch.example.com:8443');
    assert.equal(c.clickhouse.username, 'shadow');
    assert.equal(c.clickhouse.password, 's3cret');
    assert.equal(c.clickhouse.database, 'shadow_test');
  });

  it('keeps the file value when the environment does not set it', () => {
    const c = loadConfig(writeConfig(MINIMAL), {});
    assert.deepEqual(c.kafka.brokers, ['file-broker:9092']);
    assert.equal(c.clickhouse.url, undefined);
  });

  it('builds SASL settings from the environment', () => {
    const c = loadConfig(writeConfig(MINIMAL), { KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p', KAFKA_SASL_MECHANISM: 'plain' });
    assert.deepEqual(c.kafka.sasl, { mechanism: 'plain', username: 'u', password: 'p' });
  });

  it('keeps the SASL mechanism of the file when only the password comes from the environment', () => {
    const file = `${MINIMAL.replace('kafka: { brokers: ["file-broker:9092"] }', 'kafka:\n  brokers: ["file-broker:9092"]\n  sasl: { mechanism: scram-sha-256, username: svc, password: placeholder }')}`;
    const c = loadConfig(writeConfig(file), { KAFKA_SASL_PASSWORD: 'from-env' });
    assert.equal(c.kafka.sasl?.password, 'from-env');
    assert.equal(c.kafka.sasl?.username, 'svc');
    assert.equal(c.kafka.sasl?.mechanism, 'scram-sha-256');
  });

  it('validates values that come from the environment, naming the field and the variable, not the file', () => {
    const err = configError(() => loadConfig(writeConfig(MINIMAL), { CLICKHOUSE_URL: 'not a url' }));
    assert.match(err.message, /^invalid environment: clickhouse\.url \(from environment variable CLICKHOUSE_URL\): must be an http\(s\) URL/);
  });

  it('names the file for a bad value in the file and the variable for a bad value from the environment', () => {
    const err = configError(() => loadConfig(writeConfig(`${MINIMAL}\njoin: { windowMs: 0 }\n`), { KAFKA_BROKERS: ',' }));
    assert.match(err.message, /^invalid config file .*config-\d+\.yaml: /);
    assert.match(err.message, /join\.windowMs: /);
    assert.match(err.message, /kafka\.brokers \(from environment variable KAFKA_BROKERS\): /);
  });

  it('resolves every relative path in the file against its directory, and SHADOW_DATA_DIR against the working directory', () => {
    const path = writeConfig(`${MINIMAL}\nrunbook: docs/runbook.md\nregistry: { path: reg/registry.json }\n`, 'rel');
    const c = loadConfig(path);
    assert.equal(c.clickhouse.dataDir, join(dir, 'rel', '.shadow-data'), 'the default data directory too');
    assert.equal(c.registry.path, join(dir, 'rel', 'reg', 'registry.json'));
    assert.equal(c.runbook, join(dir, 'rel', 'docs', 'runbook.md'));
    assert.equal(loadConfig(path, { SHADOW_DATA_DIR: 'here' }).clickhouse.dataDir, resolve('here'));
  });

  it('lets explicit overrides win over the environment and the file', () => {
    const c = loadConfig(writeConfig(MINIMAL), { KAFKA_BROKERS: 'env:9092' }, { kafka: { brokers: ['flag:9092'] }, join: { windowMs: 5000 } });
    assert.deepEqual(c.kafka.brokers, ['flag:9092']);
    assert.equal(c.join.windowMs, 5000);
    assert.equal(c.join.idleMs, 5000, 'the rest of the section keeps its defaults');
  });

  it('resolves candidate.path relative to the config file, not the working directory', () => {
    const path = writeConfig(MINIMAL, 'nested/deeper');
    const c = loadConfig(path);
    assert.equal(c.candidate.path, join(dir, 'nested/deeper/models/fraud.onnx'));
  });

  it('keeps an absolute candidate.path as is', () => {
    const c = loadConfig(writeConfig(MINIMAL.replace('path: models/fraud.onnx', 'path: /opt/models/fraud.onnx')));
    assert.equal(c.candidate.path, '/opt/models/fraud.onnx');
  });

  it("loads the repository's shadow-compare.yaml", () => {
    const path = resolve(import.meta.dirname, '../../shadow-compare.yaml');
    const c = loadConfig(path);
    assert.equal(c.model, 'diagnosis');
    assert.equal(c.candidate.version, 'v10');
    assert.equal(c.candidate.features.length, 30);
    assert.equal(c.candidate.path, resolve(import.meta.dirname, '../../fixtures/models/diagnosis/v10.onnx'));
    assert.ok(existsSync(c.candidate.path), 'the model it points at exists');
    assert.deepEqual(c.segments.dimensions, ['country', 'device', 'customer_tier']);
  });
});

describe('parseConfig', () => {
  it('reports every problem, one per dotted path, under the source name', () => {
    const err = configError(() => parseConfig({ model: '', candidate: {}, task: { type: 'binary' } }, 'x.yaml'));
    assert.match(err.message, /^invalid x\.yaml: /);
    assert.match(err.message, /model: /);
    assert.match(err.message, /candidate\.version: /);
    assert.match(err.message, /candidate\.features: /);
  });
});
