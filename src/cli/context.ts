import { statSync } from 'node:fs';
import { loadConfig, type Config } from '../config/index.ts';
import { ShadowError } from '../errors.ts';
import { resolveApiToken } from '../ops/api-token.ts';
import { LOG_LEVELS, createLogger, type Logger } from '../ops/logger.ts';
import { readRegistry } from '../registry/index.ts';
import { openStore, type Store } from '../sinks/clickhouse/client.ts';
import { clusterLayout } from '../sinks/clickhouse/cluster.ts';
import { migrate } from '../sinks/clickhouse/migrate.ts';

export interface Context {
  readonly config: Readonly<Config>;
  readonly logger: Logger;
  /** The processor's API token (SHADOW_API_TOKEN, else http.tokenFile), read when first needed. */
  apiToken(): string | null;
}

/** What every command does first: config (defaults < file < env), then a root logger on stderr. */
export function createContext(values: { config?: string; 'log-level'?: string }, overrides: Record<string, unknown> = {}): Context {
  const level = values['log-level'] ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ShadowError('SHADOW_CONFIG', `--log-level: expected one of ${LOG_LEVELS.join('|')}, got "${level}"`);
  }
  const config = loadConfig(values.config ?? 'shadow-compare.yaml', process.env, overrides);
  const logger = createLogger({ level, pretty: process.stderr.isTTY === true });
  let token: string | null | undefined;
  return { config, logger, apiToken: () => (token === undefined ? (token = resolveApiToken(config.http, process.env)) : token) };
}

/**
 * Everything a scoring command reads besides the store, checked before the store is opened or
 * migrated: a typo in a path must not leave a half-set-up database behind it.
 */
export function checkInputs(config: Readonly<Config>): void {
  checkModelFile(config.candidate.path);
  readRegistry(config.registry.path); // throws SHADOW_REGISTRY naming the file when it is unreadable
}

function checkModelFile(path: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
    throw new ShadowError('SHADOW_MODEL', `candidate.path: model file ${path} ${why} (a relative path resolves against the config file's directory)`, { cause: err });
  }
  if (!isFile) throw new ShadowError('SHADOW_MODEL', `candidate.path: ${path} is not a file; point it at an .onnx model`);
}

/** Checks the inputs, then opens the store and brings its schema up to date; the caller closes it. */
export async function openMigratedStore(ctx: Context): Promise<Store> {
  checkInputs(ctx.config);
  // Timed, so a slow start-up says which part was slow (one CI run spent a minute here, unexplained).
  const t0 = Date.now();
  const store = await openStore(ctx.config.clickhouse);
  const log = ctx.logger.child({ stage: 'migrate' });
  log.info({ ms: Date.now() - t0, mode: store.mode }, 'store opened');
  try {
    const t1 = Date.now();
    const applied = await migrate(store, { log: (m) => log.info(m), cluster: clusterLayout(ctx.config.clickhouse) });
    log.info({ ms: Date.now() - t1, applied: applied.length }, 'migrations done');
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  return store;
}
