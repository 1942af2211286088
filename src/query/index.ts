// Query access for the gate, status and the registry's audit: one QueryRunner interface, backed by the
// ClickHouse store or by a running processor's HTTP endpoint, plus the pure handlers that endpoint calls.
export { INSERTABLE_TABLES, isInsertableTable, type QueryRunner, type InsertableTable } from './runner.ts';
export { createStoreRunner, type StoreRunnerOptions } from './store-runner.ts';
export { createHttpRunner, type HttpRunnerOptions } from './http-runner.ts';
export { handleQueryRequest, handleInsertRequest, type EndpointResponse } from './handler.ts';
export { assertReadOnlySql } from './read-only.ts';
export { openQueryRunner, type OpenedRunner } from './open.ts';
