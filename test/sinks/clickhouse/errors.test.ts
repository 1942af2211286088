import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ShadowError } from '../../../src/errors.ts';
import { classifyClickHouseError, isRetryableClickHouseError } from '../../../src/sinks/clickhouse/errors.ts';

// One classifier for every ClickHouse caller (outcome sink, query runner, and the processor's /query
// endpoint through the codes it maps to): these cases used to get different answers from three copies.

const chError = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('ClickHouse error classifier', () => {
  it('does not retry a refused request: syntax, unknown table, type mismatch, readonly', () => {
    for (const code of ['62', '60', '53', '164', '6', '1000000']) {
      const e = classifyClickHouseError(chError(code), 'query');
      assert.equal(e.code, 'SHADOW_SINK_DATA', code);
      assert.equal(e.retryable, false, code);
    }
  });

  it('retries transient server conditions that carry a code: too many parts, memory, timeout, Keeper', () => {
    for (const code of ['252', '241', '159', '202', '999', '319']) {
      const e = classifyClickHouseError(chError(code), 'insert into outcomes');
      assert.equal(e.code, 'SHADOW_SINK', code);
      assert.equal(e.retryable, true, code);
    }
  });

  it('retries failures without a ClickHouse code (sockets, client timeouts)', () => {
    assert.equal(isRetryableClickHouseError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), true);
    assert.equal(isRetryableClickHouseError(new Error('Timeout error.')), true);
  });

  it('keeps credentials out of the message and passes ShadowErrors through', () => {
    const e = classifyClickHouseError(new Error('request to http://shadow:s3cret@ch:8123/ failed'), 'query');
    assert.doesNotMatch(e.message, /s3cret/);
    assert.match(e.message, /^ClickHouse query failed: /);
    const own = new ShadowError('SHADOW_INPUT', 'x');
    assert.equal(classifyClickHouseError(own, 'query'), own);
  });
});
