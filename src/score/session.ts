// Opens the onnxruntime session with the stage's fixed options and turns load failures into operator-facing errors.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InferenceSession, env } from 'onnxruntime-node';
import { ShadowError, errorMessage } from '../errors.ts';
import type { ModelSignature, ValueSignature } from './types.ts';

export interface SessionSettings {
  intraOpThreads: number;
  allowSpinning: boolean;
}

export function sessionOptions(s: SessionSettings): InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: s.intraOpThreads,
    // One run at a time from the batcher, so extra inter-op threads would only add contention.
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Spinning idle threads burn CPU between batches and inflate the cost we measure; '0' parks them.
    extra: { session: { intra_op: { allow_spinning: s.allowSpinning ? '1' : '0' } } },
    // Fatal only: run errors already come back as RUNTIME_ERROR results with the same text, and the native
    // logger writes unstructured coloured lines to stderr, one per failing batch, past our JSON logs.
    logSeverityLevel: 4,
  };
}

export async function openSession(modelPath: string, settings: SessionSettings): Promise<InferenceSession> {
  const abs = resolve(modelPath);
  const st = await stat(abs).catch((err: NodeJS.ErrnoException) => {
    const why = err.code === 'ENOENT' ? 'does not exist' : `cannot be read (${err.code ?? errorMessage(err)})`;
    throw new ShadowError('SHADOW_MODEL', `candidate model file ${abs} ${why}: fix candidate.path (a relative candidate.path resolves against the config file's directory)`, { cause: err });
  });
  if (!st.isFile()) throw new ShadowError('SHADOW_MODEL', `candidate model path ${abs} is not a file: point candidate.path at an .onnx file`);
  try {
    return await InferenceSession.create(abs, sessionOptions(settings));
  } catch (err) {
    throw new ShadowError(
      'SHADOW_MODEL',
      `candidate model ${abs} could not be loaded by onnxruntime ${env.versions.node ?? ''}: ${errorMessage(err).replace(/\.+$/, '')}. ` +
        'Check that candidate.path is an ONNX model file with an opset this onnxruntime supports',
      { cause: err },
    );
  }
}

export function signatureOf(session: InferenceSession): ModelSignature {
  const describe = (m: InferenceSession.ValueMetadata): ValueSignature =>
    m.isTensor ? { name: m.name, type: m.type, dims: [...m.shape] } : { name: m.name, type: 'non-tensor', dims: [] };
  return { inputs: session.inputMetadata.map(describe), outputs: session.outputMetadata.map(describe) };
}
