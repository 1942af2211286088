import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assignedPartitions, createScenario, metric, produceSteadily, verify, waitUntilAllWritten } from '../support/scenario.ts';
import { startInstance, stopInstance, waitFor, type Instance } from '../support/processes.ts';
import { startStoreServer, type StoreServer } from '../support/store-server.ts';

// Scenario 2: one of two instances killed while the other keeps running (rebalance), then restarted
// (second rebalance), all while traffic flows. Both write to ONE store (the test store server: real chDB
// behind ClickHouse's HTTP interface), as two production instances share one ClickHouse: a partition that
// moves between them must be counted once in that store.
describe('one of two instances killed, then restarted, while traffic flows', () => {
  let store: StoreServer | undefined;
  const running: Instance[] = [];
  after(async () => {
    for (const i of running) if (i.child.exitCode === null && i.child.signalCode === null) i.child.kill('SIGKILL');
    await store?.stop();
  });

  it('counts every record exactly once across both rebalances, in the shared store', async (t) => {
    store = await startStoreServer();
    const s = await createScenario({ count: 6000, seed: 707, partitions: 4, config: { clickhouse: { url: store.url } } });
    const total = s.traffic.envelopes.length;
    const a = await startInstance(s.config, 'rebalance-a');
    running.push(a);
    const b = await startInstance(s.config, 'rebalance-b');
    running.push(b);
    const both = () => `a:\n${a.output().slice(-1500)}\nb:\n${b.output().slice(-1500)}`;
    await waitFor(async () => assignedPartitions(s, a)?.partitions.length === 2 && assignedPartitions(s, b)?.partitions.length === 2, 20_000, both);

    // About 25 s of traffic; everything below happens while it flows.
    const traffic = produceSteadily(s);
    await waitFor(async () => (await metric(b, 'shadow_outcome_rows_written_total')) > 0 && (await metric(a, 'shadow_outcome_rows_written_total')) > 0, 20_000, both);

    // SIGKILL b; a keeps running and, once the session timeout (6 s) has passed, owns every partition.
    b.child.kill('SIGKILL');
    assert.equal(await b.exited, null);
    const killedAt = traffic.sent();
    await waitFor(async () => assignedPartitions(s, a)?.partitions.length === 4, 20_000, both);

    // b comes back: the second rebalance hands partitions back to it, still mid-stream.
    const b2 = await startInstance(s.config, 'rebalance-b2');
    running.push(b2);
    await waitFor(async () => assignedPartitions(s, b2)?.partitions.length === 2 && assignedPartitions(s, a)?.partitions.length === 2, 20_000, both);
    const rejoinedAt = traffic.sent();
    await waitFor(async () => (await metric(b2, 'shadow_outcome_rows_written_total')) > 0, 20_000, () => b2.output().slice(-2000));
    assert.ok(killedAt > 0 && rejoinedAt < total, `faults mid-stream: killed at ${killedAt}, rejoined at ${rejoinedAt} of ${total} envelopes`);

    t.diagnostic(`envelopes sent: ${killedAt} at SIGKILL, ${rejoinedAt} when the restarted instance had its partitions, of ${total}`);
    await traffic.done;
    await waitUntilAllWritten(s, a, 45_000);
    assert.deepEqual(await verify(s, a), []);
    assert.deepEqual(await verify(s, b2), [], 'the same figures through the other instance');
    assert.equal(await stopInstance(b2), 0, b2.output().slice(-2000));
    assert.equal(await stopInstance(a), 0, a.output().slice(-2000));
  });
});
