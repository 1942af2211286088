import { GroundTruthLabel } from '../contracts/label.ts';

// Label messages -> rows of shadow.labels (schemas/clickhouse/000038). Pure: no I/O.

export interface LabelSourceRef {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** One row of shadow.labels; column names are the table's. */
export interface LabelRow {
  model: string;
  request_id: string;
  label: string;
  value: number;
  has_label: 0 | 1;
  has_value: 0 | 1;
  label_time: string;
  error_code: '' | 'INVALID_JSON' | 'SCHEMA_VIOLATION' | 'WRONG_MODEL';
  error_message: string;
  source_topic: string;
  source_partition: number;
  source_offset: number;
}

/** A label message as a row; a bad one becomes a row with a bounded error code, never an exception. */
export function labelRow(value: Buffer | string | null, ref: LabelSourceRef, opts: { model: string; now: number }): LabelRow {
  const row: LabelRow = {
    model: opts.model, request_id: '', label: '', value: 0, has_label: 0, has_value: 0,
    label_time: chTime(opts.now), error_code: '', error_message: '',
    source_topic: ref.topic, source_partition: ref.partition, source_offset: ref.offset,
  };
  let json: unknown;
  try {
    json = JSON.parse(value === null ? '' : value.toString());
  } catch (err) {
    return { ...row, error_code: 'INVALID_JSON', error_message: (err as Error).message.slice(0, 512) };
  }
  const parsed = GroundTruthLabel.safeParse(json);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    const id = typeof (json as { request_id?: unknown })?.request_id === 'string' ? (json as { request_id: string }).request_id : '';
    return { ...row, request_id: id.slice(0, 256), error_code: 'SCHEMA_VIOLATION', error_message: why.slice(0, 512) };
  }
  const l = parsed.data;
  if (l.model !== opts.model) return { ...row, model: l.model, request_id: l.request_id, error_code: 'WRONG_MODEL', error_message: `label for model ${l.model}` };
  return {
    ...row,
    request_id: l.request_id,
    label: l.label === undefined ? '' : String(l.label),
    value: l.value ?? 0,
    has_label: l.label === undefined ? 0 : 1,
    has_value: l.value === undefined ? 0 : 1,
    label_time: chTime(l.label_time),
  };
}

/** 'YYYY-MM-DD hh:mm:ss.sss' (UTC), which DateTime64(3) parses whatever the input format setting. */
function chTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}
