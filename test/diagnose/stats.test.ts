import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chiSquareHomogeneity, holm, psi, twoProportion } from '../../src/diagnose/stats.ts';

// Reference values from scipy 1.17.1 / numpy:
//   psi: r, c = np.array(r) + 0.5, np.array(c) + 0.5; r /= r.sum(); c /= c.sum(); ((c - r) * np.log(c / r)).sum()
//   chi-square: scipy.stats.chi2_contingency([r, c], correction=False)
//   two proportions: pooled z, scipy.stats.norm.sf(z) / norm.cdf(z)
//   holm: R p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02
const close = (a: number, b: number, rel = 1e-9) => assert.ok(Math.abs(a - b) <= rel * Math.max(1e-300, Math.abs(b)), `${a} vs ${b}`);

describe('diagnose statistics against reference implementations', () => {
  const r = [120, 340, 560, 410, 150, 60];
  const c = [80, 260, 520, 480, 260, 140];

  it('PSI with a 0.5 pseudo-count matches numpy', () => {
    close(psi(r, c), 0.10227876665228872);
    close(psi([0, 10, 20], [5, 10, 15]), 0.42499684682817973);
    assert.equal(psi(r, r), 0);
  });

  it('chi-square homogeneity matches scipy.stats.chi2_contingency(correction=False)', () => {
    const x = chiSquareHomogeneity(r, c);
    close(x.statistic, 84.28115430310794);
    assert.equal(x.df, 5);
    close(x.p, 1.0650241432283908e-16, 1e-6);
  });

  it('the pooled two-proportion z-test matches scipy.stats.norm', () => {
    const t = twoProportion(12, 1000, 45, 1100);
    close(t.pHigher, 2.3342170204788612e-5, 1e-6);
    close(t.pLower, 0.9999766578297952, 1e-9);
    close(t.difference, 45 / 1100 - 12 / 1000);
  });

  it("Holm's adjustment matches R's p.adjust", () => {
    const got = holm([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((want, i) => close(got[i]!, want));
    assert.deepEqual(holm([0.5, 0.9]), [1, 1]); // monotone: never below an earlier step
  });
});
