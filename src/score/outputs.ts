// Reads one row of the model's output tensors. Structural tensor type, so no onnxruntime import is needed.

export interface OutputTensor {
  readonly data: ArrayLike<number | bigint | string | boolean>;
  readonly dims: readonly number[];
}

/** Elements per row: every dimension after the batch one ([N] -> 1, [N,k] -> k). */
function rowWidth(name: string, t: OutputTensor, rows: number): number {
  if (t.dims[0] !== rows) throw new Error(`output "${name}" has shape [${t.dims.join(',')}], expected ${rows} rows in the first dimension`);
  return t.dims.slice(1).reduce((a, b) => a * b, 1);
}

function num(v: number | bigint | string | boolean): number {
  return typeof v === 'number' ? v : Number(v);
}

export interface RowReader {
  scores?(i: number): number[];
  label?(i: number): string;
  value?(i: number): number;
}

/** Binds the fetched tensors once per batch; throws (failing the batch) if a tensor's row count is off. */
export function rowReader(
  fetched: Readonly<Record<string, OutputTensor>>,
  names: { scores?: string; label?: string; value?: string },
  rows: number,
): RowReader {
  const bind = (name: string) => {
    const t = fetched[name];
    if (t === undefined) throw new Error(`output "${name}" was not returned by the model`);
    return { t, w: rowWidth(name, t, rows) };
  };
  const reader: RowReader = {};
  if (names.scores !== undefined) {
    const { t, w } = bind(names.scores);
    reader.scores = (i) => Array.from({ length: w }, (_, j) => num(t.data[i * w + j]!));
  }
  if (names.label !== undefined) {
    const { t, w } = bind(names.label);
    // int64 labels arrive as BigInt64Array; String() prints a bigint without the "n" suffix.
    reader.label = (i) => String(t.data[i * w]!);
  }
  if (names.value !== undefined) {
    const { t, w } = bind(names.value);
    reader.value = (i) => num(t.data[i * w]!);
  }
  return reader;
}
