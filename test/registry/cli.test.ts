import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { watchProduction, type ProductionRecord, type ProductionWatch } from '../../src/registry/index.ts';
import { openStore } from '../../src/sinks/clickhouse/client.ts';
import { DAY_MS, GOOD, HOUR, openTempStore, seed } from '../gate/seed.ts';
import { uniqueName, useKafka } from '../support/kafka.ts';

// register -> promote (plain and --if-gate-passes) -> status -> ready -> rollback, run as an operator
// would, with the kafka backend on the real broker and a subscriber watching the flag flip.

const REPO = join(import.meta.dirname, '..', '..');
const END = '2025-03-08T00:00:00Z';

let dir: string;
let dataDir: string;
let configPath: string;
let brokers: string;
let topic: string;
let watch: ProductionWatch;
const seen: ProductionRecord[] = [];

before(async () => {
  brokers = await useKafka();
  topic = uniqueName('production-versions');
  const t = await openTempStore();
  dir = t.dir;
  dataDir = join(dir, 'data');
  await seed(t.store, { model: 'diagnosis', candidate: 'v10', from: new Date(Date.parse(END) - 7 * DAY_MS), rows: 168, everyMinutes: HOUR, values: GOOD });
  await t.store.close(); // the CLI processes open the store themselves, one at a time
  writeFileSync(join(dir, 'runbook.md'), '# rollback\n');
  configPath = join(dir, 'config.yaml');
  writeFileSync(
    configPath,
    [
      'model: diagnosis',
      'owner: ml-platform',
      'runbook: runbook.md',
      `candidate: { version: v10, path: ${join(REPO, 'fixtures/models/diagnosis/v10.onnx')}, featureSchemaVersion: "1", features: [a], outputs: { label: label } }`,
      'task: { type: binary }',
      `kafka: { brokers: ["${brokers}"], registryTopic: ${topic} }`,
      `clickhouse: { dataDir: ${dataDir} }`,
      `registry: { backend: kafka, path: ${join(dir, 'registry.json')} }`,
      'gate: { evidence: { minComparisons: 1000, minPerSubWindow: 100 } }',
    ].join('\n'),
  );
});

after(async () => {
  await watch?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(REPO, 'bin', 'shadow-compare.js'), ...args, '--config', configPath, '--log-level', 'warn'], { cwd: REPO });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('registry commands', () => {
  it('register records the artifact, its sha256, size and signature', async () => {
    const r = await cli('register', 'diagnosis', 'v9', 'fixtures/models/diagnosis/v9.onnx', '--feature-schema', '1', '--actor', 'alice');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^registered diagnosis v9\n/);
    assert.match(r.stdout, /^ {2}sha256 {10}[0-9a-f]{64}$/m);
    assert.match(r.stdout, /^ {2}inputs {10}float_input float32\[\?,30\]$/m);
    assert.match(r.stdout, /^ {2}outputs {9}label int64\[\?\], probabilities float32\[\?,2\]$/m);
    assert.match(r.stdout, /^ {2}feature schema {2}1$/m);
    assert.match(r.stdout, /^ {2}latency {9}batch 1: p50 \d+\.\d{3} ms, p99 \d+\.\d{3} ms \(200 runs on .+\)$/m);
    const stored = JSON.parse(readFileSync(join(dir, 'registry.json'), 'utf8')).models.diagnosis.versions.v9.latency;
    assert.deepEqual(Object.keys(stored), ['batch', 'runs', 'p50Ms', 'p99Ms', 'measuredAt', 'host']);
    assert.equal((await cli('register', 'diagnosis', 'v10', 'fixtures/models/diagnosis/v10.onnx', '--feature-schema', '1')).code, 0);
  });

  it('promote publishes v9, and a subscriber sees it', async () => {
    const r = await cli('promote', 'diagnosis', 'v9', '--reason', 'initial', '--actor', 'alice');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^promoted diagnosis: \(none\) -> v9\n/);
    assert.match(r.stdout, new RegExp(`flag {9}published to ${topic} \\(partition 0, offset 0\\)`));
    watch = await watchProduction('diagnosis', (rec) => seen.push(rec), { brokers: brokers.split(','), topic });
    assert.deepEqual(seen.map((s) => s.version), ['v9']);
  });

  it('promote --if-gate-passes runs the gate, promotes v10 on PROMOTE and links the decision', async () => {
    const r = await cli('promote', 'diagnosis', 'v10', '--if-gate-passes', '--end', END, '--actor', 'alice');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^DECISION: PROMOTE$/m);
    assert.match(r.stdout, /^promoted diagnosis: v9 -> v10$/m);
    assert.match(r.stdout, /promotion id [0-9a-f-]{36} \(gate decision [0-9a-f-]{36}\)/);
    await until('v10', () => seen.at(-1)?.version === 'v10');
  });

  it('ready prints each checklist item as pass/fail and exits 5 (NOT READY) while one fails', async () => {
    const r = await cli('ready', 'diagnosis');
    assert.equal(r.code, 5, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], 'rollback readiness of diagnosis');
    assert.deepEqual(lines.slice(1, 10).map((l) => l.trim().split(/\s+/).slice(0, 2).join(' ')), [
      'PASS production_recorded', 'PASS previous_registered', 'PASS previous_loadable', 'PASS gate_thresholds',
      'FAIL alert_thresholds', 'PASS owner', 'PASS runbook', 'PASS single_request_latency', 'PASS flag_topic',
    ]);
    assert.equal(lines[10], 'NOT READY: 1 item(s) failing');
  });

  it('rollback returns to v9, the subscriber sees it, and it says how long it took', async () => {
    const r = await cli('rollback', 'diagnosis', '--reason', 'agreement dropped', '--actor', 'bob');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^rolled back diagnosis: v10 -> v9\n/);
    assert.match(r.stdout, /^ {2}took {9}\d+\.\d\d s to flip, \d+\.\d\d s with the audit row$/m);
    await until('v9', () => seen.at(-1)?.version === 'v9');
    assert.deepEqual(seen.map((s) => `${s.action}:${s.version}`), ['promote:v9', 'promote:v10', 'rollback:v9']);
  });

  it('promote refuses an altered artifact with SHADOW_REGISTRY and exit 2; nothing flips', async () => {
    const copy = join(dir, 'v11.onnx');
    copyFileSync(join(REPO, 'fixtures/models/diagnosis/v10.onnx'), copy);
    assert.equal((await cli('register', 'diagnosis', 'v11', copy)).code, 0);
    const bytes = readFileSync(copy);
    bytes[100] = bytes[100]! ^ 0xff;
    writeFileSync(copy, bytes);
    const r = await cli('promote', 'diagnosis', 'v11');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error SHADOW_REGISTRY: diagnosis v11: artifact .*v11\.onnx has changed since it was registered .*refusing to make it production\n$/);
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(seen.at(-1)?.version, 'v9');
  });

  it('status shows production, the flag topic, candidates with their last gate decision, and history', async () => {
    const r = await cli('status', 'diagnosis', '--window', '3650d'); // the seeded traffic is from March 2025
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}production {2}v9 /m);
    assert.match(r.stdout, /^ {2}rollback to \(nothing: no previous production version\)$/m);
    assert.match(r.stdout, /^ {2}flag topic {2}v9 \(rollback at .* by bob\)$/m);
    assert.match(r.stdout, /^ {2}v10 +yes +former production +16800 +0\.9900 +2025-03-07 23:00:00 +PROMOTE at /m);
    assert.match(r.stdout, /rollback +v10 +v9 +bob +agreement dropped/);
  });

  it('keeps promote and rollback history in shadow.promotions, linked to the gate decision', async () => {
    const store = await openStore({ dataDir, database: 'shadow', username: 'default', password: '', requestTimeoutMs: 30_000 });
    try {
      const rs = await store.client.query({ query: 'SELECT action, from_version, to_version, actor, gate_decision_id, promotion_id, backend FROM shadow.promotions ORDER BY at', format: 'JSONEachRow' });
      const rows = await rs.json<{ action: string; from_version: string; to_version: string; actor: string; gate_decision_id: string; promotion_id: string; backend: string }>();
      assert.deepEqual(rows.map((p) => `${p.action} ${p.from_version || '-'}->${p.to_version} ${p.actor} ${p.backend}`), ['promote -->v9 alice kafka', 'promote v9->v10 alice kafka', 'rollback v10->v9 bob kafka']);
      const ds = await store.client.query({ query: 'SELECT decision_id, promotion_id, decision FROM shadow.gate_decisions', format: 'JSONEachRow' });
      const [d] = await ds.json<{ decision_id: string; promotion_id: string; decision: string }>();
      assert.equal(d?.decision, 'PROMOTE');
      assert.equal(d?.promotion_id, rows[1]?.promotion_id);
      assert.equal(rows[1]?.gate_decision_id, d?.decision_id);
    } finally {
      await store.close();
    }
  });
});
