import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createScenario, produceAll, verify, waitUntilAllWritten } from '../support/scenario.ts';
import { startInstance, stopInstance } from '../support/processes.ts';

// Kill points on both sides of every durable step: the batch is prepared but not sent, the insert is
// under way, the insert is acknowledged but the offsets are not committed. Each run dies by SIGKILL
// at its point, restarts without faults on the same data directory, and must end with exact counts.
for (const point of ['before-insert', 'during-insert', 'after-insert'] as const) {
  describe(`SIGKILL ${point}`, () => {
    it(`counts every record exactly once after a SIGKILL ${point} and a restart`, async () => {
      const s = await createScenario({ count: 2500, seed: 101 });
      await produceAll(s);
      const env = { SHADOW_FAULT_INJECTION: JSON.stringify({ kill: { point, atInsert: 3 } }) };
      const doomed = await startInstance(s.config, `kill-${point}`, { dataDir: s.dataDir, env, noWait: true });
      const code = await doomed.exited;
      assert.equal(code, null, `expected death by signal, got exit ${code}\n${doomed.output().slice(-2000)}`);
      assert.match(doomed.output(), /FAULT INJECTION ACTIVE/);
      const survivor = await startInstance(s.config, `restart-${point}`, { dataDir: s.dataDir });
      try {
        await waitUntilAllWritten(s, survivor);
        assert.deepEqual(await verify(s, survivor), []);
      } finally {
        assert.equal(await stopInstance(survivor), 0);
      }
    });
  });
}
