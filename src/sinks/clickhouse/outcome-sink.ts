import { createHash } from 'node:crypto';
import { classifyClickHouseError } from './errors.ts';
import type { OutcomeRow } from '../../outcomes/index.ts';
import type { SourceRef } from '../../types.ts';
import type { Store } from './client.ts';

/** The I/O boundary of the sink; tests wrap it to inject failures. */
export interface RowSink {
  insert(rows: readonly OutcomeRow[], token: string): Promise<void>;
}

export function createOutcomeSink(store: Store): RowSink {
  const table = `${store.database}.outcomes`;
  return {
    async insert(rows, token) {
      try {
        await store.client.insert({
          table,
          values: rows as OutcomeRow[],
          format: 'JSONEachRow',
          clickhouse_settings: {
            // A retried block with the same token is dropped by the table and by every view.
            insert_deduplication_token: token,
            deduplicate_blocks_in_dependent_materialized_views: 1,
          },
        });
      } catch (err) {
        throw classifyClickHouseError(err, 'insert into outcomes');
      }
    },
  };
}

/** Identifies a block by the input records it accounts for, so a retry of it is recognised. */
export function blockToken(refs: Iterable<SourceRef>): string {
  const h = createHash('sha256');
  for (const r of refs) h.update(`${r.topic}\u0000${r.partition}\u0000${r.offset}\n`);
  return h.digest('hex');
}
