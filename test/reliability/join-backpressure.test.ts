import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createScenario, metric, produceAll, verify, waitUntilAllWritten } from '../support/scenario.ts';
import { startInstance, stopInstance } from '../support/processes.ts';

describe('a backlog larger than the join buffer', () => {
  it('pauses the stream that is ahead, lets its partner catch up, and consumes the whole backlog exactly', async () => {
    // Primary outputs are ~5x smaller than requests, so per fetch their stream runs far ahead; with a
    // join buffer this small, blocking the fetch loop instead of pausing that stream would deadlock.
    const s = await createScenario({ count: 4000, seed: 909, config: { join: { windowMs: 2000, idleMs: 500, maxBuffered: 300 }, kafka: { maxBytesPerPartition: 16_384 } } });
    await produceAll(s);
    const i = await startInstance(s.config, 'join-backpressure', { dataDir: s.dataDir });
    try {
      await waitUntilAllWritten(s, i, 90_000);
      assert.deepEqual(await verify(s, i), []);
      assert.equal(await metric(i, 'shadow_consumer_paused'), 0, 'every paused stream was resumed');
    } finally {
      assert.equal(await stopInstance(i), 0);
    }
  });
});
