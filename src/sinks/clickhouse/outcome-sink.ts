import { createHash } from 'node:crypto';
import { ShadowError, errorMessage } from '../../errors.ts';
import { redactUrl } from '../../ops/logger.ts';
import type { OutcomeRow } from '../../outcomes/index.ts';
import type { SourceRef } from '../../types.ts';
import type { Store } from './client.ts';

/** The I/O boundary of the sink; tests wrap it to inject failures. */
export interface RowSink {
  /** With a stamp the rows go through the store's write fence (outcomes_entry), without straight to outcomes. */
  insert(rows: readonly OutcomeRow[], token: string, stamp?: FenceStamp): Promise<void>;
}

/** The ownership generations a block was produced under, per source partition (see fence.ts). */
export interface FenceStamp {
  readonly scope: string;
  readonly generations: ReadonlyMap<number, number>;
}

export interface OutcomeSinkOptions {
  /** Test seam for control runs: false sends stamped blocks straight to outcomes, past the store's fence. */
  readonly storeFence?: boolean;
}

// ClickHouse codes that mean the data or the schema is wrong: retrying cannot help.
// (6 CANNOT_PARSE_TEXT, 27 CANNOT_PARSE_INPUT_ASSERTION_FAILED, 53 TYPE_MISMATCH, 60 UNKNOWN_TABLE,
//  62 SYNTAX_ERROR, 16 NO_SUCH_COLUMN_IN_TABLE, 117 INCORRECT_DATA, 26 CANNOT_PARSE_QUOTED_STRING)
const DATA_ERROR_CODES = new Set(['6', '16', '26', '27', '53', '60', '62', '117']);

export function createOutcomeSink(store: Store, opts: OutcomeSinkOptions = {}): RowSink {
  const table = `${store.database}.outcomes`;
  const entry = `${store.database}.outcomes_entry`;
  const fenced = opts.storeFence ?? true;
  return {
    async insert(rows, token, stamp) {
      try {
        await store.client.insert({
          table: stamp && fenced ? entry : table,
          values: stamp && fenced ? stampRows(rows, stamp) : (rows as OutcomeRow[]),
          format: 'JSONEachRow',
          clickhouse_settings: {
            // A retried block with the same token is dropped by the table and by every view.
            insert_deduplication_token: token,
            deduplicate_blocks_in_dependent_materialized_views: 1,
          },
        });
      } catch (err) {
        throw classify(err);
      }
    },
  };
}

function stampRows(rows: readonly OutcomeRow[], stamp: FenceStamp): object[] {
  return rows.map((r) => ({ ...r, fence_scope: stamp.scope, fence_generation: stamp.generations.get(r.source_partition) ?? 0 }));
}

function classify(err: unknown): ShadowError {
  const code = String((err as { code?: unknown }).code ?? '');
  const dataError = DATA_ERROR_CODES.has(code);
  const msg = `insert into outcomes failed: ${redactUrl(errorMessage(err))}`;
  return new ShadowError(dataError ? 'SHADOW_SINK_DATA' : 'SHADOW_SINK', msg, { cause: err, retryable: !dataError });
}

/**
 * Marks the token of a block sent through the store's fence. ClickHouse derives the dedup token a
 * view's target sees from the inserted table, so a block first inserted into outcomes directly (before
 * migration 000042) is not recognised when re-sent through outcomes_entry, and the reverse: a repair
 * must take the path the block first took, and the prefix says which (checked on chDB 26.7).
 */
export const FENCED_TOKEN_PREFIX = 'f1:';

/** Identifies a block by the input records it accounts for, so a retry of it is recognised. */
export function blockToken(refs: Iterable<SourceRef>): string {
  const h = createHash('sha256');
  for (const r of refs) h.update(`${r.topic}\u0000${r.partition}\u0000${r.offset}\n`);
  return h.digest('hex');
}
