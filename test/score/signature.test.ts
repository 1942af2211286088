import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createScorer, readModelSignature, type ScorerOptions } from '../../src/score/index.ts';
import { checkSignature } from '../../src/score/signature.ts';
import { sessionOptions } from '../../src/score/session.ts';
import type { ModelSignature } from '../../src/score/types.ts';

const local = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const diagnosis = repo('fixtures/models/diagnosis/v10.onnx');

// gather.onnx: input "x" float32 [batch, 2], output "value" float32 [batch, 1].
const base: ScorerOptions = { modelPath: local('gather.onnx'), features: ['a', 'b'], outputs: { value: 'value' }, maxBatchSize: 8, maxWaitMs: 1 };

/** Asserts start-up fails with SHADOW_MODEL and a message matching every pattern. */
async function startupFails(opts: Partial<ScorerOptions>, ...patterns: RegExp[]) {
  await assert.rejects(createScorer({ ...base, ...opts }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'SHADOW_MODEL');
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

describe('scorer start-up', () => {
  it('fails for a missing model file, naming the path and candidate.path', async () => {
    await startupFails({ modelPath: '/nowhere/model.onnx' }, /\/nowhere\/model\.onnx/, /does not exist/, /candidate\.path/);
  });

  it('fails for a file onnxruntime cannot load', async () => {
    await startupFails({ modelPath: local('make_models.py') }, /could not be loaded by onnxruntime/, /candidate\.path/);
  });

  it('fails for a wrong feature count, giving both numbers', async () => {
    await startupFails({ features: ['a', 'b', 'c'] }, /expects 2 features/, /candidate\.features lists 3/);
  });

  it('fails for an unknown output name, listing the model outputs', async () => {
    await startupFails({ outputs: { value: 'value', scores: 'probabilities' } }, /candidate\.outputs\.scores "probabilities"/, /outputs are: "value" float32 \[batch, 1\]/);
  });

  it('fails for an unknown input name, listing the model inputs', async () => {
    await startupFails({ inputName: 'float_input' }, /candidate\.inputName "float_input"/, /inputs are: "x" float32 \[batch, 2\]/);
  });

  it('fails for an unsupported input element type, naming the supported ones', async () => {
    await startupFails({ modelPath: local('sum-int32.onnx'), features: ['a', 'b', 'c'], outputs: { value: 'sum' } }, /element type int32/, /float32, float64, int64/);
  });

  it('fails for a model with more than one input', async () => {
    await startupFails({ modelPath: local('two-inputs.onnx'), outputs: { value: 'z' } }, /2 inputs/, /"a"/, /"b"/);
  });

  it('fails when no output is configured', async () => {
    await startupFails({ outputs: {} }, /candidate\.outputs/);
  });
});

describe('readModelSignature', () => {
  it('reads names, element types and shapes, with a dynamic batch axis as a string', { skip: !existsSync(diagnosis) && 'fixtures/models not built' }, async () => {
    const sig = await readModelSignature(diagnosis);
    // skl2onnx's unnamed dynamic axis comes back from onnxruntime-node as the empty string.
    assert.deepEqual(sig, {
      inputs: [{ name: 'float_input', type: 'float32', dims: ['', 30] }],
      outputs: [
        { name: 'label', type: 'int64', dims: [''] },
        { name: 'probabilities', type: 'float32', dims: ['', 2] },
      ],
    });
  });

  it('fails for a missing file like the scorer does', async () => {
    await assert.rejects(readModelSignature('/nowhere/model.onnx'), { code: 'SHADOW_MODEL' });
  });
});

describe('checkSignature', () => {
  const sig = (inputDims: (number | string)[], outType = 'float32'): ModelSignature => ({
    inputs: [{ name: 'x', type: 'float32', dims: inputDims }],
    outputs: [{ name: 'y', type: outType, dims: ['N', 1] }],
  });
  const opts = { features: ['a', 'b'], outputs: { value: 'y' } };

  it('limits runs to one row when the model fixes its batch dimension to 1', () => {
    assert.deepEqual(checkSignature(sig([1, 2]), opts), { inputName: 'x', elementType: 'float32', maxRowsPerRun: 1 });
  });

  it('refuses a batch dimension fixed above 1', () => {
    assert.throws(() => checkSignature(sig([8, 2]), opts), /fixed batch dimension of 8/);
  });

  it('accepts an input whose shape onnxruntime does not know', () => {
    assert.deepEqual(checkSignature(sig([]), opts), { inputName: 'x', elementType: 'float32' });
  });

  it('refuses a non-tensor output such as a ZipMap', () => {
    assert.throws(() => checkSignature(sig(['N', 2], 'non-tensor'), opts), /zipmap=False/);
  });
});

describe('sessionOptions', () => {
  it('parks idle intra-op threads unless spinning is allowed', () => {
    const off = sessionOptions({ intraOpThreads: 1, allowSpinning: false });
    assert.deepEqual(off.extra, { session: { intra_op: { allow_spinning: '0' } } });
    assert.equal(off.interOpNumThreads, 1);
    assert.equal(off.executionMode, 'sequential');
    assert.equal(off.graphOptimizationLevel, 'all');
    const on = sessionOptions({ intraOpThreads: 4, allowSpinning: true });
    assert.deepEqual(on.extra, { session: { intra_op: { allow_spinning: '1' } } });
    assert.equal(on.intraOpNumThreads, 4);
  });
});
