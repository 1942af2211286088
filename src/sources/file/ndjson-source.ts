import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { RawRecord, Stream } from '../../types.ts';

/**
 * Reads a replay file: one envelope per line, `{"stream": "requests"|"primaries", "key": ..., "payload": ...}`
 * (`"labels"` envelopes are skipped here and ingested by src/labels),
 * the payload being the message as it would be on Kafka (an object, or a string for raw bytes).
 * Each stream gets its own offsets (line order), so identities look like two topics of one partition.
 */
export async function* readNdjson(path: string, batchSize = 1000): AsyncGenerator<RawRecord[]> {
  const topics = await replayTopics(path);
  const next: Record<Stream, number> = { requests: 0, primaries: 0 };
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let batch: RawRecord[] = [];
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const { stream, key, value } = parseEnvelope(line);
    // Late labels are not the join's input: src/labels/file.ts ingests them from the same file.
    if (stream === 'labels') continue;
    batch.push({ ref: { stream, topic: topics[stream], partition: 0, offset: next[stream]++ }, key, value });
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** Topic names for a file's records: derived from its content, so replaying it again is a no-op. */
export async function replayTopics(path: string): Promise<Record<Stream, string>> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  const base = `file:${basename(path)}#${h.digest('hex').slice(0, 12)}`;
  return { requests: `${base}:requests`, primaries: `${base}:primaries` };
}

function parseEnvelope(line: string): { stream: Stream | 'labels'; key: string | null; value: string } {
  let env: unknown;
  try {
    env = JSON.parse(line);
  } catch {
    // Not even an envelope: keep the bytes so the reject row shows what was there.
    return { stream: 'requests', key: null, value: line };
  }
  const e = (env ?? {}) as { stream?: unknown; key?: unknown; payload?: unknown };
  const stream = e.stream === 'primaries' ? 'primaries' : e.stream === 'labels' ? 'labels' : 'requests';
  const key = typeof e.key === 'string' ? e.key : null;
  const value = typeof e.payload === 'string' ? e.payload : e.payload === undefined ? '' : JSON.stringify(e.payload);
  return { stream, key, value };
}
