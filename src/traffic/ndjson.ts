// NDJSON replay files: one envelope {"stream","key","payload"} per line.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Envelope } from './generator.ts';

/** Envelopes as NDJSON text (one line each, trailing newline). */
export function toNdjson(envelopes: readonly Envelope[]): string {
  let out = '';
  for (const e of envelopes) out += JSON.stringify({ stream: e.stream, key: e.key, payload: e.payload }) + '\n';
  return out;
}

/** Write envelopes to `path` as NDJSON, creating parent folders. */
export function writeNdjson(path: string, envelopes: readonly Envelope[]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, toNdjson(envelopes));
}

/** Read an NDJSON envelope file back (blank lines skipped; no validation of payloads). */
export function readNdjson(path: string): Envelope[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Envelope);
}
