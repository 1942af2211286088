import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benjaminiHochberg, bonferroni, newcombeDifference, mcnemarExact, newcombePairedDifference, normalCdf, normalQuantile, pValueBelow, pValueExcessAbove, wilson } from '../../src/gate/stats.ts';

// Known values: scipy.stats.norm, R's p.adjust, and the Wilson/Newcombe formulas as published
// (Newcombe 1998, table II: 56/70 vs 48/80 gives 0.0524 to 0.3339 at 95 %).

const close = (actual: number, expected: number, tol: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} is not within ${tol} of ${expected}`);

describe('normal distribution', () => {
  it('normalQuantile matches scipy norm.ppf', () => {
    close(normalQuantile(0.975), 1.959963984540054, 1e-8);
    close(normalQuantile(0.95), 1.6448536269514722, 1e-8);
    close(normalQuantile(0.99), 2.3263478740408408, 1e-8);
    close(normalQuantile(0.01), -2.3263478740408408, 1e-8);
    close(normalQuantile(0.5), 0, 1e-12);
  });

  it('normalCdf matches scipy norm.cdf', () => {
    close(normalCdf(-1.5), 0.06680720126885807, 1e-7);
    close(normalCdf(2.0), 0.9772498680518208, 1e-7);
    close(normalCdf(0), 0.5, 1e-7);
  });

  it('normalQuantile refuses probabilities outside (0, 1)', () => {
    assert.throws(() => normalQuantile(1), RangeError);
    assert.throws(() => normalQuantile(0), RangeError);
  });
});

describe('Wilson score interval', () => {
  const z975 = 1.959963984540054;
  it('gives the textbook 95% intervals', () => {
    const a = wilson(1, 10, z975);
    close(a.lower, 0.017876213095072896, 1e-12);
    close(a.upper, 0.4041500267952385, 1e-12);
    const b = wilson(0, 10, z975);
    assert.equal(b.lower, 0);
    close(b.upper, 0.2775327998628892, 1e-12);
    const c = wilson(81, 263, z975);
    close(c.lower, 0.2552885198782742, 1e-12);
    close(c.upper, 0.36620957698280004, 1e-12);
  });

  it('is [0, 1] with no observations', () => {
    assert.deepEqual(wilson(0, 0, z975), { lower: 0, upper: 1 });
  });
});

describe('Newcombe interval for a difference of proportions', () => {
  it('reproduces Newcombe (1998) method 10 for 56/70 - 48/80', () => {
    const d = newcombeDifference(56, 70, 48, 80, 1.959963984540054);
    close(d.estimate, 0.2, 1e-12);
    close(d.lower, 0.0524, 5e-5);
    close(d.upper, 0.3339, 5e-5);
  });
});

describe('score test p-value', () => {
  it('is below alpha exactly when the Wilson upper bound is below the threshold', () => {
    const z = normalQuantile(0.95);
    for (const [x, n] of [[276, 300], [285, 300], [280, 300], [1344, 1680]] as const) {
      const p = pValueBelow(x, n, 0.95);
      assert.equal(p < 0.05, wilson(x, n, z).upper < 0.95, `${x}/${n}: p=${p}`);
    }
    close(pValueBelow(276, 300, 0.95), 0.008559119852395228, 1e-7);
  });
});

describe('multiple-testing corrections', () => {
  it("Benjamini-Hochberg matches R's p.adjust(p, 'BH')", () => {
    assert.deepEqual(benjaminiHochberg([0.01, 0.02, 0.03, 0.04, 0.05]).map((p) => Number(p.toFixed(12))), [0.05, 0.05, 0.05, 0.05, 0.05]);
    const adj = benjaminiHochberg([0.005, 0.01, 0.03, 0.04, 0.2]);
    // R: p.adjust(c(0.005, 0.01, 0.03, 0.04, 0.2), "BH") = 0.025 0.025 0.050 0.050 0.200
    [0.025, 0.025, 0.05, 0.05, 0.2].forEach((e, i) => close(adj[i] as number, e, 1e-12, `index ${i}`));
  });

  it('Benjamini-Hochberg keeps the input order', () => {
    const adj = benjaminiHochberg([0.2, 0.005, 0.04, 0.01, 0.03]);
    [0.2, 0.025, 0.05, 0.025, 0.05].forEach((e, i) => close(adj[i] as number, e, 1e-12, `index ${i}`));
  });

  it('Bonferroni multiplies by the number of tests and caps at 1', () => {
    assert.deepEqual(bonferroni([0.01, 0.2, 0.5]), [0.03, 0.6000000000000001, 1]);
  });
});

// Issue 13: the noise-floor statistic. Table order (both, firstOnly, secondOnly, neither).
describe('paired difference (excess disagreement over the noise floor)', () => {
  const t = (both: number, firstOnly: number, secondOnly: number, neither: number) => ({ both, firstOnly, secondOnly, neither });

  it('matches the published Newcombe square-and-add example (two-sided 95 %)', () => {
    // Fagerland, Lydersen & Laake, "Statistical Analysis of Contingency Tables", ch. 8 (Cavo et al. 2012),
    // as asserted by R package contingencytables tests/testthat/test-ch8.R:
    // Newcombe_square_and_add_CI_paired_2x2(matrix(c(59, 6, 16, 80), 2, byrow=TRUE)) -> -0.0621 (-0.1186 to -0.0046)
    const r = newcombePairedDifference(t(59, 6, 16, 80), normalQuantile(0.975));
    close(r.estimate, -0.0621, 5e-5);
    close(r.lower, -0.1186, 5e-5);
    close(r.upper, -0.0046, 5e-5);
  });

  it('gives the one-sided 95 % bounds of an independent Python implementation', () => {
    // Reference: Newcombe (1998) method 10 written in Python with z = scipy.stats.norm.ppf(0.95)
    // (test/gate/reference/paired_reference.py): (estimate, lower, upper).
    const z = normalQuantile(0.95);
    const cases: [ReturnType<typeof t>, number, number, number][] = [
      [t(59, 6, 16, 80), -0.06211180124223603, -0.10974484287179014, -0.013785990793168425],
      [t(60, 115, 0, 1825), 0.0575, 0.049243845679761235, 0.06657204351047434],
      [t(60, 10, 12, 1918), -0.001, -0.005161418440305506, 0.00311116053122989],
      [t(0, 0, 0, 500), 0, -0.005381964629841942, 0.005381964629841942],
      [t(3, 40, 2, 955), 0.038, 0.028017892979720814, 0.0497096985292232],
    ];
    for (const [table, est, lower, upper] of cases) {
      const r = newcombePairedDifference(table, z);
      close(r.estimate, est, 1e-12, `estimate ${JSON.stringify(table)}`);
      close(r.lower, lower, 1e-7, `lower ${JSON.stringify(table)}`);
      close(r.upper, upper, 1e-7, `upper ${JSON.stringify(table)}`);
    }
  });

  it('inverts the interval into a one-sided p-value, as scipy brentq on the same bound', () => {
    // brentq(lambda z: lower(z) - 0.02, 0, 40) -> z = 7.3787; p = 1 - norm.cdf(z) = 7.99e-14
    close(pValueExcessAbove(t(60, 115, 0, 1825), 0.02), 7.993605777301127e-14, 1e-15);
    // below the margin: brentq(lambda z: 0.02 - upper(z), 0, 40); p = norm.cdf(z) = 0.9999999982
    close(pValueExcessAbove(t(60, 10, 12, 1918), 0.02), 0.9999999982063629, 1e-9);
    // p < 0.05 exactly when the 95 % one-sided lower bound is above the margin
    const table = t(3, 40, 2, 955);
    const lower = newcombePairedDifference(table, normalQuantile(0.95)).lower; // 0.0280
    assert.ok(pValueExcessAbove(table, lower - 1e-4) < 0.05);
    assert.ok(pValueExcessAbove(table, lower + 1e-4) > 0.05);
  });
});

// Issue 13 (3): labels. b = only the primary right, c = only the candidate right, n = labelled pairs.
describe('McNemar exact test with a margin (labels)', () => {
  it('matches scipy.stats.binomtest on the discordant pairs', () => {
    // test/gate/reference/mcnemar_reference.py: binomtest(c, b + c, theta0, alternative=...).pvalue
    const cases: [number, number, number, number, number, number, number, number][] = [
      // b, c, n, margin, theta0, nonInferiority, inferiority, superiority
      [30, 12, 812, 0, 0.5, 0.9985563760128571, 0.003957948667448363, 0.9985563760128571],
      [30, 12, 812, 0.01, 0.4033333333333333, 0.9590101115074375, 0.07932562852036218, 0.9985563760128571],
      [12, 30, 812, 0.01, 0.4033333333333333, 4.453446469706691e-5, 0.9999887610673641, 0.003957948667448363],
      [40, 25, 900, 0.02, 0.36153846153846153, 0.3939534637136579, 0.700082017313227, 0.9768232628335444],
      [5, 5, 100, 0, 0.5, 0.623046875, 0.623046875, 0.623046875],
      [150, 100, 5000, 0.005, 0.45, 0.9512765224974602, 0.063122868728707, 0.9993934618674185],
    ];
    for (const [b, c, n, margin, theta0, nonInf, inf, sup] of cases) {
      const r = mcnemarExact(b, c, n, margin);
      const what = `b=${b} c=${c} n=${n} margin=${margin}`;
      close(r.theta0, theta0, 1e-12, `theta0 ${what}`);
      close(r.nonInferiority, nonInf, 1e-9 * Math.max(1, nonInf), `nonInferiority ${what}`);
      close(r.inferiority, inf, 1e-9, `inferiority ${what}`);
      close(r.superiority, sup, 1e-9, `superiority ${what}`);
    }
  });

  it('treats no discordant pair as no evidence either way at margin 0', () => {
    assert.deepEqual(mcnemarExact(0, 0, 500, 0), { nonInferiority: 1, inferiority: 1, superiority: 1, theta0: 0.5 });
  });
});
