import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  abortCanary, modelEntry, promoteCanary, requestBucket, routeVersion, startCanary, stepCanary, syncPromotions, type ProductionRecord, type Registry,
} from '../../src/registry/index.ts';
import { createStoreRunner } from '../../src/query/index.ts';
import { openStore } from '../../src/sinks/clickhouse/client.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';
import { openBrokerRegistry, until, type BrokerRegistry } from '../support/registry-broker.ts';

// The canary weight in the production flag, on a real broker: start, step, abort and promote are flag
// flips a serving-side subscriber sees, audited with their weight and the time to the flip.

const actor = 'tester';

let fx: BrokerRegistry;
let reg: Registry;

before(async () => {
  fx = await openBrokerRegistry({ name: 'canary-flags', actor });
  reg = fx.reg;
});

after(() => fx.close());

describe('canary in the registry', () => {
  it('publishes start, step, abort and promote as flips a watchProduction subscriber sees; abort within 5 s', async () => {
    const seen: ProductionRecord[] = [];
    await fx.watch('diagnosis', seen);
    await startCanary(reg, { model: 'diagnosis', version: 'v10', stepsPercent: [1, 5, 25, 50, 100], stepDurationMs: 60_000, minComparisonsPerStep: 500, actor, reason: 'try v10' });
    await until('the canary at 1%', () => seen.at(-1)?.canary?.weight === 0.01);
    assert.equal(seen.at(-1)?.version, 'v9');
    assert.equal(seen.at(-1)?.canary?.version, 'v10');
    await stepCanary(reg, { model: 'diagnosis', advance: true, actor, reason: 'step passed' });
    await until('the canary at 5%', () => seen.at(-1)?.canary?.weight === 0.05);
    const t0 = performance.now();
    await abortCanary(reg, { model: 'diagnosis', actor, reason: 'error rate up in BR' });
    await until('weight 0', () => seen.at(-1)?.action === 'canary-abort');
    const seenMs = performance.now() - t0;
    console.log(`# canary abort seen by the subscriber after ${seenMs.toFixed(0)} ms`);
    assert.ok(seenMs < 5_000, `abort seen after ${seenMs} ms`);
    assert.equal(seen.at(-1)?.canary ?? null, null, 'weight 0: no canary in the record');
    assert.equal(modelEntry(reg.path, 'diagnosis').canary?.status, 'aborted');
    await assert.rejects(stepCanary(reg, { model: 'diagnosis', advance: true, actor, reason: '' }), /no running canary/);

    await startCanary(reg, { model: 'diagnosis', version: 'v10', stepsPercent: [50, 100], stepDurationMs: 1, minComparisonsPerStep: 1, actor, reason: 'again' });
    await promoteCanary(reg, { model: 'diagnosis', actor, reason: '' });
    await until('v10 in production', () => seen.at(-1)?.version === 'v10');
    assert.equal(seen.at(-1)?.canary ?? null, null);
    assert.equal(modelEntry(reg.path, 'diagnosis').canary ?? null, null);
  });

  it('refuses a canary of the production version, an unregistered one, or a second running canary', async () => {
    await assert.rejects(startCanary(reg, { model: 'diagnosis', version: 'v10', stepsPercent: [1, 100], stepDurationMs: 1, minComparisonsPerStep: 1, actor, reason: '' }), /already the production version/);
    await assert.rejects(startCanary(reg, { model: 'diagnosis', version: 'v99', stepsPercent: [1, 100], stepDurationMs: 1, minComparisonsPerStep: 1, actor, reason: '' }), /v99 is not registered/);
    await startCanary(reg, { model: 'diagnosis', version: 'v9', stepsPercent: [1, 100], stepDurationMs: 1, minComparisonsPerStep: 1, actor, reason: '' });
    await assert.rejects(startCanary(reg, { model: 'diagnosis', version: 'v9', stepsPercent: [1, 100], stepDurationMs: 1, minComparisonsPerStep: 1, actor, reason: '' }), /already has a canary running/);
    await abortCanary(reg, { model: 'diagnosis', actor, reason: 'cleanup' });
  });

  it('audits every change in promotions with its weight and the time to the flip', async () => {
    const store = await openStore({ dataDir: join(fx.dir, 'data'), database: 'shadow', username: 'default', password: '', requestTimeoutMs: 30_000 });
    try {
      await migrate(store);
      const runner = createStoreRunner(store);
      await syncPromotions(runner, { registryPath: reg.path, database: 'shadow', backend: 'kafka', model: 'diagnosis' });
      const rows = await runner.query<{ action: string; to_version: string; weight: number; flip_ms: number }>(
        "SELECT action, to_version, weight, flip_ms FROM shadow.promotions WHERE model = 'diagnosis' ORDER BY at",
      );
      assert.deepEqual(rows.map((r) => `${r.action} ${r.to_version} ${Number(r.weight)}`), [
        'promote v9 0', 'canary-start v10 0.01', 'canary-step v10 0.05', 'canary-abort v10 0', 'canary-start v10 0.5', 'promote v10 0',
        'canary-start v9 0.01', 'canary-abort v9 0',
      ]);
      assert.ok(rows.every((r) => Number(r.flip_ms) >= 0 && Number(r.flip_ms) < 30_000));
    } finally {
      await store.close();
    }
  });
});

describe('traffic split', () => {
  const record = (weight: number): ProductionRecord => ({
    model: 'diagnosis', version: 'v9', artifact: { path: 'a9', sha256: 'x', sizeBytes: 1 }, featureSchemaVersion: '1', action: 'canary-step',
    previous: null, at: '', actor: '', promotionId: '', canary: { version: 'v10', weight, artifact: { path: 'a10', sha256: 'y', sizeBytes: 1 } },
  });
  const ids = Array.from({ length: 20_000 }, (_, i) => `req-${i}`);

  it('routes the canary its share, the same request always the same way, and keeps canary requests on the canary as the weight grows', () => {
    const at5 = ids.filter((id) => routeVersion(record(0.05), id).version === 'v10');
    const at25 = new Set(ids.filter((id) => routeVersion(record(0.25), id).version === 'v10'));
    assert.ok(Math.abs(at5.length / ids.length - 0.05) < 0.006, `${at5.length}`);
    assert.ok(Math.abs(at25.size / ids.length - 0.25) < 0.012, `${at25.size}`);
    for (const id of at5) assert.ok(at25.has(id), `${id} left the canary when the weight grew`);
    assert.deepEqual(ids.slice(0, 50).map((id) => routeVersion(record(0.05), id).version), ids.slice(0, 50).map((id) => routeVersion(record(0.05), id).version));
    assert.equal(routeVersion({ ...record(0.5), canary: null }, 'any').version, 'v9');
    assert.equal(routeVersion(record(1), 'any').artifact.path, 'a10');
    // Pinned (FNV-1a of "diagnosis:req-1" mod 10,000, as docs/client.md computes it in Python): a change
    // of hash would move live traffic between versions.
    assert.equal(requestBucket('diagnosis', 'req-1'), 0.3742);
    assert.equal(requestBucket('diagnosis', 'abc'), 0.138);
  });
});
