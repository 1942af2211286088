import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chiSquareHomogeneity, chiSquareSurvival, mannWhitneyBinned } from '../../src/canary/stats.ts';

// Reference values from scipy 1.17.1 (numpy arrays built with np.repeat(np.arange(k), bins)).
const X = [3, 10, 25, 40, 12, 5, 0, 1];
const Y = [8, 20, 30, 25, 6, 2, 1, 0];

const close = (a: number, b: number, rel = 1e-9) => assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

describe('canary statistics against scipy', () => {
  it('Mann-Whitney U on binned data with ties: scipy.stats.mannwhitneyu(x, y, alternative="greater", method="asymptotic")', () => {
    const r = mannWhitneyBinned(X, Y);
    assert.equal(r.u, 5661);
    close(r.pGreater, 0.0002671727882897884, 1e-7);
    const rev = mannWhitneyBinned(Y, X);
    assert.equal(rev.u, 3171);
    close(rev.pGreater, 0.9997355768506114, 1e-7);
    close(r.effect, 5661 / (96 * 92));
  });

  it('stays unconvinced at low volume with heavy ties (scipy: U = 15, p = 0.3002)', () => {
    const r = mannWhitneyBinned([3, 2], [4, 1]);
    assert.equal(r.u, 15);
    close(r.pGreater, 0.3002356300616927, 1e-7);
  });

  it('chi-square homogeneity: scipy.stats.chi2_contingency([x, y], correction=False)', () => {
    const r = chiSquareHomogeneity(X, Y);
    close(r.statistic, 14.729420338115993, 1e-12);
    assert.equal(r.df, 7);
    close(r.p, 0.03962855654368853, 1e-8);
  });

  it('chi-square survival function: scipy.stats.chi2.sf', () => {
    close(chiSquareSurvival(3.2, 4), 0.5249309467861041, 1e-10);
    close(chiSquareSurvival(25.0, 3), 1.5440498291101365e-5, 1e-8);
    close(chiSquareSurvival(0.5, 1), 0.47950012218695337, 1e-10);
    close(chiSquareSurvival(120.0, 40), 6.35191834037896e-10, 1e-6);
  });
});
