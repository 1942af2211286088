import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAstDump } from '../../src/query/ast.ts';
import { createFunctionPolicy, type FunctionRow } from '../../src/query/function-policy.ts';
import { checkAst, checkQueryTree } from '../../src/query/screen-policy.ts';

// The pure half of the /query screen: reading the engine's EXPLAIN AST / QUERY TREE answers back and
// judging them. The dumps below are what chDB 3.4 (engine 26.7) printed for the statements named.

const FUNCTIONS: FunctionRow[] = [
  { name: 'count', is_aggregate: 1, case_insensitive: 1, alias_to: '', categories: 'Aggregate Functions' },
  { name: 'quantilesTDigest', is_aggregate: 1, case_insensitive: 0, alias_to: '', categories: 'Aggregate Functions' },
  { name: 'equals', is_aggregate: 0, case_insensitive: 0, alias_to: '', categories: 'Comparison' },
  { name: 'file', is_aggregate: 0, case_insensitive: 0, alias_to: '', categories: 'Other' },
  { name: 'dictGet', is_aggregate: 0, case_insensitive: 0, alias_to: '', categories: 'Dictionary' },
  { name: 'DAY', is_aggregate: 0, case_insensitive: 1, alias_to: 'toDayOfMonth', categories: '' },
  { name: 'toDayOfMonth', is_aggregate: 0, case_insensitive: 0, alias_to: '', categories: 'Dates and Times' },
  { name: 'fullHostName', is_aggregate: 0, case_insensitive: 0, alias_to: 'FQDN', categories: '' },
  { name: 'FQDN', is_aggregate: 0, case_insensitive: 1, alias_to: '', categories: 'Other' },
];
const functions = createFunctionPolicy(FUNCTIONS, ['If', 'State', 'Merge', 'MergeState', 'OrNull']);
const policy = { functions, format: 'JSONEachRow', database: 'shadow' };

// SELECT count() AS n FROM shadow.stats_1m AS s JOIN numbers(10) AS k ON ... FORMAT JSONEachRow
const ALLOWED_DUMP = [
  'SelectWithUnionQuery (children 2)',
  ' ExpressionList (children 1)',
  '  SelectQuery (children 2)',
  '   ExpressionList (children 1)',
  '    Function count (alias n) (children 1)',
  '     ExpressionList',
  '   TablesInSelectQuery (children 2)',
  '    TablesInSelectQueryElement (children 1)',
  '     TableExpression (children 1)',
  '      TableIdentifier shadow.stats_1m (alias s)',
  '    TablesInSelectQueryElement (children 2)',
  '     TableExpression (children 1)',
  '      Function numbers (alias k) (children 1)',
  '       ExpressionList (children 1)',
  '        Literal UInt64_10',
  '     TableJoin',
  ' Identifier JSONEachRow',
];

function dump(lines: string[]) {
  return parseAstDump(lines);
}

describe('EXPLAIN AST dump', () => {
  it('rebuilds the tree by indentation and strips alias and children suffixes', () => {
    const root = dump(ALLOWED_DUMP);
    assert.equal(root.kind, 'SelectWithUnionQuery');
    assert.equal(root.children.length, 2);
    const fn = root.children[0]?.children[0]?.children[0]?.children[0];
    assert.deepEqual([fn?.kind, fn?.detail], ['Function', 'count']);
    const table = root.children[0]?.children[0]?.children[1]?.children[0]?.children[0]?.children[0];
    assert.deepEqual([table?.kind, table?.detail], ['TableIdentifier', 'shadow.stats_1m']);
  });

  it('keeps a literal whole even when it looks like a suffix', () => {
    const root = dump(['SelectWithUnionQuery (children 1)', ' Literal \'x (alias y)\'']);
    assert.equal(root.children[0]?.detail, "'x (alias y)'");
  });

  it('refuses a dump that is not one well-nested tree', () => {
    assert.throws(() => dump(['A', 'B']), /2 roots/);
    assert.throws(() => dump(['A', '   B']), /unexpected indentation/);
  });
});

describe('AST policy', () => {
  it('accepts a read of project tables with an allowed table function and the runner\'s FORMAT', () => {
    assert.equal(checkAst(dump(ALLOWED_DUMP), policy), null);
  });

  const refusals: [string, string[], RegExp][] = [
    ['a table function off the list', ['SelectWithUnionQuery (children 1)', ' ExpressionList (children 1)', '  SelectQuery (children 1)', '   TablesInSelectQuery (children 1)', '    TablesInSelectQueryElement (children 1)', '     TableExpression (children 1)', '      Function file (children 1)', '       ExpressionList (children 1)', "        Literal '/etc/passwd'"], /table function file\(\) is not allowed/],
    ['numbers() with a non-literal argument', ['SelectWithUnionQuery (children 1)', ' ExpressionList (children 1)', '  SelectQuery (children 1)', '   TablesInSelectQuery (children 1)', '    TablesInSelectQueryElement (children 1)', '     TableExpression (children 1)', '      Function numbers (children 1)', '       ExpressionList (children 1)', '        Identifier x'], /numbers\(\) takes 1 to 2 numeric literals/],
    ['a scalar function of category Other', ['SelectWithUnionQuery (children 1)', ' ExpressionList (children 1)', '  SelectQuery (children 1)', '   ExpressionList (children 1)', '    Function file (children 1)', '     ExpressionList (children 1)', "      Literal 'x'"], /function file\(\) is not allowed here \(category "Other"/],
    ['a dictionary function', ['SelectWithUnionQuery (children 1)', ' ExpressionList (children 1)', '  SelectQuery (children 1)', '   ExpressionList (children 1)', '    Function dictGet (children 1)'], /dictGet\(\) is not allowed/],
    ['an alias of a refused function', ['SelectWithUnionQuery (children 1)', ' ExpressionList (children 1)', '  SelectQuery (children 1)', '   ExpressionList (children 1)', '    Function fullHostName'], /fullHostName\(\) is not allowed/],
    ['a function the engine does not list', ['SelectWithUnionQuery (children 1)', ' ExpressionList (children 1)', '  SelectQuery (children 1)', '   ExpressionList (children 1)', '    Function sneaky'], /sneaky\(\) is not one the engine lists/],
    ['SETTINGS inside a subquery', ['SelectWithUnionQuery (children 1)', ' ExpressionList (children 1)', '  SelectQuery (children 2)', '   ExpressionList (children 1)', '    Literal UInt64_1', '   Set'], /SETTINGS clause is not allowed/],
    ['INTO OUTFILE', ['SelectWithUnionQuery (children 3)', ' ExpressionList (children 1)', '  SelectQuery (children 1)', ' Literal \'/tmp/x\'', ' Identifier JSONEachRow'], /INTO OUTFILE is not allowed/],
    ['a FORMAT of the caller\'s', ['SelectWithUnionQuery (children 2)', ' ExpressionList (children 1)', '  SelectQuery (children 1)', ' Identifier TabSeparated'], /FORMAT clause is not allowed/],
    ['an EXPLAIN', ['Explain (children 1)', ' SelectWithUnionQuery (children 1)'], /EXPLAIN is not allowed/],
    ['an INSERT', ['InsertQuery (children 1)'], /only SELECT statements are allowed here, got Insert \(InsertQuery\)/],
    ['a table of another database, even in a CTE the query never reads', ['SelectWithUnionQuery (children 1)', ' ExpressionList (children 1)', '  SelectQuery (children 2)', '   ExpressionList (children 1)', '    WithElement (children 1)', '     Subquery (children 1)', '      SelectWithUnionQuery (children 1)', '       ExpressionList (children 1)', '        SelectQuery (children 1)', '         TablesInSelectQuery (children 1)', '          TablesInSelectQueryElement (children 1)', '           TableExpression (children 1)', '            TableIdentifier system.users'], /system\.users is outside the database shadow/],
    ['an unknown node kind', ['SelectWithUnionQuery (children 1)', ' ExpressionList (children 1)', '  SelectQuery (children 1)', '   SomethingNew'], /construct SomethingNew is not allowed/],
  ];
  for (const [what, lines, message] of refusals) {
    it(`refuses ${what}`, () => {
      const why = checkAst(dump(lines), policy);
      assert.ok(why, `accepted ${what}`);
      assert.match(why, message);
    });
  }
});

describe('function policy', () => {
  it('allows by category, through aliases, case-insensitively where the engine is, and with combinators', () => {
    for (const name of ['count', 'COUNT', 'countIf', 'quantilesTDigestMerge', 'quantilesTDigestMergeState', 'countOrNullIf', 'equals', 'DAY', 'day', 'lambda']) {
      assert.equal(functions.check(name), null, name);
    }
  });

  it('refuses case variants of case-sensitive names and combinators on non-aggregates', () => {
    assert.ok(functions.check('Equals'));
    assert.ok(functions.check('fileIf'));
    assert.ok(functions.check('FILE'));
  });
});

describe('query tree policy', () => {
  it('accepts tables of the project database, system.one and numbers()', () => {
    const tree = [
      'QUERY id: 0',
      '  JOIN TREE',
      '    JOIN id: 6, strictness: ALL, kind: INNER',
      '      LEFT TABLE EXPRESSION',
      '        TABLE id: 9, alias: __table2, table_name: shadow.stats_1m',
      '      RIGHT TABLE EXPRESSION',
      '        TABLE_FUNCTION id: 5, alias: __table3, table_function_name: numbers',
      '        TABLE id: 10, table_name: system.one',
    ].join('\n');
    assert.equal(checkQueryTree(tree, 'shadow'), null);
  });

  it('refuses a table of another database wherever it appears, e.g. the right side of IN', () => {
    const tree = ['QUERY id: 0', '  WHERE', '    FUNCTION id: 4, function_name: in', '          TABLE id: 6, alias: __table2, table_name: system.users'].join('\n');
    assert.match(checkQueryTree(tree, 'shadow') ?? '', /system\.users is outside the database shadow/);
    assert.match(checkQueryTree('        TABLE id: 3, table_name: shadow_other.t', 'shadow') ?? '', /outside the database/);
    assert.match(checkQueryTree('        TABLE_FUNCTION id: 5, table_function_name: url', 'shadow') ?? '', /table function url\(\)/);
  });
});
