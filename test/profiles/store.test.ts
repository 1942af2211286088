import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/ops/logger.ts';
import { replayFile } from '../../src/pipeline/replay.ts';
import { createStoreRunner } from '../../src/query/index.ts';
import { openStore, type Store } from '../../src/sinks/clickhouse/client.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';
import { generateTraffic, loadDataset, writeNdjson } from '../../src/traffic/index.ts';
import { testConfig } from '../support/config.ts';

// Profiles ride the outcome row's fenced insert: profile_1m must equal a recount from outcomes and from
// the generated traffic itself, and a second replay of the same file must add nothing.

describe('profiles in the store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shadow-profiles-'));
  const dataDir = join(dir, 'data');
  let store: Store;
  before(async () => {
    store = await openStore(testConfig({ clickhouse: { dataDir } }).clickhouse);
    await migrate(store);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts each profiled request once per segment value and feature, and a replay adds nothing', async () => {
    const ds = loadDataset('breast_cancer');
    const t = generateTraffic({ dataset: ds, model: 'diagnosis', primaryVersion: 'v9', count: 3000, seed: 77, nullFeature: { dimension: 'country', value: 'BR', feature: 'mean_texture', rate: 0.5 } });
    const file = join(dir, 'traffic.ndjson');
    writeNdjson(file, t.envelopes);
    const config = testConfig({ clickhouse: { dataDir }, primary: { reproduce: false }, profiles: { sampleRate: 1, specs: { mean_radius: { min: 6.981, max: 28.11 } } } });
    const q = createStoreRunner(store);
    const profile = () => q.query<{ dimension: string; feature: string; cell: string; n: number }>(
      "SELECT dimension, feature, cell, toUInt64(sum(n)) AS n FROM shadow.profile_1m GROUP BY dimension, feature, cell ORDER BY dimension, feature, cell",
    );
    await replayFile(file, config, store, createLogger({ level: 'warn' }));
    const first = await profile();
    const all = first.filter((r) => r.dimension === '__all__' && r.feature === 'mean_radius').reduce((s, r) => s + Number(r.n), 0);
    // Every request with features that is not a duplicate or a reject is profiled: one per distinct request.
    assert.equal(all, t.counts.requests);
    const nulls = first.find((r) => r.dimension === '__all__' && r.feature === 'mean_texture' && r.cell === 'null');
    const truthNulls = t.envelopes.filter((e, i) => e.stream === 'requests' && t.truth.some((x) => x.request_index === i) && typeof e.payload === 'object' && (e.payload as { features: Record<string, unknown> }).features.mean_texture === null).length;
    assert.ok(truthNulls > 100);
    assert.equal(Number(nulls?.n), truthNulls);
    const scored = first.filter((r) => r.dimension === '__all__' && r.feature === '@candidate_score').reduce((s, r) => s + Number(r.n), 0);
    const both = await q.query<{ n: number }>(
      "SELECT toUInt64(count()) AS n FROM shadow.outcome_blocks ARRAY JOIN l_kind AS k, l_flags AS f WHERE row_type = 'ledger' AND k = 'compared' AND NOT bitTest(f, 1) AND NOT bitTest(f, 2)",
    );
    assert.equal(scored, Number(both[0]!.n));
    await replayFile(file, config, store, createLogger({ level: 'warn' }));
    assert.deepEqual(await profile(), first, 'a second replay adds nothing');
  });
});
