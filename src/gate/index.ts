// The promotion gate. Input: shadow.stats_1m for one model and candidate version over a window, read
// with the SQL in src/gate/sql/. Output: PROMOTE, HOLD or REJECT with every criterion's measured value,
// bound and threshold. Guarantee: the decision is a pure function of those rows and the thresholds.
export { GateConfigSchema, defaultGateConfig, durationSeconds, type GateConfig } from './config.ts';
export { runGate, type GateRequest, type GateReport, type SingleRequestFigures, type VersionLatency } from './run.ts';
export { evaluateGate, gateWindow } from './decide.ts';
export { recordDecision, decisionRow, type GateDecisionRow } from './audit.ts';
export { formatReport } from './format.ts';
export { loadGateSql, GATE_SQL_DIR } from './sql.ts';
export type * from './types.ts';
