import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import ort from 'onnxruntime-node';
import { ShadowError, errorMessage } from '../errors.ts';

// What the registry knows about a model file, and the check that the file is still that model and
// still loads: "the previous version is still deployable" is verified, not assumed.

export interface TensorSpec {
  readonly name: string;
  /** ONNX element type as onnxruntime names it ('float32', 'int64', ...), or 'non-tensor'. */
  readonly type: string;
  /** Dimensions; null for a dynamic one (e.g. the batch axis). */
  readonly shape: readonly (number | string | null)[];
}

export interface Signature {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

export interface ArtifactInfo {
  /** Absolute path. */
  readonly path: string;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly signature: Signature;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Hashes the file and loads it in onnxruntime to read its signature; the session is released. */
export async function inspectArtifact(path: string): Promise<ArtifactInfo> {
  const abs = resolve(path);
  if (!existsSync(abs) || !statSync(abs).isFile()) throw new ShadowError('SHADOW_REGISTRY', `artifact ${abs} does not exist or is not a file`);
  const [sha256, signature] = await Promise.all([
    sha256File(abs),
    loadSignature(abs).catch((err: unknown) => {
      throw new ShadowError('SHADOW_REGISTRY', `artifact ${abs} does not load in onnxruntime: ${errorMessage(err)}`, { cause: err });
    }),
  ]);
  return { path: abs, sha256, sizeBytes: statSync(abs).size, signature };
}

/**
 * Refuses (SHADOW_REGISTRY) unless the artifact exists, its sha256 is the registered one and it loads
 * in onnxruntime. `label` names the version in the message ("diagnosis v9").
 */
export async function verifyArtifact(label: string, expected: { path: string; sha256: string }): Promise<void> {
  if (!existsSync(expected.path)) {
    throw new ShadowError('SHADOW_REGISTRY', `${label}: artifact ${expected.path} is missing; restore it or register the version again`);
  }
  const actual = await sha256File(expected.path);
  if (actual !== expected.sha256) {
    throw new ShadowError(
      'SHADOW_REGISTRY',
      `${label}: artifact ${expected.path} has changed since it was registered (sha256 ${actual.slice(0, 12)}… , registered ${expected.sha256.slice(0, 12)}…); refusing to make it production`,
    );
  }
  await loadSignature(expected.path).catch((err: unknown) => {
    throw new ShadowError('SHADOW_REGISTRY', `${label}: artifact ${expected.path} does not load in onnxruntime: ${errorMessage(err)}`, { cause: err });
  });
}

async function loadSignature(path: string): Promise<Signature> {
  const session = await ort.InferenceSession.create(path);
  try {
    return { inputs: session.inputMetadata.map(spec), outputs: session.outputMetadata.map(spec) };
  } finally {
    await session.release();
  }
}

function spec(m: ort.InferenceSession.ValueMetadata): TensorSpec {
  if (!m.isTensor) return { name: m.name, type: 'non-tensor', shape: [] };
  return { name: m.name, type: String(m.type), shape: m.shape.map((d) => (d === '' ? null : d)) };
}
