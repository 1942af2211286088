import { createHash } from 'node:crypto';
import { classifyClickHouseError } from './errors.ts';
import { OUTCOME_COLUMNS, type OutcomeRow } from '../../outcomes/index.ts';
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

export function createOutcomeSink(store: Store, opts: OutcomeSinkOptions = {}): RowSink {
  const table = `${store.database}.outcomes`;
  const entry = `${store.database}.outcomes_entry`;
  const fenced = opts.storeFence ?? true;
  return {
    async insert(rows, token, stamp) {
      const throughFence = stamp !== undefined && fenced;
      try {
        await store.client.insert({
          table: throughFence ? entry : table,
          columns: throughFence ? ENTRY_COLUMNS : DIRECT_COLUMNS,
          values: throughFence ? stampedTuples(rows, stamp) : tuples(rows),
          // Arrays under one column list instead of one object per row: half the bytes, and 30-50% less CPU
          // per row between the JS thread and chDB's parser (docs/benchmarks.md, scripts/bench-sink-encoding.ts).
          format: 'JSONCompactEachRow',
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

const DIRECT_COLUMNS: [string, ...string[]] = [...OUTCOME_COLUMNS];
const ENTRY_COLUMNS: [string, ...string[]] = [...OUTCOME_COLUMNS, 'fence_scope', 'fence_generation'];

function tuples(rows: readonly OutcomeRow[]): unknown[][] {
  return rows.map((r) => tuple(r, OUTCOME_COLUMNS.length));
}

function stampedTuples(rows: readonly OutcomeRow[], stamp: FenceStamp): unknown[][] {
  const n = OUTCOME_COLUMNS.length;
  return rows.map((r) => {
    const t = tuple(r, n + 2);
    t[n] = stamp.scope;
    t[n + 1] = stamp.generations.get(r.source_partition) ?? 0;
    return t;
  });
}

/** The row's values in OUTCOME_COLUMNS order, in an array with room for `size` cells. */
function tuple(r: OutcomeRow, size: number): unknown[] {
  const t = new Array<unknown>(size);
  for (let i = 0; i < OUTCOME_COLUMNS.length; i++) t[i] = r[OUTCOME_COLUMNS[i]!];
  return t;
}

/**
 * Marks the token of a block sent through the store's fence. ClickHouse derives the dedup token a
 * view's target sees from the inserted table, so a block first inserted into outcomes directly (before
 * migration 000042) is not recognised when re-sent through outcomes_entry, and the reverse: a repair
 * must take the path the block first took, and the prefix says which (checked on chDB 26.7).
 */
export const FENCED_TOKEN_PREFIX = 'f1:';

/**
 * Identifies a block by what writes it (`scope`: model and candidate version) and the input records it
 * accounts for, so a retry of it is recognised. The scope matters: processors shadowing two candidates
 * read the same records, and the store silently drops a block whose token it has seen, whatever its
 * rows. Without the scope, the second candidate's blocks were dropped whenever its block boundaries
 * matched the first one's.
 */
export function blockToken(refs: Iterable<SourceRef>, scope = ''): string {
  const h = createHash('sha256');
  if (scope) h.update(`scope\u0000${scope}\n`);
  for (const r of refs) h.update(`${r.topic}\u0000${r.partition}\u0000${r.offset}\n`);
  return h.digest('hex');
}
