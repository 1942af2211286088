import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { queryRoutes } from '../../src/cli/query-routes.ts';
import { runDiagnose } from '../../src/diagnose/index.ts';
import { startHttpServer } from '../../src/ops/http-server.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { Metrics } from '../../src/ops/metrics.ts';
import { createHttpRunner, createStoreRunner } from '../../src/query/index.ts';
import { openReadSessions, openStore, type Store } from '../../src/sinks/clickhouse/client.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';
import { testConfig } from '../support/config.ts';
import { REFERENCE, WINDOW, replayAndDiagnose } from './scenario.ts';

// `diagnose --via`: while `run` holds the embedded store, diagnose reads through the processor's POST
// /query, whose screen allows only known functions and tables. Every diagnose query must pass it, and
// the verdict must be the one read from the store directly.

const TOKEN = 'diagnose-via-test-token-0123456789';
const logger = createLogger({ level: 'warn' });

describe('diagnose through a running processor (--via)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shadow-diagnose-via-'));
  const dataDir = join(dir, 'data');
  const config = testConfig({ clickhouse: { dataDir } });
  let store: Store;
  let url: string;
  let close: () => Promise<void>;

  before(async () => {
    store = await openStore(config.clickhouse);
    await migrate(store);
    const server = await startHttpServer(
      '127.0.0.1',
      0,
      { metrics: new Metrics(), ready: () => true, token: TOKEN, post: await queryRoutes(config, store, await openReadSessions(config.clickhouse, store)) },
      createLogger({ level: 'silent' }),
    );
    url = server.url;
    close = server.close;
  });
  after(async () => {
    await close?.();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes the /query screen and gives the verdict the store gives', async () => {
    const direct = await replayAndDiagnose(dir, dataDir, store, logger, {
      name: 'via', primaryVersion: 'v10', seed: 1516, referenceCount: 3000, windowCount: 2000,
      effects: { nullFeature: { dimension: 'country', value: 'BR', feature: 'mean_texture', rate: 0.3 } },
      labels: true,
    });
    assert.ok(direct.findings.length > 0, 'the scenario flags something, so the comparison means something');
    const viaHttp = await runDiagnose(createHttpRunner(url, { token: TOKEN }), { database: store.database, model: 'diagnosis', candidate: 'v10-via', window: WINDOW, reference: REFERENCE });
    assert.deepEqual(viaHttp, direct);
  });
});
