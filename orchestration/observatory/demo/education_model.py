"""The planted mechanisms: per-pupil expected outcomes, solved so each group's is exactly as stated.

Every outcome has a linear predictor in the pupil's year group, sex, FSM, SEN, EAL (and school for
suspensions) plus one constant per ethnic class. The constants are solved on the pupils actually
generated (``weight`` 1 for each pupil whose ethnicity the school recorded, 0 otherwise), so that
in every authority and year the group's EXPECTED statistic stands in exactly the configured
relation to White British's. The same functions take weighted cells instead of pupils to give
the model's expected values for authorities that are not simulated (the EES benchmark files).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from observatory.demo.authorities import CENSUS_CODES
from observatory.demo.education_config import (
    EXTENDED_KS4,
    ExclusionPlanted,
    GLDPlanted,
    KS4Planted,
    interp_anchors,
)

N_GROUPS = len(CENSUS_CODES)
KS4_CLASSES = (*CENSUS_CODES, *EXTENDED_KS4)
_BAFR = CENSUS_CODES.index("BAFR")


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF via the complementary error function (Numerical Recipes erfcc, relative
    error < 1.2e-7): numpy has no erf and scipy is not a dependency."""
    z = np.abs(x) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.5 * z)
    coefficients = (
        -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
        0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277,
    )  # fmt: skip
    poly = np.zeros_like(t)
    for c in reversed(coefficients):
        poly = c + t * poly
    erfc = t * np.exp(-z * z + poly)
    return np.where(x >= 0, 1.0 - 0.5 * erfc, 0.5 * erfc)


def _normal_pdf(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


def _clipped_normal_mean_exact(mu: np.ndarray, sd: float, lo: float, hi: float) -> np.ndarray:
    a, b = (lo - mu) / sd, (hi - mu) / sd
    pa, pb = normal_cdf(a), normal_cdf(b)
    return lo * pa + hi * (1 - pb) + mu * (pb - pa) + sd * (_normal_pdf(a) - _normal_pdf(b))


_GRID_STEP = 0.005


@cache
def _clipped_table(sd: float, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    grid = np.arange(lo - 8 * sd, hi + 8 * sd + _GRID_STEP, _GRID_STEP)
    slope = normal_cdf((hi - grid) / sd) - normal_cdf((lo - grid) / sd)
    return grid, _clipped_normal_mean_exact(grid, sd, lo, hi), slope


def _lookup(mu: np.ndarray, grid: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Linear interpolation on the uniform grid (index arithmetic: no search); ends held flat."""
    pos = np.clip((np.asarray(mu, dtype=np.float64) - grid[0]) / _GRID_STEP, 0.0, grid.size - 1.000001)
    i = pos.astype(np.int64)
    frac = pos - i
    return table[i] * (1 - frac) + table[i + 1] * frac


def clipped_normal_slope(mu: np.ndarray, sd: float, lo: float = 0.0, hi: float = 90.0) -> np.ndarray:
    """d/dmu E[clip(X, lo, hi)] = P(lo < X < hi)."""
    grid, _, slope = _clipped_table(float(sd), float(lo), float(hi))
    return _lookup(mu, grid, slope)


def clipped_normal_mean(mu: np.ndarray, sd: float, lo: float = 0.0, hi: float = 90.0) -> np.ndarray:
    """E[clip(X, lo, hi)] for X ~ Normal(mu, sd): the closed form tabulated every 0.005 and
    interpolated (error < 1e-7; the calibration calls it many times on ~80,000 cells per year).
    Beyond 8 sd outside [lo, hi] the value is lo or hi to within 1e-15."""
    grid, table, _ = _clipped_table(float(sd), float(lo), float(hi))
    return _lookup(mu, grid, table)


def ks4_class(group: np.ndarray, true_code: np.ndarray) -> np.ndarray:
    """Census group index, or 19/20/21 for Black African pupils whose code is BSOM/BNGN/BGHA."""
    cls = np.asarray(group, dtype=np.int64).copy()
    for i, code in enumerate(EXTENDED_KS4):
        cls[(cls == _BAFR) & (true_code == code)] = N_GROUPS + i
    return cls


def _blocked(cls: np.ndarray, block: np.ndarray | None, n: int) -> tuple[np.ndarray, int]:
    """Class index within its block (an authority, when many are solved at once) -> flat index."""
    if block is None:
        return np.asarray(cls, dtype=np.int64), 1
    blocks = int(block.max()) + 1 if block.size else 1
    return np.asarray(block, dtype=np.int64) * n + cls, blocks


def _sums(flat: np.ndarray, values: np.ndarray, weight: np.ndarray, n: int, blocks: int) -> np.ndarray:
    return np.bincount(flat, values * weight, minlength=n * blocks).reshape(blocks, n)


def _calibration_weight(flat: np.ndarray, weight: np.ndarray, size: int) -> np.ndarray:
    """A class with no weighted member (nobody recorded) is solved over all its members instead."""
    total = np.bincount(flat, weight, minlength=size)
    return np.where(total[flat] > 0, weight, 1.0)


def calibrate_ratio(
    eta: np.ndarray, cls: np.ndarray, weight: np.ndarray, ref: int, ratio: np.ndarray,
    block: np.ndarray | None = None,
) -> np.ndarray:  # fmt: skip
    """Multipliers k (blocks, classes) so that, within each block, mean(k exp(eta)) of class c =
    ratio[c] * that of class ``ref``."""
    n = ratio.size
    flat, blocks = _blocked(cls, block, n)
    w = _calibration_weight(flat, weight, n * blocks)
    sums, counts = _sums(flat, np.exp(eta), w, n, blocks), _sums(flat, np.ones_like(eta), w, n, blocks)
    mean = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    overall = sums.sum(axis=1) / np.maximum(counts.sum(axis=1), 1e-12)
    ref_mean = np.where(counts[:, ref] > 0, mean[:, ref], overall)[:, None]
    safe = np.where(mean > 0, mean, 1.0)
    return np.where(mean > 0, ratio[None, :] * ref_mean / safe, ratio[None, :])


def calibrate_shift(
    eta: np.ndarray,
    cls: np.ndarray,
    weight: np.ndarray,
    ref: int,
    gap: np.ndarray,
    mean_fn,
    slope_fn,
    bounds: tuple[float, float],
    clip: tuple[float, float] | None = None,
    block: np.ndarray | None = None,
    tolerance: float = 1e-10,
) -> np.ndarray:
    """Shifts d (blocks, classes; d[ref] = 0) so that, within each block, mean(mean_fn(eta + d[c]))
    of class c = ref's mean + gap[c].

    mean_fn is increasing (slope_fn its derivative), so Newton steps kept inside a bisection
    bracket converge for every class (and block) at once, to ``tolerance``, in a handful of rounds."""
    n = gap.size
    flat, blocks = _blocked(cls, block, n)
    w = _calibration_weight(flat, weight, n * blocks)
    counts = _sums(flat, np.ones_like(eta), w, n, blocks)
    safe = np.where(counts > 0, counts, 1.0)
    sums = _sums(flat, mean_fn(eta), w, n, blocks)
    overall = sums.sum(axis=1) / np.maximum(counts.sum(axis=1), 1e-12)
    ref_mean = np.where(counts[:, ref] > 0, sums[:, ref] / safe[:, ref], overall)
    target = ref_mean[:, None] + gap[None, :]
    if clip is not None:
        target = np.clip(target, *clip)
    lo, hi = np.full((blocks, n), bounds[0]), np.full((blocks, n), bounds[1])
    shift = np.zeros((blocks, n))
    for _ in range(100):
        x = eta + shift.ravel()[flat]
        error = _sums(flat, mean_fn(x), w, n, blocks) / safe - target
        done = (np.abs(error) < tolerance) | (counts == 0)
        if done.all():
            break
        lo, hi = np.where(error < 0, shift, lo), np.where(error < 0, hi, shift)
        slope = _sums(flat, slope_fn(x), w, n, blocks) / safe
        newton = shift - error / np.where(slope > 0, slope, 1.0)
        inside = (slope > 0) & (newton > lo) & (newton < hi)
        shift = np.where(done, shift, np.where(inside, newton, (lo + hi) / 2))
    shift[:, ref] = 0.0
    return np.where(counts > 0, shift, 0.0)


def _per_row(table: np.ndarray, cls: np.ndarray, block: np.ndarray | None) -> np.ndarray:
    """Look up a (blocks, classes) table for each row."""
    return table[0, cls] if block is None else table[block, cls]


# --- suspensions and permanent exclusions -----------------------------------------------------


def exclusion_eta(
    planted: ExclusionPlanted,
    year: int,
    grade: np.ndarray,
    male: np.ndarray,
    fsm: np.ndarray,
    sen: np.ndarray,
    group: np.ndarray,
    school_factor: np.ndarray | float = 1.0,
    *,
    permanent: bool = False,
) -> np.ndarray:
    """log expected events before the group multiplier."""
    base = np.array(planted.permanent_base if permanent else planted.base)[grade]
    sen_rr = np.array([1.0, planted.sen_support_rr, planted.ehc_rr])[sen]
    inter = (
        (group == CENSUS_CODES.index(planted.intersection_group))
        & (male == (planted.intersection_sex == "Male"))
        & fsm
    )
    return (
        np.log(base * interp_anchors(planted.year_factor, year))
        + np.where(fsm, np.log(planted.fsm_rr), 0.0)
        + np.log(sen_rr)
        + np.where(male, np.log(planted.male_rr), 0.0)
        + np.where(inter, np.log(planted.intersection_factor), 0.0)
        + np.log(school_factor)
    )


def exclusion_ratios(planted: ExclusionPlanted, year: int) -> np.ndarray:
    return np.array([planted.ratio_in(g, year) for g in CENSUS_CODES])


def expected_exclusions(
    planted: ExclusionPlanted, year: int, grade, male, fsm, sen, group, weight, school_factor=1.0,
    block=None, repeat: int = 1,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(expected suspensions, expected permanent exclusions) per pupil or cell. With ``repeat``,
    the cell arrays describe one block and are repeated for each (weights and blocks are full)."""
    ref = CENSUS_CODES.index(planted.reference_group)
    ratio = exclusion_ratios(planted, year)
    group = np.tile(group, repeat)
    out = []
    for permanent in (False, True):
        eta = exclusion_eta(
            planted, year, grade, male, fsm, sen, group[: np.size(grade)], school_factor, permanent=permanent
        )
        eta = np.tile(eta, repeat)
        k = calibrate_ratio(eta, group, weight, ref, ratio, block)
        out.append(_per_row(k, group, block) * np.exp(eta))
    return out[0], np.minimum(out[1], 1.0)


def one_plus_probability(lam: np.ndarray, shape: float) -> np.ndarray:
    """P(at least one suspension) under Poisson(lambda x Gamma(shape, 1/shape)): the EES files' model
    value of one_plus_susp for authorities not simulated (an approximation of how
    ``education_outcomes`` shares a group's suspensions out)."""
    return 1.0 - (1.0 + lam / shape) ** (-shape)


# --- good level of development ----------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _sigmoid_slope(x: np.ndarray) -> np.ndarray:
    p = _sigmoid(x)
    return p * (1 - p)


def gld_probability(planted: GLDPlanted, year, male, fsm, sen, eal, birth_position, group, weight):
    eta = (
        planted.intercept
        + interp_anchors(planted.year_shift, year)
        + np.where(male, planted.male, 0.0)
        + np.where(fsm, planted.fsm, 0.0)
        + np.array([0.0, planted.sen_support, planted.ehc])[sen]
        + np.where(eal, planted.eal, 0.0)
        + planted.birth_position * (np.asarray(birth_position) - 0.5)
    )
    gap = np.array([planted.gap_pp.get(g, 0.0) / 100 for g in CENSUS_CODES])
    ref = CENSUS_CODES.index(planted.reference_group)
    shift = calibrate_shift(
        eta, group, weight, ref, gap, _sigmoid, _sigmoid_slope, (-15.0, 15.0), (1e-4, 1 - 1e-4)
    )
    return _sigmoid(eta + shift[0, group])


# --- Attainment 8 -----------------------------------------------------------------------------


def ks4_latent_mean(planted: KS4Planted, year, male, fsm, sen, eal, cls, weight, block=None) -> np.ndarray:
    """Mean of the latent score per pupil or cell, with the class shifts solved."""
    eta = (
        planted.intercept
        + interp_anchors(planted.year_shift, year)
        + np.where(male, planted.male, 0.0)
        + np.where(fsm, planted.fsm, 0.0)
        + np.array([0.0, planted.sen_support, planted.ehc])[sen]
        + np.where(eal, planted.eal, 0.0)
    )
    gap = np.array([planted.gap.get(c, 0.0) for c in KS4_CLASSES])
    ref = KS4_CLASSES.index(planted.reference_group)

    def mean_fn(mu: np.ndarray) -> np.ndarray:
        return clipped_normal_mean(mu, planted.noise_sd)

    def slope_fn(mu: np.ndarray) -> np.ndarray:
        return clipped_normal_slope(mu, planted.noise_sd)

    shift = calibrate_shift(eta, cls, weight, ref, gap, mean_fn, slope_fn, (-80.0, 80.0), (0.5, 89.5), block)
    return eta + _per_row(shift, cls, block)


def em5_probability(planted: KS4Planted, latent_mean: np.ndarray) -> np.ndarray:
    """P(English and maths grade 5+) before A8 is drawn (clipping ignored: it never crosses the
    threshold)."""
    sd = np.hypot(planted.noise_sd, planted.em5_sd)
    return normal_cdf((latent_mean - planted.em5_threshold) / sd)
