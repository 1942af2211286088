import { COMMON_HELP, parseFlags, type Command } from './command.ts';
import { createContext } from './context.ts';
import { openStore } from '../sinks/clickhouse/client.ts';
import { clusterLayout } from '../sinks/clickhouse/cluster.ts';
import { migrate } from '../sinks/clickhouse/migrate.ts';

export const migrateCommand: Command = {
  help: `Usage: shadow-compare migrate [options]

Applies schemas/clickhouse/NNNNNN_*.sql in order, skipping those recorded in <database>.schema_migrations.
Safe to run repeatedly. Targets the embedded engine unless CLICKHOUSE_URL is set.

Options:
${COMMON_HELP}`,
  async run(argv) {
    const { values } = parseFlags(argv, {}, false);
    const ctx = createContext(values);
    const store = await openStore(ctx.config.clickhouse);
    try {
      const applied = await migrate(store, { log: (m) => ctx.logger.info({ stage: 'migrate' }, m), cluster: clusterLayout(ctx.config.clickhouse) });
      process.stdout.write(`${applied.length} migration(s) applied to ${store.mode} ClickHouse at ${store.location}\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
};
