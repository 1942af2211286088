// Configuration: one YAML/JSON file validated by one zod schema, connection settings overridable
// from the environment. Output: a frozen Config; an invalid file fails with the field's dotted path.
export { ConfigSchema, type Config, type TaskConfig, type KafkaConfig, type ClickHouseConfig } from './schema.ts';
export { loadConfig, parseConfig, formatIssues, deepMerge, type Env } from './load.ts';
