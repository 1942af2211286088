import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../src/traffic/prng.ts';
import { Broker, Clock, MemStore, instance } from '../support/fake-pipeline.ts';

// The delivery protocol with a fake source, a fake store and one clock: every interleaving below is
// chosen by the test, none by timing. The store applies the write fence and insert deduplication the
// way ClickHouse does (test/reliability/store-fence.test.ts proves that part on the real engine), and
// the broker checks every commit: no committed offset may pass a record without a row.

function setup() {
  const clock = new Clock();
  const store = new MemStore();
  const broker = new Broker(store);
  return { clock, store, broker, a: instance('a', broker, store, clock) };
}

describe('pipeline driver', () => {
  it('commits only offsets whose outcomes are durable', async () => {
    const { store, broker, a } = setup();
    broker.produce(0, 'requests', 10);
    a.source.assign([0]);
    const frozen = store.freezeNextInsert();
    await a.source.deliver(0, 'requests');
    const flushed = a.writer.flush();
    await frozen.reached;
    await a.driver.commit();
    assert.equal(broker.committed.get('0:requests') ?? 0, 0, 'committed while the insert was under way');
    frozen.open();
    await flushed;
    await a.driver.commit();
    assert.equal(broker.committed.get('0:requests'), 10);
    assert.deepEqual(store.check(broker), []);
    assert.deepEqual(broker.violations, []);
  });

  for (const point of ['before-insert', 'during-insert', 'after-insert'] as const) {
    it(`a crash ${point} and a restart count every record once`, async () => {
      const { clock, store, broker, a } = setup();
      broker.produce(0, 'requests', 6);
      broker.produce(0, 'primaries', 4);
      a.source.assign([0]);
      await a.source.deliver(0, 'requests', 3);
      await a.writer.flush();
      await a.driver.commit();
      await a.source.deliver(0, 'requests');
      await a.source.deliver(0, 'primaries');
      if (point === 'during-insert') {
        // The rows land, the acknowledgement never comes: the process dies waiting for it.
        const frozen = store.freezeNextInsert('after-landing');
        void a.writer.flush();
        await frozen.reached;
      } else if (point === 'after-insert') {
        await a.writer.flush();
      }
      // `a` is gone (nothing of it runs again); the restarted instance reads from the committed offsets.
      clock.t += 30_000;
      const b = instance('b', broker, store, clock);
      b.source.assign([0]);
      await b.source.deliver(0, 'requests');
      await b.source.deliver(0, 'primaries');
      await b.writer.flush();
      await b.driver.commit();
      assert.deepEqual(store.check(broker), []);
      assert.deepEqual(broker.violations, []);
      assert.equal(broker.committed.get('0:requests'), 6);
      assert.equal(broker.committed.get('0:primaries'), 4);
    });
  }

  it('rebalance mid-block: the old owner\'s block lands after the new owner claimed; counted once, never committed by the old owner', async () => {
    const { clock, store, broker, a } = setup();
    const b = instance('b', broker, store, clock);
    broker.produce(0, 'requests', 10);
    a.source.assign([0]);
    const frozen = store.freezeNextInsert();
    await a.source.deliver(0, 'requests');
    const aFlushed = a.writer.flush();
    await frozen.reached;
    // The group moved partition 0 to b, which claims it, reads the ledger (nothing yet) and redoes it.
    clock.t += 30_000;
    b.source.assign([0]);
    // In two blocks, so no dedup token matches a's block: only the fence can stop it.
    await b.source.deliver(0, 'requests', 5);
    await b.writer.flush();
    await b.source.deliver(0, 'requests');
    await b.writer.flush();
    await b.driver.commit();
    // a wakes up: its insert is sent now, with its old generation.
    frozen.open();
    await aFlushed;
    await a.driver.commit();
    assert.deepEqual(store.check(broker), []);
    assert.deepEqual(broker.violations, []);
    assert.equal(broker.committed.get('0:requests'), 10);

    // a learned it lost partition 0; it takes nothing back without a heartbeat newer than the loss.
    broker.produce(0, 'requests', 5);
    await a.source.deliver(0, 'requests');
    await a.writer.flush();
    assert.equal(store.rows.length, 10, 'the stale instance wrote again');
    await b.source.deliver(0, 'requests');
    await b.writer.flush();
    await b.driver.commit();
    assert.deepEqual(store.check(broker), []);
    assert.equal(broker.committed.get('0:requests'), 15);
  });

  it('control: with the store fence off, the oracle reports the old owner\'s late block', async () => {
    const { clock, store, broker, a } = setup();
    store.storeFence = false;
    const b = instance('b', broker, store, clock);
    broker.produce(0, 'requests', 10);
    a.source.assign([0]);
    const frozen = store.freezeNextInsert();
    await a.source.deliver(0, 'requests');
    const aFlushed = a.writer.flush();
    await frozen.reached;
    b.source.assign([0]);
    // In two blocks: a block with the very same records as a's would carry the same dedup token.
    await b.source.deliver(0, 'requests', 5);
    await b.writer.flush();
    await b.source.deliver(0, 'requests');
    await b.writer.flush();
    frozen.open();
    await aFlushed;
    assert.equal(store.check(broker).length, 10, store.check(broker).join('\n'));
  });

  it('a revoked partition\'s block completing late: nothing committed for it, the kept partition re-read once', async () => {
    const { clock, store, broker, a } = setup();
    const b = instance('b', broker, store, clock);
    broker.produce(0, 'requests', 5);
    broker.produce(1, 'requests', 5);
    a.source.assign([0, 1]);
    await a.source.deliver(0, 'requests');
    await a.source.deliver(1, 'requests');
    const frozen = store.freezeNextInsert();
    const aFlushed = a.writer.flush();
    await frozen.reached;
    // Rebalance while the block (both partitions) is in flight: a keeps 1, b gets 0.
    clock.t += 1000;
    b.source.assign([0]);
    a.source.assign([1]);
    await b.source.deliver(0, 'requests');
    await b.writer.flush();
    frozen.open();
    await aFlushed;
    await a.driver.commit();
    assert.equal(broker.committed.get('1:requests') ?? 0, 0, 'a committed rows of a block from its previous assignment');
    // a re-reads partition 1 from the committed offset: its late rows are in the ledger, skipped.
    await a.source.deliver(1, 'requests');
    await a.writer.flush();
    await a.driver.commit();
    await b.driver.commit();
    assert.deepEqual(store.check(broker), []);
    assert.deepEqual(broker.violations, []);
    assert.equal(broker.committed.get('1:requests'), 5);
    assert.equal(broker.committed.get('0:requests'), 5);
  });

  it('a partition lost to a stale claimer is re-read once a heartbeat shows we are still a member', async () => {
    const { clock, store, broker, a } = setup();
    broker.produce(0, 'requests', 4);
    a.source.assign([0]);
    await a.source.deliver(0, 'requests');
    // Someone else (a stale instance) claims partition 0 in the store, then disappears.
    await store.fence('stale').claim([0]);
    await a.writer.flush();
    await a.driver.commit();
    assert.equal(store.rows.length, 0);
    assert.equal(broker.committed.get('0:requests') ?? 0, 0);
    clock.t += 1000;
    await a.source.deliver(0, 'requests');
    assert.equal(a.processor.has(0), false, 'recovered without a fresh heartbeat');
    a.source.heartbeat();
    await a.source.deliver(0, 'requests'); // claims again, seeks back to the committed offset
    assert.equal(a.source.position(0, 'requests'), 0);
    await a.source.deliver(0, 'requests');
    await a.writer.flush();
    await a.driver.commit();
    assert.deepEqual(store.check(broker), []);
    assert.equal(broker.committed.get('0:requests'), 4);
  });

  it('commit never passes an unwritten record, across random interleavings of batches, inserts, lost acknowledgements, commits and rebalances', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rand = mulberry32(seed);
      const { clock, store, broker, a } = setup();
      const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
      a.source.assign([0, 1]);
      const inflight: Promise<void>[] = [];
      for (let step = 0; step < 60; step++) {
        clock.t += 100;
        const p = pick([0, 1]);
        const s = pick(['requests', 'primaries'] as const);
        switch (pick(['produce', 'deliver', 'deliver', 'insert', 'lose-ack', 'commit', 'rebalance'] as const)) {
          case 'produce':
            broker.produce(p, s, 1 + Math.floor(rand() * 5));
            break;
          case 'deliver':
            if (broker.logs.has(p)) await a.source.deliver(p, s, 1 + Math.floor(rand() * 4));
            break;
          case 'insert':
            inflight.push(a.writer.flush());
            break;
          case 'lose-ack':
            store.loseNextAck();
            break;
          case 'commit':
            await a.driver.commit();
            break;
          case 'rebalance':
            a.source.assign([0, 1]);
            break;
        }
      }
      await Promise.all(inflight);
      for (const p of broker.logs.keys()) for (const s of ['requests', 'primaries'] as const) await a.source.deliver(p, s);
      await a.writer.flush();
      await a.driver.commit();
      assert.deepEqual(broker.violations, [], `seed ${seed}`);
      assert.deepEqual(store.check(broker), [], `seed ${seed}`);
    }
  });
});
