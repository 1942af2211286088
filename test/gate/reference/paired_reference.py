"""Reference numbers for test/gate/stats.test.ts (issue 13): Newcombe (1998) method 10 for paired
proportions, written from the paper's formulas, independently of src/gate/stats.ts, with scipy for the
normal quantiles and the root finding. Run: python test/gate/reference/paired_reference.py (scipy 1.17)."""
from math import sqrt

from scipy.optimize import brentq
from scipy.stats import norm


def wilson(x, n, z):
    p = x / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0, c - h), min(1, c + h)


def newcombe_paired(a, b, c, d, z):
    """a = both, b = first only, c = second only, d = neither; returns (p1 - p2, lower, upper)."""
    n = a + b + c + d
    x1, x2 = a + b, a + c
    p1, p2 = x1 / n, x2 / n
    l1, u1 = wilson(x1, n, z)
    l2, u2 = wilson(x2, n, z)
    cross = a * d - b * c
    if min(x1, n - x1, x2, n - x2) == 0:
        phi = 0
    else:
        cc = cross - n / 2 if cross > n / 2 else (0 if cross >= 0 else cross)
        phi = cc / sqrt(x1 * (n - x1) * x2 * (n - x2))
    dd = p1 - p2
    return (dd, dd - sqrt((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2),
            dd + sqrt((p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2))


print("published example, two-sided 95%:", newcombe_paired(59, 6, 16, 80, norm.ppf(0.975)))
for t in [(59, 6, 16, 80), (60, 115, 0, 1825), (60, 10, 12, 1918), (0, 0, 0, 500), (3, 40, 2, 955)]:
    print(t, "one-sided 95%:", newcombe_paired(*t, norm.ppf(0.95)))
t = (60, 115, 0, 1825)
z = brentq(lambda z: newcombe_paired(*t, z)[1] - 0.02, 0, 40)
print(t, "p(excess > 0.02) =", 1 - norm.cdf(z))
t = (60, 10, 12, 1918)
z = brentq(lambda z: 0.02 - newcombe_paired(*t, z)[2], 0, 40)
print(t, "p(excess > 0.02) =", norm.cdf(z))
