import { readFileSync, existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ShadowError, errorMessage } from '../errors.ts';
import { ConfigSchema, type Config } from './schema.ts';

export type Env = Record<string, string | undefined>;

/** Loads, overrides from the environment, validates and freezes. Precedence: defaults < file < env < overrides. */
export function loadConfig(path: string, env: Env = {}, overrides: Record<string, unknown> = {}): Readonly<Config> {
  if (!existsSync(path)) {
    throw new ShadowError('SHADOW_CONFIG', `config file not found: ${path} (pass --config FILE)`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ShadowError('SHADOW_CONFIG', `config file ${path} is not valid YAML/JSON: ${errorMessage(err)}`, { cause: err });
  }
  const fromEnv = envOverrides(env);
  const merged = deepMerge(deepMerge(isObject(raw) ? raw : {}, fromEnv.values), overrides);
  const config = parseConfig(merged, `config file ${path}`, fromEnv.sources);
  return deepFreeze(resolvePaths(config, dirname(resolve(path)), fromEnv.sources));
}

/** Dotted config path -> the environment variable its value came from. */
export type EnvSources = ReadonlyMap<string, string>;

export function parseConfig(input: unknown, source = 'config', envSources: EnvSources = new Map()): Config {
  const result = ConfigSchema.safeParse(input);
  if (!result.success) throw new ShadowError('SHADOW_CONFIG', formatIssues(result.error, source, envSources));
  return result.data;
}

/**
 * One line, one clause per problem, each naming the field by its dotted path; a field whose value
 * came from an environment variable names the variable, so the file is not blamed for it.
 */
export function formatIssues(error: z.ZodError, source: string, envSources: EnvSources = new Map()): string {
  const issues = error.issues.map((i) => {
    const dotted = i.path.map(String).join('.');
    return { where: dotted || '(root)', variable: envVariableFor(dotted, envSources), message: i.message };
  });
  const lines = issues.map((i) => (i.variable ? `${i.where} (from environment variable ${i.variable}): ${i.message}` : `${i.where}: ${i.message}`));
  const fromEnvOnly = issues.every((i) => i.variable !== undefined);
  return `invalid ${fromEnvOnly ? 'environment' : source}: ${lines.join('; ')}`;
}

/** The variable that set `dotted` or one of its parents (kafka.brokers.0 came from KAFKA_BROKERS). */
function envVariableFor(dotted: string, sources: EnvSources): string | undefined {
  for (let p = dotted; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const v = sources.get(p);
    if (v) return v;
  }
  return undefined;
}

/** Connection settings only: secrets belong in the environment, not in a committed file. */
function envOverrides(env: Env): { values: Record<string, unknown>; sources: Map<string, string> } {
  const kafka: Record<string, unknown> = {};
  const clickhouse: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  const set = (section: Record<string, unknown>, prefix: string, key: string, variable: string, value: unknown) => {
    section[key] = value;
    sources.set(`${prefix}.${key}`, variable);
  };
  if (env.KAFKA_BROKERS) set(kafka, 'kafka', 'brokers', 'KAFKA_BROKERS', env.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean));
  if (env.KAFKA_SSL) set(kafka, 'kafka', 'ssl', 'KAFKA_SSL', env.KAFKA_SSL === '1' || env.KAFKA_SSL === 'true');
  if (env.KAFKA_SASL_USERNAME || env.KAFKA_SASL_PASSWORD) {
    kafka.sasl = { mechanism: env.KAFKA_SASL_MECHANISM, username: env.KAFKA_SASL_USERNAME, password: env.KAFKA_SASL_PASSWORD };
    sources.set('kafka.sasl.mechanism', 'KAFKA_SASL_MECHANISM');
    sources.set('kafka.sasl.username', 'KAFKA_SASL_USERNAME');
    sources.set('kafka.sasl.password', 'KAFKA_SASL_PASSWORD');
  }
  if (env.CLICKHOUSE_URL) set(clickhouse, 'clickhouse', 'url', 'CLICKHOUSE_URL', env.CLICKHOUSE_URL);
  if (env.CLICKHOUSE_USER) set(clickhouse, 'clickhouse', 'username', 'CLICKHOUSE_USER', env.CLICKHOUSE_USER);
  if (env.CLICKHOUSE_PASSWORD) set(clickhouse, 'clickhouse', 'password', 'CLICKHOUSE_PASSWORD', env.CLICKHOUSE_PASSWORD);
  if (env.CLICKHOUSE_READ_USER) set(clickhouse, 'clickhouse', 'readUsername', 'CLICKHOUSE_READ_USER', env.CLICKHOUSE_READ_USER);
  if (env.CLICKHOUSE_READ_PASSWORD) set(clickhouse, 'clickhouse', 'readPassword', 'CLICKHOUSE_READ_PASSWORD', env.CLICKHOUSE_READ_PASSWORD);
  if (env.CLICKHOUSE_DATABASE) set(clickhouse, 'clickhouse', 'database', 'CLICKHOUSE_DATABASE', env.CLICKHOUSE_DATABASE);
  if (env.SHADOW_DATA_DIR) set(clickhouse, 'clickhouse', 'dataDir', 'SHADOW_DATA_DIR', env.SHADOW_DATA_DIR);
  const values: Record<string, unknown> = {};
  if (Object.keys(kafka).length) values.kafka = kafka;
  if (Object.keys(clickhouse).length) values.clickhouse = clickhouse;
  return { values, sources };
}

/**
 * One rule for relative paths: a path written in the config file (or left at its default) resolves
 * against the config file's directory, so a config and the files it names move together and a
 * command behaves the same from any working directory. A path from an environment variable
 * (SHADOW_DATA_DIR) resolves against the working directory, like any path typed in a shell.
 */
function resolvePaths(config: Config, baseDir: string, envSources: EnvSources): Config {
  const at = (dotted: string, p: string) => (isAbsolute(p) ? p : resolve(envSources.has(dotted) ? process.cwd() : baseDir, p));
  const opt = (dotted: string, p: string | undefined) => (p === undefined ? undefined : at(dotted, p));
  const ssl = config.kafka.ssl;
  return {
    ...config,
    candidate: { ...config.candidate, path: at('candidate.path', config.candidate.path) },
    primary: config.primary.path === undefined ? config.primary : { ...config.primary, path: at('primary.path', config.primary.path) },
    clickhouse: { ...config.clickhouse, dataDir: at('clickhouse.dataDir', config.clickhouse.dataDir) },
    registry: { ...config.registry, path: at('registry.path', config.registry.path) },
    kafka: typeof ssl === 'object' ? { ...config.kafka, ssl: { ...ssl, ca: opt('kafka.ssl.ca', ssl.ca), cert: opt('kafka.ssl.cert', ssl.cert), key: opt('kafka.ssl.key', ssl.key) } } : config.kafka,
    ...(config.runbook === undefined ? {} : { runbook: at('runbook', config.runbook) }),
    ...(config.alerts === undefined ? {} : { alerts: { ...config.alerts, rulesFile: at('alerts.rulesFile', config.alerts.rulesFile) } }),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = isObject(b) && isObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
