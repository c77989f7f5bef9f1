"""DuckDB scalar functions over `observatory.stats`, so every dbt model uses the one implementation.

Two ways in: `register(conn)` from Python, and dbt-duckdb's plugin hook: `dbt_project/profiles.yml`
lists this module under `plugins`, and dbt-duckdb calls `Plugin.configure_connection` on the
connection it opens (its cursors share the functions).

The functions are arrow UDFs: DuckDB hands Python a whole chunk of rows at a time and numpy works on
it, rather than one Python call per row. "Cannot be computed" (NaN in `stats`) comes back as NULL.

Null handling is SPECIAL (DuckDB's DEFAULT forbids a UDF to return NULL): NULLs arrive as NaN or
None and `stats` carries them through, so a NULL argument gives a NULL interval. Two exceptions
follow the methods reference: obs_compare says 'Not compared' when the value, CI or benchmark is
NULL, and the trend functions say 'Cannot be calculated' (χ² NULL) for a missing point, while a trend
in means ignores the count lists (and a trend in counts the means). A NULL statistic, polarity or
min_points gives NULL.
"""

from __future__ import annotations

import inspect

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb.func import FunctionNullHandling

from observatory import stats


def _doubles(values) -> pa.Array:
    return pa.array(np.asarray(values, dtype=float), type=pa.float64(), from_pandas=True)


def _strings(values) -> pa.Array:
    return pa.array(np.asarray(values, dtype=object), type=pa.string())


def _bound(compute, which):
    """An arrow UDF returning element `which` of `compute`'s result tuple.

    The lower and upper functions each compute both bounds and keep one: twice the work of one
    call, for one formula in one place and plain DOUBLE results that any SQL can use.
    """

    def udf(*columns):
        return _doubles(compute(*(column.to_numpy() for column in columns))[which])

    # DuckDB counts a UDF's parameters: give it those of the statistic (the SQL arguments, in order).
    udf.__signature__ = inspect.signature(compute)
    return udf


def _compare(value, lower, upper, benchmark, polarity):
    columns = (value, lower, upper, benchmark, polarity)
    return _strings(stats.compare_with_benchmark(*(column.to_numpy() for column in columns)))


def _last_points(column, points):
    """rows-by-points matrix of each list's most recent values; a NULL or shorter list gives NaNs."""
    lists = column.combine_chunks()
    offsets = lists.offsets.to_numpy()
    ends, lengths = offsets[1:], np.diff(offsets)
    enough = (lengths >= points) & lists.is_valid().to_numpy(zero_copy_only=False)
    index = np.where(enough[:, None], ends[:, None] - points + np.arange(points), 0)
    flat = lists.values.to_numpy(zero_copy_only=False).astype(float)
    matrix = flat[index] if flat.size else np.full(index.shape, np.nan)
    matrix[~enough] = np.nan
    return matrix


def _trend(numerators, denominators, values, standard_errors, statistic, min_points):
    """(χ², direction) per row; rows sharing a statistic and min_points go to numpy together."""
    window = min_points.to_numpy().astype(float)
    chi2, direction = np.full(len(window), np.nan), np.full(len(window), np.nan)
    for kind in pc.unique(statistic).drop_null().to_pylist():
        of_kind = pc.equal(statistic, kind).fill_null(False).to_numpy()
        for points in np.unique(window[of_kind & ~np.isnan(window)]):
            rows, points = of_kind & (window == points), int(points)
            if kind == "mean":
                lists = {"values": values, "standard_errors": standard_errors}
            else:
                lists = {"numerators": numerators, "denominators": denominators}
            series = {name: _last_points(column, points)[rows] for name, column in lists.items()}
            chi2[rows], direction[rows] = stats.trend_test(statistic=kind, min_points=points, **series)
    return chi2, direction


def _trend_chi2(numerators, denominators, values, standard_errors, statistic, min_points):
    return _doubles(_trend(numerators, denominators, values, standard_errors, statistic, min_points)[0])


def _trend_label(numerators, denominators, values, standard_errors, statistic, polarity, min_points):
    chi2, direction = _trend(numerators, denominators, values, standard_errors, statistic, min_points)
    labels = np.asarray(stats.trend_label(chi2, direction, polarity.to_numpy()), dtype=object)
    labels[statistic.is_null().to_numpy() | min_points.is_null().to_numpy()] = None
    return _strings(labels)


D, S, LIST, INT = "DOUBLE", "VARCHAR", "DOUBLE[]", "INTEGER"
TREND_LISTS = [LIST, LIST, LIST, LIST]

# name: (function, parameter types, return type)
FUNCTIONS = {
    "obs_wilson_lower": (_bound(stats.wilson_interval, 0), [D, D, D], D),
    "obs_wilson_upper": (_bound(stats.wilson_interval, 1), [D, D, D], D),
    "obs_rate_lower": (_bound(stats.rate_interval, 0), [D, D, D, D], D),
    "obs_rate_upper": (_bound(stats.rate_interval, 1), [D, D, D, D], D),
    "obs_mean_lower": (_bound(stats.mean_interval, 0), [D, D, D, D], D),
    "obs_mean_upper": (_bound(stats.mean_interval, 1), [D, D, D, D], D),
    "obs_normal_lower": (_bound(stats.normal_interval, 0), [D, D, D], D),
    "obs_normal_upper": (_bound(stats.normal_interval, 1), [D, D, D], D),
    # ratio_interval returns (ratio, lower, upper).
    "obs_ratio_lower": (_bound(stats.ratio_interval, 1), [D, D, D, D, S, D], D),
    "obs_ratio_upper": (_bound(stats.ratio_interval, 2), [D, D, D, D, S, D], D),
    "obs_compare": (_compare, [D, D, D, D, S], S),
    "obs_trend_chi2": (_trend_chi2, [*TREND_LISTS, S, INT], D),
    "obs_trend_label": (_trend_label, [*TREND_LISTS, S, S, INT], S),
}


def register(conn):
    """Create the obs_* functions on a DuckDB connection (and so on its cursors); returns `conn`.

    Functions belong to the database, which every connection to the same file in this process
    shares: names already there are left alone, so registering twice is harmless.
    """
    present = {name for (name,) in conn.execute("select function_name from duckdb_functions()").fetchall()}
    for name, (function, parameters, return_type) in FUNCTIONS.items():
        if name in present:
            continue
        conn.create_function(
            name, function, parameters, return_type, type="arrow", null_handling=FunctionNullHandling.SPECIAL
        )
    return conn


class Plugin(BasePlugin):
    """dbt-duckdb plugin: `plugins: [{module: observatory.duckdb_functions}]` in profiles.yml."""

    def configure_connection(self, conn):
        register(conn)
