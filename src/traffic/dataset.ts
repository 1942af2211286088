// Fixture data sets written by fixtures/make_fixtures.py: rows, segments and the outputs
// every fixture model gives on every row (computed by onnxruntime on the ONNX files).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

export type TaskType = 'binary' | 'multiclass' | 'regression';

/** Segment attributes of one row (country, device, customer_tier). */
export type Segments = Record<string, string>;

/**
 * Outputs of one model version on every dataset row (index = row index).
 * binary:     labels[i] (ONNX "label"), scores[i] = P(class 1) (number)
 * multiclass: labels[i] (argmax, ONNX "label"), scores[i] = probability per class (number[])
 * regression: values[i] (ONNX "variable")
 */
export type ExpectedTable =
  | { task: 'binary'; classes: number[]; labels: number[]; scores: number[] }
  | { task: 'multiclass'; classes: number[]; labels: number[]; scores: number[][] }
  | { task: 'regression'; values: number[] };

export interface Dataset {
  dataset: string;
  source: string;
  feature_names: string[];
  target_name?: string;
  segment_driver?: string;
  rows: number[][];
  targets?: number[];
  segments: Segments[];
  /** Keyed "<model>:<version>", e.g. "diagnosis:v9". */
  expected: Record<string, ExpectedTable>;
}

/** A model answer in the message shape (`output` of a primary output). */
export interface ModelOutputJson {
  label?: string | number;
  score?: number;
  scores?: number[];
  value?: number;
}

/** Repository root (this file is src/traffic/dataset.ts). */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Absolute path of fixtures/data. */
export const FIXTURES_DATA_DIR = join(REPO_ROOT, 'fixtures', 'data');

/** "breast_cancer" -> <repo>/fixtures/data/breast_cancer.json; anything with a slash or ".json" is a path. */
export function resolveDatasetPath(nameOrPath: string): string {
  if (nameOrPath.includes('/') || nameOrPath.includes('\\') || nameOrPath.endsWith('.json')) {
    return resolve(nameOrPath);
  }
  return join(FIXTURES_DATA_DIR, `${nameOrPath}.json`);
}

/** Read and check a fixture data set (a dataset name such as "breast_cancer" or a path). */
export function loadDataset(path: string): Dataset {
  const file = resolveDatasetPath(path);
  const json: unknown = JSON.parse(readFileSync(file, 'utf8'));
  return parseDataset(json, file);
}

/** Check the shape of an already-parsed data set document. Throws on any inconsistency. */
export function parseDataset(json: unknown, where = 'dataset'): Dataset {
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${msg}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('not a JSON object');
  const d = json as Partial<Dataset>;
  if (typeof d.dataset !== 'string') fail('"dataset" must be a string');
  if (!Array.isArray(d.feature_names) || !d.feature_names.every((n) => typeof n === 'string')) {
    fail('"feature_names" must be an array of strings');
  }
  if (!Array.isArray(d.rows)) fail('"rows" must be an array');
  if (!Array.isArray(d.segments)) fail('"segments" must be an array');
  if (typeof d.expected !== 'object' || d.expected === null) fail('"expected" must be an object');
  const ds = d as Dataset;
  const n = ds.rows.length;
  const width = ds.feature_names.length;
  ds.rows.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== width) fail(`rows[${i}] must have ${width} features`);
    if (!row.every((v) => typeof v === 'number' && Number.isFinite(v))) fail(`rows[${i}] has a non-numeric feature`);
  });
  if (ds.segments.length !== n) fail(`"segments" has ${ds.segments.length} entries for ${n} rows`);
  for (const [key, t] of Object.entries(ds.expected)) {
    if (!/^[^:]+:[^:]+$/.test(key)) fail(`expected key "${key}" is not "<model>:<version>"`);
    const len = t.task === 'regression' ? t.values?.length : t.scores?.length;
    if (len !== n) fail(`expected["${key}"] has ${String(len)} entries for ${n} rows`);
    if (t.task !== 'regression' && t.labels?.length !== n) fail(`expected["${key}"].labels has wrong length`);
  }
  return ds;
}

/** The expected table for a model version, or a clear error naming what exists. */
export function expectedTable(ds: Dataset, model: string, version: string): ExpectedTable {
  const t = ds.expected[`${model}:${version}`];
  if (!t) {
    throw new Error(
      `dataset ${ds.dataset} has no expected outputs for ${model}:${version} (has: ${Object.keys(ds.expected).join(', ')})`,
    );
  }
  return t;
}

/** Task type of a model version in this data set. */
export function modelTask(ds: Dataset, model: string, version: string): TaskType {
  return expectedTable(ds, model, version).task;
}

/**
 * What `model:version` answers on dataset row `row`, in the message `output` shape:
 * binary {label, score}, multiclass {label, scores}, regression {value}.
 */
export function expectedOutput(ds: Dataset, model: string, version: string, row: number): ModelOutputJson {
  const t = expectedTable(ds, model, version);
  if (!Number.isInteger(row) || row < 0 || row >= ds.rows.length) {
    throw new RangeError(`row ${row} out of range 0..${ds.rows.length - 1}`);
  }
  switch (t.task) {
    case 'binary':
      return { label: t.labels[row] as number, score: t.scores[row] as number };
    case 'multiclass':
      return { label: t.labels[row] as number, scores: [...(t.scores[row] as number[])] };
    case 'regression':
      return { value: t.values[row] as number };
  }
}

/** Features of a dataset row as the named map a request carries. */
export function rowFeatures(ds: Dataset, row: number): Record<string, number> {
  const values = ds.rows[row];
  if (!values) throw new RangeError(`row ${row} out of range 0..${ds.rows.length - 1}`);
  const out: Record<string, number> = {};
  ds.feature_names.forEach((name, j) => {
    out[name] = values[j] as number;
  });
  return out;
}
