// Processor-side partials against the store's own per-row materialized view: replay generated
// traffic (the MV fills stats_1m), read the outcome rows back, build partials from them in several
// "flushes", merge those in a sumMap table, and compare cell by cell. Counts must match exactly,
// sums to float precision, latency quantiles within 1% of the exact ones computed from the rows.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { histogramQuantileSql, rankOf } from '../../src/aggregate/log-histogram.ts';
import { StatsPartials, minuteOf } from '../../src/aggregate/stats-partials.ts';
import { createLogger } from '../../src/ops/logger.ts';
import type { OutcomeRow } from '../../src/outcomes/index.ts';
import { replayFile } from '../../src/pipeline/replay.ts';
import { openStore, type Store } from '../../src/sinks/clickhouse/client.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';
import { generateTraffic, loadDataset, writeNdjson } from '../../src/traffic/index.ts';
import { testConfig } from '../support/config.ts';
import { IRREGULAR_TRAFFIC } from '../support/ground-truth.ts';

const COUNTS = ['compared', 'agreements', 'both_ok', 'candidate_errors', 'primary_errors', 'unmatched_requests', 'unmatched_primaries', 'schema_mismatches', 'duplicates', 'candidate_scored', 'primary_answered', 'delta_n'] as const;
const SUMS = ['candidate_cost_usd', 'primary_cost_usd', 'delta_sum', 'delta_abs_sum'] as const;
const KEY = ['minute', 'model', 'primary_version', 'candidate_version', 'dimension', 'value'] as const;

describe('stats partials built in the processor', () => {
  const config = testConfig();
  const dir = mkdtempSync(join(tmpdir(), 'shadow-partials-'));
  let store: Store;
  let rows: OutcomeRow[] = [];

  before(async () => {
    const ds = loadDataset('breast_cancer');
    const traffic = generateTraffic({ dataset: ds, ...IRREGULAR_TRAFFIC, count: 4000, seed: 11 });
    writeNdjson(join(dir, 'traffic.ndjson'), traffic.envelopes);
    store = await openStore(config.clickhouse);
    await migrate(store);
    await replayFile(join(dir, 'traffic.ndjson'), config, store, createLogger({ level: 'warn' }));
    const rs = await store.client.query({
      query: `SELECT * EXCEPT event_time, formatDateTime(event_time, '%Y-%m-%dT%H:%i:%S.000Z') AS event_time FROM ${store.database}.outcomes`,
      format: 'JSONEachRow',
    });
    rows = (await rs.json<OutcomeRow>()).map((r) => ({ ...r, candidate_cost_usd: Number(r.candidate_cost_usd), primary_cost_usd: Number(r.primary_cost_usd) }));
    await store.client.command({
      query: `CREATE TABLE ${store.database}.partials_test (
        ${KEY.map((k) => `${k} String`).join(', ')},
        ${COUNTS.map((k) => `${k} SimpleAggregateFunction(sum, UInt64)`).join(', ')},
        ${SUMS.map((k) => `${k} SimpleAggregateFunction(sum, Float64)`).join(', ')},
        delta_abs_max SimpleAggregateFunction(max, Float64),
        candidate_latency_hist SimpleAggregateFunction(sumMap, Map(Int16, UInt64)),
        primary_latency_hist SimpleAggregateFunction(sumMap, Map(Int16, UInt64))
      ) ENGINE = AggregatingMergeTree ORDER BY (${KEY.join(', ')})`,
    });
  });
  after(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(config.clickhouse.dataDir, { recursive: true, force: true });
  });

  it('equal the materialized view cell by cell, merged from five flushes', async () => {
    assert.ok(rows.length > 4000, `replay wrote ${rows.length} outcome rows`);
    const flushes = Array.from({ length: 5 }, () => new StatsPartials());
    rows.forEach((r, i) => flushes[i % 5]!.add(r));
    for (const f of flushes) await store.client.insert({ table: `${store.database}.partials_test`, values: f.rows(), format: 'JSONEachRow' });

    const agg = [...COUNTS.map((k) => `toUInt64(sum(${k})) AS ${k}`), ...SUMS.map((k) => `sum(${k}) AS ${k}`), 'max(delta_abs_max) AS delta_abs_max'].join(', ');
    const keyCols = `toString(minute) AS minute, model, primary_version, candidate_version, dimension, value`;
    const read = async (table: string) => {
      const rs = await store.client.query({
        query: `SELECT ${keyCols}, ${agg} FROM ${store.database}.${table} GROUP BY ${KEY.join(', ')} ORDER BY ${KEY.join(', ')}`,
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      });
      return rs.json<Record<string, string | number>>();
    };
    const mv = await read('stats_1m');
    const ours = await read('partials_test');
    assert.ok(mv.length > 10, `stats_1m has ${mv.length} cells`);
    assert.equal(ours.length, mv.length, 'the same cells');
    mv.forEach((want, i) => {
      const got = ours[i]!;
      const where = KEY.map((k) => want[k]).join('/');
      for (const k of KEY) assert.equal(got[k], want[k], `${where}: ${k}`);
      for (const k of COUNTS) assert.equal(Number(got[k]), Number(want[k]), `${where}: ${k}`);
      for (const k of [...SUMS, 'delta_abs_max']) {
        const g = Number(got[k]);
        const w = Number(want[k]);
        assert.ok(Math.abs(g - w) <= 1e-9 * Math.max(1, Math.abs(w)), `${where}: ${k} ${g} vs ${w}`);
      }
    });
  });

  it('latency quantiles read from the merged histograms are within 1% of the exact ones', async () => {
    const levels = [0.5, 0.95, 0.99];
    const cols = levels.flatMap((q, i) => [`${histogramQuantileSql('sumMap(candidate_latency_hist)', q)} AS c${i}`, `${histogramQuantileSql('sumMap(primary_latency_hist)', q)} AS p${i}`]);
    const rs = await store.client.query({
      query: `SELECT toString(minute) AS minute, ${cols.join(', ')} FROM ${store.database}.partials_test WHERE dimension = '__all__' GROUP BY minute ORDER BY minute`,
      format: 'JSONEachRow',
    });
    const got = await rs.json<Record<string, string | number | null>>();
    assert.ok(got.length > 0);
    let checked = 0;
    for (const g of got) {
      const inMinute = rows.filter((r) => r.kind !== 'reject' && minuteOf(r.event_time) === g.minute);
      const cand = inMinute.filter((r) => r.candidate_scored === 1).map((r) => r.candidate_latency_ms).sort((a, b) => a - b);
      const prim = inMinute.filter((r) => r.primary_present === 1 && r.kind !== 'duplicate').map((r) => r.primary_latency_ms).sort((a, b) => a - b);
      levels.forEach((q, i) => {
        for (const [name, sorted] of [[`c${i}`, cand], [`p${i}`, prim]] as const) {
          if (sorted.length === 0) continue;
          const want = sorted[rankOf(q, sorted.length)]!;
          const have = Number(g[name]);
          const err = want === 0 ? Math.abs(have) : Math.abs(have - want) / want;
          assert.ok(err <= 0.01, `${g.minute} ${name} q=${q}: ${have} vs exact ${want}`);
          checked++;
        }
      });
    }
    assert.ok(checked >= 6, `checked ${checked} quantiles`);
  });
});
