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
  const merged = deepMerge(deepMerge(isObject(raw) ? raw : {}, envOverrides(env)), overrides);
  const config = parseConfig(merged, path);
  return deepFreeze(resolvePaths(config, dirname(resolve(path))));
}

export function parseConfig(input: unknown, source = 'config'): Config {
  const result = ConfigSchema.safeParse(input);
  if (!result.success) throw new ShadowError('SHADOW_CONFIG', formatIssues(result.error, source));
  return result.data;
}

/** One line per problem, each naming the field by its dotted path. The first line is the headline. */
export function formatIssues(error: z.ZodError, source: string): string {
  const lines = error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  return `invalid ${source}: ${lines.join('; ')}`;
}

/** Connection settings only: secrets belong in the environment, not in a committed file. */
function envOverrides(env: Env): Record<string, unknown> {
  const kafka: Record<string, unknown> = {};
  const clickhouse: Record<string, unknown> = {};
  if (env.KAFKA_BROKERS) kafka.brokers = env.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean);
  if (env.KAFKA_SSL) kafka.ssl = env.KAFKA_SSL === '1' || env.KAFKA_SSL === 'true';
  if (env.KAFKA_SASL_USERNAME || env.KAFKA_SASL_PASSWORD) {
    kafka.sasl = {
      mechanism: env.KAFKA_SASL_MECHANISM,
      username: env.KAFKA_SASL_USERNAME,
      password: env.KAFKA_SASL_PASSWORD,
    };
  }
  if (env.CLICKHOUSE_URL) clickhouse.url = env.CLICKHOUSE_URL;
  if (env.CLICKHOUSE_USER) clickhouse.username = env.CLICKHOUSE_USER;
  if (env.CLICKHOUSE_PASSWORD) clickhouse.password = env.CLICKHOUSE_PASSWORD;
  if (env.CLICKHOUSE_DATABASE) clickhouse.database = env.CLICKHOUSE_DATABASE;
  if (env.SHADOW_DATA_DIR) clickhouse.dataDir = env.SHADOW_DATA_DIR;
  const out: Record<string, unknown> = {};
  if (Object.keys(kafka).length) out.kafka = kafka;
  if (Object.keys(clickhouse).length) out.clickhouse = clickhouse;
  return out;
}

// Model paths are relative to the config file (they ship together); the data directory is relative
// to where the processor runs.
function resolvePaths(config: Config, baseDir: string): Config {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const primary = config.primary.path === undefined ? config.primary : { ...config.primary, path: abs(config.primary.path) };
  return { ...config, candidate: { ...config.candidate, path: abs(config.candidate.path) }, primary };
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
