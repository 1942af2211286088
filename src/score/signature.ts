// Reads a model's signature and checks it against the scorer options before any traffic flows,
// so a misconfigured candidate fails at start-up with the fix named, not as a stream of row errors.
import { ShadowError } from '../errors.ts';
import { openSession, signatureOf } from './session.ts';
import { SUPPORTED_INPUT_TYPES, type InputElementType, type ModelSignature, type ScorerOptions, type ValueSignature } from './types.ts';

/** Loads the model, reads its inputs/outputs, releases it. */
export async function readModelSignature(modelPath: string): Promise<ModelSignature> {
  const session = await openSession(modelPath, { intraOpThreads: 1, allowSpinning: false });
  try {
    return signatureOf(session);
  } finally {
    await session.release();
  }
}

export interface CheckedIO {
  inputName: string;
  elementType: InputElementType;
  /** Set when the model fixes its batch dimension to 1, so every run must carry exactly one row. */
  maxRowsPerRun?: number;
}

function fail(message: string): never {
  throw new ShadowError('SHADOW_MODEL', message);
}

// skl2onnx exports a dynamic batch axis as the empty symbolic name; show it as "?".
const shape = (v: ValueSignature) => `[${v.dims.map((d) => (d === '' ? '?' : d)).join(', ')}]`;
const list = (vs: ValueSignature[]) => vs.map((v) => `"${v.name}" ${v.type} ${shape(v)}`).join(', ');

export function checkSignature(sig: ModelSignature, opts: Pick<ScorerOptions, 'inputName' | 'features' | 'outputs'>): CheckedIO {
  const { inputs, outputs } = sig;
  if (opts.inputName === undefined && inputs.length !== 1) {
    fail(`the model has ${inputs.length} inputs (${list(inputs)}): set candidate.inputName to the one that takes the features`);
  }
  const input = opts.inputName === undefined ? inputs[0]! : inputs.find((i) => i.name === opts.inputName);
  if (input === undefined) fail(`candidate.inputName "${opts.inputName}" is not an input of the model; its inputs are: ${list(inputs)}`);
  if (inputs.length > 1) {
    fail(`the model has ${inputs.length} inputs (${list(inputs)}) but the scorer feeds only "${input.name}": export the model with a single [batch, features] input`);
  }
  if (!(SUPPORTED_INPUT_TYPES as readonly string[]).includes(input.type)) {
    fail(`model input "${input.name}" has element type ${input.type}; supported input types are ${SUPPORTED_INPUT_TYPES.join(', ')}: re-export the model with a float input`);
  }
  if (input.dims.length !== 0 && input.dims.length !== 2) {
    fail(`model input "${input.name}" has shape ${shape(input)}; the scorer feeds [batch, features] (rank 2)`);
  }
  const last = input.dims[1];
  if (typeof last === 'number' && last !== opts.features.length) {
    fail(`model input "${input.name}" expects ${last} features per row but candidate.features lists ${opts.features.length}: list exactly ${last} features in candidate.features, in the model's input order`);
  }
  const batch = input.dims[0];
  if (typeof batch === 'number' && batch !== 1) {
    fail(`model input "${input.name}" has a fixed batch dimension of ${batch}: re-export with a dynamic batch axis`);
  }

  const configured = Object.entries(opts.outputs).filter((e): e is [string, string] => e[1] !== undefined);
  if (configured.length === 0) fail('no model output configured: set candidate.outputs.scores, .label or .value');
  for (const [role, name] of configured) {
    const out = outputs.find((o) => o.name === name);
    if (out === undefined) fail(`candidate.outputs.${role} "${name}" is not an output of the model; its outputs are: ${list(outputs)}`);
    if (out.type === 'non-tensor') {
      fail(`candidate.outputs.${role} "${name}" is not a tensor (a sequence/map such as sklearn's ZipMap): use a tensor output, or export with zipmap=False`);
    }
    if (role !== 'label' && out.type === 'string') {
      fail(`candidate.outputs.${role} "${name}" is a string tensor; ${role} must be numeric`);
    }
  }
  return { inputName: input.name, elementType: input.type as InputElementType, ...(batch === 1 ? { maxRowsPerRun: 1 } : {}) };
}
