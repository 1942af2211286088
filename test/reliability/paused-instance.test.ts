import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assignedPartitions, createScenario, metric, produceSteadily, verify, waitUntilAllWritten } from '../support/scenario.ts';
import { startInstance, stopInstance, waitFor, type Instance } from '../support/processes.ts';
import { startStoreServer, type StoreServer } from '../support/store-server.ts';

// Scenario 8: an instance paused (SIGSTOP) longer than the session timeout while traffic flows, then
// resumed (SIGCONT). Meanwhile the group moved its partitions to the other instance, which re-read them
// from the committed offsets. Whatever the paused instance still held (join buffer, unwritten rows,
// offsets to commit) is stale when it wakes: its late writes and commits must change no count. Both
// instances write to ONE store (the test store server), so a late write would show as a duplicate there.
describe('an instance paused longer than the session timeout, then resumed', () => {
  let store: StoreServer | undefined;
  const running: Instance[] = [];
  after(async () => {
    for (const i of running) {
      if (i.child.exitCode !== null || i.child.signalCode !== null) continue;
      i.child.kill('SIGCONT');
      i.child.kill('SIGKILL');
    }
    await store?.stop();
  });

  it('counts every record exactly once: the late writer is fenced, its rows re-done by the new owner', async (t) => {
    const { violations, diagnostic, events } = await pausedRun(808);
    t.diagnostic(diagnostic);
    assert.deepEqual(violations, [], `${violations.join('\n')}\n${events}`);
  });

  it('with the client-side fence off, the store fence alone drops the late writes', async (t) => {
    // b flushes rarely, so it surely holds unwritten rows when it freezes, and with its client-side
    // check off it sends them as soon as it wakes, after the new owner has claimed and redone them.
    const env = { SHADOW_FAULT_INJECTION: JSON.stringify({ disableFence: true }) };
    const { violations, diagnostic, events } = await pausedRun(809, { env, sink: { flushIntervalMs: 5000, maxRows: 50_000 } });
    t.diagnostic(diagnostic);
    assert.deepEqual(violations, [], `${violations.join('\n')}\n${events}`);
  });

  it('control: with both write fences off, the oracle reports the paused instance\'s late writes', async () => {
    const env = { SHADOW_FAULT_INJECTION: JSON.stringify({ disableFence: true, disableStoreFence: true }) };
    const { violations } = await pausedRun(809, { env, sink: { flushIntervalMs: 5000, maxRows: 50_000 } });
    assert.ok(violations.some((v) => /written more than once/.test(v)), violations.join('\n'));
  });

  async function pausedRun(seed: number, paused: { env?: Record<string, string>; sink?: Record<string, number> } = {}) {
    await store?.stop();
    store = await startStoreServer();
    const s = await createScenario({ count: 6000, seed, partitions: 4, config: { clickhouse: { url: store.url } } });
    const total = s.traffic.envelopes.length;
    const a = await startInstance(s.config, 'paused-a');
    running.push(a);
    const bConfig = paused.sink ? { ...s.config, sink: { ...s.config.sink, ...paused.sink } } : s.config;
    const b = await startInstance(bConfig, 'paused-b', paused.env ? { env: paused.env } : {});
    running.push(b);
    const both = () => `a:\n${a.output().slice(-1500)}\nb:\n${b.output().slice(-1500)}`;
    await waitFor(async () => assignedPartitions(s, a)?.partitions.length === 2 && assignedPartitions(s, b)?.partitions.length === 2, 20_000, both);

    const traffic = produceSteadily(s, { chunk: 60 });
    await waitFor(async () => (await metric(b, 'shadow_outcome_rows_written_total')) > 0, 20_000, both);
    // Mid-flow: b holds records in its join buffer and rows not yet written when it freezes.
    await new Promise((r) => setTimeout(r, 700));
    const beforeStop = await metric(b, 'shadow_outcome_rows_written_total');
    b.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    const sentAtStop = traffic.sent();

    // The group evicts b after the session timeout; a takes every partition over and works on them.
    await waitFor(async () => assignedPartitions(s, a)?.partitions.length === 4, 20_000, both);
    const aBefore = await metric(a, 'shadow_outcome_rows_written_total');
    await waitFor(async () => (await metric(a, 'shadow_outcome_rows_written_total')) > aBefore + 400, 20_000, both);
    // Stay frozen well past the session timeout, whatever the takeover took.
    const minPauseMs = s.config.kafka.sessionTimeoutMs + 2000;
    await new Promise((r) => setTimeout(r, Math.max(0, stoppedAt + minPauseMs - Date.now())));
    const pausedMs = Date.now() - stoppedAt;
    assert.ok(pausedMs > s.config.kafka.sessionTimeoutMs, `paused ${pausedMs} ms`);
    b.child.kill('SIGCONT');
    const sentAtResume = traffic.sent();

    // b wakes with stale state, rejoins (a second rebalance) and works again, still mid-stream.
    const genAtStop = assignedPartitions(s, b)!.generation;
    await waitFor(async () => (assignedPartitions(s, b)?.generation ?? 0) > genAtStop && assignedPartitions(s, b)?.partitions.length === 2, 20_000, both);
    await waitFor(async () => (await metric(b, 'shadow_outcome_rows_written_total')) > beforeStop, 20_000, both);
    const rejoinedAt = traffic.sent();
    assert.ok(sentAtStop > 0 && rejoinedAt < total, `faults mid-stream: stopped at ${sentAtStop}, resumed at ${sentAtResume}, working again at ${rejoinedAt} of ${total} envelopes`);
    const diagnostic = `paused ${pausedMs} ms; envelopes sent: ${sentAtStop} at SIGSTOP, ${sentAtResume} at SIGCONT, ${rejoinedAt} when b wrote again, of ${total}`;

    await traffic.done;
    await waitUntilAllWritten(s, a, 45_000);
    const violations = await verify(s, a);
    assert.equal(await stopInstance(b), 0, b.output().slice(-2000));
    assert.equal(await stopInstance(a), 0, a.output().slice(-2000));
    // Only this run's two: a failed earlier run's instances stay listed for after() to kill.
    running.splice(running.indexOf(a), 1);
    running.splice(running.indexOf(b), 1);
    return { violations, diagnostic, events: `a:\n${ownershipEvents(a.output())}\nb:\n${ownershipEvents(b.output())}` };
  }
});

/** What a failure needs to be read: each instance's assignments, recoveries, losses, warnings and errors. */
function ownershipEvents(out: string): string {
  return out
    .split('\n')
    .filter((l) => /"level":(40|50|60)|partitions assigned|partition recovered|claimed by another owner/.test(l))
    .map((l) => l.slice(0, 400))
    .join('\n');
}
