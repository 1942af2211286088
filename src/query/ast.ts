// ClickHouse's own parse of a statement, as `EXPLAIN AST` prints it: one node a line, nesting by
// one leading space per level, e.g. ` Function numbers (alias n) (children 1)`. Only the engine
// parses SQL here; this file reads the engine's answer back into a tree.

export interface AstNode {
  /** The node class: SelectQuery, TableIdentifier, Function, Literal, Set, ... */
  readonly kind: string;
  /** What follows the kind, without the `(alias ...)` and `(children N)` suffixes. */
  readonly detail: string;
  readonly children: AstNode[];
}

const CHILDREN = / \(children \d+\)$/;
const ALIAS = / \(alias [^]*\)$/;

/** Rebuilds the tree from the dump's lines; a dump that is not one well-nested tree is refused. */
export function parseAstDump(lines: readonly string[]): AstNode {
  const root: AstNode = { kind: '#root', detail: '', children: [] };
  const stack: { depth: number; node: AstNode }[] = [{ depth: -1, node: root }];
  for (const raw of lines) {
    if (raw.trim() === '') continue;
    const depth = raw.length - raw.trimStart().length;
    const text = raw.trimStart().replace(CHILDREN, '');
    const space = text.indexOf(' ');
    const kind = space === -1 ? text : text.slice(0, space);
    const rest = space === -1 ? '' : text.slice(space + 1);
    const node: AstNode = { kind, detail: kind === 'Literal' ? rest : rest.replace(ALIAS, ''), children: [] };
    while ((stack.at(-1) as { depth: number }).depth >= depth) stack.pop();
    const parent = stack.at(-1) as { depth: number; node: AstNode };
    if (depth !== parent.depth + 1) throw new Error(`unexpected indentation in the parser's answer: ${JSON.stringify(raw)}`);
    parent.node.children.push(node);
    stack.push({ depth, node });
  }
  if (root.children.length !== 1) throw new Error(`the parser's answer has ${root.children.length} roots`);
  return root.children[0] as AstNode;
}

/** Every node with its parent, depth first. */
export function* walk(node: AstNode, parent: AstNode | null = null): Generator<{ node: AstNode; parent: AstNode | null }> {
  yield { node, parent };
  for (const c of node.children) yield* walk(c, node);
}

/** The first word of a Function node's detail: its name as the parser resolved the quoting. */
export function functionName(node: AstNode): string {
  const space = node.detail.indexOf(' ');
  return space === -1 ? node.detail : node.detail.slice(0, space);
}
