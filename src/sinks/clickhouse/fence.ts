import { randomInt } from 'node:crypto';
import { ShadowError, errorMessage } from '../../errors.ts';
import type { Store } from './client.ts';
import { classifyClickHouseError } from './errors.ts';

/**
 * The write fence the store enforces (DESIGN.md#write-fence). Taking a partition records a new
 * ownership generation in `partition_fence` before anything is read back from the ledger; every row
 * is inserted through `outcomes_entry` with the generation it was produced under, and the entry view
 * drops rows whose generation is no longer the partition's latest. So a writer whose partition has
 * moved adds nothing, whenever it wakes up: before its insert, mid-request, or between its own
 * client-side check and the send.
 */
export interface Fence {
  /** The namespace of the generations (`kafka:<group>` or `replay:<topic>`); stamped on every row. */
  readonly scope: string;
  /** Records a newer generation for each partition than any recorded so far; resolves with them. */
  claim(partitions: readonly number[]): Promise<Map<number, number>>;
  /** The latest recorded generation per partition (0 when never claimed). */
  current(partitions: readonly number[]): Promise<Map<number, number>>;
}

/**
 * Low bits of a generation are random so that two instances claiming the same partition at the same
 * instant (only possible while one of them holds a stale assignment) do not end up with equal
 * generations that the view would both accept. The later claim wins; the other finds out after its
 * next insert (see BatchWriterEvents.fenced) and re-reads the partition.
 */
const TIE_BITS = 16;

export function createFence(store: Store, scope: string, owner: string): Fence {
  const table = `${store.database}.partition_fence`;
  const current = async (partitions: readonly number[]): Promise<Map<number, number>> => {
    const out = new Map<number, number>(partitions.map((p) => [p, 0]));
    if (partitions.length === 0) return out;
    // Classified, because the writer reads it after every insert: a dropped connection there must be
    // retried like the insert itself, not stop the processor (it did: "socket hang up" was fatal).
    try {
      const rs = await store.client.query({
        query: `SELECT partition, toString(max(generation)) AS g FROM ${table} WHERE scope = {s:String} AND partition IN {ps:Array(Int32)} GROUP BY partition`,
        format: 'JSONEachRow',
        query_params: { s: scope, ps: [...partitions] },
      });
      for (const r of await rs.json<{ partition: number; g: string }>()) out.set(Number(r.partition), Number(r.g));
    } catch (err) {
      throw classifyClickHouseError(err, `read of ${table}`);
    }
    return out;
  };
  return {
    scope,
    current,
    async claim(partitions) {
      try {
        const before = await current(partitions);
        const claimed = new Map<number, number>();
        for (const [p, g] of before) claimed.set(p, ((Math.floor(g / 2 ** TIE_BITS) + 1) * 2 ** TIE_BITS) + randomInt(2 ** TIE_BITS));
        await store.client.insert({
          table,
          values: [...claimed].map(([partition, generation]) => ({ scope, partition, generation, owner })),
          format: 'JSONEachRow',
        });
        return claimed;
      } catch (err) {
        throw new ShadowError('SHADOW_SINK', `cannot record partition ownership in ${table}: ${errorMessage(err)}`, { cause: err, retryable: true });
      }
    },
  };
}

/** A generation stamp that the entry view accepts for no partition: rows of a partition never claimed. */
export const UNCLAIMED = 0;
