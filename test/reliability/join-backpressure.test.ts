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

  it('bounds the join by bytes as well: a byte limit alone pauses the stream ahead and loses nothing', async () => {
    // The count limit is out of reach here; only join.maxBufferedBytes can stop the primaries' stream.
    const maxBufferedBytes = 32 * 1024;
    const fetchBytes = 16_384;
    const s = await createScenario({ count: 4000, seed: 910, config: { join: { windowMs: 2000, idleMs: 500, maxBuffered: 1_000_000, maxBufferedBytes }, kafka: { maxBytesPerPartition: fetchBytes } } });
    await produceAll(s);
    const i = await startInstance(s.config, 'join-backpressure-bytes', { dataDir: s.dataDir });
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, (await metric(i, 'shadow_join_buffered_bytes').catch(() => 0)) || 0);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      await waitUntilAllWritten(s, i, 90_000);
      assert.deepEqual(await verify(s, i), []);
      assert.equal(await metric(i, 'shadow_consumer_paused'), 0, 'every paused stream was resumed');
    } finally {
      sampling = false;
      await sampler;
      assert.equal(await stopInstance(i), 0);
    }
    // A pause stops the next fetch, not the batch in hand: one fetch per partition and stream may land on top.
    const slack = 2 * 3 * fetchBytes; // 3 partitions (the scenario default), 2 streams
    assert.ok(peak <= maxBufferedBytes + slack, `join held ${peak} bytes, bound ${maxBufferedBytes} + ${slack} for fetches in flight`);
  });
});
