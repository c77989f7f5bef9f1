"""The Observatory's one statistics implementation: intervals, benchmark comparisons and trends.

Every mart gets these numbers through the DuckDB functions in `observatory.duckdb_functions`, which
call this module, so a figure on the site, in an export and in a test is computed once, one way.
The formulas are those of the methods reference (§2 rates, §3 disproportionality, §4 benchmarks and
trend); docs/methods.md ("Statistics implementation") records the choices made here.

Arguments are numpy arrays or scalars that broadcast together; results have their shape (a numpy
scalar for scalar input), because a mart computes a million intervals at once. NaN means "cannot be
computed" (a zero denominator, a missing input, too few points) so that no reader mistakes it for
a real 0 or infinity. Labels are object arrays of str, None where the polarity is missing.
"""

from __future__ import annotations

import numpy as np
from scipy import special

# Quantiles come from scipy.special, the functions scipy.stats' norm.ppf, t.ppf and chi2.ppf call,
# because the scipy.stats wrappers cost ~0.3 ms a call: most of the time of a UDF chunk of 2,048 rows.
# norm.ppf(p) = ndtri(p); t.ppf(p, df) = stdtrit(df, p); chi2.ppf(p, df) = chdtri(df, 1 − p).

# Category arguments become their index in these tuples (−1 when missing); see `_codes`.
POLARITIES = ("high_is_good", "low_is_good", "no_judgement", "near_one_is_good")
HIGH_IS_GOOD, LOW_IS_GOOD = 0, 1
RATIO_METHODS = ("katz", "poisson")
KATZ = 0
TREND_STATISTICS = ("proportion", "rate", "mean")
TREND_POINTS = 5
# χ²(1 df) at 99.8%, i.e. 3.090232²: the Fingertips threshold for a significant recent trend (§4).
TREND_CRITICAL = 9.5495

NOT_COMPUTED = "Cannot be calculated"


def _floats(*args):
    """Float arrays broadcast to one shape, so masks and assignments line up."""
    return np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in args))


def _out(a):
    # a[()] turns a 0-d array into a scalar and leaves other arrays alone: scalars in, scalars out.
    return a[()]


def _choose(cases, default):
    """The label of the first true condition per element, like np.select (cases broadcast together).

    Selecting small integer codes and then looking the words up is several times faster than
    np.select on strings, which matters at a million rows.
    """
    labels = np.array([label for _, label in cases] + [default], dtype=object)
    codes = np.select([condition for condition, _ in cases], np.arange(len(cases)), len(cases))
    return _out(np.asarray(labels[codes], dtype=object))


def _codes(names, allowed, what):
    """Each name's index in `allowed`, −1 where missing (None), as small integers.

    Comparing strings in an object array costs more than the arithmetic, so names are looked up
    once. An unknown name raises: a typo in an indicator's polarity would otherwise mislabel it.
    """
    names = np.asarray(names, dtype=object)
    index = {name: i for i, name in enumerate(allowed)}
    flat = names.ravel().tolist()
    codes = np.array([index.get(name, -1) for name in flat], dtype=np.int8).reshape(names.shape)
    if (codes < 0).any():
        unknown = {name for name in flat if isinstance(name, str)} - index.keys()
        if unknown:
            raise ValueError(f"unknown {what} {sorted(unknown)}; expected one of {list(allowed)}")
    return codes


def z_for(confidence=0.95):
    """Two-sided normal quantile: 0.95 → 1.959964, 0.998 → 3.090232 (§2)."""
    c = np.asarray(confidence, dtype=float)
    with np.errstate(invalid="ignore"):
        z = special.ndtri(1 - (1 - c) / 2)
    return _out(np.where((c > 0) & (c < 1), z, np.nan))


def wilson_interval(x, n, confidence=0.95):
    """Wilson score interval for x events out of n, as proportions 0–1 (§2).

    Wilson rather than the normal approximation because it stays inside 0–1 and behaves for the
    small counts of single ethnic groups.
    """
    x, n = _floats(x, n)
    z = z_for(confidence)
    with np.errstate(all="ignore"):
        centre = 2 * x + z**2
        spread = z * np.sqrt(z**2 + 4 * x * (1 - x / n))
        denominator = 2 * (n + z**2)
        lower, upper = (centre - spread) / denominator, (centre + spread) / denominator
    valid = (n > 0) & (x >= 0) & (x <= n) & np.isfinite(z)
    return _out(np.where(valid, lower, np.nan)), _out(np.where(valid, upper, np.nan))


def rate_interval(x, n, multiplier, confidence=0.95):
    """Interval of the crude rate x / n * multiplier: Byar when x >= 10, exact Poisson below (§2).

    Byar's approximation is accurate from about 10 events; below that the exact chi-square limits
    are used. With x = 0 the lower limit is 0 and the upper still comes from the exact formula.
    """
    x, n, multiplier, c = _floats(x, n, multiplier, confidence)
    z = np.asarray(z_for(c), dtype=float)
    valid = np.isfinite(x) & (x >= 0) & (n > 0) & np.isfinite(multiplier) & np.isfinite(z)
    lower, upper = np.full(x.shape, np.nan), np.full(x.shape, np.nan)
    with np.errstate(all="ignore"):
        byar = valid & (x >= 10)
        xb, zb, xb1 = x[byar], z[byar], x[byar] + 1
        lower[byar] = xb * (1 - 1 / (9 * xb) - zb / (3 * np.sqrt(xb))) ** 3
        upper[byar] = xb1 * (1 - 1 / (9 * xb1) + zb / (3 * np.sqrt(xb1))) ** 3
        # lower = chi2.ppf((1 − c)/2, 2x)/2 and upper = chi2.ppf(c + (1 − c)/2, 2x + 2)/2.
        exact = valid & (x < 10)
        xe, ce = x[exact], c[exact]
        lower[exact] = np.where(xe > 0, special.chdtri(2 * xe, 1 - (1 - ce) / 2) / 2, 0.0)
        upper[exact] = special.chdtri(2 * xe + 2, (1 - ce) / 2) / 2
    scale = multiplier / n
    return _out(lower * scale), _out(upper * scale)


def mean_interval(mean, sd, n, confidence=0.95):
    """mean ± t(1 − (1−c)/2, n−1)·sd/√n (§2); NaN below n = 2, where the t quantile does not exist."""
    mean, sd, n, c = _floats(mean, sd, n, confidence)
    valid = np.isfinite(mean) & (sd >= 0) & (n >= 2) & (c > 0) & (c < 1)
    with np.errstate(all="ignore"):
        half = special.stdtrit(n - 1, 1 - (1 - c) / 2) * sd / np.sqrt(n)
    half = np.where(valid, half, np.nan)
    return _out(mean - half), _out(mean + half)


def normal_interval(estimate, standard_error, confidence=0.95):
    """estimate ± z·SE: the interval of a gap between two independent estimates (a group's mean or
    weighted share minus the reference group's), SE = sqrt(SE1² + SE2²); NaN without an SE."""
    estimate, se, c = _floats(estimate, standard_error, confidence)
    z = np.asarray(z_for(c), dtype=float)
    half = np.where(np.isfinite(se) & (se >= 0), z * se, np.nan)
    return _out(estimate - half), _out(estimate + half)


def ratio_interval(a, n1, c, n0, method, confidence=0.95):
    """Relative rate (a/n1)/(c/n0) with its log-scale interval (§3); returns (ratio, lower, upper).

    'katz' for persons counted once (SE = sqrt(1/a − 1/n1 + 1/c − 1/n0), as scipy's relative_risk);
    'poisson' for events that can repeat per person (SE = sqrt(1/a + 1/c)). With a or c = 0 the
    ratio is NaN, not 0 or infinity: the reference says it is not computed.
    """
    method = _codes(method, RATIO_METHODS, "ratio method")
    a, n1, c, n0, conf = _floats(a, n1, c, n0, confidence)
    method = np.broadcast_to(method, a.shape)
    katz = method == KATZ
    z = z_for(conf)
    with np.errstate(all="ignore"):
        ratio = (a / n1) / (c / n0)
        variance = np.where(katz, 1 / a - 1 / n1 + 1 / c - 1 / n0, 1 / a + 1 / c)
        se = np.sqrt(variance)
        lower, upper = ratio * np.exp(-z * se), ratio * np.exp(z * se)
    # Katz counts persons once, so a group cannot have more events than people.
    within = ~katz | ((a <= n1) & (c <= n0))
    valid = (a > 0) & (c > 0) & (n1 > 0) & (n0 > 0) & within & (method >= 0)
    valid &= np.isfinite(a) & np.isfinite(c) & np.isfinite(n1) & np.isfinite(n0) & np.isfinite(z)
    return tuple(_out(np.where(valid, v, np.nan)) for v in (ratio, lower, upper))


def compare_with_benchmark(value, lower, upper, benchmark, polarity):
    """Fingertips comparison label (§4): 'Similar' when the benchmark lies in the CI, inclusive.

    Outside the CI the label is 'Better'/'Worse' for indicators with a good direction and
    'Higher'/'Lower' for 'no_judgement' and 'near_one_is_good' (a ratio is good near 1 from either
    side, so above or below the benchmark is not better or worse in itself). Without a value, a CI
    or a benchmark the label is 'Not compared'; without a polarity it is None.
    """
    polarity = _codes(polarity, POLARITIES, "polarity")
    value, lower, upper, benchmark = _floats(value, lower, upper, benchmark)
    complete = np.isfinite(value) & np.isfinite(lower) & np.isfinite(upper) & np.isfinite(benchmark)
    higher = value > benchmark
    good = np.where(polarity == HIGH_IS_GOOD, higher, ~higher)
    judged = (polarity == HIGH_IS_GOOD) | (polarity == LOW_IS_GOOD)
    return _choose(
        [
            (polarity < 0, None),
            (~complete, "Not compared"),
            ((lower <= benchmark) & (benchmark <= upper), "Similar"),
            (judged & good, "Better"),
            (judged, "Worse"),
            (higher, "Higher"),
        ],
        default="Lower",
    )


def _window(series, points):
    """The last `points` values along the last axis (oldest → newest); all NaN when there are fewer."""
    series = np.asarray(series, dtype=float)
    if series.shape[-1] < points:
        return np.full((*series.shape[:-1], points), np.nan)
    return series[..., series.shape[-1] - points :]


def trend_test(
    numerators=None,
    denominators=None,
    statistic="proportion",
    *,
    values=None,
    standard_errors=None,
    min_points=TREND_POINTS,
):
    """χ² of the recent trend and its direction (+1 up, −1 down) over the last `min_points` points (§4).

    Series run oldest → newest along the last axis, so a 2-D array tests one series per row.
    Only the most recent `min_points` single-year points are used (5: the Fingertips convention);
    fewer, or any missing value among them, gives NaN.
    - 'proportion': the chi-square test for linear trend of the methods reference.
    - 'rate': events may exceed persons, so the binomial test does not apply; the Poisson score
      test for a log-linear trend in the rate is used instead. It is the proportion's χ² without
      its N / (N − O) factor, so the two agree when events are rare.
    - 'mean': pass `values` (means) and `standard_errors`; the weighted least-squares slope with
      weights 1/se² is tested by its z², which has the same χ²(1) reference distribution.
    """
    if statistic not in TREND_STATISTICS:
        raise ValueError(f"unknown trend statistic {statistic!r}; expected one of {TREND_STATISTICS}")
    if min_points < 2:
        raise ValueError(f"a trend needs at least 2 points, not min_points={min_points}")
    if statistic == "mean" and (values is None or standard_errors is None):
        raise ValueError("a trend in means needs values and standard_errors")
    if statistic != "mean" and (numerators is None or denominators is None):
        raise ValueError(f"a trend in a {statistic} needs numerators and denominators")
    t = np.arange(1, min_points + 1, dtype=float)
    with np.errstate(all="ignore"):
        if statistic == "mean":
            y, se = _window(values, min_points), _window(standard_errors, min_points)
            w = 1 / se**2
            t_bar = (w * t).sum(-1, keepdims=True) / w.sum(-1, keepdims=True)
            y_bar = (w * y).sum(-1, keepdims=True) / w.sum(-1, keepdims=True)
            sxx = (w * (t - t_bar) ** 2).sum(-1)
            slope = (w * (t - t_bar) * (y - y_bar)).sum(-1) / sxx
            chi2, direction = slope**2 * sxx, np.sign(slope)
            valid = np.all(np.isfinite(y) & (se > 0) & np.isfinite(se), axis=-1)
        else:
            o, n = _window(numerators, min_points), _window(denominators, min_points)
            total_o, total_n = o.sum(-1), n.sum(-1)
            sum_nt, sum_ntt = (n * t).sum(-1), (n * t * t).sum(-1)
            score = total_n * (o * t).sum(-1) - total_o * sum_nt
            spread = total_n * sum_ntt - sum_nt**2
            if statistic == "proportion":
                chi2 = total_n * score**2 / (total_o * (total_n - total_o) * spread)
                valid = np.all((o >= 0) & (o <= n) & (n > 0), axis=-1) & (total_o < total_n)
            else:
                # (ΣO_t·t − O·ΣN_t·t/N)² / (O·(ΣN_t·t²/N − (ΣN_t·t/N)²)), multiplied through by N².
                chi2 = score**2 / (total_o * spread)
                valid = np.all((o >= 0) & (n > 0), axis=-1)
            valid &= (total_o > 0) & np.all(np.isfinite(o) & np.isfinite(n), axis=-1)
            direction = np.sign(score)
    valid &= np.isfinite(chi2)
    return _out(np.where(valid, chi2, np.nan)), _out(np.where(valid, direction, np.nan))


def trend_chi2(numerators=None, denominators=None, statistic="proportion", **kwargs):
    """χ² of the recent trend (see `trend_test`); NaN when it cannot be calculated."""
    return trend_test(numerators, denominators, statistic, **kwargs)[0]


def trend_label(chi2, direction, polarity, critical=TREND_CRITICAL):
    """Fingertips recent-trend label (§4): significant when χ² > critical (99.8% by default).

    'no_judgement' and 'near_one_is_good' get plain 'Increasing'/'Decreasing': a move away from or
    towards 1 depends on the side, which a direction alone cannot tell.
    """
    polarity = _codes(polarity, POLARITIES, "polarity")
    chi2, direction = _floats(chi2, direction)
    rising = direction > 0
    improving = np.where(polarity == HIGH_IS_GOOD, rising, ~rising)
    judged = (polarity == HIGH_IS_GOOD) | (polarity == LOW_IS_GOOD)
    return _choose(
        [
            (polarity < 0, None),
            (~np.isfinite(chi2), NOT_COMPUTED),
            (~(chi2 > critical), "No significant change"),
            (judged & rising & improving, "Increasing and getting better"),
            (judged & rising, "Increasing and getting worse"),
            (judged & improving, "Decreasing and getting better"),
            (judged, "Decreasing and getting worse"),
            (rising, "Increasing"),
        ],
        default="Decreasing",
    )


def recent_trend(
    numerators=None,
    denominators=None,
    statistic="proportion",
    polarity="no_judgement",
    *,
    values=None,
    standard_errors=None,
    min_points=TREND_POINTS,
    critical=TREND_CRITICAL,
):
    """(χ², label) of one series' recent trend: the test and the words a board reads, together."""
    chi2, direction = trend_test(
        numerators,
        denominators,
        statistic,
        values=values,
        standard_errors=standard_errors,
        min_points=min_points,
    )
    return chi2, trend_label(chi2, direction, polarity, critical)
