// The canary judge on equal versions, over repeated seeds: how often does it abort a canary that is no
// worse than production (a false abort)? Traffic is drawn from the breast-cancer fixture (its rows, its
// three segment dimensions and 14 segment values, production's scores for both versions), with the same
// error rate and latency distribution for both versions, binned as the stream bins them.
//
// Two figures:
//   per judgement: one judge call per seed on a step's full evidence (the step's traffic at its weight);
//   per rollout:   the ramp controller over a whole rollout (steps 1,5,25,50,100, one judgement per poll,
//                  every poll a chance to abort), with a fake clock: the rate a real `canary run` sees.
//
//   npx tsx scripts/canary-false-abort.ts [--seeds 200] [--rate 20] [--step-minutes 30] [--poll-seconds 60]
//   FALSE_ABORT_DEBUG=1 also prints the reason of every false abort.
import { parseArgs } from 'node:util';
import { latencyBin, scoreBin } from '../src/canary/bins.ts';
import { runCanaryController } from '../src/canary/controller.ts';
import { DEFAULT_JUDGE_POLICY, emptySlice, judgeCanary } from '../src/canary/judge.ts';
import type { SliceEvidence, VersionSlice } from '../src/canary/types.ts';
import type { CanaryState } from '../src/registry/types.ts';
import { expectedOutput, loadDataset, mulberry32, type Rng } from '../src/traffic/index.ts';
import { lognormal } from '../src/traffic/prng.ts';

const ds = loadDataset('breast_cancer');
const SCORES = ds.rows.map((_, i) => {
  const o = expectedOutput(ds, 'diagnosis', 'v9', i) as { score?: number };
  return Number(o.score ?? 0);
});
const ERROR_RATE = 0.01;

interface MutableSlice { answered: number; errors: number; latencyBins: number[]; scoreBins: number[]; labeled: number; correct: number }

/** Accumulates per-slice evidence for two versions that behave the same. */
export class EqualTraffic {
  private readonly slices = new Map<string, { dimension: string; value: string; baseline: MutableSlice; canary: MutableSlice }>();
  constructor(private readonly rng: Rng) {}

  add(n: number, weight: number): void {
    for (let i = 0; i < n; i++) {
      const row = Math.floor(this.rng() * ds.rows.length);
      const side = this.rng() < weight ? 'canary' : 'baseline';
      const error = this.rng() < ERROR_RATE;
      const lat = latencyBin(lognormal(this.rng, 8, 0.4));
      const sc = scoreBin(SCORES[row] as number);
      const keys: [string, string][] = [['__all__', '__all__'], ...Object.entries(ds.segments[row] ?? {})];
      for (const [dimension, value] of keys) {
        const k = `${dimension}\u0000${value}`;
        let s = this.slices.get(k);
        if (!s) this.slices.set(k, (s = { dimension, value, baseline: mutable(), canary: mutable() }));
        const v = s[side];
        v.answered++;
        if (error) v.errors++;
        else {
          v.latencyBins[lat] = (v.latencyBins[lat] ?? 0) + 1;
          v.scoreBins[sc] = (v.scoreBins[sc] ?? 0) + 1;
        }
      }
    }
  }

  evidence(): SliceEvidence[] {
    const dense = (v: MutableSlice): VersionSlice => ({ ...v, latencyBins: Array.from(v.latencyBins, (x) => x ?? 0), scoreBins: Array.from(v.scoreBins, (x) => x ?? 0) });
    return [...this.slices.values()].map((s) => ({ dimension: s.dimension, value: s.value, baseline: dense(s.baseline), canary: dense(s.canary) }));
  }
}

function mutable(): MutableSlice {
  const e = emptySlice();
  return { ...e, latencyBins: [], scoreBins: [] };
}

export type Tally = Record<'ABORT' | 'PROMOTE-STEP' | 'HOLD', number>;

/** One judgement per seed on `requests` requests with the canary at `weight`. */
export function perJudgement(seeds: number, requests: number, weight: number): Tally {
  const tally: Tally = { ABORT: 0, 'PROMOTE-STEP': 0, HOLD: 0 };
  for (let seed = 1; seed <= seeds; seed++) {
    const t = new EqualTraffic(mulberry32(seed));
    t.add(requests, weight);
    tally[judgeCanary(t.evidence(), DEFAULT_JUDGE_POLICY).decision]++;
  }
  return tally;
}

export type RolloutTally = Record<'aborted' | 'promoted' | 'stopped' | 'no-canary', number>;

/** The controller over a whole rollout per seed; traffic arrives at `rate` per second between polls. */
export async function perRollout(seeds: number, o: { rate: number; stepMinutes: number; pollSeconds: number }): Promise<RolloutTally> {
  const tally: RolloutTally = { aborted: 0, promoted: 0, stopped: 0, 'no-canary': 0 };
  for (let seed = 1; seed <= seeds; seed++) {
    const rng = mulberry32(10_000 + seed);
    let nowMs = Date.parse('2026-12-01T00:00:00Z');
    let production = 'v9';
    let traffic = new EqualTraffic(rng);
    let canary: CanaryState | null = {
      version: 'v10', weight: 0.01, steps: [0.01, 0.05, 0.25, 0.5, 1], step: 0, stepDurationMs: o.stepMinutes * 60_000, minComparisonsPerStep: DEFAULT_JUDGE_POLICY.minCanaryRequests,
      startedAt: new Date(nowMs).toISOString(), stepStartedAt: new Date(nowMs).toISOString(), status: 'running',
    };
    const outcome = await runCanaryController(
      {
        state: async () => ({ production, canary }),
        evidence: async () => traffic.evidence(),
        advance: async () => {
          const step = canary!.step + 1;
          canary = { ...canary!, step, weight: canary!.steps[step] as number, stepStartedAt: new Date(nowMs).toISOString() };
          traffic = new EqualTraffic(rng); // a step's evidence starts at the step
        },
        hold: async () => {},
        abort: async (reason) => {
          if (process.env.FALSE_ABORT_DEBUG) console.error(`seed ${seed} step ${canary!.step}: ${reason}`);
          canary = { ...canary!, weight: 0, status: "aborted" };
        },
        promote: async () => {
          production = 'v10';
          canary = null;
        },
        now: () => new Date(nowMs),
        sleep: async (ms) => {
          nowMs += ms;
          traffic.add(Math.round((o.rate * ms) / 1000), canary?.weight ?? 0);
        },
        log: () => {},
      },
      // Enough polls for every step twice over: a canary still holding then counts as stopped.
      { policy: DEFAULT_JUDGE_POLICY, pollMs: o.pollSeconds * 1000, maxPolls: Math.ceil((10 * o.stepMinutes * 60) / o.pollSeconds) },
    );
    tally[outcome]++;
  }
  return tally;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seeds: { type: 'string', default: '200' }, rate: { type: 'string', default: '20' }, 'step-minutes': { type: 'string', default: '30' }, 'poll-seconds': { type: 'string', default: '60' } },
  });
  const seeds = Number(values.seeds);
  const rate = Number(values.rate);
  const stepMinutes = Number(values['step-minutes']);
  const pollSeconds = Number(values['poll-seconds']);
  const stepRequests = rate * stepMinutes * 60;
  console.log(`equal versions, ${seeds} seeds, error rate ${ERROR_RATE * 100}% both, ${rate} requests/s, steps of ${stepMinutes} min, judge defaults (src/canary/judge.ts)`);
  for (const weight of [0.01, 0.05, 0.25, 0.5]) {
    const t = perJudgement(seeds, stepRequests, weight);
    console.log(`per judgement at ${weight * 100}% (${stepRequests} requests): abort ${t.ABORT}, pass ${t['PROMOTE-STEP']}, hold ${t.HOLD}  (false aborts ${((100 * t.ABORT) / seeds).toFixed(1)}%)`);
  }
  const r = await perRollout(seeds, { rate, stepMinutes, pollSeconds });
  console.log(`per rollout (polls every ${pollSeconds} s): aborted ${r.aborted}, promoted ${r.promoted}, still holding ${r.stopped}  (false aborts ${((100 * r.aborted) / seeds).toFixed(1)}%)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
