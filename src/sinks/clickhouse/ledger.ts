import { ShadowError } from '../../errors.ts';
import type { Store } from './client.ts';
import type { Fence } from './fence.ts';
import { FENCED_TOKEN_PREFIX, type RowSink } from './outcome-sink.ts';
import { BLOCK_COLUMNS, PARTITION_INDEX } from './block-encoding.ts';
import type { Logger } from '../../ops/logger.ts';

/** What a previous owner of a partition already wrote: identities to skip and ids to treat as seen. */
export interface WrittenSet {
  readonly requestOffsets: Set<number>;
  readonly primaryOffsets: Set<number>;
  readonly requestIds: string[];
  readonly primaryIds: string[];
  readonly maxEventTime: number;
  /** Blocks holding rows at or after the committed offsets: written, maybe not all their views. */
  readonly blocks: string[];
}

export interface LedgerQuery {
  readonly partition: number;
  readonly requestTopic: string;
  readonly requestFrom: number;
  readonly primaryTopic: string;
  readonly primaryFrom: number;
  /** How far back (event time) request ids are remembered for duplicate detection. */
  readonly memoryMs: number;
}

export interface Ledger {
  written(q: LedgerQuery): Promise<WrittenSet>;
  /**
   * Sends each block again, as outcome_blocks holds it, with its own token. outcome_blocks drops it
   * as a duplicate; a view that missed it (the process died between the table's part and the view's)
   * gets it now, once. A block first sent through the fence (FENCED_TOKEN_PREFIX) goes through it
   * again (a direct insert would not match the dedup token the view chain recorded), stamped with the
   * latest generation of each of its partitions: the rows are exactly what outcome_blocks already
   * holds, so this adds no count whoever owns the partitions now.
   */
  repair(blocks: readonly string[]): Promise<number>;
}

interface Row {
  kind: string;
  request_id: string;
  req_topic: string;
  req_offset: string | number;
  prim_topic: string;
  prim_offset: string | number;
  t: string | number;
  block_token: string;
}

/**
 * Reads back the identities written for a partition at or after the offsets it will be re-read
 * from, plus recent request ids. This is what makes a restart or a rebalance count nothing twice.
 * Blocks are recorded in the ledger rows of outcome_blocks (one array element per record); blocks
 * written before migration 000086 only in outcomes, which is read too, so an upgrade counts none of
 * them again.
 */
export function createLedger(store: Store, model: string, candidateVersion: string, sink: RowSink, fence?: Fence, logger?: Logger): Ledger {
  const blocks = `${store.database}.outcome_blocks`;
  const legacy = `${store.database}.outcomes`;
  const scope = 'candidate_version = {cv:String} AND model IN ({model:String}, \'\') AND source_partition = {p:Int32}';
  // Ledger rows hold their highest offsets and latest (non-reject) event time in the scalar columns:
  // a range test on those finds the rows to open; the arrays are then filtered record by record.
  const ledgerQuery = `
    WITH (SELECT max(event_time) FROM ${blocks} WHERE row_type = 'ledger' AND ${scope}) - toIntervalMillisecond({mem:UInt64}) AS since
    SELECT e_kind AS kind, e_id AS request_id, req_topic, e_ro AS req_offset, prim_topic, e_po AS prim_offset, e_t AS t, block_token
    FROM ${blocks}
    ARRAY JOIN l_kind AS e_kind, l_request_id AS e_id, l_req_offset AS e_ro, l_prim_offset AS e_po, l_t AS e_t
    WHERE row_type = 'ledger' AND ${scope}
      AND (req_offset >= {ro:Int64} OR prim_offset >= {po:Int64} OR event_time >= since)
      AND ((req_topic = {rt:String} AND e_ro >= {ro:Int64}) OR (prim_topic = {pt:String} AND e_po >= {po:Int64}) OR e_t >= toUnixTimestamp64Milli(since))`;
  const legacyQuery = `
    SELECT kind, request_id, req_topic, req_offset, prim_topic, prim_offset, toUnixTimestamp64Milli(event_time) AS t, block_token
    FROM ${legacy}
    WHERE ${scope}
      AND ((req_topic = {rt:String} AND req_offset >= {ro:Int64})
        OR (prim_topic = {pt:String} AND prim_offset >= {po:Int64})
        OR event_time >= (SELECT max(event_time) FROM ${legacy} WHERE ${scope} AND kind != 'reject') - toIntervalMillisecond({mem:UInt64}))`;
  return {
    async written(q) {
      const params = { cv: candidateVersion, model, p: q.partition, rt: q.requestTopic, ro: q.requestFrom, pt: q.primaryTopic, po: q.primaryFrom, mem: q.memoryMs };
      const read = async (query: string) => (await store.client.query({ query, format: 'JSONEachRow', query_params: params })).json<Row>();
      const [recorded, old] = await Promise.all([read(ledgerQuery), read(legacyQuery)]);
      return collect([...recorded, ...old], q);
    },
    async repair(tokens) {
      let rows = 0;
      for (const token of tokens) {
        const rs = await store.client.query({
          query: `SELECT ${BLOCK_COLUMNS.join(', ')} FROM ${blocks} WHERE block_token = {token:String}`,
          format: 'JSONCompactEachRow',
          query_params: { token },
        });
        const block = await rs.json<unknown[]>();
        if (block.length === 0) {
          // Written before migration 000086: its rows are counted (the legacy read above) but the
          // block cannot be rebuilt for views that may have missed it. Upgrades drain first for this.
          logger?.warn({ block: token }, 'block written before the block format: counted, not repaired');
          continue;
        }
        const fenced = token.startsWith(FENCED_TOKEN_PREFIX);
        // Straight into outcome_blocks, a fenced block would not be recognised and would count twice.
        if (fenced && !fence) throw new ShadowError('SHADOW_INTERNAL', `block ${token} was written through the write fence; repairing it needs the fence`);
        const partitions = [...new Set(block.map((t) => Number(t[PARTITION_INDEX])))];
        const stamp = fenced && fence ? { scope: fence.scope, generations: await fence.current(partitions) } : undefined;
        await sink.resend(block, token, stamp);
        rows += block.length;
      }
      return rows;
    },
  };
}

function collect(rows: Row[], q: LedgerQuery): WrittenSet {
  const out = { requestOffsets: new Set<number>(), primaryOffsets: new Set<number>() };
  const blocks = new Set<string>();
  const ids = { req: new Set<string>(), prim: new Set<string>() };
  let maxT = 0;
  for (const r of rows) {
    const ro = Number(r.req_offset);
    const po = Number(r.prim_offset);
    const reqUncommitted = r.req_topic === q.requestTopic && ro >= q.requestFrom;
    const primUncommitted = r.prim_topic === q.primaryTopic && po >= q.primaryFrom;
    if (reqUncommitted) out.requestOffsets.add(ro);
    if (primUncommitted) out.primaryOffsets.add(po);
    if ((reqUncommitted || primUncommitted) && r.block_token) blocks.add(r.block_token);
    if (r.kind === 'reject' || r.kind === 'duplicate') continue;
    if (ro >= 0) ids.req.add(r.request_id);
    if (po >= 0 || r.kind === 'compared') ids.prim.add(r.request_id);
    maxT = Math.max(maxT, Number(r.t));
  }
  return { ...out, requestIds: [...ids.req], primaryIds: [...ids.prim], maxEventTime: maxT, blocks: [...blocks] };
}
