/**
 * What the gate, status and registry audit need from ClickHouse, and nothing more: run a SELECT with
 * query parameters, insert rows into a table of the configured database. Two implementations: the
 * store itself (chDB or a server) and a running processor's HTTP endpoint (for when `shadow-compare
 * run` holds the embedded data directory).
 */
export interface QueryRunner {
  /** Rows as JSON objects. `params` fill `{name:Type}` placeholders (ClickHouse query parameters). */
  query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  /** `table` is a bare table name; the runner qualifies it with its database. */
  insert(table: string, rows: object[]): Promise<void>;
  /** Where the queries go, for messages: a directory, a server URL or a processor URL. */
  readonly location: string;
}

