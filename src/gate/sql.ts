import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSql } from '../sinks/clickhouse/migrate.ts';

/** The gate's SQL, kept as readable files users can run and audit (src/gate/sql/*.sql). */
export const GATE_SQL_DIR = join(import.meta.dirname, 'sql');

export type GateSqlName = 'window_totals' | 'sub_windows' | 'latency' | 'noise' | 'labels' | 'labels_summary' | 'status_candidates' | 'status_decisions' | 'known_versions';

/** Read on call (nothing happens at import time); `${db}` becomes the configured database. */
export function loadGateSql(name: GateSqlName, database: string): string {
  return renderSql(readFileSync(join(GATE_SQL_DIR, `${name}.sql`), 'utf8'), database);
}
