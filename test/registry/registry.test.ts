import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/index.ts';
import { measureSingleRequestLatency, modelEntry, nearestRank, promoteVersion, readinessChecklist, recordLatency, registerVersion, rollbackVersion, type Registry } from '../../src/registry/index.ts';
import { withRegistryLock } from '../../src/registry/file-store.ts';

// The file backend of the registry with the committed ONNX fixtures (no Kafka).

const REPO = join(import.meta.dirname, '..', '..');
const V9 = join(REPO, 'fixtures/models/diagnosis/v9.onnx');
const V10 = join(REPO, 'fixtures/models/diagnosis/v10.onnx');

let dir: string;
let reg: Registry;
const actor = 'tester';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shadow-registry-'));
  let tick = Date.parse('2025-03-08T00:00:00Z');
  reg = { path: join(dir, 'registry.json'), backend: 'file', publisher: null, now: () => new Date((tick += 1000)) };
});
after(() => rmSync(dir, { recursive: true, force: true }));

const refused = (pattern: RegExp) => (err: Error & { code?: string }) => {
  assert.equal(err.code, 'SHADOW_REGISTRY', err.message);
  assert.match(err.message, pattern);
  return true;
};

describe('registry (file backend)', () => {
  it('registers a version with its sha256, size and onnxruntime signature', async () => {
    const { record, created } = await registerVersion(reg, { model: 'diagnosis', version: 'v9', artifactPath: V9, featureSchemaVersion: '1', actor });
    assert.equal(created, true);
    assert.match(record.artifact.sha256, /^[0-9a-f]{64}$/);
    assert.equal(record.artifact.sizeBytes, readFileSync(V9).length);
    assert.deepEqual(record.signature.inputs, [{ name: 'float_input', type: 'float32', shape: [null, 30] }]);
    assert.deepEqual(record.signature.outputs.map((o) => o.name), ['label', 'probabilities']);
    assert.equal(record.featureSchemaVersion, '1');
    assert.equal(record.registeredBy, actor);
  });

  it('treats registering the same file again as a no-op and refuses a different file under the same version', async () => {
    const again = await registerVersion(reg, { model: 'diagnosis', version: 'v9', artifactPath: V9, featureSchemaVersion: '1', actor });
    assert.equal(again.created, false);
    await assert.rejects(
      registerVersion(reg, { model: 'diagnosis', version: 'v9', artifactPath: V10, featureSchemaVersion: '1', actor }),
      refused(/^diagnosis v9 is already registered with a different artifact/),
    );
  });

  it('refuses to register a file that is not an ONNX model', async () => {
    const bad = join(dir, 'not-a-model.onnx');
    writeFileSync(bad, 'hello');
    await assert.rejects(registerVersion(reg, { model: 'diagnosis', version: 'v0', artifactPath: bad, featureSchemaVersion: null, actor }), refused(/does not load in onnxruntime/));
  });

  it('promotes, promotes again, and rolls back along the lineage', async () => {
    await registerVersion(reg, { model: 'diagnosis', version: 'v10', artifactPath: V10, featureSchemaVersion: '1', actor });
    const first = await promoteVersion(reg, { model: 'diagnosis', version: 'v9', actor, reason: 'initial' });
    assert.equal(first.event.from, null);
    const second = await promoteVersion(reg, { model: 'diagnosis', version: 'v10', actor, reason: 'gate passed' });
    assert.equal(second.event.from, 'v9');
    assert.equal(modelEntry(reg.path, 'diagnosis').production, 'v10');
    const back = await rollbackVersion(reg, { model: 'diagnosis', actor, reason: 'agreement dropped' });
    assert.deepEqual([back.event.action, back.event.from, back.event.to], ['rollback', 'v10', 'v9']);
    const entry = modelEntry(reg.path, 'diagnosis');
    assert.equal(entry.production, 'v9');
    assert.deepEqual(entry.lineage, ['v9']);
    assert.deepEqual(entry.history.map((h) => `${h.action} ${h.from ?? '-'}->${h.to}`), ['promote -->v9', 'promote v9->v10', 'rollback v10->v9']);
  });

  it('refuses a rollback with no earlier production version, and a promote of the current one', async () => {
    await assert.rejects(rollbackVersion(reg, { model: 'diagnosis', actor, reason: '' }), refused(/^diagnosis has no previous production version \(production v9 is the first\)$/));
    await assert.rejects(promoteVersion(reg, { model: 'diagnosis', version: 'v9', actor, reason: '' }), refused(/^v9 is already the production version of diagnosis$/));
    await assert.rejects(promoteVersion(reg, { model: 'diagnosis', version: 'v11', actor, reason: '' }), refused(/^diagnosis v11 is not registered; run `shadow-compare register diagnosis v11 ARTIFACT` first$/));
  });

  it('refuses to promote a version whose artifact changed or disappeared, and leaves production alone', async () => {
    const copy = join(dir, 'v11.onnx');
    copyFileSync(V10, copy);
    await registerVersion(reg, { model: 'diagnosis', version: 'v11', artifactPath: copy, featureSchemaVersion: '1', actor });
    const bytes = readFileSync(copy);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    writeFileSync(copy, bytes);
    await assert.rejects(
      promoteVersion(reg, { model: 'diagnosis', version: 'v11', actor, reason: '' }),
      refused(/^diagnosis v11: artifact .*v11\.onnx has changed since it was registered \(sha256 [0-9a-f]{12}… , registered [0-9a-f]{12}…\); refusing to make it production$/),
    );
    rmSync(copy);
    await assert.rejects(promoteVersion(reg, { model: 'diagnosis', version: 'v11', actor, reason: '' }), refused(/^diagnosis v11: artifact .*v11\.onnx is missing; restore it or register the version again$/));
    assert.equal(modelEntry(reg.path, 'diagnosis').production, 'v9');
  });

  it('refuses to roll back to a version whose artifact changed, and stays on the current one', async () => {
    const r: Registry = { ...reg, path: join(dir, 'altered-rollback.json') };
    const copy = join(dir, 'old.onnx');
    copyFileSync(V9, copy);
    await registerVersion(r, { model: 'm', version: 'old', artifactPath: copy, featureSchemaVersion: null, actor });
    await registerVersion(r, { model: 'm', version: 'new', artifactPath: V10, featureSchemaVersion: null, actor });
    await promoteVersion(r, { model: 'm', version: 'old', actor, reason: '' });
    await promoteVersion(r, { model: 'm', version: 'new', actor, reason: '' });
    writeFileSync(copy, Buffer.concat([readFileSync(copy), Buffer.from([0])]));
    await assert.rejects(rollbackVersion(r, { model: 'm', actor, reason: '' }), refused(/^m old: artifact .*old\.onnx has changed since it was registered/));
    assert.equal(modelEntry(r.path, 'm').production, 'new');
  });

  it('rolls back twice from v10 to v9 to v8, never bouncing back to v10', async () => {
    const r: Registry = { ...reg, path: join(dir, 'lineage.json') };
    for (const v of ['v8', 'v9', 'v10']) {
      // v8 and v9 share a file: allowed, a version is a name for bytes, not the other way round.
      await registerVersion(r, { model: 'm', version: v, artifactPath: v === 'v10' ? V10 : V9, featureSchemaVersion: null, actor });
    }
    for (const v of ['v8', 'v9', 'v10']) await promoteVersion(r, { model: 'm', version: v, actor, reason: '' });
    assert.equal((await rollbackVersion(r, { model: 'm', actor, reason: '' })).event.to, 'v9');
    assert.equal((await rollbackVersion(r, { model: 'm', actor, reason: '' })).event.to, 'v8');
    assert.deepEqual(modelEntry(r.path, 'm').lineage, ['v8']);
  });

  it('writes the registry file atomically and waits for a concurrent writer', async () => {
    const order: string[] = [];
    await Promise.all([
      withRegistryLock(reg.path, async () => {
        order.push('a-start');
        await new Promise((res) => setTimeout(res, 100));
        order.push('a-end');
      }),
      new Promise((res) => setTimeout(res, 10)).then(() => withRegistryLock(reg.path, async () => void order.push('b'))),
    ]);
    assert.deepEqual(order, ['a-start', 'a-end', 'b']);
    assert.doesNotThrow(() => JSON.parse(readFileSync(reg.path, 'utf8')));
  });

  it('takes over a lock left by a dead process', async () => {
    writeFileSync(`${reg.path}.lock`, '999999999');
    assert.equal(await withRegistryLock(reg.path, async () => 'ran'), 'ran');
  });
});

describe('rollback readiness', () => {
  const base = {
    model: 'diagnosis',
    candidate: { version: 'v10', path: V10, featureSchemaVersion: '1', features: ['a'], outputs: { label: 'label' } },
    task: { type: 'binary' },
  };

  it('passes every item when the previous version loads and the config names gate, alerts, owner and runbook', async () => {
    await promoteVersion(reg, { model: 'diagnosis', version: 'v10', actor, reason: '' });
    for (const [v, path] of [['v10', V10], ['v9', V9]] as const) await recordLatency(reg, 'diagnosis', v, await measureSingleRequestLatency(path, { runs: 20 }));
    writeFileSync(join(dir, 'runbook.md'), '# runbook\n');
    writeFileSync(join(dir, 'alerts.yaml'), 'groups: []\n');
    const config = parseConfig({ ...base, gate: {}, owner: 'ml-platform', runbook: 'runbook.md', alerts: { rulesFile: 'alerts.yaml' } });
    const items = await readinessChecklist({ model: 'diagnosis', entry: modelEntry(reg.path, 'diagnosis'), config, configDir: dir });
    assert.deepEqual(items.map((i) => [i.id, i.ok]), [
      ['production_recorded', true], ['previous_registered', true], ['previous_loadable', true], ['gate_thresholds', true],
      ['alert_thresholds', true], ['owner', true], ['runbook', true], ['single_request_latency', true],
    ]);
    assert.match(items.at(-1)!.detail, /^v10 batch 1: p50 \d+\.\d{3} ms, p99 \d+\.\d{3} ms \(20 runs on .+\); v9 batch 1: /);
  });

  it('measures batch-1 latency with p50 <= p99 over the asked number of runs, and stores it without touching the artifact', async () => {
    const before = modelEntry(reg.path, 'diagnosis').versions.v9!;
    const l = await measureSingleRequestLatency(V9, { runs: 30, now: () => new Date('2025-03-09T00:00:00Z') });
    assert.equal(l.batch, 1);
    assert.equal(l.runs, 30);
    assert.ok(l.p50Ms > 0 && l.p50Ms <= l.p99Ms, JSON.stringify(l));
    assert.equal(l.measuredAt, '2025-03-09T00:00:00.000Z');
    const after = await recordLatency(reg, 'diagnosis', 'v9', l);
    assert.deepEqual(after, { ...before, latency: l });
    assert.deepEqual(modelEntry(reg.path, 'diagnosis').versions.v9, after);
  });

  it('takes nearest-rank quantiles', () => {
    const xs = Array.from({ length: 200 }, (_, i) => i + 1); // 1..200
    assert.equal(nearestRank(xs, 0.5), 100);
    assert.equal(nearestRank(xs, 0.99), 198);
    assert.equal(nearestRank([7], 0.99), 7);
  });

  it('fails the items that are missing, with what is missing', async () => {
    const config = parseConfig({ ...base, runbook: 'missing.md' });
    const entry = modelEntry(reg.path, 'diagnosis');
    const broken = { ...entry, versions: { ...entry.versions, v9: { ...entry.versions.v9!, artifact: { ...entry.versions.v9!.artifact, sha256: '0'.repeat(64) } } } };
    const items = await readinessChecklist({ model: 'diagnosis', entry: broken, config, configDir: dir });
    const failing = Object.fromEntries(items.filter((i) => !i.ok).map((i) => [i.id, i.detail]));
    assert.deepEqual(Object.keys(failing), ['previous_loadable', 'gate_thresholds', 'alert_thresholds', 'owner', 'runbook']);
    const unmeasured = { ...entry, versions: { ...entry.versions, v9: { ...entry.versions.v9!, latency: undefined } } };
    const again = await readinessChecklist({ model: 'diagnosis', entry: unmeasured, config, configDir: dir });
    assert.match(again.find((i) => i.id === 'single_request_latency')?.detail ?? '', /^v10 batch 1: .*; v9 not measured$/);
    assert.equal(again.find((i) => i.id === 'single_request_latency')?.ok, false);
    assert.match(failing.previous_loadable!, /^diagnosis v9: artifact .*v9\.onnx has changed since it was registered/);
    assert.equal(failing.gate_thresholds, 'no `gate:` section in the config (defaults are not a reviewed choice)');
    assert.equal(failing.runbook, `runbook ${join(dir, 'missing.md')} does not exist`);
  });
});
