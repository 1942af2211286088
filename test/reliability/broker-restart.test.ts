import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type Broker } from '../../scripts/kafka/broker.ts';
import { cleanCut, createScenario, produceAll, verify, waitUntilAllWritten } from '../support/scenario.ts';
import { startInstance, stopInstance } from '../support/processes.ts';

// This scenario stops a broker, so it runs its own (the shared one serves the other test files).
describe('Kafka broker stopped and restarted while the processor runs', () => {
  let broker: Broker | undefined;
  after(() => broker?.stop());

  it('keeps exact counts when the broker is down longer than the session timeout', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shadow-broker-'));
    broker = await startBroker({ dataDir, log: () => {} });
    const ports = broker.ports;
    const s = await createScenario({ count: 4000, seed: 606, brokers: broker.brokers, partitions: 2 });
    const i = await startInstance(s.config, 'broker-outage', { dataDir: s.dataDir });
    try {
      const half = cleanCut(s, Math.floor(s.traffic.envelopes.length / 2));
      await produceAll(s, 0, half);
      // Stop soon after, while the last pairs of the first half still wait for partners from the second.
      await new Promise((r) => setTimeout(r, 800));
      await broker.stop();
      // Session timeout is 6 s in scenarios: stay down longer, so the group must be rebuilt.
      await new Promise((r) => setTimeout(r, 9000));
      broker = await startBroker({ dataDir, ports, log: () => {} });
      await produceAll(s, half);
      await waitUntilAllWritten(s, i, 120_000);
      assert.deepEqual(await verify(s, i), []);
      assert.equal(i.child.exitCode, null, 'the processor survived the outage');
    } finally {
      await stopInstance(i);
    }
  });
});
