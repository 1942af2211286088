import { ShadowError, errorMessage } from '../errors.ts';
import { parseAstDump, type AstNode } from './ast.ts';
import { createFunctionPolicy, type FunctionRow } from './function-policy.ts';
import type { QueryRunner } from './runner.ts';
import { checkAst, checkQueryTree } from './screen-policy.ts';

// The gate in front of the processor's /query endpoint. The engine itself parses the statement
// (never a tokenizer of ours), the parse is judged against allow-lists (screen-policy.ts), and what
// runs is exactly the engine's own rendering of what was judged, with the server's limits appended.
//
//  1. formatQuery(sql) with the SQL as a bound parameter: refuses a second statement and anything
//     that does not parse, without executing it, and yields a canonical text free of comments.
//  2. EXPLAIN AST of that text: node kinds, functions and table functions against allow-lists;
//     no SETTINGS, FORMAT or INTO OUTFILE.
//  3. EXPLAIN QUERY TREE of the text plus limits: after CTEs, aliases, `IN table` and parameters
//     are resolved, every table must be in the project's database. Run only after step 2, because
//     analysing a table function may already read from it.

/** The JSON output format the runner appends to every query (clickhouse-js adds `FORMAT <it>`). */
export const RESULT_FORMAT = 'JSONEachRow';

export interface QueryLimits {
  readonly maxExecutionSeconds: number;
  readonly maxMemoryBytes: number;
  readonly maxResultRows: number;
  readonly maxResultBytes: number;
  readonly maxThreads: number;
}

export interface SqlScreen {
  /**
   * The statement to run for `sql`, limits appended; throws SHADOW_INPUT (403) when refused. `runner`
   * is the session the statement will run on: the engine judges it there.
   */
  screen(runner: QueryRunner, sql: string, params: Record<string, unknown>): Promise<string>;
}

export interface SqlScreenOptions {
  readonly database: string;
  readonly limits: QueryLimits;
  /**
   * Append `readonly=1` to every statement. The embedded engine has no users, so this is where read-only
   * is set; a server's read user has it in its profile and cannot change it (see docs/security.md).
   */
  readonly setReadonly: boolean;
}

/**
 * Reads the engine's function catalogue once, through `catalogue` (the store's own user: a SELECT-only
 * read user may not see the system database), so new engine functions are judged by category.
 */
export async function createSqlScreen(catalogue: QueryRunner, opts: SqlScreenOptions): Promise<SqlScreen> {
  const [rows, combinators] = await Promise.all([
    catalogue.query<FunctionRow>('SELECT name, is_aggregate, case_insensitive, alias_to, categories FROM system.functions'),
    catalogue.query<{ name: string }>('SELECT name FROM system.aggregate_function_combinators'),
  ]);
  const functions = createFunctionPolicy(rows, combinators.map((c) => c.name));
  const limits = limitsClause(opts.limits, opts.setReadonly);
  const parseLimits = limitsClause({ ...opts.limits, maxExecutionSeconds: Math.min(5, opts.limits.maxExecutionSeconds) }, opts.setReadonly);

  async function engine<T>(runner: QueryRunner, what: string, sql: string, params: Record<string, unknown>): Promise<T[]> {
    try {
      return await runner.query<T>(sql, params);
    } catch (err) {
      throw refusal(`${what}: ${cleanEngineMessage(errorMessage(err))}`, err);
    }
  }

  // The runner appends `FORMAT JSONEachRow` once more: the first one is parsed into the explained
  // statement (as it will be when it runs), the last one formats EXPLAIN's own output.
  async function explainAst(runner: QueryRunner, canonical: string, params: Record<string, unknown>): Promise<AstNode> {
    try {
      const rows = await runner.query<{ explain: string }>(`EXPLAIN AST ${canonical}\nFORMAT ${RESULT_FORMAT}`, params);
      if (rows.length === 0 || rows.some((r) => typeof r.explain !== 'string')) throw new Error('no syntax tree came back');
      return parseAstDump(rows.map((r) => r.explain));
    } catch (err) {
      // Refused whatever the cause; these put the usual causes in words. A statement with its own
      // FORMAT no longer parses once ours is appended; EXPLAIN applies a statement's SETTINGS to
      // itself (which a read-only server refuses); an EXPLAIN of an EXPLAIN answers in another shape.
      if (/^EXPLAIN\b/i.test(canonical)) throw refusal('EXPLAIN is not allowed here; send the SELECT itself');
      if (!/^(SELECT|WITH|\()/i.test(canonical)) throw refusal(`only SELECT statements are allowed here, got ${canonical.split(/\s/)[0]}`);
      if (/\nFORMAT \S+$/.test(canonical)) throw refusal('a FORMAT clause is not allowed here (results are always JSON)');
      if (/\nSETTINGS /.test(canonical)) throw refusal('a SETTINGS clause is not allowed here (limits and read-only mode are set by the server)');
      throw refusal(`the statement could not be analysed: ${cleanEngineMessage(errorMessage(err))}`, err);
    }
  }

  return {
    async screen(runner, sql, params) {
      const [formatted] = await engine<{ f: string }>(
        runner,
        'the statement does not parse as one ClickHouse statement',
        `SELECT formatQuery({__shadow_sql:String}) AS f ${parseLimits}`,
        { __shadow_sql: sql },
      );
      const canonical = formatted?.f.trim() ?? '';
      if (!canonical) throw refusal('empty statement');
      const root = await explainAst(runner, canonical, params);
      const astWhy = checkAst(root, { functions, format: RESULT_FORMAT, database: opts.database });
      if (astWhy) throw refusal(astWhy);
      const statement = `${canonical}\n${limits}`;
      const tree = await engine<{ explain: string }>(runner, 'the statement could not be resolved', `EXPLAIN QUERY TREE ${statement}`, params);
      const treeWhy = checkQueryTree(tree.map((r) => r.explain).join('\n'), opts.database);
      if (treeWhy) throw refusal(treeWhy);
      return statement;
    },
  };
}

/** The SETTINGS clause every /query statement ends with. Query-level, so nothing else inherits it. */
export function limitsClause(l: QueryLimits, setReadonly: boolean): string {
  const s = [
    `max_execution_time = ${l.maxExecutionSeconds}`,
    `max_memory_usage = ${l.maxMemoryBytes}`,
    `max_result_rows = ${l.maxResultRows}`,
    `max_result_bytes = ${l.maxResultBytes}`,
    `result_overflow_mode = 'throw'`,
    `max_threads = ${l.maxThreads}`,
    ...(setReadonly ? ['readonly = 1'] : []),
  ];
  return `SETTINGS ${s.join(', ')}`;
}

function refusal(message: string, cause?: unknown): ShadowError {
  return new ShadowError('SHADOW_INPUT', `read-only query endpoint: ${message}`, cause === undefined ? {} : { cause });
}

// Engine messages quote the statement back ("In scope SELECT formatQuery('...')"): keep the reason,
// drop the echo, and never pass on a stack.
function cleanEngineMessage(message: string): string {
  return message
    .replace(/^ClickHouse \S+ failed: /, '')
    .replace(/\s*in scope [^]*$/i, '')
    .replace(/\s*Stack trace[^]*$/i, '')
    .replace(/\s*SETTINGS max_execution_time[^]*$/, '')
    .trim()
    .slice(0, 300);
}
