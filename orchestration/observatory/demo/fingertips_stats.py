"""The OHID/Fingertips statistics the demo Fingertips export is computed with (methods.md §2, §4).

Vectorised and dependency-free (no scipy): the exact Poisson limits for small counts are found by
bisection on the Poisson distribution function, which is what the chi-square formula in methods.md
reduces to for even degrees of freedom. Each function reproduces the methods.md test vectors
(tests/test_demo_fingertips.py checks them).
"""

from __future__ import annotations

import numpy as np

# methods.md prints z to 6 places; its test vectors need full precision (qnorm(0.975), qnorm(0.999)).
Z95 = 1.959963984540054
Z998 = 3.090232306167813
TREND_CHI2 = 9.5495  # chi-square critical value at 99.8%, 1 degree of freedom
TREND_POINTS = 5

# Recent trend labels as Fingertips prints them.
CANNOT = "Cannot be calculated"
NO_CHANGE = "No significant change"


def wilson(x: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score limits of the proportion x/n (0..1); NaN where n is 0."""
    x = np.asarray(x, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        root = z * np.sqrt(z * z + 4 * x * (1 - x / n))
        lower = (2 * x + z * z - root) / (2 * (n + z * z))
        upper = (2 * x + z * z + root) / (2 * (n + z * z))
    bad = n <= 0
    return np.where(bad, np.nan, lower), np.where(bad, np.nan, upper)


def _poisson_cdf(k: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """P(X <= k) for X ~ Poisson(lam), k a small non-negative integer array (< 10 here)."""
    term = np.exp(-lam)
    total = term.copy()
    for i in range(1, int(k.max(initial=0)) + 1):
        term = term * lam / i
        total = total + np.where(i <= k, term, 0.0)
    return total


def _solve(k: np.ndarray, target: float) -> np.ndarray:
    """The lam at which P(X <= k; lam) = target (decreasing in lam), by bisection."""
    lo = np.zeros(k.shape)
    hi = np.full(k.shape, 100.0)
    for _ in range(200):
        mid = (lo + hi) / 2
        above = _poisson_cdf(k, mid) > target
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return (lo + hi) / 2


def exact_poisson(x: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact limits of a Poisson count x: chi2((1-c)/2, 2x)/2 and chi2(c+(1-c)/2, 2x+2)/2."""
    x = np.asarray(x, dtype=np.int64)
    tail = (1 - confidence) / 2
    lower = np.where(x > 0, _solve(np.maximum(x - 1, 0), 1 - tail), 0.0)
    upper = _solve(x, tail)
    return lower, upper


def byar(x: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Byar's approximate limits of a Poisson count x (x >= 10 in use)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3
    upper = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * np.sqrt(x + 1))) ** 3
    return np.where(x > 0, lower, 0.0), upper


def rate_limits(
    x: np.ndarray, n: np.ndarray, multiplier: float, z: float, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Crude rate limits per methods.md: Byar when x >= 10, exact Poisson when x < 10."""
    x = np.asarray(x, dtype=np.int64)
    n = np.asarray(n, dtype=np.float64)
    b_lo, b_hi = byar(x, z)
    small = x < 10
    e_lo, e_hi = exact_poisson(np.where(small, x, 0), confidence)
    lower = np.where(small, e_lo, b_lo)
    upper = np.where(small, e_hi, b_hi)
    with np.errstate(invalid="ignore", divide="ignore"):
        return lower / n * multiplier, upper / n * multiplier


def trend_chi2(counts: np.ndarray, denominators: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chi-square test for linear trend over the last axis (t = 1..T); returns (chi2, slope sign)."""
    o = np.asarray(counts, dtype=np.float64)
    n_t = np.asarray(denominators, dtype=np.float64)
    t = np.arange(1, o.shape[-1] + 1, dtype=np.float64)
    big_n, big_o = n_t.sum(-1), o.sum(-1)
    numerator = big_n * (big_n * (o * t).sum(-1) - big_o * (n_t * t).sum(-1)) ** 2
    denominator = big_o * (big_n - big_o) * (big_n * (n_t * t * t).sum(-1) - (n_t * t).sum(-1) ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        chi2 = numerator / denominator
    slope = np.sign(big_n * (o * t).sum(-1) - big_o * (n_t * t).sum(-1))
    return chi2, slope


def trend_labels(chi2: np.ndarray, slope: np.ndarray, polarity: str) -> np.ndarray:
    """Fingertips' recent-trend wording per series (polarity: 'high', 'low' or '' = no judgement)."""
    chi2, slope = np.asarray(chi2, dtype=np.float64), np.asarray(slope, dtype=np.float64)
    up = np.array("Increasing", dtype=object)
    down = np.array("Decreasing", dtype=object)
    if polarity:
        good_up = polarity == "high"
        up = up + (" and getting better" if good_up else " and getting worse")
        down = down + (" and getting worse" if good_up else " and getting better")
    out = np.where(slope > 0, up, down).astype(object)
    out[(chi2 <= TREND_CHI2) | (slope == 0)] = NO_CHANGE
    out[~np.isfinite(chi2)] = CANNOT
    return out


def trend_label(chi2: float, slope: float, polarity: str) -> str:
    return str(trend_labels(np.array([chi2]), np.array([slope]), polarity)[0])


def compare(
    lower: np.ndarray, upper: np.ndarray, value: np.ndarray, benchmark: np.ndarray, polarity: str
) -> np.ndarray:
    """Compared with a benchmark by the 95% CI (methods.md §4): Similar when the benchmark lies in
    the CI (inclusive), else Better/Worse by polarity, or Higher/Lower without one; Not compared
    without a CI or a benchmark."""
    lower, upper = np.asarray(lower, np.float64), np.asarray(upper, np.float64)
    value, benchmark = np.asarray(value, np.float64), np.asarray(benchmark, np.float64)
    higher = value > benchmark
    if polarity:
        word_high, word_low = ("Better", "Worse") if polarity == "high" else ("Worse", "Better")
    else:
        word_high, word_low = "Higher", "Lower"
    out = np.where(higher, word_high, word_low).astype(object)
    out[(benchmark >= lower) & (benchmark <= upper)] = "Similar"
    out[~(np.isfinite(lower) & np.isfinite(upper) & np.isfinite(benchmark))] = "Not compared"
    return out
