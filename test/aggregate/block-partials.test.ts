// The block format against the per-row views it replaced: replay irregular traffic (duplicates,
// rejects, missing, inline and failing primaries, the noise floor on) through the real pipeline and
// sink, capture the outcome rows the pipeline made, and insert the same rows the old way into a
// database migrated only up to the old schema (migrations before 000080: one wide row per record, the
// aggregate tables filled by materialized views over every row). Every aggregate table and analyst view
// must come out the same: counts exactly, sums to float precision; t-digest quantiles (now built from
// histogram buckets) within 2% in rank of the exact ones.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { histogramQuantileSql, rankOf } from '../../src/aggregate/log-histogram.ts';
import { StatsPartials, minuteOf } from '../../src/aggregate/stats-partials.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { OUTCOME_COLUMNS, type OutcomeRow } from '../../src/outcomes/index.ts';
import { replayFile } from '../../src/pipeline/replay.ts';
import { openStore, type Store } from '../../src/sinks/clickhouse/client.ts';
import { migrate, readMigrations, renderSql } from '../../src/sinks/clickhouse/migrate.ts';
import { generateTraffic, loadDataset, writeNdjson } from '../../src/traffic/index.ts';
import { REPO, testConfig } from '../support/config.ts';
import { IRREGULAR_TRAFFIC } from '../support/ground-truth.ts';

const REF = 'ref_rows';
const FIRST_BLOCK_MIGRATION = 80;

describe('aggregates written as block cells equal the per-row views they replace', () => {
  const config = testConfig({ primary: { path: join(REPO, 'fixtures/models/diagnosis/v9.onnx') } });
  const dir = mkdtempSync(join(tmpdir(), 'shadow-block-partials-'));
  let store: Store;
  const rows: OutcomeRow[] = [];

  const q = async <T = Record<string, string | number>>(query: string): Promise<T[]> =>
    (await store.client.query({ query, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })).json<T>();

  before(async () => {
    const traffic = generateTraffic({ dataset: loadDataset('breast_cancer'), ...IRREGULAR_TRAFFIC, count: 4000, seed: 11 });
    writeNdjson(join(dir, 'traffic.ndjson'), traffic.envelopes);
    store = await openStore(config.clickhouse);
    await migrate(store);
    await replayFile(join(dir, 'traffic.ndjson'), config, store, createLogger({ level: 'warn' }), {
      wrapSink: (inner) => ({
        insert: async (block, token, stamp, folded) => {
          // The writer's folded block goes on: the cells compared below are the ones the processor sends.
          assert.ok(folded, 'the batch writer folds its blocks as rows arrive');
          await inner.insert(block, token, stamp, folded);
          rows.push(...block.map((r) => ({ ...r })));
        },
        resend: (tuples, token, stamp) => inner.resend(tuples, token, stamp),
      }),
    });
    // The old schema, in a database of its own, fed the old way: every row into outcomes.
    await store.client.command({ query: `CREATE DATABASE ${REF}` });
    for (const m of readMigrations().filter((m) => m.version < FIRST_BLOCK_MIGRATION)) await store.client.command({ query: renderSql(m.sql, REF) });
    await store.client.insert({ table: `${REF}.outcomes`, columns: [...OUTCOME_COLUMNS], values: rows.map((r) => OUTCOME_COLUMNS.map((k) => r[k])), format: 'JSONCompactEachRow' });
  });
  after(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(config.clickhouse.dataDir, { recursive: true, force: true });
  });

  /** Both databases' `select` over `table`, keyed and ordered by `key`. */
  async function both(table: string, key: string[], select: string): Promise<[Record<string, string | number>[], Record<string, string | number>[]]> {
    const sql = (db: string) => `SELECT ${key.map((k) => `toString(${k}) AS ${k}`).join(', ')}, ${select} FROM ${db}.${table} GROUP BY ${key.join(', ')} ORDER BY ${key.join(', ')}`;
    return [await q(sql(store.database)), await q(sql(REF))];
  }

  function same(table: string, got: Record<string, string | number>[], want: Record<string, string | number>[], key: string[], check: (k: string, g: unknown, w: unknown, where: string) => void): void {
    assert.ok(want.length > 0, `${table}: the old view wrote nothing`);
    assert.equal(got.length, want.length, `${table}: ${got.length} cells, the old view ${want.length}`);
    want.forEach((w, i) => {
      const g = got[i]!;
      const where = `${table} ${key.map((k) => w[k]).join('/')}`;
      for (const k of key) assert.equal(g[k], w[k], `${where}: key ${k}`);
      for (const k of Object.keys(w)) if (!key.includes(k)) check(k, g[k], w[k], where);
    });
  }

  const exact = (k: string, g: unknown, w: unknown, where: string) => assert.deepEqual(g, w, `${where}: ${k}`);
  const close = (tolerance: number) => (k: string, g: unknown, w: unknown, where: string) => {
    const [a, b] = [Number(g), Number(w)];
    assert.ok(Math.abs(a - b) <= tolerance * Math.max(1e-9, Math.abs(b)), `${where}: ${k} ${a} vs ${b} (tolerance ${tolerance})`);
  };

  /**
   * t-digest bounds the rank of what it returns, not its value, and its centroids depend on the order
   * values arrive in: the old view (rows in order) and the new one (bucket representatives) need not
   * agree to a fixed percentage where the data has gaps. So each quantile q it returns must lie between
   * the exact values at ranks q - 2% and q + 2%, widened by the buckets' 0.5%.
   */
  function withinRank(what: string, got: unknown, values: number[]): number {
    const qs = got as number[];
    const sorted = [...values].sort((a, b) => a - b);
    if (sorted.length === 0) {
      assert.ok(qs.every((x) => x === null || Number.isNaN(x)), `${what}: quantiles ${qs} of no values`);
      return 0;
    }
    [0.5, 0.95, 0.99].forEach((q, j) => {
      const lo = sorted[rankOf(Math.max(0, q - 0.02), sorted.length)]! * (1 - 0.005) - 1e-9;
      const hi = sorted[rankOf(Math.min(1, q + 0.02), sorted.length)]! * (1 + 0.005) + 1e-9;
      assert.ok(qs[j]! >= lo && qs[j]! <= hi, `${what} q=${q}: ${qs[j]} outside [${lo}, ${hi}] (${sorted.length} values)`);
    });
    return 3;
  }

  it('captured a realistic mix: every kind, the noise floor, errors', () => {
    const kinds = new Set(rows.map((r) => r.kind));
    for (const k of ['compared', 'unmatched_request', 'duplicate', 'reject']) assert.ok(kinds.has(k as OutcomeRow['kind']), `no ${k} row`);
    assert.ok(rows.some((r) => r.reproduced === 1), 'the noise floor re-scored nothing');
    assert.ok(rows.some((r) => r.primary_error === 1), 'no primary error');
  });

  it('stats_1m: counts exact, sums to float precision, latency quantiles within 2% in rank', async () => {
    const key = ['minute', 'model', 'primary_version', 'candidate_version', 'dimension', 'value'];
    const counts = ['compared', 'agreements', 'both_ok', 'candidate_errors', 'primary_errors', 'unmatched_requests', 'unmatched_primaries', 'schema_mismatches', 'duplicates', 'candidate_scored', 'primary_answered', 'delta_n'];
    const sums = ['candidate_cost_usd', 'primary_cost_usd', 'delta_sum', 'delta_abs_sum'];
    const [got, want] = await both('stats_1m', key, [...counts.map((c) => `toUInt64(sum(${c})) AS ${c}`), ...sums.map((c) => `sum(${c}) AS ${c}`), 'max(delta_abs_max) AS delta_abs_max'].join(', '));
    same('stats_1m', got, want, key, (k, g, w, where) => (counts.includes(k) ? exact(k, g, w, where) : close(1e-9)(k, g, w, where)));
    const [gq] = await both('stats_1m', key, 'quantilesTDigestMerge(0.5, 0.95, 0.99)(candidate_latency_ms) AS c, quantilesTDigestMerge(0.5, 0.95, 0.99)(primary_latency_ms) AS p');
    let compared = 0;
    for (const g of gq) {
      const inCell = rows.filter(
        (r) =>
          r.kind !== 'reject' &&
          minuteOf(r.event_time) === g.minute &&
          r.model === g.model &&
          r.primary_version === g.primary_version &&
          r.candidate_version === g.candidate_version &&
          (g.dimension === '__all__' || r.segments[g.dimension as string] === g.value),
      );
      compared += withinRank(`stats_1m ${key.map((c) => g[c]).join('/')} candidate`, g.c, inCell.filter((r) => r.candidate_scored === 1).map((r) => r.candidate_latency_ms));
      compared += withinRank(`stats_1m ${key.map((c) => g[c]).join('/')} primary`, g.p, inCell.filter((r) => r.primary_present === 1 && r.kind !== 'duplicate').map((r) => r.primary_latency_ms));
    }
    assert.ok(compared > 50, `compared ${compared} quantiles`);
  });

  it('latency_1m, noise_1m and canary_10s', async () => {
    const lk = ['minute', 'model', 'primary_version', 'candidate_version'];
    const [lg, lw] = await both('latency_1m', lk, 'toUInt64(sum(scored)) AS scored, max(compute_max_ms) AS compute_max_ms, max(queue_max_ms) AS queue_max_ms');
    same('latency_1m', lg, lw, lk, exact);
    const [lq] = await both('latency_1m', lk, 'quantilesTDigestMerge(0.5, 0.95, 0.99)(compute_ms) AS c, quantilesTDigestMerge(0.5, 0.95, 0.99)(queue_ms) AS q');
    for (const g of lq) {
      const scored = rows.filter((r) => minuteOf(r.event_time) === g.minute && r.model === g.model && r.primary_version === g.primary_version && r.candidate_version === g.candidate_version && r.candidate_scored === 1 && r.candidate_error === 0 && (r.kind === 'compared' || r.kind === 'unmatched_request'));
      withinRank(`latency_1m ${g.minute} compute`, g.c, scored.map((r) => r.candidate_compute_ms));
      withinRank(`latency_1m ${g.minute} queue`, g.q, scored.map((r) => r.candidate_queue_ms));
    }
    const nk = ['minute', 'model', 'primary_version', 'candidate_version', 'dimension', 'value'];
    const [ng, nw] = await both('noise_1m', nk, ['paired', 'both_agree', 'candidate_only_agree', 'reproduced_only_agree', 'neither_agree'].map((c) => `toUInt64(sum(${c})) AS ${c}`).join(', '));
    same('noise_1m', ng, nw, nk, exact);
    const ck = ['bucket', 'model', 'primary_version', 'dimension', 'value'];
    const [cg, cw] = await both('canary_10s', ck, 'toUInt64(sum(answered)) AS answered, toUInt64(sum(errors)) AS errors, toString(sumMap(latency_bins)) AS latency_bins, toString(sumMap(score_bins)) AS score_bins');
    same('canary_10s', cg, cw, ck, exact);
  });

  it('the row-level tables and analyst views', async () => {
    for (const [table, key, select] of [
      ['disagreements', ['request_id', 'agree'], 'count() AS n'],
      ['rejects', ['topic', 'partition', 'offset'], 'count() AS n'],
      ['profile_1m', ['minute', 'dimension', 'value', 'feature', 'cell'], 'toUInt64(sum(n)) AS n'],
      ['confusion_matrix', ['day', 'primary_version', 'candidate_version', 'primary_label', 'candidate_label'], 'toUInt64(sum(requests)) AS requests, toUInt64(sum(agreements)) AS agreements'],
    ] as const) {
      const [g, w] = await both(table, [...key], select);
      same(table, g, w, [...key], exact);
    }
  });

  it('outcomes keeps a full row only where one is read row by row; the ledger holds every record', async () => {
    const [o] = await q<{ n: number }>(`SELECT count() AS n FROM ${store.database}.outcomes`);
    const kept = rows.filter((r) => r.kind !== 'compared' || r.agree === 0 || r.sampled === 1 || r.candidate_error === 1 || r.primary_error === 1);
    assert.ok(rows.some((r) => Object.keys(r.profile).length > 0 && r.kind === 'compared' && r.agree === 1 && r.sampled === 0), 'profiled agreements: counted in profile_1m, no row of their own');
    assert.equal(o!.n, kept.length);
    assert.ok(kept.length < rows.length * 0.5, `${kept.length} of ${rows.length} rows kept`);
    const [l] = await q<{ n: number; req: number; prim: number }>(
      `SELECT count() AS n, countIf(e_ro >= 0) AS req, countIf(e_po >= 0) AS prim FROM ${store.database}.outcome_blocks ARRAY JOIN l_req_offset AS e_ro, l_prim_offset AS e_po WHERE row_type = 'ledger'`,
    );
    assert.equal(l!.n, rows.length);
    assert.equal(l!.req, rows.filter((r) => r.req_offset >= 0).length);
    assert.equal(l!.prim, rows.filter((r) => r.prim_offset >= 0).length);
  });

  it('latency histograms: quantiles read from merged buckets are within 1% of the exact ones', async () => {
    await store.client.command({
      query: `CREATE TABLE ${store.database}.hist_test (minute String, side String, h SimpleAggregateFunction(sumMap, Map(Int16, UInt64))) ENGINE = AggregatingMergeTree ORDER BY (minute, side)`,
    });
    const flushes = Array.from({ length: 5 }, () => new StatsPartials());
    rows.forEach((r, i) => flushes[i % 5]!.add(r));
    for (const f of flushes) {
      const overall = f.rows().filter((c) => c.dimension === '__all__');
      const values = overall.flatMap((c) => [
        { minute: c.minute, side: 'candidate', h: c.candidate_latency_hist },
        { minute: c.minute, side: 'primary', h: c.primary_latency_hist },
      ]);
      await store.client.insert({ table: `${store.database}.hist_test`, values, format: 'JSONEachRow' });
    }
    const levels = [0.5, 0.95, 0.99];
    const got = await q(`SELECT minute, side, ${levels.map((l, i) => `${histogramQuantileSql('sumMap(h)', l)} AS q${i}`).join(', ')} FROM ${store.database}.hist_test GROUP BY minute, side ORDER BY minute, side`);
    let checked = 0;
    for (const g of got) {
      const inMinute = rows.filter((r) => r.kind !== 'reject' && minuteOf(r.event_time) === g.minute);
      const sorted = (g.side === 'candidate'
        ? inMinute.filter((r) => r.candidate_scored === 1).map((r) => r.candidate_latency_ms)
        : inMinute.filter((r) => r.primary_present === 1 && r.kind !== 'duplicate').map((r) => r.primary_latency_ms)
      ).sort((a, b) => a - b);
      levels.forEach((l, i) => {
        const want = sorted[rankOf(l, sorted.length)]!;
        const have = Number(g[`q${i}`]);
        assert.ok(Math.abs(have - want) <= 0.01 * want, `${g.minute} ${g.side} q=${l}: ${have} vs exact ${want}`);
        checked++;
      });
    }
    assert.ok(checked >= 6, `checked ${checked} quantiles`);
  });
});
