// The sink sends each block as JSONCompactEachRow under BLOCK_COLUMNS (OUTCOME_COLUMNS first). Checked
// against a migrated embedded store (chDB): the column lists match OutcomeRow and the tables, and rows
// with every column set to an awkward value come back as the former JSONEachRow encoding left them,
// sent directly, through the write fence, and re-sent by the ledger's repair. One store per file:
// chDB allows one data directory per process.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OUTCOME_COLUMNS, emptyRow, type OutcomeRow } from '../../../src/outcomes/index.ts';
import { openStore, type Store } from '../../../src/sinks/clickhouse/client.ts';
import { createFence } from '../../../src/sinks/clickhouse/fence.ts';
import { createLedger } from '../../../src/sinks/clickhouse/ledger.ts';
import { migrate } from '../../../src/sinks/clickhouse/migrate.ts';
import { FENCED_TOKEN_PREFIX, createOutcomeSink } from '../../../src/sinks/clickhouse/outcome-sink.ts';
import { BLOCK_COLUMNS } from '../../../src/sinks/clickhouse/block-encoding.ts';

const DB = 'shadow';
const dataDir = mkdtempSync(join(tmpdir(), 'shadow-encoding-'));
let store: Store;

before(async () => {
  store = await openStore({ dataDir, database: DB, username: 'default', password: '', requestTimeoutMs: 30_000 });
  await migrate(store);
});

after(async () => {
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function select<T>(query: string): Promise<T[]> {
  const rs = await store.client.query({ query, format: 'JSONEachRow' });
  return rs.json<T>();
}

async function columnsOf(table: string): Promise<string[]> {
  const rows = await select<{ name: string }>(`SELECT name FROM system.columns WHERE database = '${DB}' AND table = '${table}' ORDER BY position`);
  return rows.map((r) => r.name);
}

describe('OUTCOME_COLUMNS', () => {
  it('lists every key of OutcomeRow once', () => {
    assert.deepEqual([...OUTCOME_COLUMNS].sort(), Object.keys(emptyRow()).sort());
    assert.equal(new Set(OUTCOME_COLUMNS).size, OUTCOME_COLUMNS.length);
  });

  it('names only columns of outcomes and of outcomes_entry', async () => {
    for (const table of ['outcomes', 'outcomes_entry']) {
      const have = new Set(await columnsOf(table));
      assert.deepEqual(OUTCOME_COLUMNS.filter((c) => !have.has(c)), [], `not in ${table}`);
    }
  });

  // The ledger's repair reads a block back from outcome_blocks under BLOCK_COLUMNS and re-sends it: a
  // column left out of the list would reach a view that missed the block as its default.
  it('leaves out no column of outcome_blocks but ingested_at, of outcomes_entry but the fence columns, and of outcomes', async () => {
    const listed = new Set<string>(BLOCK_COLUMNS);
    assert.deepEqual((await columnsOf('outcome_blocks')).filter((c) => !listed.has(c)), ['ingested_at']);
    assert.deepEqual((await columnsOf('outcomes_entry')).filter((c) => !listed.has(c)).sort(), ['fence_generation', 'fence_scope', 'ingested_at']);
    const outcome = new Set<string>(OUTCOME_COLUMNS);
    assert.deepEqual((await columnsOf('outcomes')).filter((c) => !outcome.has(c)), ['ingested_at']);
  });
});

const AWKWARD = 'q"uote \'single\' back\\slash \\" tab\t nl\n cr\r nul\u0000 é ☃ 𝄞 😀 \u2028 {"json":[1]} , ;';

/** Every column away from its default; `variant` makes the rows of one block differ. */
function awkwardRow(model: string, variant: number): OutcomeRow {
  return {
    event_time: `2024-02-29 23:59:59.${String(100 + variant).slice(-3)}`,
    kind: 'schema_mismatch',
    model,
    primary_version: `v9 "${variant}"`,
    candidate_version: 'v10\\rc',
    feature_schema_version: '1\n2',
    request_id: `req-${variant}-${AWKWARD}`,
    segments: { country: 'DE', 'device"type': 'mobile\\ios', 'ünïcode': '☃\n', empty: '' },
    agree: 1,
    sampled: 1,
    candidate_scored: 1,
    candidate_error: 1,
    candidate_error_code: 'E_"BAD"',
    candidate_error_reason: AWKWARD,
    primary_present: 1,
    primary_error: 1,
    primary_error_code: 'P\\1',
    primary_label: 'malignant\u00a0',
    candidate_label: '良性',
    primary_score: 0.1 + 0.2,
    candidate_score: -1.5e-300,
    has_delta: 1,
    score_delta: 1.7976931348623157e308,
    primary_output: '{"label":"m","score":0.30000000000000004,"s":"\\n"}',
    candidate_output: AWKWARD,
    candidate_latency_ms: 123.456,
    candidate_compute_ms: 5e-324,
    candidate_queue_ms: 99999.999,
    primary_latency_ms: -0.5,
    reproduced: 1,
    reproduced_agree: 1,
    candidate_cost_usd: 1e-9,
    primary_cost_usd: 12345.678901,
    features: '[1.5,null,"NaN",{"k":"\\u0000"}]',
    profile: { mean_radius: 'b03', '@primary_score': 'hi', 'a"b': '__other__' },
    source_partition: variant % 2 === 0 ? 2147483647 : 7,
    req_topic: 'requests.ü',
    req_offset: Number.MAX_SAFE_INTEGER - variant,
    prim_topic: 'primaries\t1',
    prim_offset: 2 ** 40 + variant,
    message_key: `key-${variant}-\\"`,
    error_code: 'E"1',
    error_message: AWKWARD,
    raw_payload: `{"raw":"${'x'.repeat(100)}\\n"}\n${AWKWARD}`,
    raw_bytes: 4294967295,
    block_token: '',
  };
}

/** Non-finite floats: JSON has no literal for them, so both encodings send null and the column keeps 0. */
function nonFiniteRow(model: string, variant: number): OutcomeRow {
  return { ...awkwardRow(model, variant), primary_score: NaN, candidate_score: Infinity, score_delta: -Infinity, candidate_latency_ms: NaN };
}

function block(model: string, token: string): OutcomeRow[] {
  const rows = [awkwardRow(model, 0), awkwardRow(model, 1), awkwardRow(model, 2), nonFiniteRow(model, 3), nonFiniteRow(model, 4)];
  for (const r of rows) r.block_token = token;
  return rows;
}

async function readBack(model: string): Promise<Record<string, unknown>[]> {
  return select(`SELECT ${OUTCOME_COLUMNS.join(', ')} FROM ${DB}.outcomes WHERE model = '${model}' ORDER BY req_offset DESC`);
}

/** What the store holds for `rows`: non-finite floats as 0, everything else as sent. */
function expected(rows: readonly OutcomeRow[]): Record<string, unknown>[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' && !Number.isFinite(v) ? 0 : v])));
}

/** Rows as the reference block holds them: the same but for the model and the block token. */
function asReference(rows: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((r) => ({ ...r, model: 'ref', block_token: 'ref-token' }));
}

describe('outcome rows sent as JSONCompactEachRow', () => {
  let reference: Record<string, unknown>[];

  before(async () => {
    // The encoding the sink used before, as the reference for what the store keeps.
    await store.client.insert({
      table: `${DB}.outcomes`,
      values: block('ref', 'ref-token'),
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: 'ref-token', deduplicate_blocks_in_dependent_materialized_views: 1 },
    });
    reference = await readBack('ref');
  });

  it('keep what JSONEachRow kept, which is every value but the non-finite floats', () => {
    assert.deepEqual(reference, expected(block('ref', 'ref-token')));
  });

  it('read back equal when sent directly to outcomes', async () => {
    const sink = createOutcomeSink(store);
    const rows = block('direct', 'direct-token');
    await sink.insert(rows, 'direct-token');
    const back = await readBack('direct');
    assert.deepEqual(back, expected(rows));
    assert.deepEqual(asReference(back), reference);
  });

  it('read back equal when sent through the write fence, only the rows of current generations', async () => {
    const fence = createFence(store, 'kafka:encoding', 'test');
    const generations = await fence.claim([7, 2147483647]);
    const sink = createOutcomeSink(store);
    const token = `${FENCED_TOKEN_PREFIX}fenced-token`;
    const rows = block('fenced', token);
    await sink.insert(rows, token, { scope: fence.scope, generations });
    const back = await readBack('fenced');
    assert.deepEqual(back, expected(rows));
    assert.deepEqual(asReference(back), reference);

    // The fence values are in the right cells: a stale generation for partition 7 drops just its rows.
    const stale = new Map(generations);
    stale.set(7, generations.get(7)! - 1);
    const staleToken = `${FENCED_TOKEN_PREFIX}stale-token`;
    const staleRows = block('stale', staleToken);
    await sink.insert(staleRows, staleToken, { scope: fence.scope, generations: stale });
    assert.deepEqual(await readBack('stale'), expected(staleRows.filter((r) => r.source_partition !== 7)));
  });

  it('re-send blocks read back by the ledger without adding a row', async () => {
    const fence = createFence(store, 'kafka:encoding', 'test');
    const sink = createOutcomeSink(store);
    // Rows of outcomes and of two views it feeds (stats_1m sees every kind but reject, profile_1m every
    // profiled row), unmerged: a block the store did not drop would show up as more rows.
    const counts = () =>
      select(
        `SELECT (SELECT count() FROM ${DB}.outcome_blocks) AS b, (SELECT count() FROM ${DB}.outcomes) AS o, (SELECT count() FROM ${DB}.stats_1m) AS s, (SELECT count() FROM ${DB}.profile_1m) AS p`,
      );
    const before = await counts();
    const tokens = ['direct-token', `${FENCED_TOKEN_PREFIX}fenced-token`];
    const [stored] = await select<{ n: string }>(`SELECT count() AS n FROM ${DB}.outcome_blocks WHERE block_token IN ('${tokens.join("', '")}')`);
    const ledger = createLedger(store, 'direct', 'v10\\rc', sink, fence);
    assert.equal(await ledger.repair(tokens), Number(stored!.n), 'every stored row of both blocks re-sent');
    assert.ok(Number(stored!.n) > 10, 'full rows, ledger rows and cells');
    assert.deepEqual(await counts(), before);
  });
});
