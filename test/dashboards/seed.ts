// Seeds an embedded store the way production fills it (a helper, not a test file): generated mirrored
// traffic with event times over the last ~100 minutes replayed through the real pipeline, one real
// gate decision (src/gate runGate + recordDecision), and real registry flips (file backend, a canary
// included, with v10 serving a share of the traffic) recorded in shadow.promotions. Every table a
// dashboard, alert rule or analyst view reads then has rows "now".
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultGateConfig, recordDecision, runGate } from '../../src/gate/index.ts';
import { ingestLabelFile } from '../../src/labels/index.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { replayFile } from '../../src/pipeline/replay.ts';
import { createStoreRunner, type QueryRunner } from '../../src/query/index.ts';
import { abortCanary, promoteVersion, recordPromotion, registerVersion, rollbackVersion, startCanary, stepCanary, type Registry } from '../../src/registry/index.ts';
import { openStore, type Store } from '../../src/sinks/clickhouse/client.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';
import { generateTraffic, loadDataset, writeNdjson, type Traffic } from '../../src/traffic/index.ts';
import { REPO, testConfig } from '../support/config.ts';

export const MODEL = 'diagnosis';
export const CANDIDATE = 'v10';
export const PRIMARY = 'v9';

export interface Seeded {
  readonly store: Store;
  readonly runner: QueryRunner;
  readonly traffic: Traffic;
  readonly now: Date;
  readonly cleanup: () => Promise<void>;
}

export async function seedThroughPipeline(opts: { count?: number } = {}): Promise<Seeded> {
  const dir = mkdtempSync(join(tmpdir(), 'shadow-dashboards-'));
  // A larger agreement sample than production's 1 % so the feature contrast has rows to compare.
  // primary.path: the primary's artifact is re-scored, so the noise-floor table (noise_1m) has rows too.
  const config = testConfig({
    clickhouse: { dataDir: join(dir, 'data') },
    sink: { agreementSampleRate: 0.2 },
    // Every request profiled (production default 0.1), so the diagnosis panels and rules have volume.
    profiles: { sampleRate: 1 },
    primary: { path: join(REPO, `fixtures/models/${MODEL}/${PRIMARY}.onnx`) },
  });
  const now = new Date();
  const count = opts.count ?? 3000;
  const traffic = generateTraffic({
    dataset: loadDataset('breast_cancer'),
    model: MODEL,
    primaryVersion: PRIMARY,
    count,
    seed: 20261125,
    startTime: now.getTime() - 100 * 60_000,
    ratePerSec: count / (95 * 60), // ends ~5 minutes before now: inside every "last hour" window
    invalidRate: 0.02,
    duplicateRate: 0.02,
    missingPrimaryRate: 0.05,
    primaryErrorRate: 0.02,
  });
  // A canary: v10 served a share of the same period (its own request ids), so canary_10s has both versions.
  const canary = generateTraffic({
    dataset: loadDataset('breast_cancer'), model: MODEL, primaryVersion: CANDIDATE, count: Math.round(count / 10), seed: 20261126,
    startTime: now.getTime() - 100 * 60_000, ratePerSec: count / 10 / (95 * 60), idPrefix: 'canary-', primaryErrorRate: 0.04,
  });
  const file = join(dir, 'traffic.ndjson');
  writeNdjson(file, [...traffic.envelopes, ...canary.envelopes]);
  // Late labels: the data set's truth for every request, so label_accuracy_daily has rows.
  const targets = loadDataset('breast_cancer').targets!;
  appendFileSync(file, `${traffic.truth.map((r) => JSON.stringify({ stream: 'labels', key: r.request_id, payload: { request_id: r.request_id, model: MODEL, label: targets[r.row], label_time: now.toISOString() } })).join('\n')}\n`);
  const store = await openStore(config.clickhouse);
  await migrate(store);
  const logger = createLogger({ level: 'warn' });
  await replayFile(file, config, store, logger);
  await ingestLabelFile(file, store, { model: MODEL });
  const runner = createStoreRunner(store);

  const gate = await runGate(runner, { model: MODEL, candidate: CANDIDATE, database: store.database, config: defaultGateConfig(), end: now, now });
  await recordDecision(runner, gate, { actor: 'dashboards-test', source: 'embedded' });

  let tick = now.getTime() - 90 * 60_000;
  const reg: Registry = { path: join(dir, 'registry.json'), backend: 'file', publisher: null, now: () => new Date((tick += 10 * 60_000)) };
  const actor = 'dashboards-test';
  for (const v of [PRIMARY, CANDIDATE]) {
    await registerVersion(reg, { model: MODEL, version: v, artifactPath: join(REPO, `fixtures/models/${MODEL}/${v}.onnx`), featureSchemaVersion: '1', actor });
  }
  const flips = [
    await promoteVersion(reg, { model: MODEL, version: PRIMARY, actor, reason: 'initial production version' }),
    await promoteVersion(reg, { model: MODEL, version: CANDIDATE, actor, reason: 'shadow comparison looked good', gateDecisionId: gate.decisionId }),
    await rollbackVersion(reg, { model: MODEL, actor, reason: 'rollback drill' }),
    await startCanary(reg, { model: MODEL, version: CANDIDATE, stepsPercent: [1, 5, 100], stepDurationMs: 60_000, minComparisonsPerStep: 100, actor, reason: 'canary' }),
    await stepCanary(reg, { model: MODEL, advance: true, actor, reason: 'step 1/3 passed at 1%' }),
    await abortCanary(reg, { model: MODEL, actor, reason: 'country=BR: error rate up' }),
  ];
  for (const f of flips) await recordPromotion(runner, f, 'file');

  return {
    store,
    runner,
    traffic,
    now,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
