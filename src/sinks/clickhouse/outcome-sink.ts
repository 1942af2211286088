import { createHash } from 'node:crypto';
import { classifyClickHouseError } from './errors.ts';
import type { OutcomeRow } from '../../outcomes/index.ts';
import { BLOCK_COLUMNS, PARTITION_INDEX, encodeBlock, type FoldedBlock } from './block-encoding.ts';
import type { SourceRef } from '../../types.ts';
import type { Store } from './client.ts';

/** The I/O boundary of the sink; tests wrap it to inject failures. */
export interface RowSink {
  /**
   * Writes one block: its outcome rows, encoded as the block's rows (block-encoding.ts). With a stamp
   * they go through the store's write fence (outcomes_entry), without it straight to outcome_blocks.
   * `folded` is the same rows already folded as they arrived (the batch writer's); without it the
   * sink folds them itself. Wrappers pass it on unchanged.
   */
  insert(rows: readonly OutcomeRow[], token: string, stamp?: FenceStamp, folded?: FoldedBlock): Promise<void>;
  /** Sends a block read back from outcome_blocks again, as stored, with its token (a repair). */
  resend(tuples: readonly (readonly unknown[])[], token: string, stamp?: FenceStamp): Promise<void>;
}

/** The ownership generations a block was produced under, per source partition (see fence.ts). */
export interface FenceStamp {
  readonly scope: string;
  readonly generations: ReadonlyMap<number, number>;
}

export interface OutcomeSinkOptions {
  /** Test seam for control runs: false sends stamped blocks straight to outcome_blocks, past the store's fence. */
  readonly storeFence?: boolean;
}

export function createOutcomeSink(store: Store, opts: OutcomeSinkOptions = {}): RowSink {
  const blocks = `${store.database}.outcome_blocks`;
  const entry = `${store.database}.outcomes_entry`;
  const fenced = opts.storeFence ?? true;
  const send = async (tuples: readonly (readonly unknown[])[], token: string, stamp?: FenceStamp) => {
    const throughFence = stamp !== undefined && fenced;
    try {
      await store.client.insert({
        table: throughFence ? entry : blocks,
        columns: throughFence ? ENTRY_COLUMNS : DIRECT_COLUMNS,
        values: throughFence ? stamped(tuples, stamp) : (tuples as unknown[][]),
        // Arrays under one column list instead of one object per row: half the bytes, and 30-50% less CPU
        // per row between the JS thread and chDB's parser (docs/benchmarks.md).
        format: 'JSONCompactEachRow',
        clickhouse_settings: {
          // A retried block with the same token is dropped by the table and by every view.
          insert_deduplication_token: token,
          deduplicate_blocks_in_dependent_materialized_views: 1,
        },
      });
    } catch (err) {
      throw classifyClickHouseError(err, 'insert into outcome_blocks');
    }
  };
  return {
    insert: (rows, token, stamp, folded) => send(folded ? folded.tuples(token) : encodeBlock(rows, token), token, stamp),
    resend: send,
  };
}

const DIRECT_COLUMNS: [string, ...string[]] = [...BLOCK_COLUMNS];
const ENTRY_COLUMNS: [string, ...string[]] = [...BLOCK_COLUMNS, 'fence_scope', 'fence_generation'];

/** Each row with the fence values of its partition appended (a copy: a repair's rows are reused). */
function stamped(tuples: readonly (readonly unknown[])[], stamp: FenceStamp): unknown[][] {
  return tuples.map((t) => [...t, stamp.scope, stamp.generations.get(Number(t[PARTITION_INDEX])) ?? 0]);
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
  const h = new BlockTokenHash(scope);
  h.add(refs);
  return h.digest();
}

/** blockToken built up as a block's records arrive; `digest` once, when the block is sent. */
export class BlockTokenHash {
  private readonly h = createHash('sha256');

  constructor(scope = '') {
    if (scope) this.h.update(`scope\u0000${scope}\n`);
  }

  add(refs: Iterable<SourceRef>): void {
    for (const r of refs) this.h.update(`${r.topic}\u0000${r.partition}\u0000${r.offset}\n`);
  }

  digest(): string {
    return this.h.digest('hex');
  }
}
