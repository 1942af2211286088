import { COMMON_HELP, intFlag, parseFlags, type Command } from './command.ts';
import { existsSync } from 'node:fs';
import { createContext, openMigratedStore } from './context.ts';
import { withGuardCandidate } from '../guard/candidate.ts';
import { modelEntry } from '../registry/index.ts';
import { ShadowError } from '../errors.ts';
import { startProcessor } from '../pipeline/run-kafka.ts';
import { queryRoutes } from './query-routes.ts';
import { isLoopbackHost } from '../ops/api-token.ts';
import { openReadSessions } from '../sinks/clickhouse/client.ts';
import { faultPlanFromEnv, injectLedgerFaults, injectSinkFaults } from '../ops/fault-injection.ts';

const FORCE_EXIT_MS = 30_000;

export const runCommand: Command = {
  help: `Usage: shadow-compare run [options]

Consumes config.kafka.topics.requests and .primaries as group config.kafka.groupId, scores with the
candidate, joins, and writes to ClickHouse. HTTP on config.http.port: /metrics, /healthz, /readyz (open)
and, with Authorization: Bearer $SHADOW_API_TOKEN, a screened read-only POST /query, POST /gate-decisions
and POST /promotions/sync (so gate/status/promote --via work while this process holds the embedded store).
A non-loopback http.host requires a token (SHADOW_API_TOKEN or http.tokenFile).
SIGTERM/SIGINT drain: write and commit everything consumed, then exit; a second signal, or ${FORCE_EXIT_MS / 1000} s, forces exit.

Options:
      --port N        HTTP port (overrides config.http.port; 0 picks a free port)
${COMMON_HELP}`,
  async run(argv) {
    const { values } = parseFlags(argv, { port: { type: 'string' } }, false);
    const port = values.port === undefined ? undefined : intFlag('port', values.port, 0, 0);
    if (port !== undefined && port > 65535) throw new ShadowError('SHADOW_CONFIG', `--port: expected 0..65535, got "${values.port}"`);
    const ctx = createContext(values);
    const configured = port === undefined ? ctx.config : { ...ctx.config, http: { ...ctx.config.http, port } };
    // guard.enabled: the candidate is the version the last promotion demoted (reverse shadow).
    const config = configured.guard.enabled && existsSync(configured.registry.path) ? withGuardCandidate(configured, modelEntry(configured.registry.path, configured.model)) : configured;
    if (config !== configured) {
      ctx.logger.warn({ stage: 'run', candidate: config.candidate.version, path: config.candidate.path }, 'guard on: shadowing the demoted version as the candidate');
    }
    const token = ctx.apiToken();
    if (!token && !isLoopbackHost(config.http.host)) {
      throw new ShadowError(
        'SHADOW_CONFIG',
        `http.host is ${config.http.host}, reachable from other machines, and no API token is set: set SHADOW_API_TOKEN ` +
          '(e.g. `export SHADOW_API_TOKEN=$(openssl rand -hex 32)`) or http.tokenFile, or bind http.host to 127.0.0.1',
      );
    }
    const store = await openMigratedStore(ctx);
    const reads = await openReadSessions(config.clickhouse, store);
    const log = ctx.logger.child({ stage: 'run' });
    if (store.mode === 'server' && !reads.dedicated) {
      log.warn('POST /query reads with the writer\'s ClickHouse user: set clickhouse.readUsername (CLICKHOUSE_READ_USER) to a SELECT-only user (docs/security.md)');
    }
    const faults = faultPlanFromEnv(process.env);
    const proc = await startProcessor(config, store, ctx.logger, {
      post: await queryRoutes(config, store, reads),
      token,
      ...(faults ? { wrapSink: injectSinkFaults(faults, ctx.logger), wrapLedger: injectLedgerFaults(faults), fence: !faults.disableFence, storeFence: !faults.disableStoreFence } : {}),
    });
    log.info({ http: proc.httpUrl, topics: config.kafka.topics, groupId: config.kafka.groupId }, 'processor running');
    const signalled = new Promise<string>((resolve) => {
      let count = 0;
      const onSignal = (sig: string) => {
        if (++count > 1) {
          log.warn('second signal: forcing exit without drain');
          process.exit(130);
        }
        resolve(sig);
      };
      process.on('SIGTERM', () => onSignal('SIGTERM'));
      process.on('SIGINT', () => onSignal('SIGINT'));
    });
    const reason = await Promise.race([signalled, proc.fatal.then((e) => `fatal ${e.code}`)]);
    log.info({ reason }, 'draining');
    const force = setTimeout(() => {
      log.error('drain timed out: forcing exit');
      process.exit(1);
    }, FORCE_EXIT_MS);
    force.unref();
    try {
      await proc.stop();
    } finally {
      await reads.close();
      await store.close();
    }
    log.info('stopped cleanly');
    return reason.startsWith('fatal') ? 1 : 0;
  },
};
