import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCanaryController, type ControllerDeps } from '../../src/canary/controller.ts';
import { DEFAULT_JUDGE_POLICY } from '../../src/canary/judge.ts';
import { latencyBin, scoreBin } from '../../src/canary/bins.ts';
import type { SliceEvidence, VersionSlice } from '../../src/canary/types.ts';
import type { CanaryState } from '../../src/registry/types.ts';
import { lognormal, mulberry32, type Rng } from '../../src/traffic/prng.ts';

// The ramp controller with a fake registry, a fake clock and simulated traffic: `rate` requests per
// second, split by the current weight, four countries, per-country error rates for the canary.

const COUNTRIES = ['US', 'BR', 'DE', 'IN'];
const MIN = 60_000;

function slice(rng: Rng, n: number, errorRate: number): VersionSlice {
  let errors = 0;
  const lat: number[] = [];
  const sc: number[] = [];
  for (let i = 0; i < n; i++) {
    if (rng() < errorRate) errors++;
    const l = latencyBin(lognormal(rng, 20, 0.5));
    lat[l] = (lat[l] ?? 0) + 1;
    const s = scoreBin(rng() ** 2);
    sc[s] = (sc[s] ?? 0) + 1;
  }
  return { answered: n, errors, latencyBins: Array.from(lat, (x) => x ?? 0), scoreBins: Array.from(sc, (x) => x ?? 0), labeled: 0, correct: 0 };
}

function world(opts: { rate: number; canaryErrors: (country: string) => number; seed: number }) {
  const rng = mulberry32(opts.seed);
  let nowMs = Date.parse('2026-12-01T00:00:00Z');
  let production = 'v9';
  let canary: CanaryState | null = {
    version: 'v10', weight: 0.01, steps: [0.01, 0.05, 0.25, 0.5, 1], step: 0, stepDurationMs: 30 * MIN, minComparisonsPerStep: 500,
    startedAt: new Date(nowMs).toISOString(), stepStartedAt: new Date(nowMs).toISOString(), status: 'running',
  };
  const actions: string[] = [];
  const weights: number[] = [];
  const deps: ControllerDeps = {
    state: async () => ({ production, canary }),
    evidence: async (from, to): Promise<SliceEvidence[]> => {
      const seconds = (to.getTime() - from.getTime()) / 1000;
      const w = canary?.weight ?? 0;
      const per = COUNTRIES.map((c) => ({
        c,
        baseline: slice(rng, Math.round((opts.rate * seconds * (1 - w)) / 4), 0.02),
        canary: slice(rng, Math.round((opts.rate * seconds * w) / 4), opts.canaryErrors(c)),
      }));
      const sum = (xs: VersionSlice[]): VersionSlice => ({
        answered: xs.reduce((a, x) => a + x.answered, 0), errors: xs.reduce((a, x) => a + x.errors, 0),
        latencyBins: addBins(xs.map((x) => x.latencyBins)), scoreBins: addBins(xs.map((x) => x.scoreBins)), labeled: 0, correct: 0,
      });
      return [
        { dimension: '__all__', value: '__all__', baseline: sum(per.map((p) => p.baseline)), canary: sum(per.map((p) => p.canary)) },
        ...per.map((p) => ({ dimension: 'country', value: p.c, baseline: p.baseline, canary: p.canary })),
      ];
    },
    advance: async (reason) => {
      assert.ok(canary);
      const step = canary.step + 1;
      canary = { ...canary, step, weight: canary.steps[step] as number, stepStartedAt: new Date(nowMs).toISOString() };
      actions.push(`advance ${canary.weight}`);
      weights.push(canary.weight);
      assert.match(reason, /^step \d\/5 passed at \d+%: error rate/);
    },
    hold: async (reason) => void actions.push(`hold: ${reason}`),
    abort: async (reason) => {
      assert.ok(canary);
      canary = { ...canary, weight: 0, status: 'aborted' };
      actions.push(`abort: ${reason}`);
    },
    promote: async () => {
      production = 'v10';
      canary = null;
      actions.push('promote');
    },
    now: () => new Date(nowMs),
    sleep: async (ms) => void (nowMs += ms),
    log: () => {},
  };
  return { deps, actions, weights };
}

function addBins(hs: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  for (const h of hs) h.forEach((v, i) => (out[i] = (out[i] ?? 0) + v));
  return Array.from(out, (x) => x ?? 0);
}

const OPTS = { policy: DEFAULT_JUDGE_POLICY, pollMs: MIN, maxPolls: 1000 };

describe('canary ramp controller', () => {
  it('aborts at the first step once there is enough evidence, naming the segment with 3x the error rate', async () => {
    const w = world({ rate: 200, seed: 1, canaryErrors: (c) => (c === 'BR' ? 0.06 : 0.02) });
    assert.equal(await runCanaryController(w.deps, OPTS), 'aborted');
    assert.deepEqual(w.weights, [], 'never advanced');
    const abort = w.actions.at(-1) ?? '';
    // Either BR's own bound crosses first, or the overall one does and points at BR as the worst segment.
    assert.match(abort, /^abort: (country=BR: error rate \d+\.\d\d% vs baseline \d\.\d\d% \(n=\d+\/\d+\), difference|overall: error rate .* investigate country=BR first \(error rate \d\.\d\d% vs \d\.\d\d%, n=\d+\/\d+, the largest increase of any segment\))/);
    assert.doesNotMatch(abort, /country=(US|DE|IN)/);
  });

  it('ramps an equal canary through every step to production', async () => {
    const w = world({ rate: 200, seed: 2, canaryErrors: () => 0.02 });
    assert.equal(await runCanaryController(w.deps, OPTS), 'promoted');
    assert.deepEqual(w.weights, [0.05, 0.25, 0.5]);
    assert.equal(w.actions.at(-1), 'promote');
  });

  it('holds at 1% when traffic is too thin, never advancing', async () => {
    const w = world({ rate: 0.1, seed: 3, canaryErrors: () => 0.02 });
    assert.equal(await runCanaryController(w.deps, { ...OPTS, maxPolls: 200 }), 'stopped');
    assert.deepEqual(w.weights, []);
    const holds = w.actions.filter((a) => a.startsWith('hold'));
    assert.equal(holds.length, 1, 'one audited hold per step, not one per poll');
    assert.match(holds[0]!, /^hold: overall: \d+ canary and \d+ baseline requests, need 500 each/);
  });
});
