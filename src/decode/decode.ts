import { MirroredRequest } from '../contracts/request.ts';
import { PrimaryOutput } from '../contracts/primary-output.ts';
import { fastPrimary, fastRequest } from '../contracts/fast-parse.ts';
import type { RawRecord } from '../types.ts';

/** Bounded set of reject reasons: dashboards group by these, so never put free text here. */
export type RejectCode = 'EMPTY' | 'TOO_LARGE' | 'INVALID_JSON' | 'SCHEMA_VIOLATION' | 'UNKNOWN_MODEL' | 'KEY_MISMATCH';

export type Decoded =
  | { ok: true; stream: 'requests'; msg: MirroredRequest }
  | { ok: true; stream: 'primaries'; msg: PrimaryOutput }
  | { ok: false; code: RejectCode; reason: string };

export interface DecodeOptions {
  readonly model: string;
  /** Larger messages are rejected unparsed: a runaway producer must not stall the loop in JSON.parse. */
  readonly maxMessageBytes: number;
}

export function decode(record: RawRecord, opts: DecodeOptions): Decoded {
  const { value } = record;
  if (value === null || value.length === 0) return { ok: false, code: 'EMPTY', reason: 'empty message value' };
  const bytes = typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.length;
  if (bytes > opts.maxMessageBytes) {
    return { ok: false, code: 'TOO_LARGE', reason: `message is ${bytes} bytes; limit is ${opts.maxMessageBytes}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (err) {
    return { ok: false, code: 'INVALID_JSON', reason: (err as Error).message };
  }
  const isRequest = record.ref.stream === 'requests';
  let msg: MirroredRequest | PrimaryOutput | null = isRequest ? fastRequest(json) : fastPrimary(json);
  if (msg === null) {
    const parsed = (isRequest ? MirroredRequest : PrimaryOutput).safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = first && first.path.length ? first.path.join('.') : '(root)';
      return { ok: false, code: 'SCHEMA_VIOLATION', reason: `${where}: ${first?.message ?? 'invalid'}` };
    }
    msg = parsed.data;
  }
  if (msg.model !== opts.model) {
    return { ok: false, code: 'UNKNOWN_MODEL', reason: `model "${msg.model}" is not compared here (this processor compares "${opts.model}")` };
  }
  if (record.key !== null && record.key !== '' && record.key !== msg.request_id) {
    // A wrong key puts the message on the wrong partition, where its partner never arrives.
    return { ok: false, code: 'KEY_MISMATCH', reason: `message key "${record.key}" differs from request_id "${msg.request_id}"` };
  }
  return record.ref.stream === 'requests'
    ? { ok: true, stream: 'requests', msg: msg as MirroredRequest }
    : { ok: true, stream: 'primaries', msg: msg as PrimaryOutput };
}
