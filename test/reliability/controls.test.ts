import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createScenario, produceAll, verify, waitUntilAllWritten } from '../support/scenario.ts';
import { startInstance, stopInstance } from '../support/processes.ts';

// Control runs: the counting mechanism is broken on purpose and the oracle must say so. A fault
// suite whose oracle cannot fail proves nothing.
describe('oracle control runs', () => {
  it('reports records counted twice when restart recovery is switched off', async () => {
    const s = await createScenario({ count: 1500, seed: 202 });
    await produceAll(s);
    const kill = { SHADOW_FAULT_INJECTION: JSON.stringify({ kill: { point: 'after-insert', atInsert: 3 } }) };
    const doomed = await startInstance(s.config, 'control-kill', { dataDir: s.dataDir, env: kill, noWait: true });
    assert.equal(await doomed.exited, null);
    const broken = { SHADOW_FAULT_INJECTION: JSON.stringify({ skipRecovery: true }) };
    const i = await startInstance(s.config, 'control-norecovery', { dataDir: s.dataDir, env: broken });
    try {
      await waitUntilAllWritten(s, i);
      const violations = await verify(s, i);
      assert.ok(violations.some((v) => /written more than once/.test(v)), violations.join('\n'));
      assert.ok(violations.some((v) => /^stats_1m /.test(v)), violations.join('\n'));
    } finally {
      await stopInstance(i);
    }
  });

  it('reports lost records when one deduplication token is reused for different blocks', async () => {
    const s = await createScenario({ count: 1500, seed: 203 });
    await produceAll(s);
    const broken = { SHADOW_FAULT_INJECTION: JSON.stringify({ reuseToken: true }) };
    const i = await startInstance(s.config, 'control-token', { dataDir: s.dataDir, env: broken });
    try {
      // Nothing after the first block lands, so "all written" never comes: give it time, then judge.
      await new Promise((r) => setTimeout(r, 5000));
      const violations = await verify(s, i);
      assert.ok(violations.some((v) => /records written \d+, produced/.test(v)), violations.join('\n'));
    } finally {
      await stopInstance(i);
    }
  });
});
