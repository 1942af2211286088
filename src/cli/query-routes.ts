import type { Config } from '../config/index.ts';
import { readDatabase } from '../sinks/clickhouse/cluster.ts';
import type { HttpRoutes } from '../ops/http-server.ts';
import { createQueryHandler, createSqlScreen, createStoreRunner, readSession, handleGateDecision, handlePromotionSync } from '../query/index.ts';
import { syncPromotions } from '../registry/index.ts';
import type { ReadSessions, Store } from '../sinks/clickhouse/client.ts';

/**
 * The processor's POST endpoints (the embedded engine is locked to this process, so `gate --via`,
 * `status --via`, `promote --via` go through here): a screened, limited read endpoint, the gate's
 * audit append, and the registry-to-audit copy. Reads go through `reads`: a session per request, as a
 * read-only server user where one is configured.
 */
export async function queryRoutes(config: Readonly<Config>, store: Store, reads: ReadSessions): Promise<NonNullable<HttpRoutes['post']>> {
  const writer = createStoreRunner(store);
  // Reads (the screen's database, the audit endpoints' duplicate checks) go to the read database: the
  // Distributed tables when a cluster is configured. Inserts go through `writer`, into the local tables.
  const db = readDatabase(config.clickhouse);
  const screen = await createSqlScreen(writer, { database: db, limits: config.http.query, setReadonly: store.mode === 'embedded' });
  return {
    '/query': createQueryHandler({ screen, session: readSession(reads), maxConcurrent: config.http.query.maxConcurrent }),
    '/gate-decisions': (body) => handleGateDecision(writer, db, body),
    '/promotions/sync': (body) =>
      handlePromotionSync((model) => syncPromotions(writer, { registryPath: config.registry.path, database: db, backend: config.registry.backend, model }), body),
  };
}
