// The fault suite's oracle. Every input is identified by (topic, partition, offset) in what is written;
// the oracle checks that written identities are distinct, that they are exactly the records produced,
// that stats_1m equals the ground truth, and that per-minute aggregates equal a recount from the ledger.
// It reads the tables as stored: no FINAL, no argMax, so a duplicate written twice shows.
import type { QueryRunner } from '../../src/query/index.ts';
import type { Truth } from './ground-truth.ts';
import { readFigures } from './stats.ts';

export interface Produced {
  readonly requests: number;
  readonly primaries: number;
}

/**
 * Every record written, from the ledger rows of outcome_blocks (one array element per outcome, each
 * carrying the identities it accounts for): a record written twice shows as a repeated identity.
 */
export async function writtenIdentities(q: QueryRunner, db: string): Promise<{ reqRows: number; reqIds: number; primRows: number; primIds: number }> {
  const [r] = await q.query<Record<string, string>>(
    `SELECT countIf(ro >= 0) AS reqRows, uniqExactIf((req_topic, source_partition, ro), ro >= 0) AS reqIds,
            countIf(po >= 0) AS primRows, uniqExactIf((prim_topic, source_partition, po), po >= 0) AS primIds
     FROM ${db}.outcome_blocks ARRAY JOIN l_req_offset AS ro, l_prim_offset AS po
     WHERE row_type = 'ledger'`,
  );
  return { reqRows: Number(r!.reqRows), reqIds: Number(r!.reqIds), primRows: Number(r!.primRows), primIds: Number(r!.primIds) };
}

/** Every violation found, as sentences; an empty list means the counts are exact. */
export async function checkCounts(q: QueryRunner, db: string, truth: Truth, produced: Produced): Promise<string[]> {
  const v: string[] = [];
  const ids = await writtenIdentities(q, db);
  if (ids.reqRows !== ids.reqIds) v.push(`${ids.reqRows - ids.reqIds} request records written more than once`);
  if (ids.primRows !== ids.primIds) v.push(`${ids.primRows - ids.primIds} primary-output records written more than once`);
  if (ids.reqIds !== produced.requests) v.push(`request records written ${ids.reqIds}, produced ${produced.requests}`);
  if (ids.primIds !== produced.primaries) v.push(`primary-output records written ${ids.primIds}, produced ${produced.primaries}`);
  const figures = (await readFigures(q, db, 'diagnosis', 'v10')).overall;
  for (const [k, want] of Object.entries(truth.overall)) {
    const got = figures[k as keyof typeof figures];
    if (got !== want) v.push(`stats_1m ${k} = ${got}, ground truth ${want}`);
  }
  v.push(...(await recountMinutes(q, db)));
  v.push(...(await checkRowTables(q, db, truth.rejects)));
  return v;
}

async function recountMinutes(q: QueryRunner, db: string): Promise<string[]> {
  const cols = ['compared', 'agreements', 'unmatched_requests', 'unmatched_primaries', 'duplicates', 'candidate_errors', 'primary_errors'];
  const agg = await q.query<Record<string, string>>(
    `SELECT toString(minute) AS m, ${cols.map((c) => `sum(${c}) AS ${c}`).join(', ')} FROM ${db}.stats_1m WHERE dimension = '__all__' GROUP BY m`,
  );
  // The recount an analyst can make without stats_1m: every record's kind and flags, in the ledger.
  const rows = await q.query<Record<string, string>>(
    `SELECT toString(toStartOfMinute(fromUnixTimestamp64Milli(t, 'UTC'))) AS m, countIf(k = 'compared') AS compared, countIf(k = 'compared' AND bitTest(f, 0)) AS agreements,
            countIf(k = 'unmatched_request') AS unmatched_requests, countIf(k = 'unmatched_primary') AS unmatched_primaries,
            countIf(k = 'duplicate') AS duplicates, countIf(k = 'compared' AND bitTest(f, 1)) AS candidate_errors,
            countIf(k = 'compared' AND bitTest(f, 2)) AS primary_errors
     FROM ${db}.outcome_blocks ARRAY JOIN l_kind AS k, l_flags AS f, l_t AS t
     WHERE row_type = 'ledger' AND k NOT IN ('reject', 'schema_mismatch') GROUP BY m`,
  );
  const byMinute = new Map(rows.map((r) => [r.m, r]));
  const out: string[] = [];
  if (agg.length !== rows.length) out.push(`stats_1m has ${agg.length} minutes, the ledger ${rows.length}`);
  for (const a of agg) {
    const r = byMinute.get(a.m!);
    for (const c of cols) if (Number(a[c]) !== Number(r?.[c] ?? 0)) out.push(`minute ${a.m} ${c}: stats_1m ${a[c]}, recount ${r?.[c] ?? 0}`);
  }
  return out;
}

async function checkRowTables(q: QueryRunner, db: string, rejects: number): Promise<string[]> {
  const out: string[] = [];
  const [d] = await q.query<Record<string, string>>(`SELECT count() AS n, uniqExact(request_id) AS ids FROM ${db}.disagreements`);
  const [o] = await q.query<Record<string, string>>(
    `SELECT count() AS n FROM ${db}.outcomes WHERE kind = 'compared' AND candidate_error = 0 AND primary_error = 0 AND (agree = 0 OR sampled = 1)`,
  );
  if (d!.n !== d!.ids) out.push(`disagreements: ${d!.n} rows for ${d!.ids} request ids`);
  if (Number(d!.n) !== Number(o!.n)) out.push(`disagreements: ${d!.n} rows, outcomes recount ${o!.n}`);
  const [r] = await q.query<Record<string, string>>(`SELECT count() AS n, uniqExact(topic, partition, offset) AS ids FROM ${db}.rejects`);
  if (r!.n !== r!.ids) out.push(`rejects: ${r!.n} rows for ${r!.ids} records`);
  if (Number(r!.n) !== rejects) out.push(`rejects: ${r!.n} rows, produced ${rejects} bad messages`);
  return out;
}
