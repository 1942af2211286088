// Query access for the gate, status and the registry's audit: one QueryRunner interface, backed by the
// ClickHouse store or by a running processor's HTTP endpoint, plus the handlers that endpoint calls.
export { type QueryRunner } from './runner.ts';
export { createStoreRunner, readSession, type StoreRunnerOptions } from './store-runner.ts';
export { createHttpRunner, type HttpRunnerOptions } from './http-runner.ts';
export { createQueryHandler, type EndpointResponse, type QueryEndpoint } from './handler.ts';
export { handleGateDecision, handlePromotionSync, GateDecisionBody } from './audit-endpoints.ts';
export { createSqlScreen, limitsClause, RESULT_FORMAT, type SqlScreen, type QueryLimits } from './sql-screen.ts';
export { openQueryRunner, type OpenedRunner } from './open.ts';
