import type { HttpRoutes } from '../ops/http-server.ts';
import { createStoreRunner, handleInsertRequest, handleQueryRequest } from '../query/index.ts';
import type { Store } from '../sinks/clickhouse/client.ts';

/**
 * The processor's read-only window on its store: the embedded engine is locked to this process, so
 * `gate --via` and `status --via` query through here instead of opening the directory.
 */
export function queryRoutes(store: Store): NonNullable<HttpRoutes['post']> {
  const reader = createStoreRunner(store, { readOnly: true });
  const writer = createStoreRunner(store);
  return {
    '/query': (body) => handleQueryRequest(reader, body),
    '/insert': (body) => handleInsertRequest(writer, body),
  };
}
