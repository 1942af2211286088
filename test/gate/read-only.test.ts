import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertReadOnlySql } from '../../src/query/index.ts';

// The screen in front of the processor's /query endpoint (src/query/read-only.ts).

describe('read-only SQL screen', () => {
  it('accepts single reading statements, with parameters, comments and a trailing semicolon', () => {
    for (const sql of [
      'SELECT 1',
      'select count() from shadow.stats_1m where model = {model:String};',
      'WITH 1 AS x SELECT x',
      '(SELECT 1) UNION ALL (SELECT 2)',
      '-- a comment; with a semicolon\nSELECT 1',
      "SELECT 'INSERT INTO t; DROP TABLE x' AS s",
      'SHOW TABLES FROM shadow',
      'DESCRIBE TABLE shadow.stats_1m',
      'EXPLAIN SELECT 1',
      'SELECT * FROM shadow.gate_decisions /* DROP */ ORDER BY decided_at DESC LIMIT 1',
    ]) {
      assert.doesNotThrow(() => assertReadOnlySql(sql), sql);
    }
  });

  it('refuses writes, DDL, a second statement, INTO OUTFILE and functions that read outside the database', () => {
    const cases: [string, RegExp][] = [
      ['INSERT INTO shadow.promotions SELECT *', /only SELECT, WITH, SHOW, DESCRIBE, DESC, EXPLAIN, EXISTS statements are allowed here, got "INSERT"/],
      ['DROP TABLE shadow.stats_1m', /got "DROP"/],
      ['SELECT 1; DROP TABLE shadow.stats_1m', /one statement per request/],
      ["SELECT 1 INTO OUTFILE '/tmp/x'", /INTO OUTFILE/],
      ["SELECT * FROM file('/etc/passwd', 'LineAsString')", /file\(\)/],
      ["SELECT * FROM url('http://127.0.0.1:1/', 'CSV')", /url\(\)/],
      ["SELECT * FROM executable('x.sh', 'TSV', 'a String')", /executable\(\)/],
      ['SET readonly = 0', /got "SET"/],
      ['', /got ""/],
    ];
    for (const [sql, message] of cases) {
      assert.throws(() => assertReadOnlySql(sql), (err: Error & { code?: string }) => err.code === 'SHADOW_INPUT' && message.test(err.message), sql);
    }
  });
});
