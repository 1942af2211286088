"""Reference numbers for the McNemar exact tests in test/gate/stats.test.ts (issue 13), from
scipy.stats.binomtest on the discordant pairs (scipy 1.17). b = only primary right, c = only candidate
right, n = labelled pairs, margin on acc_candidate - acc_primary; theta0 = 1/2 - margin * n / (2 (b + c)).
Run: python test/gate/reference/mcnemar_reference.py"""
from scipy.stats import binomtest


def theta0(b, c, n, margin):
    return max(0.0, min(1.0, 0.5 - margin * n / (2 * (b + c))))


for b, c, n, margin in [(30, 12, 812, 0.0), (30, 12, 812, 0.01), (12, 30, 812, 0.01), (40, 25, 900, 0.02), (5, 5, 100, 0.0), (150, 100, 5000, 0.005)]:
    t, m = theta0(b, c, n, margin), b + c
    print((b, c, n, margin), "theta0", t,
          "nonInferiority", binomtest(c, m, t, alternative="greater").pvalue,
          "inferiority", binomtest(c, m, t, alternative="less").pvalue,
          "superiority", binomtest(c, m, 0.5, alternative="greater").pvalue)
