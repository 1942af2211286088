import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createScenario, produceAll, verify, waitUntilAllWritten } from '../support/scenario.ts';
import { startInstance, stopInstance, waitFor } from '../support/processes.ts';

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : NaN;
}

describe('ClickHouse writes failing for a while', () => {
  it('retries with backoff, pauses consumption instead of buffering, and catches up with exact counts', async () => {
    // Small limits so the outage fills them: pending rows must stop growing at the limit.
    const s = await createScenario({ count: 4000, seed: 404, config: { sink: { flushIntervalMs: 200, maxRows: 300, maxPendingRows: 600, retryInitialMs: 50, retryMaxMs: 400 } } });
    const env = { SHADOW_FAULT_INJECTION: JSON.stringify({ failInserts: { fromInsert: 2, forMs: 6000 } }) };
    const i = await startInstance(s.config, 'outage', { dataDir: s.dataDir, env });
    try {
      await produceAll(s);
      let maxPending = 0;
      let paused = 0;
      await waitFor(
        async () => {
          maxPending = Math.max(maxPending, await metric(i.url, 'shadow_sink_pending_rows'));
          paused = Math.max(paused, await metric(i.url, 'shadow_consumer_paused'));
          return (await metric(i.url, 'shadow_insert_retries_total')) >= 5 && paused === 1;
        },
        20_000,
        () => `pending ${maxPending}, paused ${paused}`,
      );
      await waitUntilAllWritten(s, i, 60_000);
      assert.deepEqual(await verify(s, i), []);
      // Bounded: the limit plus at most one chunk of records in flight (500) and one join flush.
      assert.ok(maxPending <= 600 + 1500, `pending rows reached ${maxPending}`);
    } finally {
      assert.equal(await stopInstance(i), 0);
    }
  });
});
