import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ShadowError } from '../../../src/errors.ts';
import type { Store } from '../../../src/sinks/clickhouse/client.ts';
import { createFence } from '../../../src/sinks/clickhouse/fence.ts';

// The writer reads the fence after every insert (BatchWriterEvents.fenced). A connection dropped during
// that read must come back as a retryable sink error, so the block is retried (same token: a no-op for
// the store) instead of stopping the processor. Seen under load against a ClickHouse server: a raw
// "socket hang up" from this read was fatal.

function storeFailingWith(err: Error): Store {
  const client = { query: async () => Promise.reject(err) } as unknown as Store['client'];
  return { client, database: 'shadow', mode: 'server', location: 'http://127.0.0.1:1', close: async () => {} };
}

describe('store fence reads', () => {
  it('turn a dropped connection into a retryable SHADOW_SINK error', async () => {
    const fence = createFence(storeFailingWith(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), 'kafka:g', 'owner');
    await assert.rejects(fence.current([0, 1]), (e: unknown) => e instanceof ShadowError && e.code === 'SHADOW_SINK' && e.retryable === true);
  });

  it('keep a refused query (a ClickHouse error code) not retryable', async () => {
    const fence = createFence(storeFailingWith(Object.assign(new Error('Unknown table'), { code: '60' })), 'kafka:g', 'owner');
    await assert.rejects(fence.current([0]), (e: unknown) => e instanceof ShadowError && e.code === 'SHADOW_SINK_DATA' && e.retryable === false);
  });
});
