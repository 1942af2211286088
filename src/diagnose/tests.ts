import { mcnemarExact } from '../gate/stats.ts';
import { BAD_CELL, CANDIDATE_SCORE, HIGH_CELL, LOW_CELL, NAN_CELL, NULL_CELL, PRIMARY_SCORE } from '../profiles/profile.ts';
import { chiSquareHomogeneity, psi, twoProportion } from './stats.ts';
import type { DiagnoseThresholds, Histogram, LabelTable, SegmentData, TestKind } from './types.ts';

// The raw tests of one segment value, before the correction across the whole run (classify.ts).

const MISSING_CELLS = new Set([NULL_CELL, NAN_CELL, BAD_CELL]);
const RANGE_CELLS = new Set([LOW_CELL, HIGH_CELL]);
const SCORES = new Set([PRIMARY_SCORE, CANDIDATE_SCORE]);

/** A test with its raw p-value and whether its effect is large enough to matter. */
export interface RawTest {
  readonly kind: TestKind;
  readonly subject: string;
  readonly effect: number;
  readonly reference: number;
  readonly window: number;
  readonly p: number;
  /** The effect-size condition (PSI or rate jump above its threshold); significance is judged later. */
  readonly material: boolean;
}

export function segmentTests(s: SegmentData, t: DiagnoseThresholds): RawTest[] {
  const out: RawTest[] = [];
  const features = new Set([...s.window.profiles.keys(), ...s.reference.profiles.keys()]);
  for (const f of [...features].sort()) {
    const w = s.window.profiles.get(f) ?? new Map<string, number>();
    const r = s.reference.profiles.get(f) ?? new Map<string, number>();
    if (SCORES.has(f)) {
      out.push(distributionTest('score_shift', f, r, w, t.psiScore));
      continue;
    }
    out.push(distributionTest('drift', f, r, w, t.psiDrift));
    out.push(rateTest('missing', f, r, w, MISSING_CELLS, t.healthJump));
    out.push(rateTest('out_of_range', f, r, w, RANGE_CELLS, t.healthJump));
  }
  const wc = s.window.counts;
  const rc = s.reference.counts;
  const mm = twoProportion(rc.schemaMismatches, rc.requests, wc.schemaMismatches, wc.requests);
  out.push({ kind: 'schema_mismatch', subject: '', effect: mm.difference, reference: mm.reference, window: mm.window, p: mm.pHigher, material: mm.difference >= t.healthJump });
  const ag = twoProportion(rc.agreements, rc.bothOk, wc.agreements, wc.bothOk);
  out.push({ kind: 'agreement_drop', subject: '', effect: ag.difference, reference: ag.reference, window: ag.window, p: ag.pLower, material: -ag.difference >= t.agreementDrop });
  return out;
}

/** Drift of the valid values only: missing and out-of-range values are health, judged on their own. */
function distributionTest(kind: TestKind, subject: string, r: Histogram, w: Histogram, threshold: number): RawTest {
  const cells = [...new Set([...r.keys(), ...w.keys()])].filter((c) => !MISSING_CELLS.has(c) && !RANGE_CELLS.has(c)).sort();
  const rv = cells.map((c) => r.get(c) ?? 0);
  const wv = cells.map((c) => w.get(c) ?? 0);
  const value = psi(rv, wv);
  const chi = chiSquareHomogeneity(rv, wv);
  return { kind, subject, effect: value, reference: total(rv), window: total(wv), p: chi.p, material: value >= threshold };
}

function rateTest(kind: TestKind, subject: string, r: Histogram, w: Histogram, cells: ReadonlySet<string>, jump: number): RawTest {
  const count = (h: Histogram) => {
    let x = 0;
    for (const [c, n] of h) if (cells.has(c)) x += n;
    return x;
  };
  const t = twoProportion(count(r), total([...r.values()]), count(w), total([...w.values()]));
  return { kind, subject, effect: t.difference, reference: t.reference, window: t.window, p: t.pHigher, material: t.difference >= jump };
}

/** What labels say in a segment's window: 'worse', 'better' or 'inconclusive' (McNemar exact, no margin). */
export function labelsSay(l: LabelTable | null, alpha: number): { verdict: 'worse' | 'better' | 'inconclusive' | 'none'; text: string } {
  if (!l || l.labelled === 0) return { verdict: 'none', text: 'no labels in the window' };
  const m = mcnemarExact(l.onlyPrimaryRight, l.onlyCandidateRight, l.labelled, 0);
  const acc = (x: number) => ((l.bothRight + x) / l.labelled).toFixed(4);
  const text = `labels (n=${l.labelled}): candidate accuracy ${acc(l.onlyCandidateRight)} vs primary ${acc(l.onlyPrimaryRight)}`;
  if (m.inferiority < alpha) return { verdict: 'worse', text: `${text}, McNemar p=${m.inferiority.toPrecision(2)}` };
  if (m.superiority < alpha) return { verdict: 'better', text: `${text}, McNemar p=${m.superiority.toPrecision(2)}` };
  return { verdict: 'inconclusive', text: `${text}, not significant` };
}

function total(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}
