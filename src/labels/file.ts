import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { Store } from '../sinks/clickhouse/client.ts';
import { labelRow, type LabelRow } from './row.ts';
import { insertLabels } from './writer.ts';

export interface LabelIngestResult {
  readonly messages: number;
  readonly invalid: number;
}

/**
 * Reads the `{"stream": "labels", "key", "payload"}` envelopes of a replay file (other streams are the
 * pipeline's) and writes them to shadow.labels in blocks. The topic name is derived from the file's
 * content, as the replay source does, so ingesting the same file again inserts nothing new.
 */
export async function ingestLabelFile(path: string, store: Store, opts: { model: string; blockSize?: number; now?: () => number }): Promise<LabelIngestResult> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  const topic = `file:${basename(path)}#${h.digest('hex').slice(0, 12)}:labels`;
  const now = opts.now ?? Date.now;
  let offset = 0;
  let invalid = 0;
  let block: LabelRow[] = [];
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    const env = envelope(line);
    if (!env) continue;
    const row = labelRow(env, { topic, partition: 0, offset: offset++ }, { model: opts.model, now: now() });
    if (row.error_code) invalid++;
    block.push(row);
    if (block.length >= (opts.blockSize ?? 5000)) {
      await insertLabels(store, block);
      block = [];
    }
  }
  await insertLabels(store, block);
  return { messages: offset, invalid };
}

function envelope(line: string): string | null {
  if (!line.includes('"labels"')) return null;
  try {
    const e = JSON.parse(line) as { stream?: unknown; payload?: unknown };
    if (e.stream !== 'labels') return null;
    return typeof e.payload === 'string' ? e.payload : JSON.stringify(e.payload ?? null);
  } catch {
    return null;
  }
}
