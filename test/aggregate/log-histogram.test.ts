// The latency histogram's promise: quantiles within 1% relative of the exact quantile of the same
// rank, in JS and in the store's SQL over merged partials. Exact quantiles come from sorting.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GAMMA, LogHistogram, bucketOf, histogramQuantileSql, rankOf, representative, ZERO_BUCKET } from '../../src/aggregate/log-histogram.ts';
import { readMigrations } from '../../src/sinks/clickhouse/migrate.ts';
import { openStore, type Store } from '../../src/sinks/clickhouse/client.ts';
import { mulberry32, normal, type Rng } from '../../src/traffic/prng.ts';

const LEVELS = [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1];

function exact(sorted: readonly number[], q: number): number {
  return sorted[rankOf(q, sorted.length)]!;
}

function relErr(got: number, want: number): number {
  return want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want);
}

/** Latency-like test sets: log-normal bodies, heavy tails, many ties, sub-millisecond values and zeros. */
function testSets(rng: Rng): Record<string, number[]> {
  const n = 20_000;
  return {
    lognormal: Array.from({ length: n }, () => Math.exp(2 + 0.8 * normal(rng))),
    pareto: Array.from({ length: n }, () => 5 / Math.pow(1 - rng(), 1 / 1.2)),
    ties: Array.from({ length: n }, () => [1, 2, 5, 10, 250][Math.floor(rng() * 5)]!),
    submillisecond: Array.from({ length: n }, () => 0.001 + rng() * 0.05),
    withZeros: Array.from({ length: n }, () => (rng() < 0.2 ? 0 : 3 + 40 * rng())),
    wide: Array.from({ length: n }, () => Math.pow(10, -3 + 9 * rng())),
  };
}

describe('LogHistogram', () => {
  const sets = testSets(mulberry32(20261202));

  for (const [name, values] of Object.entries(sets)) {
    it(`${name}: every quantile within 1% of the exact one of the same rank`, () => {
      const h = new LogHistogram();
      for (const v of values) h.add(v);
      const sorted = [...values].sort((a, b) => a - b);
      for (const q of LEVELS) {
        const e = relErr(h.quantile(q), exact(sorted, q));
        assert.ok(e <= 0.01, `${name} q=${q}: histogram ${h.quantile(q)} vs exact ${exact(sorted, q)} (${(e * 100).toFixed(3)}%)`);
      }
    });
  }

  it('merging partials equals one histogram of everything, in any order', () => {
    const values = sets.lognormal!;
    const whole = new LogHistogram();
    for (const v of values) whole.add(v);
    const parts = [new LogHistogram(), new LogHistogram(), new LogHistogram()];
    values.forEach((v, i) => parts[i % 3]!.add(v));
    const merged = new LogHistogram();
    for (const p of [parts[2]!, parts[0]!, parts[1]!]) merged.merge(LogHistogram.fromRecord(p.toRecord()));
    assert.deepEqual(sortedRecord(merged.toRecord()), sortedRecord(whole.toRecord()));
    assert.equal(merged.count, values.length);
    for (const q of LEVELS) assert.equal(merged.quantile(q), whole.quantile(q));
  });

  it('buckets bound every value to half a percent, and zero has a bucket of its own', () => {
    for (const v of [1e-5, 0.37, 1, 1.0000001, 7.5, 99.99, 12345, 6e5]) {
      const r = representative(bucketOf(v));
      assert.ok(relErr(r, v) <= 0.005 + 1e-12, `${v} -> ${r}`);
    }
    assert.equal(bucketOf(0), ZERO_BUCKET);
    assert.equal(bucketOf(-3), ZERO_BUCKET);
    assert.equal(bucketOf(NaN), ZERO_BUCKET);
    assert.equal(representative(ZERO_BUCKET), 0);
    assert.ok(bucketOf(1e-5) > ZERO_BUCKET && bucketOf(1e9) < 32768, 'keys fit Int16');
  });

  it('is NaN when empty', () => {
    assert.ok(Number.isNaN(new LogHistogram().quantile(0.5)));
  });
});

function sortedRecord(r: Record<string, number>): [string, number][] {
  return Object.entries(r).sort(([a], [b]) => Number(a) - Number(b));
}

describe('histogramQuantileSql, on the embedded store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shadow-hist-'));
  let store: Store;
  before(async () => {
    store = await openStore({ dataDir: dir, database: 'default', username: 'default', password: '', requestTimeoutMs: 30_000 });
    await store.client.command({
      query: `CREATE TABLE h (k String, h SimpleAggregateFunction(sumMap, Map(Int16, UInt64))) ENGINE = AggregatingMergeTree ORDER BY k`,
    });
  });
  after(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('merged partials in the store give the JS quantiles, within 1% of exact', async () => {
    const sets = testSets(mulberry32(7));
    for (const [name, values] of Object.entries(sets)) {
      // 8 partials per set, as 8 flushes would write them.
      const parts = Array.from({ length: 8 }, () => new LogHistogram());
      values.forEach((v, i) => parts[i % 8]!.add(v));
      await store.client.insert({ table: 'h', values: parts.map((p) => ({ k: name, h: p.toRecord() })), format: 'JSONEachRow' });
    }
    const cols = LEVELS.map((q, i) => `${histogramQuantileSql('sumMap(h)', q)} AS q${i}`).join(', ');
    const rs = await store.client.query({ query: `SELECT k, ${cols} FROM h GROUP BY k ORDER BY k`, format: 'JSONEachRow' });
    const got = await rs.json<Record<string, string | number>>();
    assert.equal(got.length, Object.keys(sets).length);
    for (const row of got) {
      const values = sets[row.k as string]!;
      const sorted = [...values].sort((a, b) => a - b);
      const h = new LogHistogram();
      for (const v of values) h.add(v);
      LEVELS.forEach((q, i) => {
        const sql = Number(row[`q${i}`]);
        assert.ok(relErr(sql, h.quantile(q)) < 1e-9, `${row.k} q=${q}: SQL ${sql} vs JS ${h.quantile(q)}`);
        assert.ok(relErr(sql, exact(sorted, q)) <= 0.01, `${row.k} q=${q}: SQL ${sql} vs exact ${exact(sorted, q)}`);
      });
    }
  });

  it("the block views' bucket representative (migrations 000090, 000091) is the code's, bucket for bucket", async () => {
    // Migrations are fixed SQL and cannot import GAMMA: they spell it as a literal, so a change of
    // RELATIVE_ERROR in the code must fail here instead of skewing every stored latency quantile.
    const form = /if\(b\.1 = (-?\d+), 0, 2 \* pow\(([\d.]+), b\.1\) \/ \(([\d.]+) \+ 1\)\)/g;
    const found = readMigrations().flatMap((m) => [...m.sql.matchAll(form)].map((x) => ({ version: m.version, expr: x[0], zero: Number(x[1]), g: [Number(x[2]), Number(x[3])] })));
    assert.deepEqual([...new Set(found.map((f) => f.version))], [90, 91], 'the expression is where the views build their t-digests');
    assert.equal(found.length, 4, 'two histograms per view');
    const powIn = readMigrations().filter((m) => m.sql.includes('pow(')).map((m) => m.version);
    assert.deepEqual(powIn, [90, 91], 'no other spelling of the representative in a migration');
    const buckets = [ZERO_BUCKET, -1382, -700, -1, 0, 1, 2, 137, 693, 1400, 2100];
    for (const f of found) {
      assert.equal(f.zero, ZERO_BUCKET);
      assert.deepEqual(f.g, [GAMMA, GAMMA]);
      const rs = await store.client.query({ query: `SELECT arrayMap(b -> ${f.expr}, arrayMap(k -> tuple(k, 1), [${buckets.join(', ')}])) AS r`, format: 'JSONEachRow' });
      const [row] = await rs.json<{ r: number[] }>();
      row!.r.forEach((v, i) => {
        const want = representative(buckets[i]!);
        assert.ok(want === 0 ? v === 0 : relErr(v, want) < 1e-12, `migration ${f.version}, bucket ${buckets[i]}: SQL ${v}, code ${want}`);
      });
    }
  });

  it('an empty histogram reads as NaN (JSON has no NaN: the engine writes null)', async () => {
    const rs = await store.client.query({ query: `SELECT ${histogramQuantileSql('map()::Map(Int16, UInt64)', 0.5)} AS q`, format: 'JSONEachRow' });
    const [row] = await rs.json<{ q: number | string | null }>();
    assert.ok(row!.q === null || Number.isNaN(Number(row!.q)), `got ${row!.q}`);
  });
});
