import { functionName, walk, type AstNode } from './ast.ts';
import type { FunctionPolicy } from './function-policy.ts';

// What a /query statement may contain, judged on the engine's own parse. Everything here is an
// allow-list: a node kind, a table function or a function not named here is refused, so a construct
// a new engine version adds is refused until someone decides it is safe.

/** AST node kinds a reading SELECT is made of. `Set` (SETTINGS), `Explain`, writes, ... are not here. */
const NODE_KINDS = new Set([
  'SelectWithUnionQuery', 'SelectIntersectExceptQuery', 'SelectQuery', 'ExpressionList', 'WithElement', 'Subquery',
  'TablesInSelectQuery', 'TablesInSelectQueryElement', 'TableExpression', 'TableJoin', 'ArrayJoin', 'TableIdentifier',
  'Identifier', 'Literal', 'Function', 'Asterisk', 'QualifiedAsterisk', 'ColumnsRegexpMatcher', 'ColumnsListMatcher',
  'QualifiedColumnsRegexpMatcher', 'QualifiedColumnsListMatcher', 'ColumnsTransformerList', 'ColumnsExceptTransformer',
  'ColumnsReplaceTransformer', 'ColumnsApplyTransformer', 'OrderByElement', 'WindowDefinition', 'WindowListElement',
  'InterpolateElement', 'SampleRatio',
]);

/** Table functions a /query may read from, with a cap on their row count argument. */
export const TABLE_FUNCTIONS: Readonly<Record<string, { maxArgs: number }>> = { numbers: { maxArgs: 2 } };

export interface AstPolicy {
  readonly functions: FunctionPolicy;
  /** The FORMAT the runner itself appends (the one Identifier a root may end with). */
  readonly format: string;
  /** The project's database: a qualified table name must be in it, even where it is never read. */
  readonly database: string;
}

/** null when the statement is an allowed read, else the reason it is refused. */
export function checkAst(root: AstNode, policy: AstPolicy): string | null {
  if (root.kind === 'Explain' || root.kind.startsWith('Explain')) return 'EXPLAIN is not allowed here; send the SELECT itself';
  if (root.kind !== 'SelectWithUnionQuery') return `only SELECT statements are allowed here, got ${describeKind(root.kind)}`;
  for (const { node, parent } of walk(root)) {
    if (node.kind === 'SelectWithUnionQuery') {
      const why = checkUnionTail(node, node === root ? policy.format : null);
      if (why) return why;
    }
    if (node.kind === 'Set') return 'a SETTINGS clause is not allowed here (limits and read-only mode are set by the server)';
    if (!NODE_KINDS.has(node.kind)) return `the construct ${node.kind} is not allowed here`;
    // An unused CTE never reaches the query tree (step 3), so qualified names are judged here too.
    if (node.kind === 'TableIdentifier' && node.detail.includes('.') && !node.detail.startsWith(`${policy.database}.`)) {
      return `the table ${node.detail} is outside the database ${policy.database}; only its tables and views can be read here`;
    }
    if (node.kind === 'Function') {
      const why = parent?.kind === 'TableExpression' ? checkTableFunction(node) : policy.functions.check(functionName(node));
      if (why) return why;
    }
  }
  return null;
}

// A SELECT ... UNION node holds its selects in the first child; anything after it is INTO OUTFILE
// (a Literal), FORMAT (an Identifier) or SETTINGS (a Set). Only the runner's own FORMAT may follow.
function checkUnionTail(node: AstNode, format: string | null): string | null {
  const [first, ...tail] = node.children;
  if (first?.kind !== 'ExpressionList') return 'the statement has an unexpected shape';
  for (const [i, c] of tail.entries()) {
    if (c.kind === 'Identifier' && c.detail === format && i === tail.length - 1) continue;
    if (c.kind === 'Literal') return 'INTO OUTFILE is not allowed here';
    if (c.kind === 'Identifier') return 'a FORMAT clause is not allowed here (results are always JSON)';
    if (c.kind === 'Set') return 'a SETTINGS clause is not allowed here (limits and read-only mode are set by the server)';
    return `the clause ${c.kind} is not allowed here`;
  }
  return null;
}

function checkTableFunction(node: AstNode): string | null {
  const name = functionName(node);
  const rule = TABLE_FUNCTIONS[name];
  if (!rule) return `the table function ${name}() is not allowed here; read tables of the project's database (allowed table functions: ${Object.keys(TABLE_FUNCTIONS).join(', ')})`;
  const args = node.children[0]?.children ?? [];
  if (args.length === 0 || args.length > rule.maxArgs || args.some((a) => a.kind !== 'Literal' || !/^(UInt64|Float64)_[0-9.e+]+$/.test(a.detail))) {
    return `${name}() takes 1 to ${rule.maxArgs} numeric literals here`;
  }
  return null;
}

function describeKind(kind: string): string {
  const m = /^(\w+?)(Query)?$/.exec(kind);
  return m ? `${m[1]} (${kind})` : kind;
}

/**
 * The analyzer's resolved query tree (`EXPLAIN QUERY TREE`): every table a statement reads, after
 * CTEs, aliases, `IN table` and parameters are resolved, must be in `database`; table functions must
 * be on the allow-list. null when allowed, else the reason.
 */
export function checkQueryTree(tree: string, database: string): string | null {
  for (const line of tree.split('\n')) {
    const t = /^\s*TABLE id: \d+.*?table_name: (.*?)(?:, [a-z_]+: .*)?$/.exec(line);
    if (t) {
      const name = t[1] as string;
      // system.one is what a SELECT without FROM reads: one row, one constant column.
      if (name !== 'system.one' && !name.startsWith(`${database}.`)) return `the table ${name} is outside the database ${database}; only its tables and views can be read here`;
      continue;
    }
    const f = /^\s*TABLE_FUNCTION id: \d+.*?table_function_name: (\S+)/.exec(line);
    if (f && !TABLE_FUNCTIONS[f[1] as string]) return `the table function ${f[1]}() is not allowed here`;
  }
  return null;
}
