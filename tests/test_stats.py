"""The statistics implementation reproduces the methods reference (§2–4), in Python and in DuckDB SQL.

Every published vector is checked through `observatory.stats` and through the obs_* DuckDB functions
that the dbt models call, to 6 significant figures.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pytest
import yaml
from observatory import stats
from observatory.duckdb_functions import FUNCTIONS, Plugin, register
from scipy import stats as scipy_stats
from scipy.stats.contingency import relative_risk

ROOT = Path(__file__).resolve().parents[1]
COUNTS = [994, 1023, 1199, 1332, 1367]
PERSONS = [40299, 41527, 42811, 44064, 44701]


@pytest.fixture(scope="session")
def dbt_manifest():
    """Overrides the suite's autouse fixture: these tests need no dbt manifest (saves a `dbt parse`)."""


def figures(values):
    """Six significant figures: the precision to which the methods reference states its vectors."""
    return [f"{float(v):.6g}" for v in values]


def approx(expected):
    """For values computed here by another route (scipy, the formula written out): far tighter."""
    return pytest.approx(expected, rel=1e-9)


@pytest.fixture
def con():
    conn = register(duckdb.connect())
    yield conn
    conn.close()


def row(con, sql):
    (result,) = con.execute(f"select {sql}").fetchall()
    return result


def sql_list(values):
    return "null::double[]" if values is None else f"{list(values)}::double[]"


def sql_trend(con, numerators=None, denominators=None, values=None, ses=None, *, statistic, polarity,
              min_points=5):  # fmt: skip
    lists = ", ".join(sql_list(v) for v in (numerators, denominators, values, ses))
    return row(
        con,
        f"obs_trend_chi2({lists}, '{statistic}', {min_points}), "
        f"obs_trend_label({lists}, '{statistic}', '{polarity}', {min_points})",
    )


# §2 rates and intervals


def test_z_for_matches_the_reference_quantiles_and_scipy_norm_ppf():
    assert figures([stats.z_for(0.95), stats.z_for(0.998)]) == figures([1.959964, 3.090232])
    assert stats.z_for([0.9, 0.99]) == approx(scipy_stats.norm.ppf([0.95, 0.995]))
    assert math.isnan(stats.z_for(1.0))


def test_wilson_65_of_100_reproduces_reference_vector(con):
    expected = figures([0.552544432969, 0.736357517569])
    assert figures(stats.wilson_interval(65, 100)) == expected
    assert figures(row(con, "obs_wilson_lower(65, 100, 0.95), obs_wilson_upper(65, 100, 0.95)")) == expected


def test_byar_65_of_100_per_100000_reproduces_reference_vector(con):
    expected = figures([50163.18771, 82849.13855])
    assert figures(stats.rate_interval(65, 100, 100_000)) == expected
    sql = "obs_rate_lower(65, 100, 100000, 0.95), obs_rate_upper(65, 100, 100000, 0.95)"
    assert figures(row(con, sql)) == expected


def test_exact_1_of_100_per_100000_reproduces_reference_vector(con):
    expected = figures([25.31781, 5571.64339])
    assert figures(stats.rate_interval(1, 100, 100_000)) == expected
    sql = "obs_rate_lower(1, 100, 100000, 0.95), obs_rate_upper(1, 100, 100000, 0.95)"
    assert figures(row(con, sql)) == expected


def test_rate_switches_from_exact_poisson_to_byar_at_10_events(con):
    def exact(x):
        return scipy_stats.chi2.ppf(0.025, 2 * x) / 2, scipy_stats.chi2.ppf(0.975, 2 * x + 2) / 2

    def byar(x):
        z = 1.959963984540054
        return (
            x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3,
            (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * math.sqrt(x + 1))) ** 3,
        )

    for x, expected in ((9, exact(9)), (10, byar(10))):
        assert stats.rate_interval(x, 1, 1) == approx(expected)
        assert row(con, f"obs_rate_lower({x}, 1, 1, 0.95), obs_rate_upper({x}, 1, 1, 0.95)") == approx(
            expected
        )
    assert exact(10) != approx(byar(10))  # the switch is visible, so the test can fail


def test_zero_events_give_lower_zero_and_exact_upper(con):
    expected = (0.0, scipy_stats.chi2.ppf(0.975, 2) / 2 * 1000)
    assert stats.rate_interval(0, 100, 100_000) == approx(expected)
    assert row(con, "obs_rate_lower(0, 100, 100000, 0.95), obs_rate_upper(0, 100, 100000, 0.95)") == approx(
        expected
    )


def test_mean_interval_is_t_based_and_needs_two_observations(con):
    expected = scipy_stats.t.interval(0.95, 29, loc=46.2, scale=12.5 / math.sqrt(30))
    assert stats.mean_interval(46.2, 12.5, 30) == approx(expected)
    assert row(con, "obs_mean_lower(46.2, 12.5, 30, 0.95), obs_mean_upper(46.2, 12.5, 30, 0.95)") == approx(
        expected
    )
    assert all(math.isnan(v) for v in stats.mean_interval(46.2, 12.5, 1))
    assert row(con, "obs_mean_lower(46.2, 12.5, 1, 0.95), obs_mean_upper(46.2, 12.5, 1, 0.95)") == (
        None,
        None,
    )


# §3 disproportionality


def test_katz_ratio_reproduces_reference_vector_and_scipy_relative_risk(con):
    ratio, lower, upper = stats.ratio_interval(10, 75, 12, 225, "katz")
    assert figures([ratio, lower, upper]) == figures([2.5, 1.12616, 5.54985])
    sql = "obs_ratio_lower(10, 75, 12, 225, 'katz', 0.95), obs_ratio_upper(10, 75, 12, 225, 'katz', 0.95)"
    assert figures(row(con, sql)) == figures([1.12616, 5.54985])

    result = relative_risk(exposed_cases=10, exposed_total=75, control_cases=12, control_total=225)
    ci = result.confidence_interval(confidence_level=0.95)
    assert (result.relative_risk, ci.low, ci.high) == pytest.approx((ratio, lower, upper), rel=1e-12)


def test_poisson_ratio_uses_events_only_standard_error():
    ratio, lower, upper = stats.ratio_interval(30, 1000, 20, 2000, "poisson")
    se = math.sqrt(1 / 30 + 1 / 20)
    z = scipy_stats.norm.ppf(0.975)
    assert (ratio, lower, upper) == approx((3.0, 3.0 * math.exp(-z * se), 3.0 * math.exp(z * se)))


@pytest.mark.parametrize("a, c", [(0, 12), (10, 0)])
def test_ratio_with_no_events_in_either_group_is_not_computed(con, a, c):
    for method in ("katz", "poisson"):
        assert all(math.isnan(v) for v in stats.ratio_interval(a, 75, c, 225, method))
        arguments = f"{a}, 75, {c}, 225, '{method}', 0.95"
        assert row(con, f"obs_ratio_lower({arguments}), obs_ratio_upper({arguments})") == (None, None)


def test_ratio_method_must_be_known():
    with pytest.raises(ValueError, match="ratio method"):
        stats.ratio_interval(10, 75, 12, 225, "wald")


# §4 benchmarks


BENCHMARK_CASES = [
    # the three reference vectors (benchmark 3.0)
    (3.05, 2.7, 3.1, 3.0, "low_is_good", "Similar"),
    (3.3, 3.2, 3.5, 3.0, "low_is_good", "Worse"),
    (2.5, 2.2, 2.8, 3.0, "low_is_good", "Better"),
    # inclusive CI bounds
    (3.3, 3.0, 3.5, 3.0, "low_is_good", "Similar"),
    (2.8, 2.5, 3.0, 3.0, "high_is_good", "Similar"),
    # the polarities
    (3.3, 3.2, 3.5, 3.0, "high_is_good", "Better"),
    (2.5, 2.2, 2.8, 3.0, "high_is_good", "Worse"),
    (3.3, 3.2, 3.5, 3.0, "no_judgement", "Higher"),
    (2.5, 2.2, 2.8, 3.0, "no_judgement", "Lower"),
    (1.6, 1.2, 2.1, 1.0, "near_one_is_good", "Higher"),
    (0.6, 0.4, 0.8, 1.0, "near_one_is_good", "Lower"),
    # missing value, CI or benchmark
    (3.3, None, 3.5, 3.0, "low_is_good", "Not compared"),
    (3.3, 3.2, None, 3.0, "high_is_good", "Not compared"),
    (3.3, 3.2, 3.5, None, "no_judgement", "Not compared"),
    (None, 3.2, 3.5, 3.0, "low_is_good", "Not compared"),
]


@pytest.mark.parametrize("value, lower, upper, benchmark, polarity, expected", BENCHMARK_CASES)
def test_compare_with_benchmark(con, value, lower, upper, benchmark, polarity, expected):
    numbers = [np.nan if v is None else v for v in (value, lower, upper, benchmark)]
    assert stats.compare_with_benchmark(*numbers, polarity) == expected
    sql_numbers = ", ".join("null" if v is None else str(v) for v in (value, lower, upper, benchmark))
    assert row(con, f"obs_compare({sql_numbers}, '{polarity}')") == (expected,)


def test_compare_is_vectorised_over_rows_and_polarities():
    value, lower, upper, benchmark, polarity, expected = (list(c) for c in zip(*BENCHMARK_CASES, strict=True))
    value, lower, upper, benchmark = (np.array(c, dtype=float) for c in (value, lower, upper, benchmark))
    assert stats.compare_with_benchmark(value, lower, upper, benchmark, polarity).tolist() == expected


def test_unknown_polarity_fails_loudly_in_python_and_sql(con):
    with pytest.raises(ValueError, match="polarity"):
        stats.compare_with_benchmark(3.3, 3.2, 3.5, 3.0, "lower_is_better")
    with pytest.raises(duckdb.InvalidInputException, match="polarity"):
        row(con, "obs_compare(3.3, 3.2, 3.5, 3.0, 'lower_is_better')")


# §4 recent trend


def test_trend_reproduces_reference_vector_increasing(con):
    chi2, direction = stats.trend_test(COUNTS, PERSONS, "proportion")
    assert round(chi2, 2) == 47.90
    assert direction == 1
    assert stats.recent_trend(COUNTS, PERSONS, "proportion", "no_judgement") == (approx(chi2), "Increasing")
    chi2_sql, label = sql_trend(con, COUNTS, PERSONS, statistic="proportion", polarity="no_judgement")
    assert (chi2_sql, label) == (approx(chi2), "Increasing")
    assert (
        stats.recent_trend(COUNTS, PERSONS, "proportion", "high_is_good")[1]
        == "Increasing and getting better"
    )


def test_trend_uses_only_the_five_most_recent_points(con):
    older = [5000, 10, *COUNTS], [41000, 41000, *PERSONS]
    assert stats.trend_chi2(*older, "proportion") == approx(stats.trend_chi2(COUNTS, PERSONS, "proportion"))
    assert sql_trend(con, *older, statistic="proportion", polarity="low_is_good") == (
        approx(47.896676707589),
        "Increasing and getting worse",
    )


def test_decreasing_low_is_good_series_is_getting_better(con):
    counts, persons = COUNTS[::-1], PERSONS[::-1]
    assert (
        stats.recent_trend(counts, persons, "proportion", "low_is_good")[1] == "Decreasing and getting better"
    )
    assert sql_trend(con, counts, persons, statistic="proportion", polarity="low_is_good")[1] == (
        "Decreasing and getting better"
    )


def test_fewer_than_five_points_cannot_be_calculated(con):
    chi2, label = stats.recent_trend(COUNTS[1:], PERSONS[1:], "proportion", "high_is_good")
    assert math.isnan(chi2) and label == "Cannot be calculated"
    assert sql_trend(con, COUNTS[1:], PERSONS[1:], statistic="proportion", polarity="high_is_good") == (
        None,
        "Cannot be calculated",
    )


@pytest.mark.parametrize(
    "counts, persons",
    [([0] * 5, PERSONS), (PERSONS, PERSONS), ([994, None, 1199, 1332, 1367], PERSONS)],
    ids=["no events", "everyone", "missing year"],
)
def test_trend_without_information_cannot_be_calculated(con, counts, persons):
    numeric = [np.nan if v is None else v for v in counts]
    assert stats.recent_trend(numeric, persons, "proportion", "low_is_good")[1] == "Cannot be calculated"
    sql_counts = "[" + ", ".join("null" if v is None else str(v) for v in counts) + "]::double[]"
    lists = f"{sql_counts}, {sql_list(persons)}, null, null"
    assert row(con, f"obs_trend_label({lists}, 'proportion', 'low_is_good', 5)") == ("Cannot be calculated",)


def test_flat_series_is_no_significant_change():
    assert (
        stats.recent_trend([100] * 5, [1000] * 5, "proportion", "high_is_good")[1] == "No significant change"
    )


def test_rate_trend_is_the_poisson_score_test_of_the_brief(con):
    # Events may exceed persons (repeat suspensions), which the proportion test cannot take.
    events, persons = [120, 150, 170, 160, 210], [100, 104, 103, 108, 110]
    o, n, t = np.array(events, float), np.array(persons, float), np.arange(1, 6)
    big_o, big_n = o.sum(), n.sum()
    expected = ((o * t).sum() - big_o * (n * t).sum() / big_n) ** 2 / (
        big_o * ((n * t * t).sum() / big_n - ((n * t).sum() / big_n) ** 2)
    )
    assert stats.trend_chi2(events, persons, "rate") == approx(expected)
    assert sql_trend(con, events, persons, statistic="rate", polarity="low_is_good") == (
        approx(expected),
        "Increasing and getting worse",
    )
    # For rare events it agrees with the proportion test up to the factor N / (N − O).
    ratio = stats.trend_chi2(COUNTS, PERSONS, "proportion") / stats.trend_chi2(COUNTS, PERSONS, "rate")
    assert ratio == approx(sum(PERSONS) / (sum(PERSONS) - sum(COUNTS)))


def test_mean_trend_is_the_weighted_least_squares_slope_test(con):
    means, ses = [44.0, 45.5, 45.1, 47.0, 48.2], [0.8, 0.5, 0.9, 0.6, 0.7]
    t, w = np.arange(1, 6), 1 / np.array(ses) ** 2
    slope = np.polyfit(t, means, 1, w=1 / np.array(ses))[0]  # polyfit weights are 1/se
    t_bar = (w * t).sum() / w.sum()
    expected = slope**2 * (w * (t - t_bar) ** 2).sum()
    chi2, label = stats.recent_trend(
        statistic="mean", polarity="high_is_good", values=means, standard_errors=ses
    )
    assert (chi2, label) == (approx(expected), "Increasing and getting better")
    assert expected > stats.TREND_CRITICAL
    assert sql_trend(con, values=means, ses=ses, statistic="mean", polarity="high_is_good") == (
        approx(expected),
        "Increasing and getting better",
    )
    assert stats.recent_trend(statistic="mean", values=means, standard_errors=[0.8, 0.5, np.nan, 0.6, 0.7])[
        1
    ] == ("Cannot be calculated")


def test_trend_udf_is_vectorised_over_rows_of_different_lengths_and_statistics(con):
    rows = con.sql(
        f"""
        select obs_trend_label(n, d, v, e, s, 'low_is_good', 5) from (values
            (1, {sql_list(COUNTS)}, {sql_list(PERSONS)}, null, null, 'proportion'),
            (2, {sql_list(COUNTS[::-1])}, {sql_list(PERSONS[::-1])}, null, null, 'proportion'),
            (3, {sql_list(COUNTS[:3])}, {sql_list(PERSONS[:3])}, null, null, 'rate'),
            (4, null, null, [50, 49, 47, 46, 44]::double[], [1, 1, 1, 1, 1]::double[], 'mean'),
            (5, {sql_list(COUNTS)}, {sql_list(PERSONS)}, null, null, null)
        ) t(i, n, d, v, e, s) order by i
        """
    ).fetchall()
    assert [r[0] for r in rows] == [
        "Increasing and getting worse",
        "Decreasing and getting better",
        "Cannot be calculated",
        "Decreasing and getting better",
        None,
    ]


def test_gap_interval_is_normal_with_the_combined_standard_error(con):
    # A gap of -9 with standard errors 1.2 and 0.4: SE = sqrt(1.44 + 0.16) = 1.264911.
    se = math.sqrt(1.2**2 + 0.4**2)
    expected = scipy_stats.norm.interval(0.95, loc=-9, scale=se)
    assert stats.normal_interval(-9, se) == approx(expected)
    assert row(con, f"obs_normal_lower(-9, {se}, 0.95), obs_normal_upper(-9, {se}, 0.95)") == approx(expected)
    assert row(con, "obs_normal_lower(-9, null, 0.95)") == (None,)


# NULLs, shapes and ranges


def test_null_arguments_give_null_intervals(con):
    calls = {
        "obs_wilson_lower": "65, 100, 0.95",
        "obs_wilson_upper": "65, 100, 0.95",
        "obs_rate_lower": "65, 100, 100000, 0.95",
        "obs_rate_upper": "65, 100, 100000, 0.95",
        "obs_mean_lower": "46.2, 12.5, 30, 0.95",
        "obs_mean_upper": "46.2, 12.5, 30, 0.95",
        "obs_ratio_lower": "10, 75, 12, 225, 'katz', 0.95",
        "obs_ratio_upper": "10, 75, 12, 225, 'katz', 0.95",
        "obs_normal_lower": "-9, 1.26, 0.95",
        "obs_normal_upper": "-9, 1.26, 0.95",
    }
    for name, arguments in calls.items():
        values = arguments.split(", ")
        assert row(con, f"{name}({arguments})")[0] is not None
        for i in range(len(values)):
            with_null = ", ".join("null" if j == i else v for j, v in enumerate(values))
            assert row(con, f"{name}({with_null})") == (None,), f"{name}({with_null})"
    assert math.isnan(stats.wilson_interval(np.nan, 100)[0])
    assert math.isnan(stats.rate_interval(np.nan, 100, 100_000)[0])
    assert row(con, "obs_compare(3.3, 3.2, 3.5, 3.0, null)") == (None,)


def test_scalars_in_give_scalars_out_and_arrays_give_arrays():
    lower, _ = stats.wilson_interval(65, 100)
    assert np.ndim(lower) == 0 and isinstance(float(lower), float)
    lower, _ = stats.wilson_interval([65, 1], [100, 10])
    assert lower.shape == (2,)
    assert isinstance(stats.compare_with_benchmark(3.3, 3.2, 3.5, 3.0, "low_is_good"), str)


def test_intervals_contain_their_estimate_on_random_inputs(con):
    rng = np.random.default_rng(20240331)
    size = 5000  # more than two DuckDB chunks, so the UDFs see several batches
    n = rng.integers(1, 5000, size).astype(float)
    x = np.floor(rng.random(size) * (n + 1))
    c = np.floor(rng.random(size) * (n + 1))
    confidence = rng.choice([0.95, 0.998], size)

    lower, upper = stats.wilson_interval(x, n, confidence)
    assert np.all((lower <= x / n + 1e-12) & (x / n <= upper + 1e-12))
    lower, upper = stats.rate_interval(x, n, 1000, confidence)
    assert np.all((lower <= x / n * 1000 * (1 + 1e-12)) & (x / n * 1000 <= upper))
    mean, sd = rng.normal(50, 20, size), rng.random(size) * 30
    lower, upper = stats.mean_interval(mean, sd, n, confidence)
    enough = n >= 2
    assert np.all((lower[enough] <= mean[enough]) & (mean[enough] <= upper[enough]))
    assert np.all(np.isnan(lower[~enough]))
    for method in ("katz", "poisson"):
        ratio, lower, upper = stats.ratio_interval(x, n, c, n, method, confidence)
        ok = (x > 0) & (c > 0)
        assert np.all(np.isnan(ratio[~ok]))
        assert np.all((lower[ok] <= ratio[ok] * (1 + 1e-12)) & (ratio[ok] <= upper[ok] * (1 + 1e-12)))

    con.execute("create table draws as select * from (select unnest($x) x, unnest($n) n, unnest($c) c)",
                {"x": x.tolist(), "n": n.tolist(), "c": c.tolist()})  # fmt: skip
    bad = con.execute(
        """
        with bounds as (
            select
                x / n as p, obs_wilson_lower(x, n, 0.95) as p_lower, obs_wilson_upper(x, n, 0.95) as p_upper,
                x / n * 1000 as r, obs_rate_lower(x, n, 1000, 0.95) as r_lower,
                obs_rate_upper(x, n, 1000, 0.95) as r_upper,
                x, c, x / c as rr, obs_ratio_lower(x, n, c, n, 'poisson', 0.95) as rr_lower,
                obs_ratio_upper(x, n, c, n, 'poisson', 0.95) as rr_upper
            from draws
        )
        select count(*) from bounds
        where not (p_lower <= p + 1e-12 and p <= p_upper + 1e-12)
            or not (r_lower <= r * (1 + 1e-12) and r <= r_upper * (1 + 1e-12))
            or not coalesce(rr_lower <= rr * (1 + 1e-12) and rr <= rr_upper * (1 + 1e-12), x = 0 or c = 0)
        """
    ).fetchall()
    assert bad == [(0,)]
    sql_lower = con.sql("select obs_wilson_lower(x, n, 0.95) as lower from draws").fetchnumpy()["lower"]
    assert sql_lower == pytest.approx(stats.wilson_interval(x, n)[0], rel=1e-12)


# wiring


def test_dbt_plugin_registers_every_function_the_way_dbt_duckdb_loads_it():
    plugin = Plugin.create("observatory.duckdb_functions")
    conn = duckdb.connect()
    try:
        plugin.configure_connection(conn)
        plugin.configure_connection(conn)  # registering twice is harmless
        names = {r[0] for r in conn.execute("select function_name from duckdb_functions()").fetchall()}
        assert set(FUNCTIONS) <= names
        (lower,) = conn.cursor().execute("select obs_wilson_lower(65, 100, 0.95)").fetchall()[0]
        assert figures([lower]) == figures([0.552544432969])
    finally:
        conn.close()


def test_both_dbt_targets_load_the_statistics_plugin():
    profile = yaml.safe_load((ROOT / "dbt_project" / "profiles.yml").read_text())
    outputs = profile["observatory"]["outputs"]
    assert set(outputs) >= {"dev", "ci"}
    for target in outputs.values():
        assert {"module": "observatory.duckdb_functions"} in target["plugins"]
