import { ShadowError } from '../errors.ts';

// A screen for SQL that arrives over the processor's HTTP port. It exists because the embedded engine
// cannot be asked to be read-only per query: chDB applies settings session-wide (see store-runner.ts)
// and executes every statement of a `;`-separated string, so `SELECT 1; DROP TABLE x` would drop the
// table. The screen works on tokens outside string literals and comments, never on raw text.

/** Statements that only read. */
const READ_KEYWORDS = new Set(['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN', 'EXISTS']);

/**
 * Functions that read files, reach the network or run programs. A SELECT may call them and still
 * be "read-only" to ClickHouse, which is not what an analyst endpoint on the processor should allow.
 */
const DENIED_FUNCTIONS = new Set(
  [
    'file', 'fileCluster', 'url', 'urlCluster', 's3', 's3Cluster', 'gcs', 'hdfs', 'hdfsCluster', 'azureBlobStorage',
    'azureBlobStorageCluster', 'remote', 'remoteSecure', 'cluster', 'clusterAllReplicas', 'mysql', 'postgresql',
    'mongodb', 'redis', 'sqlite', 'odbc', 'jdbc', 'executable', 'executablePool', 'input', 'python', 'iceberg',
    'deltaLake', 'hudi', 'arrowFlight', 'ytsaurus',
  ].map((f) => f.toLowerCase()),
);

interface Token {
  readonly word: string; // upper-cased identifier or keyword, or a single punctuation character
  readonly pos: number;
}

/** Throws SHADOW_INPUT unless `sql` is one statement that only reads from tables. */
export function assertReadOnlySql(sql: string): void {
  const tokens = tokenize(sql);
  const semi = tokens.findIndex((t) => t.word === ';');
  if (semi !== -1 && semi !== tokens.length - 1) refuse('send one statement per request (found ";" followed by more SQL)');
  const first = tokens.find((t) => t.word !== '(');
  if (!first || !READ_KEYWORDS.has(first.word)) {
    refuse(`only ${[...READ_KEYWORDS].join(', ')} statements are allowed here, got "${first?.word ?? ''}"`);
  }
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.word === 'INTO' && tokens[i + 1]?.word === 'OUTFILE') refuse('INTO OUTFILE writes a file and is not allowed here');
    if (tokens[i + 1]?.word === '(' && DENIED_FUNCTIONS.has(t.word.toLowerCase())) {
      refuse(`the function ${t.word.toLowerCase()}() reads outside the database and is not allowed here`);
    }
  }
}

function refuse(message: string): never {
  throw new ShadowError('SHADOW_INPUT', `read-only query endpoint: ${message}`);
}

/** Words and punctuation outside quotes and comments (ClickHouse lexical rules: '', "", ``, --, #, /* *\/). */
export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i] as string;
    if (/\s/.test(c)) i++;
    else if (c === "'" || c === '"' || c === '`') i = skipQuoted(sql, i, c);
    else if (c === '-' && sql[i + 1] === '-') i = skipLine(sql, i);
    else if (c === '#') i = skipLine(sql, i);
    else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
    } else if (/[A-Za-z_]/.test(c)) {
      const start = i;
      while (i < n && /[A-Za-z0-9_$]/.test(sql[i] as string)) i++;
      out.push({ word: sql.slice(start, i).toUpperCase(), pos: start });
    } else if (/[0-9]/.test(c)) {
      while (i < n && /[A-Za-z0-9_.]/.test(sql[i] as string)) i++;
    } else {
      out.push({ word: c, pos: i });
      i++;
    }
  }
  return out;
}

function skipQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (c === '\\') i += 2;
    else if (c === quote && sql[i + 1] === quote) i += 2; // doubled quote escapes itself
    else if (c === quote) return i + 1;
    else i++;
  }
  return i;
}

function skipLine(sql: string, start: number): number {
  const end = sql.indexOf('\n', start);
  return end === -1 ? sql.length : end + 1;
}
