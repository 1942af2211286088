import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CaughtUpJudge, caughtUpHorizonMs, type PartitionLag } from '../../../src/sources/kafka/group-lag.ts';
import { caughtUpText } from '../../../src/registry/index.ts';

const part = (partition: number, logEnd: number, position: number): PartitionLag => ({ topic: 't', partition, logEnd, position, lag: logEnd - position });

describe('caught-up judgement', () => {
  it('is caught up while traffic flows if everything older than the horizon is committed', () => {
    const judge = new CaughtUpJudge(10_000);
    judge.observe(0, [part(0, 100, 100)]);
    judge.observe(5_000, [part(0, 150, 120)]);
    // At 12 s the newest sample at least 10 s old is the one at 0 s (log end 100): all of it committed.
    const s = judge.observe(12_000, [part(0, 230, 140)]);
    assert.deepEqual(s, { caughtUp: true, behind: 0, lag: 90 });
  });

  it('is behind by the records older than the horizon that are still uncommitted', () => {
    const judge = new CaughtUpJudge(10_000);
    judge.observe(0, [part(0, 1000, 100), part(1, 500, 500)]);
    const s = judge.observe(11_000, [part(0, 1100, 400), part(1, 520, 500)]);
    assert.deepEqual(s, { caughtUp: false, behind: 600, lag: 720 });
  });

  it('judges against the oldest sample until one is as old as the horizon (stricter, never laxer)', () => {
    const judge = new CaughtUpJudge(60_000);
    assert.deepEqual(judge.observe(0, [part(0, 50, 0)]), { caughtUp: false, behind: 50, lag: 50 });
    assert.deepEqual(judge.observe(5_000, [part(0, 50, 50)]), { caughtUp: true, behind: 0, lag: 0 });
  });

  it('counts a partition with nothing to read as caught up, and an idle group reaches lag 0', () => {
    const judge = new CaughtUpJudge(1_000);
    assert.equal(judge.observe(0, [part(0, 0, 0)]).caughtUp, true);
  });

  it('uses the join window, idle time, log-end check, flush interval and commit interval as the horizon', () => {
    assert.equal(caughtUpHorizonMs({ join: { windowMs: 60_000, idleMs: 5_000 }, sink: { flushIntervalMs: 1_000 } }), 68_000);
  });

  it('prints the status line', () => {
    assert.equal(caughtUpText({ group: 'g', source: 'from the broker', caughtUp: true, behind: 0, lag: 0 }), 'yes, 0 records behind (group g, from the broker)');
    assert.equal(
      caughtUpText({ group: 'g', source: 'from the broker', caughtUp: false, behind: 1200, lag: 1500 }),
      'no, 1,200 records behind (group g, from the broker; 1,500 not yet committed, some of them waiting in the join window)',
    );
    assert.equal(caughtUpText({ group: 'g', source: 'from the broker', error: 'timeout' }), 'unknown (group g, from the broker: timeout)');
  });
});
