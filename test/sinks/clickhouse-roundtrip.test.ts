// Round trip through the real embedded engine (chDB): migrations, the outcome sink with its dedup
// token, and what the materialized views derive. chDB allows one data directory per process, so this
// file opens one store in a fresh temp directory and closes it at the end.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/sinks/clickhouse/client.ts';
import { migrate, readMigrations } from '../../src/sinks/clickhouse/migrate.ts';
import { blockToken, createOutcomeSink, type RowSink } from '../../src/sinks/clickhouse/outcome-sink.ts';
import { keepsRow } from '../../src/sinks/clickhouse/block-encoding.ts';
import { emptyRow, type OutcomeRow } from '../../src/outcomes/index.ts';

const DB = 'shadow';
const dataDir = mkdtempSync(join(tmpdir(), 'shadow-chdb-'));
let store: Store;
let firstRun: string[];
let secondRun: string[];

before(async () => {
  store = await openStore({ dataDir, database: DB, username: 'default', password: '', requestTimeoutMs: 30_000 });
  firstRun = await migrate(store);
  secondRun = await migrate(store);
});

after(async () => {
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function rows<T = Record<string, string>>(query: string): Promise<T[]> {
  const rs = await store.client.query({ query, format: 'JSONEachRow' });
  return rs.json<T>();
}

async function count(table: string, where = '1'): Promise<number> {
  const [r] = await rows<{ n: string }>(`SELECT count() AS n FROM ${DB}.${table} WHERE ${where}`);
  return Number(r!.n);
}

describe('migrations on the embedded engine', () => {
  it('apply every migration file on the first run', () => {
    assert.deepEqual(firstRun, readMigrations().map((m) => m.name));
    assert.ok(firstRun.includes('000001_create_outcomes'));
  });

  it('apply nothing on a second run', () => {
    assert.deepEqual(secondRun, []);
  });

  it('list each migration exactly once in schema_migrations', async () => {
    const listed = await rows<{ version: number; name: string; n: string }>(
      `SELECT version, name, count() AS n FROM ${DB}.schema_migrations GROUP BY version, name ORDER BY version`,
    );
    assert.deepEqual(listed.map((r) => r.name), readMigrations().map((m) => m.name));
    assert.ok(listed.every((r) => Number(r.n) === 1));
  });

  it('create the block table, the outcome tables and the views that fill them', async () => {
    const tables = (await rows<{ name: string }>(`SELECT name FROM system.tables WHERE database = '${DB}'`)).map((r) => r.name);
    for (const t of ['outcome_blocks', 'outcome_blocks_rows_mv', 'outcomes', 'stats_1m', 'stats_1m_blocks_mv', 'disagreements', 'disagreements_mv', 'rejects', 'rejects_mv']) assert.ok(tables.includes(t), t);
    for (const t of ['stats_1m_mv', 'outcomes_entry_mv']) assert.ok(!tables.includes(t), `${t}: replaced by the block views, must be gone`);
  });
});

// ---- One block of outcome rows with known figures -------------------------------------------------

const MINUTE = Date.UTC(2024, 4, 1, 12, 0, 0);
const MODEL = 'fraud';
const CV = 'v10';
let nextOffset = 0;

function base(kind: OutcomeRow['kind'], i: number, country: string, minuteOffset = 0): OutcomeRow {
  const r = emptyRow();
  r.kind = kind;
  r.event_time = new Date(MINUTE + minuteOffset * 60_000 + (i % 60) * 500).toISOString();
  r.model = MODEL;
  r.primary_version = 'v9';
  r.candidate_version = CV;
  r.feature_schema_version = '1';
  r.request_id = `${kind}-${i}`;
  r.segments = { feature_schema_version: '1', country };
  r.source_partition = 2;
  return r;
}

function withRequest(r: OutcomeRow): OutcomeRow {
  r.req_topic = 'shadow.requests';
  r.req_offset = nextOffset++;
  return r;
}
function withPrimary(r: OutcomeRow, latency = 200): OutcomeRow {
  r.prim_topic = 'shadow.primaries';
  r.prim_offset = nextOffset++;
  r.primary_present = 1;
  r.primary_latency_ms = latency;
  r.primary_cost_usd = 0.002;
  r.primary_output = '{"score":0.5}';
  return r;
}
function scored(r: OutcomeRow, latency: number): OutcomeRow {
  r.candidate_scored = 1;
  r.candidate_latency_ms = latency;
  r.candidate_cost_usd = 0.001;
  return r;
}

/**
 * 100 compared rows with both answers (candidate latency 1..100 ms; every 4th disagrees, delta -0.5;
 * the others agree, delta +0.1, and 10 of them are sampled); 2 candidate errors, 3 primary errors,
 * 5 unmatched requests (next minute), 40 unmatched primaries (candidate latency 0, not scored: must not
 * pull the candidate latency quantiles down), 2 duplicates and 3 rejects.
 */
function block(): OutcomeRow[] {
  const out: OutcomeRow[] = [];
  for (let i = 0; i < 100; i++) {
    const r = scored(withPrimary(withRequest(base('compared', i, i < 60 ? 'DE' : 'FR'))), i + 1);
    const disagree = i % 4 === 0;
    r.agree = disagree ? 0 : 1;
    r.sampled = !disagree && i % 10 === 1 ? 1 : 0;
    r.primary_label = '1';
    r.candidate_label = disagree ? '0' : '1';
    r.has_delta = 1;
    r.score_delta = disagree ? -0.5 : 0.1;
    if (disagree || r.sampled) r.features = '{"amount":1}';
    // Profiles (issue 15): two cells per row, so profile_1m gets 2 x (overall + each segment) per row.
    r.profile = { amount: i % 2 ? 'b01' : 'null', '@candidate_score': 'b19' };
    out.push(r);
  }
  for (let i = 0; i < 2; i++) {
    const r = scored(withPrimary(withRequest(base('compared', 100 + i, 'DE'))), 50);
    r.candidate_error = 1;
    r.candidate_error_code = 'MISSING_FEATURE';
    out.push(r);
  }
  for (let i = 0; i < 3; i++) {
    const r = scored(withPrimary(withRequest(base('compared', 200 + i, 'FR'))), 50);
    r.primary_error = 1;
    r.primary_error_code = 'TIMEOUT';
    out.push(r);
  }
  for (let i = 0; i < 5; i++) out.push(scored(withRequest(base('unmatched_request', i, 'DE', 1)), 50));
  for (let i = 0; i < 40; i++) out.push(withPrimary(base('unmatched_primary', i, 'DE')));
  for (let i = 0; i < 2; i++) {
    const r = base('duplicate', i, 'DE');
    r.segments = {};
    out.push(withRequest(r));
  }
  const rejects: [string, string, number][] = [
    ['shadow.requests', 'INVALID_JSON', 7],
    ['shadow.requests', 'SCHEMA_VIOLATION', 8],
    ['shadow.primaries', 'KEY_MISMATCH', 9],
  ];
  for (const [topic, code, offset] of rejects) {
    const r = emptyRow();
    r.kind = 'reject';
    r.event_time = new Date(MINUTE).toISOString();
    r.candidate_version = CV;
    r.source_partition = 5;
    if (topic === 'shadow.requests') {
      r.req_topic = topic;
      r.req_offset = 1000 + offset;
    } else {
      r.prim_topic = topic;
      r.prim_offset = 1000 + offset;
    }
    r.message_key = `k${offset}`;
    r.error_code = code;
    r.error_message = 'bad';
    r.raw_payload = '{"x":';
    r.raw_bytes = 5000;
    out.push(r);
  }
  return out;
}

const FIGURES = ['compared', 'agreements', 'both_ok', 'candidate_errors', 'primary_errors', 'unmatched_requests', 'unmatched_primaries', 'duplicates', 'candidate_scored', 'primary_answered', 'delta_n'] as const;
type Figures = Record<(typeof FIGURES)[number], number>;

async function stats(where = '1'): Promise<Map<string, Figures & { cl: number[]; pl: number[]; delta_sum: number; delta_abs_max: number }>> {
  const rs = await rows<Record<string, string | number[]>>(
    `SELECT dimension, value, ${FIGURES.map((f) => `sum(${f}) AS ${f}`).join(', ')},
            sum(delta_sum) AS delta_sum, max(delta_abs_max) AS delta_abs_max,
            quantilesTDigestMerge(0.5, 0.95, 0.99)(candidate_latency_ms) AS cl,
            quantilesTDigestMerge(0.5, 0.95, 0.99)(primary_latency_ms) AS pl
     FROM ${DB}.stats_1m WHERE model = '${MODEL}' AND candidate_version = '${CV}' AND ${where}
     GROUP BY dimension, value`,
  );
  return new Map(
    rs.map((r) => [
      `${r.dimension}=${r.value}`,
      {
        ...(Object.fromEntries(FIGURES.map((f) => [f, Number(r[f])])) as Figures),
        delta_sum: Number(r.delta_sum),
        delta_abs_max: Number(r.delta_abs_max),
        cl: (r.cl as number[]).map(Number),
        pl: (r.pl as number[]).map(Number),
      },
    ]),
  );
}

async function snapshot() {
  const s = await stats();
  return {
    outcomes: await count('outcomes'),
    disagreements: await count('disagreements'),
    rejects: await count('rejects'),
    all: s.get('__all__=__all__'),
    de: s.get('country=DE'),
    profiles: Number((await rows<{ n: string }>(`SELECT toUInt64(sum(n)) AS n FROM ${DB}.profile_1m`))[0]!.n),
  };
}

describe('outcome rows through the materialized views', () => {
  let sink: RowSink;
  const rowsA = block();
  const tokenA = blockToken(rowsA.map((r, i) => ({ stream: 'requests', topic: 't', partition: 0, offset: i })));

  before(async () => {
    sink = createOutcomeSink(store);
    await sink.insert(rowsA, tokenA);
  });

  it('keeps the full rows read row by row in outcomes, and every record in the ledger', async () => {
    assert.equal(await count('outcomes'), rowsA.filter(keepsRow).length);
    const [l] = await rows<{ n: string }>(`SELECT count() AS n FROM ${DB}.outcome_blocks ARRAY JOIN l_kind WHERE row_type = 'ledger'`);
    assert.equal(Number(l!.n), rowsA.length);
  });

  it('counts the overall row of stats_1m exactly', async () => {
    const all = (await stats()).get('__all__=__all__');
    assert.ok(all);
    assert.deepEqual(
      Object.fromEntries(FIGURES.map((f) => [f, all[f]])),
      {
        compared: 105,
        agreements: 75,
        both_ok: 100,
        candidate_errors: 2,
        primary_errors: 3,
        unmatched_requests: 5,
        unmatched_primaries: 40,
        duplicates: 2,
        candidate_scored: 110,
        primary_answered: 145,
        delta_n: 100,
      },
    );
    assert.ok(Math.abs(all.delta_sum - (25 * -0.5 + 75 * 0.1)) < 1e-9);
    assert.equal(all.delta_abs_max, 0.5);
  });

  it('counts each segment value exactly, rejects and duplicates aside', async () => {
    const s = await stats();
    const de = s.get('country=DE')!;
    const fr = s.get('country=FR')!;
    assert.equal(de.compared, 62); // 60 + 2 candidate errors
    assert.equal(de.agreements, 45);
    assert.equal(de.candidate_errors, 2);
    assert.equal(de.unmatched_requests, 5);
    assert.equal(de.unmatched_primaries, 40);
    assert.equal(de.duplicates, 0, 'duplicates carry no segments: overall row only');
    assert.equal(fr.compared, 43); // 40 + 3 primary errors
    assert.equal(fr.agreements, 30);
    assert.equal(fr.primary_errors, 3);
    assert.equal(fr.both_ok, 40);
    const fsv = s.get('feature_schema_version=1')!;
    assert.equal(fsv.compared, 105);
    assert.deepEqual([...s.keys()].sort(), ['__all__=__all__', 'country=DE', 'country=FR', 'feature_schema_version=1']);
  });

  it('buckets rows by event-time minute', async () => {
    const perMinute = await rows<{ minute: string; compared: string; unmatched_requests: string }>(
      `SELECT minute, sum(compared) AS compared, sum(unmatched_requests) AS unmatched_requests
       FROM ${DB}.stats_1m WHERE dimension = '__all__' GROUP BY minute ORDER BY minute`,
    );
    assert.deepEqual(
      perMinute.map((r) => [r.minute, Number(r.compared), Number(r.unmatched_requests)]),
      [
        ['2024-05-01 12:00:00', 105, 0],
        ['2024-05-01 12:01:00', 0, 5],
      ],
    );
  });

  it('keeps latency quantiles roughly right, counting only rows where the model ran', async () => {
    const all = (await stats()).get('__all__=__all__')!;
    const [p50, p95, p99] = all.cl;
    // Candidate latencies: 1..100, plus 10 rows at 50; the 40 unscored rows (latency 0) must not count.
    assert.ok(Math.abs(p50! - 50) <= 4, `candidate p50 ${p50}`);
    assert.ok(Math.abs(p95! - 95) <= 4, `candidate p95 ${p95}`);
    assert.ok(Math.abs(p99! - 99) <= 3, `candidate p99 ${p99}`);
    // Built from histogram buckets now: within a bucket's 0.5% of the one latency there is.
    assert.ok(all.pl.every((q) => Math.abs(q - 200) <= 200 * 0.005), `primary latency quantiles ${all.pl}`);
  });

  it('copies only disagreements and sampled agreements to disagreements', async () => {
    const d = await rows<{ agree: number; n: string; with_features: string }>(
      `SELECT agree, count() AS n, countIf(features != '') AS with_features FROM ${DB}.disagreements GROUP BY agree ORDER BY agree`,
    );
    assert.deepEqual(d.map((r) => [Number(r.agree), Number(r.n), Number(r.with_features)]), [
      [0, 25, 25],
      [1, 10, 10],
    ]);
    const errors = await rows<{ n: string }>(`SELECT count() AS n FROM ${DB}.disagreements WHERE request_id IN ('compared-100', 'compared-101', 'compared-200')`);
    assert.equal(Number(errors[0]!.n), 0, 'rows with an error on either side are not disagreements');
  });

  it('copies rejects with their topic, partition and offset', async () => {
    const r = await rows<{ topic: string; partition: number; offset: string; error_code: string; message_key: string; raw_bytes: number }>(
      `SELECT topic, partition, offset, error_code, message_key, raw_bytes FROM ${DB}.rejects ORDER BY offset`,
    );
    assert.deepEqual(
      r.map((x) => [x.topic, Number(x.partition), Number(x.offset), x.error_code, x.message_key, Number(x.raw_bytes)]),
      [
        ['shadow.requests', 5, 1007, 'INVALID_JSON', 'k7', 5000],
        ['shadow.requests', 5, 1008, 'SCHEMA_VIOLATION', 'k8', 5000],
        ['shadow.primaries', 5, 1009, 'KEY_MISMATCH', 'k9', 5000],
      ],
    );
  });

  it('drops a re-inserted block with the same token everywhere', async () => {
    const before = await snapshot();
    await sink.insert(rowsA, tokenA);
    const afterRetry = await snapshot();
    assert.deepEqual(afterRetry, before);
    assert.equal(afterRetry.outcomes, rowsA.filter(keepsRow).length);
    assert.equal(afterRetry.profiles, 100 * 2 * 3, 'profile_1m: 100 rows x 2 cells x (overall, feature_schema_version, country)');
  });

  it('adds a block with a different token', async () => {
    const before = await snapshot();
    await sink.insert(rowsA, blockToken([{ stream: 'requests', topic: 'other', partition: 0, offset: 0 }]));
    const now = await snapshot();
    assert.equal(now.outcomes, 2 * before.outcomes);
    assert.equal(now.disagreements, 2 * before.disagreements);
    assert.equal(now.rejects, 2 * before.rejects);
    assert.equal(now.all!.compared, 2 * before.all!.compared);
    assert.equal(now.all!.agreements, 2 * before.all!.agreements);
    assert.equal(now.de!.unmatched_primaries, 2 * before.de!.unmatched_primaries);
    assert.equal(now.profiles, 2 * before.profiles);
  });
});

describe('migrations', () => {
  it('refuse to run when an applied file changed, naming the file, and apply nothing after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadow-migrations-'));
    try {
      const copy = { ...store, database: 'shadow_checksum' };
      const first = readMigrations().slice(0, 2);
      for (const m of first) writeFileSync(join(dir, `${m.name}.sql`), m.sql);
      assert.deepEqual(await migrate(copy, { dir }), first.map((m) => m.name));
      writeFileSync(join(dir, `${first[1]!.name}.sql`), `${first[1]!.sql}\n-- edited after it was applied\n`);
      const next = readMigrations()[2]!;
      writeFileSync(join(dir, `${next.name}.sql`), next.sql);
      await assert.rejects(migrate(copy, { dir }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'SHADOW_MIGRATION');
        assert.match(err.message, new RegExp(`${first[1]!.name}\\.sql has changed since it was applied to shadow_checksum \\(checksum [0-9a-f]{16} recorded, [0-9a-f]{16} now\\)`));
        return true;
      });
      const [r] = await rows<{ n: string }>(`SELECT count() AS n FROM shadow_checksum.schema_migrations WHERE name = '${next.name}'`);
      assert.equal(Number(r!.n), 0, 'the later migration was not applied');
      writeFileSync(join(dir, `${first[1]!.name}.sql`), first[1]!.sql);
      assert.deepEqual(await migrate(copy, { dir }), [next.name], 'restored file: the run goes on');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
