import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../src/traffic/index.ts';
import { createScenario, produceAll, verify, waitUntilAllWritten } from '../support/scenario.ts';
import { startInstance, stopInstance, type Instance } from '../support/processes.ts';

describe('processor killed with SIGKILL at random points', () => {
  it('counts every record exactly once after several kills and restarts while traffic flows', async () => {
    const s = await createScenario({ count: 6000, seed: 303 });
    const rand = mulberry32(303);
    const n = s.traffic.envelopes.length;
    const slices = 6;
    let instance: Instance = await startInstance(s.config, 'kill-0', { dataDir: s.dataDir });
    for (let k = 0; k < slices; k++) {
      // Traffic keeps arriving; every other slice the processor dies at a random moment mid-stream.
      const producing = produceAll(s, Math.floor((k * n) / slices), Math.floor(((k + 1) * n) / slices));
      if (k % 2 === 0) {
        await new Promise((r) => setTimeout(r, 100 + rand() * 900));
        instance.child.kill('SIGKILL');
        assert.equal(await instance.exited, null);
        await producing;
        instance = await startInstance(s.config, `kill-${k + 1}`, { dataDir: s.dataDir });
      } else {
        await producing;
      }
    }
    try {
      await waitUntilAllWritten(s, instance, 90_000);
      assert.deepEqual(await verify(s, instance), []);
    } finally {
      assert.equal(await stopInstance(instance), 0);
    }
  });
});
