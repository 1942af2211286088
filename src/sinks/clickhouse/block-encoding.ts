import { BlockPartials } from '../../aggregate/block-partials.ts';
import { ShadowError } from '../../errors.ts';
import { OUTCOME_COLUMNS, emptyRow, type OutcomeRow } from '../../outcomes/index.ts';

// What one block sends to the store (outcome_blocks, migration 000086; DESIGN.md#what-a-block-writes):
// one insert whose rows are of three kinds, told apart by `row_type`:
//   row      a full outcome row, for the records analysts read row by row: disagreements, sampled
//            agreements, errors, rejects, unmatched and duplicate records;
//   ledger   one per source partition: every record of the block as parallel arrays (identity, kind,
//            flags, labels, scores, segments by index), for recovery, the oracle, labels and recounts;
//   stats, latency, noise, canary, profile
//            one per cell of an aggregate table (src/aggregate/block-partials.ts), figures as JSON.
// Parsing in the store costs about the same per value whatever the row (docs/benchmarks.md), so an
// agreeing pair costs its dozen ledger values instead of a 46-column row.

/** The columns a block is sent under: the outcome row's, then the block's own. */
export const BLOCK_COLUMNS = [
  ...OUTCOME_COLUMNS,
  'row_type',
  'payload',
  'l_kind',
  'l_request_id',
  'l_req_offset',
  'l_prim_offset',
  'l_t',
  'l_flags',
  'l_seg',
  'l_pv',
  'l_pl',
  'l_cl',
  'l_ps',
  'l_cs',
  'seg_dict',
] as const;

export type BlockRowType = 'row' | 'ledger' | 'stats' | 'latency' | 'noise' | 'canary' | 'profile';

/** l_flags bits, as the ledger's readers test them (bitTest(flags, n)). */
export const FLAG = { agree: 1, candidateError: 2, primaryError: 4, candidateScored: 8, primaryPresent: 16, sampled: 32 } as const;

const N_OUTCOME = OUTCOME_COLUMNS.length;
/** Index of source_partition in a block tuple: the fence stamps each row by it. */
export const PARTITION_INDEX = OUTCOME_COLUMNS.indexOf('source_partition');
const TOKEN_INDEX = OUTCOME_COLUMNS.indexOf('block_token');

/** Whether a record keeps its full row (the rest is in the ledger and the aggregate cells). */
export function keepsRow(r: Readonly<OutcomeRow>): boolean {
  return r.kind !== 'compared' || r.agree === 0 || r.sampled === 1 || r.candidate_error === 1 || r.primary_error === 1;
}

/** The block's rows as tuples under BLOCK_COLUMNS, every one carrying `token`. */
export function encodeBlock(rows: readonly OutcomeRow[], token: string): unknown[][] {
  const folded = new FoldedBlock();
  for (const r of rows) folded.add(r);
  return folded.tuples(token);
}

/**
 * A block's ledger and aggregate cells, folded one row at a time as the writer collects them, so the
 * work is spread over the batches that bring the rows. Encoding a whole block at flush time held the
 * event loop for 5-14 µs per row in one piece: 100-280 ms for a 20,000-row block.
 */
export class FoldedBlock {
  private readonly full: OutcomeRow[] = [];
  private readonly partials = new BlockPartials();
  private readonly ledgers = new Map<number, Ledger>();

  add(r: OutcomeRow): void {
    if (keepsRow(r)) this.full.push(r);
    this.partials.add(r);
    let l = this.ledgers.get(r.source_partition);
    if (!l) this.ledgers.set(r.source_partition, (l = new Ledger(r.source_partition)));
    l.add(r);
  }

  /** The source partitions the block's records come from. */
  partitions(): number[] {
    return [...this.ledgers.keys()];
  }

  /** The tuples to send; may be called again for a retry (nothing here changes the fold). */
  tuples(token: string): unknown[][] {
    const out: unknown[][] = [];
    for (const r of this.full) out.push(fullRow(r, token));
    for (const l of this.ledgers.values()) out.push(l.tuple(token));
    for (const c of this.partials.cells()) {
      const row = emptyRow();
      row.event_time = c.time;
      row.model = c.model;
      row.primary_version = c.primaryVersion;
      row.candidate_version = c.candidateVersion;
      row.source_partition = c.partition;
      out.push(blockTuple(row, token, c.kind, c.payload));
    }
    return out;
  }
}

function fullRow(r: OutcomeRow, token: string): unknown[] {
  return blockTuple(r, token, 'row', '');
}

function blockTuple(r: OutcomeRow, token: string, type: BlockRowType, payload: string): unknown[] {
  const t = new Array<unknown>(BLOCK_COLUMNS.length);
  for (let i = 0; i < N_OUTCOME; i++) t[i] = r[OUTCOME_COLUMNS[i]!];
  t[TOKEN_INDEX] = token;
  t[N_OUTCOME] = type;
  t[N_OUTCOME + 1] = payload;
  for (let i = N_OUTCOME + 2; i < BLOCK_COLUMNS.length; i++) t[i] = EMPTY;
  return t;
}

const EMPTY: readonly never[] = Object.freeze([]);
/** A ledger row of rejects only: no event time to anchor recovery's memory window on. */
const EPOCH = '1970-01-01T00:00:00.000Z';

/** One partition's records in one block, as parallel arrays. */
class Ledger {
  private model = '';
  private candidateVersion = '';
  private reqTopic = '';
  private primTopic = '';
  private maxReq = -1;
  private maxPrim = -1;
  private maxTime = '';
  private readonly kind: string[] = [];
  private readonly requestId: string[] = [];
  private readonly reqOffset: number[] = [];
  private readonly primOffset: number[] = [];
  private readonly t: number[] = [];
  private readonly flags: number[] = [];
  private readonly seg: number[] = [];
  private readonly pv: string[] = [];
  private readonly pl: string[] = [];
  private readonly cl: string[] = [];
  private readonly ps: number[] = [];
  private readonly cs: number[] = [];
  private readonly segIndex = new Map<string, number>();
  private readonly segDict: Record<string, string>[] = [];

  constructor(private readonly partition: number) {}

  add(r: Readonly<OutcomeRow>): void {
    // Rejects carry no model; every other row of a block is the pipeline's one model and candidate.
    if (r.model) {
      if (this.model && r.model !== this.model) throw new ShadowError('SHADOW_INTERNAL', `one block holds two models: ${this.model} and ${r.model}`);
      this.model = r.model;
    }
    this.candidateVersion = r.candidate_version;
    if (r.req_topic) this.reqTopic = same(this.reqTopic, r.req_topic, 'request');
    if (r.prim_topic) this.primTopic = same(this.primTopic, r.prim_topic, 'primary-output');
    if (r.req_offset > this.maxReq) this.maxReq = r.req_offset;
    if (r.prim_offset > this.maxPrim) this.maxPrim = r.prim_offset;
    // A reject's time is when it was read, not an event time: it would move recovery's memory window.
    if (r.kind !== 'reject' && r.event_time > this.maxTime) this.maxTime = r.event_time;
    this.kind.push(r.kind);
    this.requestId.push(r.request_id);
    this.reqOffset.push(r.req_offset);
    this.primOffset.push(r.prim_offset);
    this.t.push(Date.parse(r.event_time));
    this.flags.push(
      (r.agree ? FLAG.agree : 0) |
        (r.candidate_error ? FLAG.candidateError : 0) |
        (r.primary_error ? FLAG.primaryError : 0) |
        (r.candidate_scored ? FLAG.candidateScored : 0) |
        (r.primary_present ? FLAG.primaryPresent : 0) |
        (r.sampled ? FLAG.sampled : 0),
    );
    this.seg.push(this.segmentIndex(r.segments));
    this.pv.push(r.primary_version);
    this.pl.push(r.primary_label);
    this.cl.push(r.candidate_label);
    this.ps.push(r.primary_score);
    this.cs.push(r.candidate_score);
  }

  tuple(token: string): unknown[] {
    const row = emptyRow();
    row.event_time = this.maxTime || EPOCH;
    row.model = this.model;
    row.candidate_version = this.candidateVersion;
    row.source_partition = this.partition;
    row.req_topic = this.reqTopic;
    row.req_offset = this.maxReq;
    row.prim_topic = this.primTopic;
    row.prim_offset = this.maxPrim;
    const t = blockTuple(row, token, 'ledger', '');
    let i = N_OUTCOME + 2;
    for (const a of [this.kind, this.requestId, this.reqOffset, this.primOffset, this.t, this.flags, this.seg, this.pv, this.pl, this.cl, this.ps, this.cs, this.segDict]) t[i++] = a;
    return t;
  }

  /** 1-based, as ClickHouse indexes arrays: seg_dict[l_seg[i]] is the record's segments. */
  private segmentIndex(segments: Readonly<Record<string, string>>): number {
    let key = '';
    for (const k in segments) key += `${k}\u0000${segments[k]}\u0001`;
    let i = this.segIndex.get(key);
    if (i === undefined) {
      this.segDict.push({ ...segments });
      i = this.segDict.length;
      this.segIndex.set(key, i);
    }
    return i;
  }
}

function same(had: string, topic: string, what: string): string {
  if (had && had !== topic) throw new ShadowError('SHADOW_INTERNAL', `one partition of a block holds two ${what} topics: ${had} and ${topic}`);
  return topic;
}
