import { createHash } from 'node:crypto';
import { ShadowError, errorMessage } from '../errors.ts';
import type { Store } from '../sinks/clickhouse/client.ts';
import type { LabelRow } from './row.ts';

/**
 * Inserts one block of label rows into shadow.labels, exactly once: the dedup token names the block's
 * source identities, so re-sending the same block (a retry, a replay of the same file, a re-read after a
 * restart from the same offsets) is dropped by the table (non_replicated_deduplication_window).
 */
export async function insertLabels(store: Store, rows: readonly LabelRow[]): Promise<void> {
  if (rows.length === 0) return;
  const h = createHash('sha256');
  for (const r of rows) h.update(`${r.source_topic}\u0000${r.source_partition}\u0000${r.source_offset}\n`);
  try {
    await store.client.insert({
      table: `${store.database}.labels`,
      values: rows as LabelRow[],
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: `labels:${h.digest('hex')}` },
    });
  } catch (err) {
    throw new ShadowError('SHADOW_SINK', `insert into labels failed: ${errorMessage(err)}`, { cause: err, retryable: true });
  }
}
