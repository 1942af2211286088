import { ShadowError } from '../../errors.ts';
import type { OutcomeRow } from '../../outcomes/index.ts';
import type { Store } from './client.ts';
import type { Fence } from './fence.ts';
import { FENCED_TOKEN_PREFIX, type RowSink } from './outcome-sink.ts';

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
   * Sends each block again with its own token. The outcomes table drops it as a duplicate; a view
   * that missed it (the process died between the table's part and the view's) gets it now, once.
   * A block first sent through the fence (FENCED_TOKEN_PREFIX) goes through it again (a direct insert
   * would not match the dedup token the view chain recorded; older blocks go direct), stamped with the latest generation of each of
   * its partitions: the rows are exactly what outcomes already holds, so this adds no count whoever
   * owns the partitions now, and a view that missed the block gets all of its rows.
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
 */
export function createLedger(store: Store, model: string, candidateVersion: string, sink: RowSink, fence?: Fence): Ledger {
  const t = `${store.database}.outcomes`;
  const scope = 'candidate_version = {cv:String} AND model IN ({model:String}, \'\') AND source_partition = {p:Int32}';
  const query = `
    SELECT kind, request_id, req_topic, req_offset, prim_topic, prim_offset, toUnixTimestamp64Milli(event_time) AS t, block_token
    FROM ${t}
    WHERE ${scope}
      AND ((req_topic = {rt:String} AND req_offset >= {ro:Int64})
        OR (prim_topic = {pt:String} AND prim_offset >= {po:Int64})
        OR event_time >= (SELECT max(event_time) FROM ${t} WHERE ${scope} AND kind != 'reject') - toIntervalMillisecond({mem:UInt64}))`;
  return {
    async written(q) {
      const rs = await store.client.query({
        query,
        format: 'JSONEachRow',
        query_params: { cv: candidateVersion, model, p: q.partition, rt: q.requestTopic, ro: q.requestFrom, pt: q.primaryTopic, po: q.primaryFrom, mem: q.memoryMs },
      });
      return collect(await rs.json<Row>(), q);
    },
    async repair(blocks) {
      let rows = 0;
      for (const token of blocks) {
        const rs = await store.client.query({
          query: `SELECT * EXCEPT ingested_at FROM ${t} WHERE block_token = {token:String}`,
          format: 'JSONEachRow',
          query_params: { token },
        });
        const block = await rs.json<OutcomeRow>();
        if (block.length === 0) continue;
        const fenced = token.startsWith(FENCED_TOKEN_PREFIX);
        // Straight into outcomes, a fenced block would not be recognised and would count twice.
        if (fenced && !fence) throw new ShadowError('SHADOW_INTERNAL', `block ${token} was written through the write fence; repairing it needs the fence`);
        const stamp = fenced && fence ? { scope: fence.scope, generations: await fence.current([...new Set(block.map((r) => r.source_partition))]) } : undefined;
        await sink.insert(block, token, stamp);
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
