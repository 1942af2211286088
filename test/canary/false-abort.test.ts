import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { perJudgement, perRollout } from '../../scripts/canary-false-abort.ts';

// The judge on equal versions (scripts/canary-false-abort.ts, fewer seeds than its default 200): false
// aborts stay within the 5% budget per judgement and over whole rollouts, where the controller judges at
// every poll. Before the per-band alpha spending and the exact check, 10 of 20 such rollouts aborted.

describe('canary false aborts on equal versions', () => {
  it('a single judgement at 5% weight aborts none of 60 equal canaries', () => {
    const t = perJudgement(60, 36_000, 0.05);
    assert.equal(t.ABORT, 0, JSON.stringify(t));
    assert.ok(t['PROMOTE-STEP'] >= 30, `only ${t['PROMOTE-STEP']} of 60 passed`);
  });

  it('whole rollouts, judged at every poll, abort at most 5% of 40 equal canaries', async () => {
    const r = await perRollout(40, { rate: 20, stepMinutes: 30, pollSeconds: 60 });
    console.log(`# 40 equal rollouts: ${JSON.stringify(r)}`);
    assert.ok(r.aborted <= 2, JSON.stringify(r));
    assert.ok(r.promoted >= 28, `only ${r.promoted} of 40 equal canaries reached production: ${JSON.stringify(r)}`);
  });
});
