import { loadConfig, type Config } from '../config/index.ts';
import { resolveApiToken } from '../ops/api-token.ts';
import { createLogger, type Logger } from '../ops/logger.ts';
import { openStore, type Store } from '../sinks/clickhouse/client.ts';
import { migrate } from '../sinks/clickhouse/migrate.ts';

export interface Context {
  readonly config: Readonly<Config>;
  readonly logger: Logger;
  /** The processor's API token (SHADOW_API_TOKEN, else http.tokenFile), read when first needed. */
  apiToken(): string | null;
}

/** What every command does first: config (file < env), then a root logger. */
export function createContext(values: { config?: string; 'log-level'?: string }): Context {
  const config = loadConfig(values.config ?? 'shadow-compare.yaml', process.env);
  const logger = createLogger({ level: values['log-level'] ?? 'info' });
  let token: string | null | undefined;
  return { config, logger, apiToken: () => (token === undefined ? (token = resolveApiToken(config.http, process.env)) : token) };
}

/** Opens the store and brings its schema up to date; the caller closes it. */
export async function openMigratedStore(ctx: Context): Promise<Store> {
  const store = await openStore(ctx.config.clickhouse);
  const log = ctx.logger.child({ stage: 'migrate' });
  await migrate(store, { log: (m) => log.info(m) });
  return store;
}
