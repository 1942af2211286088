import type { CommandEntry } from './command.ts';

// Loaded on use: `run` should not pay for (or be broken by) the registry's imports, and `--help`
// should not load onnxruntime.
/** Every CLI command, in the order `--help` lists them. */
export const commands: readonly CommandEntry[] = [
  { name: 'demo', summary: 'replay bundled sample traffic through the bundled models into embedded ClickHouse', load: async () => (await import('./demo.ts')).demoCommand },
  { name: 'run', summary: 'run the Kafka processor (consumer group -> candidate scoring -> join -> ClickHouse)', load: async () => (await import('./run.ts')).runCommand },
  { name: 'replay', summary: 'run the pipeline over an NDJSON file of requests and primary outputs (no Kafka)', load: async () => (await import('./replay.ts')).replayCommand },
  { name: 'migrate', summary: 'apply the ClickHouse schema migrations in schemas/clickhouse/', load: async () => (await import('./migrate.ts')).migrateCommand },
  { name: 'traffic', summary: 'mirror generated sample traffic into the Kafka topics, in real time', load: async () => (await import('./traffic.ts')).trafficCommand },
  { name: 'gate', summary: 'decide PROMOTE / HOLD / REJECT for a candidate from shadow.stats_1m', load: async () => (await import('./gate.ts')).gateCommand },
  { name: 'register', summary: 'record a model version (artifact, sha256, signature) in the registry', load: async () => (await import('./register.ts')).registerCommand },
  { name: 'promote', summary: 'make a version the production version (optionally only if the gate passes)', load: async () => (await import('./promote.ts')).promoteCommand },
  { name: 'rollback', summary: 'return a model to its previous production version', load: async () => (await import('./rollback.ts')).rollbackCommand },
  { name: 'features', summary: 'register a feature schema version, or make one the schema serving uses', load: async () => (await import('./features.ts')).featuresCommand },
  { name: 'canary', summary: 'route a share of traffic to a version, judge it per segment, ramp or abort', load: async () => (await import('./canary.ts')).canaryCommand },
  { name: 'guard', summary: 'after a promotion, gate the demoted version continuously and roll back on REJECT', load: async () => (await import('./guard.ts')).guardCommand },
  { name: 'diagnose', summary: 'explain a segment that moved: feature pipeline problem, world changed or candidate regression', load: async () => (await import('./diagnose.ts')).diagnoseCommand },
  { name: 'status', summary: 'show production, candidates and promotion history of a model', load: async () => (await import('./status.ts')).statusCommand },
  { name: 'ready', summary: 'check the rollback-readiness list for a model', load: async () => (await import('./ready.ts')).readyCommand },
];
