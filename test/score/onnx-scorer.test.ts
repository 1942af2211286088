import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createScorer, type FeatureValue, type ScoreResult } from '../../src/score/index.ts';

const local = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

interface Dataset {
  feature_names: string[];
  rows: number[][];
  expected: Record<string, { labels?: number[]; scores?: (number | number[])[]; values?: number[] }>;
}
const realFixtures = existsSync(repo('fixtures/models/manifest.json')) && existsSync(repo('fixtures/data/breast_cancer.json'));
const skipReal = { skip: !realFixtures && 'fixtures/models and fixtures/data not built' };
const load = (name: string): Dataset => JSON.parse(readFileSync(repo(`fixtures/data/${name}.json`), 'utf8'));
const records = (ds: Dataset) => ds.rows.map((r) => Object.fromEntries(ds.feature_names.map((n, j) => [n, r[j]!])));

/** Scores rows as several concurrent callers with uneven call sizes, so batches merge and split. */
async function scoreConcurrently(score: (rows: Record<string, FeatureValue>[]) => Promise<ScoreResult[]>, rows: Record<string, FeatureValue>[]) {
  const calls: Promise<ScoreResult[]>[] = [];
  for (let i = 0, k = 0; i < rows.length; k++) {
    const size = [1, 7, 100, 3, 64][k % 5]!;
    calls.push(score(rows.slice(i, i + size)));
    i += size;
  }
  return (await Promise.all(calls)).flat();
}

const ok = (r: ScoreResult | undefined) => {
  assert.ok(r?.ok, `expected a score, got ${JSON.stringify(r)}`);
  return r;
};
const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= 1e-5, `${what}: ${actual} vs python ${expected}`);

describe('onnx scorer on the real fixture models', skipReal, () => {
  it('matches the python onnxruntime probabilities and labels for diagnosis v10', async () => {
    const ds = load('breast_cancer');
    const exp = ds.expected['diagnosis:v10']!;
    const scorer = await createScorer({ modelPath: repo('fixtures/models/diagnosis/v10.onnx'), features: ds.feature_names, outputs: { scores: 'probabilities', label: 'label' }, maxBatchSize: 64, maxWaitMs: 2 });
    const results = await scoreConcurrently((r) => scorer.score(r), records(ds));
    await scorer.close();
    assert.equal(results.length, ds.rows.length);
    results.forEach((r, i) => {
      const s = ok(r);
      assert.equal(s.scores!.length, 2);
      // The fixture stores the positive-class probability for binary models.
      close(s.scores![1]!, exp.scores![i] as number, `row ${i}`);
      assert.equal(s.label, String(exp.labels![i]), `row ${i} label`);
    });
  });

  it('matches the python onnxruntime class probabilities for digits v2', async () => {
    const ds = load('digits');
    const exp = ds.expected['digits:v2']!;
    const scorer = await createScorer({ modelPath: repo('fixtures/models/digits/v2.onnx'), features: ds.feature_names, outputs: { scores: 'probabilities', label: 'label' }, maxBatchSize: 64, maxWaitMs: 2 });
    const results = await scoreConcurrently((r) => scorer.score(r), records(ds));
    await scorer.close();
    results.forEach((r, i) => {
      const s = ok(r);
      (exp.scores![i] as number[]).forEach((p, c) => close(s.scores![c]!, p, `row ${i} class ${c}`));
      assert.equal(s.label, String(exp.labels![i]));
    });
  });

  it('matches the python onnxruntime regression values for progression v4', async () => {
    const ds = load('diabetes');
    const exp = ds.expected['progression:v4']!;
    const scorer = await createScorer({ modelPath: repo('fixtures/models/progression/v4.onnx'), features: ds.feature_names, outputs: { value: 'variable' }, maxBatchSize: 16, maxWaitMs: 1 });
    const results = await scoreConcurrently((r) => scorer.score(r), records(ds));
    await scorer.close();
    results.forEach((r, i) => close(ok(r).value!, exp.values![i]!, `row ${i}`));
  });

  it('returns row errors for bad rows and scores the good rows of the same call', async () => {
    const ds = load('breast_cancer');
    const exp = ds.expected['diagnosis:v10']!;
    const scorer = await createScorer({ modelPath: repo('fixtures/models/diagnosis/v10.onnx'), features: ds.feature_names, outputs: { scores: 'probabilities' }, maxBatchSize: 64, maxWaitMs: 1 });
    const [r0, r1, r2, r3] = records(ds);
    const { mean_radius: _, ...missing } = r1!;
    const results = await scorer.score([r0!, missing, { ...r2!, mean_area: '1001' }, { ...r3!, worst_area: NaN }]);
    await scorer.close();
    close(ok(results[0]).scores![1]!, exp.scores![0] as number, 'row 0');
    assert.deepEqual(results.slice(1).map((r) => !r.ok && [r.code, r.reason]), [
      ['MISSING_FEATURE', 'feature "mean_radius" is missing'],
      ['WRONG_TYPE', 'feature "mean_area" is a string ("1001"), expected a number'],
      ['NON_FINITE', 'feature "worst_area" is NaN'],
    ]);
  });
});

describe('onnx scorer', () => {
  // gather.onnx: value = [0..9][int(a)] + b; a outside 0..9 makes session.run throw.
  const gather = { modelPath: local('gather.onnx'), features: ['a', 'b'], outputs: { value: 'value' } };

  it('fails only the row that made the model throw, not the rows batched with it', async () => {
    const scorer = await createScorer({ ...gather, maxBatchSize: 2, maxWaitMs: 5 });
    const x = scorer.score([{ a: 1, b: 0.5 }]);
    const y = scorer.score([{ a: 42, b: 0 }, { a: 3, b: 0.25 }, { a: 4, b: 0 }]);
    // Batches: [x0, y0 (index 42 is out of range)] fails and is re-run row by row; [y1, y2] runs after it.
    const [rx, ry] = await Promise.all([x, y]);
    assert.equal(ok(rx[0]).value, 1.5);
    const bad = ry[0]!;
    assert.equal(!bad.ok && bad.code, 'RUNTIME_ERROR');
    assert.match(!bad.ok ? bad.reason : '', /out of data bounds, idx=42/);
    assert.equal(ok(ry[1]).value, 3.25);
    assert.equal(ok(ry[2]).value, 4);
    const after = await scorer.score([{ a: 9, b: 1 }]);
    assert.equal(ok(after[0]).value, 10);
    await scorer.close();
  });

  it('reports latency from enqueue and a per-row share of the batch compute time', async () => {
    let t = 0;
    const scorer = await createScorer({ ...gather, maxBatchSize: 4, maxWaitMs: 1 }, { now: () => (t += 1) });
    const results = await scorer.score([{ a: 1, b: 0 }, { a: 2, b: 0 }, { a: 3, b: 0 }, { a: 4, b: 0 }]);
    await scorer.close();
    // Fake clock ticks once per reading: enqueue=1, run start=2, run end=3, results=4.
    for (const r of results) assert.deepEqual([r.latencyMs, r.computeMs, r.computeLatencyMs, r.queueMs], [3, 1 / 4, 1, 1]);
  });

  it('takes the CPU time of a run whose thread lost the core mid-run, not its wall time', async () => {
    // Wall readings: enqueue 1, run start 2, run end 33 (30 ms waiting for a core), results 34.
    const wall = [1, 2, 33, 34];
    const cpu = [10, 10.25]; // the run itself cost 0.25 ms of CPU
    const scorer = await createScorer({ ...gather, maxBatchSize: 2, maxWaitMs: 1 }, { now: () => wall.shift()!, cpuNow: () => cpu.shift()! });
    const results = await scorer.score([{ a: 1, b: 0 }, { a: 2, b: 0 }]);
    await scorer.close();
    for (const r of results) assert.deepEqual([r.latencyMs, r.computeLatencyMs, r.computeMs, r.queueMs], [33, 0.25, 0.125, 1]);
  });

  it('runs it a third time when the second run was unlucky too, and no more', async () => {
    // Wall readings: enqueue 1, run 2..50 (48 ms), second run 51..91 (40 ms, still suspicious), third
    // run 92..93 (1 ms), results 94. A fourth run is never made, whatever the third measured.
    const wall = [1, 2, 50, 51, 91, 92, 93, 94];
    const batches: { retimed: boolean; computeMs: number }[] = [];
    const scorer = await createScorer({ ...gather, maxBatchSize: 2, maxWaitMs: 1 }, { now: () => wall.shift()!, cpuNow: null, onBatch: (b) => batches.push(b) });
    const results = await scorer.score([{ a: 1, b: 0 }, { a: 2, b: 0 }]);
    await scorer.close();
    for (const r of results) assert.equal(r.computeLatencyMs, 1);
    assert.deepEqual(batches.map((b) => [b.retimed, b.computeMs]), [[true, 1]]);
    assert.equal(wall.length, 0, 'three runs timed, every reading used');
  });

  it('runs a batch whose timing looks like interference again and keeps the faster timing', async () => {
    // Wall readings: enqueue 1, run start 2, run end 50 (48 ms: over the 1 ms floor with no history),
    // second run 51..52 (1 ms), results 53.
    const wall = [1, 2, 50, 51, 52, 53];
    const batches: { retimed: boolean; computeMs: number }[] = [];
    const scorer = await createScorer({ ...gather, maxBatchSize: 2, maxWaitMs: 1 }, { now: () => wall.shift()!, cpuNow: null, onBatch: (b) => batches.push(b) });
    const results = await scorer.score([{ a: 1, b: 0 }, { a: 2, b: 0 }]);
    await scorer.close();
    assert.equal(ok(results[0]).value, 1, 'the first run\'s outputs are the results');
    for (const r of results) assert.deepEqual([r.computeLatencyMs, r.queueMs, r.latencyMs], [1, 1, 52]);
    assert.deepEqual(batches.map((b) => [b.retimed, b.computeMs]), [[true, 1]]);
  });

  it('counts an event-loop stall before the native run as queue latency, not compute latency', async () => {
    let t = 0;
    const batches: { rows: number; computeMs: number; maxQueueMs: number; retimed: boolean }[] = [];
    const scorer = await createScorer({ ...gather, maxBatchSize: 2, maxWaitMs: 1 }, { now: () => (t += 1), onBatch: (b) => batches.push(b) });
    // A callback queued before the run stands for a GC pause or a slow handler: it runs after score() is
    // called and before onnxruntime's own immediate. Timing from the session.run() call would bill it as
    // compute (the "identical candidate rejected on latency").
    setImmediate(() => (t += 500));
    const results = await scorer.score([{ a: 1, b: 0 }, { a: 2, b: 0 }]);
    await scorer.close();
    // enqueue=1, stall -> 501, run start=502, run end=503, results=504.
    for (const r of results) assert.deepEqual([r.latencyMs, r.computeLatencyMs, r.queueMs], [503, 1, 501]);
    assert.deepEqual(batches, [{ rows: 2, computeMs: 1, maxQueueMs: 501, retimed: false }]);
  });

  it('measures real compute time, shared equally by the rows of a batch', async () => {
    const scorer = await createScorer({ ...gather, maxBatchSize: 4, maxWaitMs: 1 });
    const results = await scorer.score([{ a: 1, b: 0 }, { a: 2, b: 0 }, { a: 3, b: 0 }]);
    await scorer.close();
    const [first] = results;
    for (const r of results) {
      assert.ok(r.computeMs > 0);
      assert.equal(r.computeMs, first!.computeMs);
      assert.equal(r.computeLatencyMs, r.computeMs * results.length, 'compute latency is the whole batch run');
      assert.ok(r.latencyMs >= r.computeLatencyMs);
    }
  });

  it('feeds a float64 input without losing precision', async () => {
    const scorer = await createScorer({ modelPath: local('sum-float64.onnx'), features: ['a', 'b', 'c'], outputs: { value: 'sum' }, maxBatchSize: 8, maxWaitMs: 1 });
    const [r] = await scorer.score([{ a: 0.1, b: 0.2, c: 1e-12 }]);
    await scorer.close();
    assert.equal(ok(r).value, 0.1 + 0.2 + 1e-12);
  });

  it('feeds an int64 input as BigInt and reads an int64 value back as a number', async () => {
    const scorer = await createScorer({ modelPath: local('sum-int64.onnx'), features: ['a', 'b', 'c'], outputs: { value: 'sum', label: 'sum' }, maxBatchSize: 8, maxWaitMs: 1 });
    const [r, bad] = await scorer.score([{ a: 2 ** 40, b: -1, c: 3 }, { a: 1.5, b: 0, c: 0 }]);
    await scorer.close();
    assert.equal(ok(r).value, 2 ** 40 + 2);
    assert.equal(ok(r).label, String(2 ** 40 + 2));
    assert.equal(!bad!.ok && bad!.code, 'WRONG_TYPE');
  });

  it('scores queued rows before close releases the session, and refuses calls after it', async () => {
    const scorer = await createScorer({ ...gather, maxBatchSize: 64, maxWaitMs: 10_000 });
    const pending = scorer.score([{ a: 5, b: 0 }]);
    await scorer.close();
    assert.equal(ok((await pending)[0]).value, 5);
    await assert.rejects(scorer.score([{ a: 1, b: 0 }]), /closed/);
    await scorer.close(); // idempotent
  });
});
