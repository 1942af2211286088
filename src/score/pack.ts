// Feature packing: request features -> one row-major tensor buffer. Pure, so every reject rule is unit-tested.
import type { CandidateErrorCode, FeatureValue, InputElementType } from './types.ts';

export type RowCheck =
  | { ok: true; values: number[] }
  | { ok: false; code: CandidateErrorCode; reason: string };

/**
 * Reads one request's features in model order. The first bad feature decides the error so the
 * reason names exactly one thing to fix upstream.
 */
export function readRow(
  row: Record<string, FeatureValue>,
  features: readonly string[],
  elementType: InputElementType,
  allowNaN: boolean,
): RowCheck {
  // The decode stage should guarantee an object; a guard here keeps one bad message from failing its batch.
  if (row === null || typeof row !== 'object' || Array.isArray(row)) {
    return { ok: false, code: 'WRONG_TYPE', reason: `features must be an object of name -> number, got ${row === null ? 'null' : describe(row)}` };
  }
  const values = new Array<number>(features.length);
  for (let i = 0; i < features.length; i++) {
    const name = features[i]!;
    // Own properties only: a feature named like an Object.prototype member must not read a function.
    const v = Object.hasOwn(row, name) ? row[name] : undefined;
    if (v === undefined) return { ok: false, code: 'MISSING_FEATURE', reason: `feature "${name}" is missing` };
    if (v === null) {
      if (allowNaN && elementType !== 'int64') { values[i] = NaN; continue; }
      return { ok: false, code: 'NON_FINITE', reason: `feature "${name}" is null` };
    }
    // Strict on purpose: a numeric string ("1.5") is WRONG_TYPE, not coerced. Coercion would hide a
    // producer that changed its encoding, and the primary model may not coerce the same way.
    if (typeof v !== 'number') {
      return { ok: false, code: 'WRONG_TYPE', reason: `feature "${name}" is a ${describe(v)}, expected a number` };
    }
    if (Number.isNaN(v)) {
      // int64 has no NaN, so allowNaN cannot help an integer input.
      if (allowNaN && elementType !== 'int64') { values[i] = NaN; continue; }
      return { ok: false, code: 'NON_FINITE', reason: `feature "${name}" is NaN` };
    }
    // allowNaN is about missing-value markers; an infinity is a broken value, so it is always rejected.
    if (!Number.isFinite(v)) return { ok: false, code: 'NON_FINITE', reason: `feature "${name}" is ${v}` };
    if (elementType === 'float32' && !Number.isFinite(Math.fround(v))) {
      return { ok: false, code: 'NON_FINITE', reason: `feature "${name}" = ${v} overflows float32` };
    }
    if (elementType === 'int64' && !Number.isInteger(v)) {
      return { ok: false, code: 'WRONG_TYPE', reason: `feature "${name}" = ${v} is not an integer, the model input is int64` };
    }
    values[i] = v;
  }
  return { ok: true, values };
}

export type TensorData = Float32Array | Float64Array | BigInt64Array;

/** Packs checked rows into one [rows.length x width] buffer of the model input's element type. */
export function packRows(rows: readonly (readonly number[])[], width: number, elementType: InputElementType): TensorData {
  const n = rows.length * width;
  if (elementType === 'int64') {
    const out = new BigInt64Array(n);
    rows.forEach((r, i) => { for (let j = 0; j < width; j++) out[i * width + j] = BigInt(r[j]!); });
    return out;
  }
  const out = elementType === 'float32' ? new Float32Array(n) : new Float64Array(n);
  rows.forEach((r, i) => out.set(r, i * width));
  return out;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)})`;
  if (Array.isArray(v)) return 'array';
  return typeof v;
}
