import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/ops/logger.ts';
import { replayFile } from '../../src/pipeline/replay.ts';
import { createSqlScreen, createStoreRunner } from '../../src/query/index.ts';
import { openStore, type Store } from '../../src/sinks/clickhouse/client.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';
import { generateTraffic, loadDataset, writeNdjson } from '../../src/traffic/index.ts';
import { REPO, testConfig } from '../support/config.ts';

/** The ```sql blocks of docs/analyst-queries.md (moved there from the README), verbatim. */
function analystQueries(): string[] {
  const page = readFileSync(join(REPO, 'docs', 'analyst-queries.md'), 'utf8');
  return [...page.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
}

describe('docs/analyst-queries.md', () => {
  const config = testConfig();
  let store: Store;

  before(async () => {
    store = await openStore(config.clickhouse);
    await migrate(store);
    const file = join(mkdtempSync(join(tmpdir(), 'shadow-readme-')), 't.ndjson');
    writeNdjson(file, generateTraffic({ dataset: loadDataset('breast_cancer'), model: 'diagnosis', primaryVersion: 'v9', count: 2000, seed: 3 }).envelopes);
    await replayFile(file, config, store, createLogger({ level: 'warn' }));
  });
  after(() => store.close());

  it('has at least three analyst queries', () => {
    assert.ok(analystQueries().length >= 3, `found ${analystQueries().length}`);
  });

  it('runs every analyst query as written, through the /query screen, and gets rows back', async () => {
    const screen = await createSqlScreen(createStoreRunner(store, { readOnly: true }), { database: store.database, limits: config.http.query, setReadonly: true });
    for (const sql of analystQueries()) {
      const statement = await screen.screen(createStoreRunner(store, { readOnly: true }), sql, {});
      const rs = await store.client.query({ query: statement, format: 'JSONEachRow' });
      const rows = await rs.json<Record<string, unknown>>();
      assert.ok(rows.length > 0, `no rows from:\n${sql}`);
    }
  });
});
