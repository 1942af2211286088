import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { loadConfig } from '../../src/config/index.ts';
import { createQueryHandler, createSqlScreen, createStoreRunner, readSession, type EndpointResponse, type QueryRunner } from '../../src/query/index.ts';
import { openReadSessions, openStore, type Store } from '../../src/sinks/clickhouse/client.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';
import { REPO } from '../support/config.ts';
import { startStoreServer, type StoreServer } from '../support/store-server.ts';

// Hostile SQL against the /query handler, on the embedded engine and through the server code path
// (CLICKHOUSE_URL, here the test store server: the real engine behind ClickHouse's HTTP interface).
// The table-function part of the corpus is generated from the engine's own system.table_functions,
// so a table function a new engine version adds is tried here the day it appears.

const LIMITS = loadConfig(join(REPO, 'shadow-compare.yaml')).http.query;
const CLICKHOUSE = loadConfig(join(REPO, 'shadow-compare.yaml')).clickhouse;

interface Target {
  readonly name: string;
  store: Store;
  handle: (body: unknown) => Promise<EndpointResponse>;
  runner: QueryRunner;
  close(): Promise<void>;
}

/** The handler as `run` builds it (src/cli/query-routes.ts): a read session per request. */
async function target(name: string, open: () => Promise<{ store: Store; close: () => Promise<void> }>): Promise<Target> {
  const { store, close } = await open();
  await migrate(store);
  const runner = createStoreRunner(store);
  const screen = await createSqlScreen(runner, { database: 'shadow', limits: LIMITS, setReadonly: store.mode === 'embedded' });
  const reads = await openReadSessions({ ...CLICKHOUSE, url: store.mode === 'server' ? store.location : undefined, dataDir: store.location }, store);
  return { name, store, runner, handle: createQueryHandler({ screen, session: readSession(reads), maxConcurrent: 64 }), close };
}

const targets: Target[] = [];
let server: StoreServer;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shadow-corpus-'));
  const cfg = { database: 'shadow', username: 'default', password: '', requestTimeoutMs: 30_000 };
  targets.push(
    await target('embedded', async () => {
      const store = await openStore({ ...cfg, dataDir: join(dir, 'data') });
      return { store, close: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
    }),
  );
  server = await startStoreServer();
  targets.push(
    await target('server', async () => {
      const store = await openStore({ ...cfg, url: server.url, dataDir: join(dir, 'unused') });
      return { store, close: async () => { await store.close(); await server.stop(); } };
    }),
  );
});

after(async () => {
  for (const t of targets) await t.close();
});

function mixedCase(s: string): string {
  return [...s].map((c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())).join('');
}

/** The fixed part of the corpus: each entry must be refused, with a message matching its pattern. */
// system.users: a server refuses even to analyse it for a user without SHOW USERS, which is a refusal too.
const USERS = /system\.users is outside the database shadow|Not enough privileges/;
const FIXED: [string, RegExp][] = [
  // comments inside names
  ["SELECT * FROM fi/**/le('/etc/passwd', 'LineAsString')", /does not parse|not allowed/],
  ["SELECT * FROM `fi/**/le`('/etc/passwd', 'LineAsString')", /not allowed|not one the engine lists|does not parse/],
  ["SELECT * FROM /* x */ file /* y */ ('/etc/passwd', 'LineAsString')", /table function file\(\) is not allowed/],
  ["SELECT * FROM file -- x\n('/etc/passwd', 'LineAsString')", /table function file\(\) is not allowed/],
  // subqueries and CTEs
  ["SELECT * FROM (SELECT * FROM file('/etc/passwd', 'LineAsString'))", /table function file\(\) is not allowed/],
  ["WITH x AS (SELECT * FROM url('http://127.0.0.1:1/', 'CSV')) SELECT * FROM x", /table function url\(\) is not allowed/],
  ['WITH x AS (SELECT name FROM system.users) SELECT * FROM x', USERS],
  ['SELECT (SELECT count() FROM system.users)', USERS],
  ['SELECT * FROM shadow.stats_1m WHERE model IN (SELECT name FROM system.users)', USERS],
  ['SELECT * FROM shadow.stats_1m WHERE model IN system.users', USERS],
  ['SELECT * FROM shadow.stats_1m AS s JOIN system.users AS u ON 1 = 1', USERS],
  ['SELECT 1 UNION ALL SELECT name FROM system.users', USERS],
  // SETTINGS overrides
  ['SELECT 1 SETTINGS readonly = 0', /SETTINGS clause is not allowed/],
  ['SELECT count() FROM numbers(10) SETTINGS max_execution_time = 100000', /SETTINGS clause is not allowed/],
  ['SELECT * FROM (SELECT 1 SETTINGS max_memory_usage = 0)', /SETTINGS clause is not allowed/],
  ['SELECT 1 UNION ALL SELECT 2 SETTINGS max_result_rows = 0', /SETTINGS clause is not allowed/],
  ['SET readonly = 0', /only SELECT statements|could not be analysed/],
  // system.*
  ['SELECT * FROM system.users', USERS],
  ['SELECT * FROM SYSTEM.tables', /outside the database|Unknown/],
  ['SELECT * FROM `system`.`tables`', /system\.tables is outside/],
  ['SELECT * FROM "system"."processes"', /system\.processes is outside/],
  ['SELECT * FROM system.settings', /system\.settings is outside/],
  ['SELECT * FROM {d:Identifier}.tables', /system\.tables is outside/],
  // another database
  ['SELECT * FROM INFORMATION_SCHEMA.TABLES', /outside the database shadow/],
  ['SELECT * FROM information_schema.columns', /outside the database shadow/],
  ['SELECT * FROM default.anything', /outside the database shadow|Unknown table/],
  ['SELECT * FROM stats_1m', /Unknown table|outside/],
  // dictionaries
  ["SELECT dictGet('d', 'a', toUInt64(1))", /dictGet\(\) is not allowed/],
  ["SELECT dictHas('d', toUInt64(1))", /dictHas\(\) is not allowed/],
  ["SELECT * FROM dictionary('d')", /table function dictionary\(\) is not allowed/],
  ["SELECT regionToName(toUInt32(1))", /regionToName\(\) is not allowed/],
  // functions reading outside the data
  ["SELECT file('/etc/passwd')", /function file\(\) is not allowed/],
  ["SELECT getSetting('readonly')", /getSetting\(\) is not allowed/],
  ["SELECT joinGet('shadow.j', 'v', 1)", /joinGet\(\) is not allowed/],
  ['SELECT hostName(), currentUser()', /hostName\(\) is not allowed/],
  ["SELECT hasColumnInTable('system', 'users', 'name')", /hasColumnInTable\(\) is not allowed/],
  ["SELECT catboostEvaluate('/etc/passwd', 1)", /catboostEvaluate\(\) is not allowed/],
  ["SELECT aiGenerate('x')", /aiGenerate\(\) is not allowed|not one the engine lists/],
  ['SELECT sleep(3)', /sleep\(\) is not allowed/],
  // INTO OUTFILE and FORMAT
  ["SELECT 1 INTO OUTFILE '/tmp/shadow-outfile'", /INTO OUTFILE is not allowed/],
  ["SELECT 1 INTO OUTFILE '/tmp/shadow-outfile' TRUNCATE", /INTO OUTFILE is not allowed/],
  ['SELECT 1 FORMAT TabSeparated', /FORMAT clause is not allowed/],
  // multiple statements
  ['SELECT 1; DROP TABLE shadow.stats_1m', /does not parse as one ClickHouse statement/],
  ['SELECT 1;; SELECT 2', /does not parse as one/],
  ["SELECT 1; SELECT * FROM file('/etc/passwd')", /does not parse as one/],
  // EXPLAIN wrapping
  ["EXPLAIN SELECT * FROM file('/etc/passwd')", /EXPLAIN is not allowed/],
  ["EXPLAIN AST SELECT * FROM url('http://127.0.0.1:1/', 'CSV')", /EXPLAIN is not allowed/],
  ["EXPLAIN QUERY TREE SELECT * FROM url('http://127.0.0.1:1/', 'CSV')", /EXPLAIN is not allowed/],
  ['EXPLAIN PIPELINE SELECT * FROM system.users', /EXPLAIN is not allowed/],
  ['EXPLAIN SYNTAX SELECT 1 SETTINGS readonly = 0', /EXPLAIN is not allowed/],
  // writes, DDL and everything that is not a SELECT
  ['INSERT INTO shadow.promotions (model) VALUES (1)', /only SELECT statements/],
  ['DROP TABLE shadow.stats_1m', /only SELECT statements/],
  ['ALTER TABLE shadow.stats_1m DELETE WHERE 1', /only SELECT statements/],
  ['TRUNCATE TABLE shadow.gate_decisions', /only SELECT statements/],
  ['CREATE TABLE shadow.x (a UInt8) ENGINE = Memory', /only SELECT statements/],
  ['SHOW TABLES FROM system', /only SELECT statements/],
  ['DESCRIBE TABLE system.users', /only SELECT statements/],
  ['USE system', /only SELECT statements/],
  ['SYSTEM SHUTDOWN', /only SELECT statements/],
  ['KILL QUERY WHERE 1', /only SELECT statements/],
  ['OPTIMIZE TABLE shadow.stats_1m FINAL', /only SELECT statements/],
  ['GRANT ALL ON *.* TO default', /only SELECT statements/],
  ["SELECT * FROM numbers(toUInt64(getSetting('max_threads')))", /numbers\(\) takes/],
];

/** Every table function the engine knows, except the allowed one, in four spellings each. */
async function tableFunctionCorpus(t: Target): Promise<string[]> {
  const rows = await t.runner.query<{ name: string }>('SELECT name FROM system.table_functions ORDER BY name');
  assert.ok(rows.length >= 50, `system.table_functions lists ${rows.length}`);
  return rows
    .map((r) => r.name)
    .filter((n) => n !== 'numbers')
    .flatMap((n) => [n, `\`${n}\``, `"${n}"`, mixedCase(n)].map((spelled) => `SELECT * FROM ${spelled}('/etc/passwd', 'LineAsString')`));
}

function assertRefused(r: EndpointResponse, sql: string, message?: RegExp): void {
  assert.equal(r.status, 403, `accepted (${r.status}): ${sql}\n${JSON.stringify(r.body).slice(0, 300)}`);
  const e = (r.body as { error: { code: string; message: string } }).error;
  assert.equal(e.code, 'SHADOW_INPUT');
  assert.match(e.message, /^read-only query endpoint: \S/);
  assert.doesNotMatch(e.message, /\n\s+at |Stack trace/i, 'no stack in the message');
  if (message) assert.match(e.message, message, sql);
}

describe('hostile queries on /query', () => {
  for (const name of ['embedded', 'server']) {
    it(`refuses every chDB table function in four spellings (${name})`, async () => {
      const t = targets.find((x) => x.name === name) as Target;
      const corpus = await tableFunctionCorpus(t);
      assert.ok(corpus.length >= 300, `corpus has ${corpus.length} statements`);
      for (const sql of corpus) assertRefused(await t.handle({ sql }), sql, /not allowed|not one the engine lists|does not parse|could not be/);
    });

    it(`refuses the fixed corpus: comments, subqueries, CTEs, SETTINGS, system, other databases, dictionaries, OUTFILE, several statements, EXPLAIN (${name})`, async () => {
      const t = targets.find((x) => x.name === name) as Target;
      assert.ok(FIXED.length >= 60, `fixed corpus has ${FIXED.length}`);
      for (const [sql, message] of FIXED) assertRefused(await t.handle({ sql, params: { d: 'system' } }), sql, message);
      const tables = await t.runner.query<{ n: number }>("SELECT count() AS n FROM system.tables WHERE database = 'shadow' AND name = 'stats_1m'");
      assert.equal(Number(tables[0]?.n), 1, 'the table the corpus tried to drop is still there');
    });

    it(`answers allowed reads, with parameters and CTEs (${name})`, async () => {
      const t = targets.find((x) => x.name === name) as Target;
      const r = await t.handle({
        sql: 'WITH w AS (SELECT number AS n FROM numbers(5)) SELECT countIf(n > {min:UInt8}) AS c, (SELECT count() FROM {db:Identifier}.stats_1m) AS s FROM w',
        params: { min: 1, db: 'shadow' },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const rows = (r.body as { rows: { c: unknown; s: unknown }[] }).rows;
      assert.deepEqual(rows.map((x) => [Number(x.c), Number(x.s)]), [[3, 0]]);
    });

    it(`stops a query at the limits with a 400 that names the limit (${name})`, async () => {
      const t = targets.find((x) => x.name === name) as Target;
      const rows = await t.handle({ sql: 'SELECT number FROM numbers(1000000)' });
      assert.equal(rows.status, 400, JSON.stringify(rows.body));
      assert.match((rows.body as { error: { message: string } }).error.message, /Limit for result exceeded, max rows/);
    });

    it(`keeps a failed query's partial output away from the store's own session (${name})`, async () => {
      // chDB can hand a statement that failed mid-output to the next statement on the same connection;
      // /query runs on a session of its own, so the stream's queries never see it.
      const t = targets.find((x) => x.name === name) as Target;
      for (let i = 0; i < 20; i++) {
        assert.equal((await t.handle({ sql: 'SELECT number FROM numbers(1000000)' })).status, 400);
        const rows = await t.runner.query<Record<string, unknown>>("SELECT 'mine' AS who");
        assert.deepEqual(rows, [{ who: 'mine' }], `round ${i}`);
      }
    });
  }

  it('finds no accepted statement among allowed queries mutated into table functions, settings and other databases (property)', async () => {
    const t = targets.find((x) => x.name === 'embedded') as Target;
    const functions = (await t.runner.query<{ name: string }>('SELECT name FROM system.table_functions ORDER BY name')).map((r) => r.name).filter((n) => n !== 'numbers');
    const base = ['SELECT count() AS n FROM shadow.stats_1m', 'SELECT model FROM shadow.gate_decisions WHERE actor = {a:String}', 'SELECT 1 AS x'];
    const spellings = [(x: string) => x, (x: string) => `\`${x}\``, (x: string) => `"${x}"`, mixedCase, (x: string) => `/* c */ ${x}`];
    const spell = (i: number, name: string): string => (spellings[i % spellings.length] as (x: string) => string)(name);
    const spelling = fc.nat(spellings.length - 1);
    const source = fc.oneof(
      fc.tuple(fc.constantFrom(...functions), spelling).map(([f, i]) => `${spell(i, f)}('/etc/passwd', 'LineAsString')`),
      fc.tuple(fc.constantFrom('system.users', 'system.tables', 'information_schema.tables', 'system.settings'), spelling).map(([tb, i]) => tb.split('.').map((part) => spell(i, part)).join('.')),
      fc.tuple(fc.constantFrom(...functions), spelling).map(([f, i]) => `(SELECT * FROM ${spell(i, f)}('x'))`),
    );
    const mutation = fc.oneof(
      fc.tuple(fc.constantFrom(...base), source).map(([b, s]) => `${b.replace(/FROM \S+|$/, `FROM ${s}`)}`),
      fc.tuple(fc.constantFrom(...base), source).map(([b, s]) => `WITH q AS (SELECT * FROM ${s}) ${b}`),
      fc.tuple(fc.constantFrom(...base), fc.constantFrom('readonly = 0', 'max_execution_time = 0', 'max_result_rows = 0', 'max_memory_usage = 0', 'allow_ddl = 1')).map(([b, s]) => `${b} SETTINGS ${s}`),
      fc.tuple(fc.constantFrom(...base), source).map(([b, s]) => `${b} UNION ALL SELECT 1 FROM ${s}`),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async (sql) => {
        const r = await t.handle({ sql, params: { a: 'x' } });
        if (r.status === 200) console.error(`ACCEPTED: ${sql}`);
        return r.status !== 200;
      }),
      { numRuns: 200, seed: 11 },
    );
  });
});
