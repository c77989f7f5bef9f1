"""The planted model behind the demo Fingertips export: indicators, effects and the counts drawn.

``simulate`` draws one authority-year's counts (or life expectancy values) from the parameters
in ``FingertipsPlanted`` (the mechanisms are documented in ``fingertips``); ``aggregate`` builds
England and London from them. Denominators are residents from ``population.residents``: Year 6 =
age 10 at mid-year, Reception = age 4, under-18s = ages 0-17, so they describe the same children
as the other domains.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from observatory.demo import population as P
from observatory.demo.authorities import CENSUS_CODES, Authority, all_authorities
from observatory.demo.context import DemoContext
from observatory.demo.truth import rounded

SOURCE = "fingertips"
_SQRT2, _SQRT3, _SQRT5, _PI = np.sqrt(2) - 1, np.sqrt(3) - 1, np.sqrt(5) - 2, np.pi - 3


@dataclass(frozen=True)
class Indicator:
    """One Fingertips indicator: how it is published (Age, Sex, periods, polarity, suppression)."""

    key: str
    indicator_id: int
    name: str
    kind: str  # "proportion", "rate" or "life_expectancy"
    polarity: str  # "high" (high is good), "low" (low is good) or "" (no judgement)
    age: str
    sexes: tuple[str, ...]
    period_type: str  # "academic", "financial", "calendar" or "pooled3"
    multiplier: float
    suppress_below: int  # counts 1..suppress_below-1 are suppressed (0: never)
    by_ethnicity: bool = False
    value_max: float = 100.0  # the largest valid value (out-of-range faults exceed it)


INDICATORS: tuple[Indicator, ...] = (
    Indicator("year6_healthy_weight", 90323, "Year 6: Prevalence of healthy weight", "proportion",
              "", "10-11 yrs", ("Persons",), "academic", 100.0, 5, by_ethnicity=True),
    Indicator("year6_overweight", 20602, "Year 6: Prevalence of overweight (including obesity)",
              "proportion", "low", "10-11 yrs", ("Persons",), "academic", 100.0, 5, by_ethnicity=True),
    Indicator("life_expectancy", 90366, "Life expectancy at birth", "life_expectancy", "high",
              "All ages", ("Female", "Male"), "pooled3", 1.0, 0, value_max=120.0),
    Indicator("school_readiness", 90631, "School readiness: percentage of children achieving a good "
              "level of development at the end of Reception", "proportion", "high", "5 yrs",
              ("Persons",), "academic", 100.0, 5),
    Indicator("smoking_prevalence", 92443, "Smoking Prevalence in adults (18+) - current smokers (APS)",
              "proportion", "low", "18+ yrs", ("Persons",), "calendar", 100.0, 5),
    Indicator("mental_health_admissions_u18", 90812, "Hospital admissions for mental health "
              "conditions (<18 yrs)", "rate", "low", "<18 yrs", ("Persons",), "financial", 100_000.0, 8,
              value_max=100_000.0),
)  # fmt: skip


@dataclass(frozen=True)
class FingertipsPlanted:
    """The effects planted in the indicators (see the module docstring)."""

    reference_group: str = "WBRI"
    trend_base_year: int = 2022
    healthy_weight_reference_pct: float = 63.0  # White British, mid-spread authority, base year
    authority_spread_pp: float = 6.0  # authority baselines spread evenly over +-3 pp
    healthy_weight_gap_pp: dict[str, float] = field(
        default_factory=lambda: {
            "BAFR": -12.0,  # headline
            "ABAN": -10.0,  # headline; its gap closes (group trend below)
            "BCRB": -7.0,
            "BOTH": -6.0,
            "APKN": -5.0,
            "MWBC": -4.0,
            "MWBA": -4.0,
            "OARA": -3.0,
            "OOTH": -3.0,
            "WOTH": -2.0,
            "AOTH": -2.0,
            "ACHN": 3.0,
            "AIND": 0.0,  # no planted effect
        }
    )
    headline_groups: tuple[str, ...] = ("BAFR", "ABAN")
    null_effect_groups: tuple[str, ...] = ("AIND",)
    healthy_weight_trend_pp_per_year: float = -0.8
    group_trend_pp_per_year: dict[str, float] = field(default_factory=lambda: {"ABAN": 1.5})
    underweight_pct: float = 1.5
    participation: float = 0.95  # share of the Year 6 cohort measured
    unknown_ethnicity_share: float = 0.04  # measured children with no recorded ethnicity
    life_expectancy_base: dict[str, float] = field(default_factory=lambda: {"Female": 83.2, "Male": 79.4})
    life_expectancy_offset: dict[str, float] = field(
        default_factory=lambda: {
            "Eastmarsh": -2.5,
            "Marrow Heath": -1.5,
            "Linden Cross": 1.0,
            "Fernley Downs": 2.5,
        }
    )
    life_expectancy_spread: float = 5.0  # other authorities: evenly over +-2.5 years
    life_expectancy_trend_per_year: float = 0.15
    life_expectancy_se_at_250k: float = 0.35  # standard error (years) for 250,000 residents
    school_readiness_pct: float = 66.0
    school_readiness_trend_pp_per_year: float = 0.8
    smoking_pct: float = 12.5
    smoking_trend_pp_per_year: float = -0.6
    smoking_sample: tuple[int, int] = (250, 650)  # survey respondents per authority and year
    mental_health_rate: float = 90.0  # admissions per 100,000 aged 0-17
    mental_health_spread_ratio: float = 0.5  # authority rates spread evenly over +-25%


def _spread(authority: Authority, step: float) -> float:
    """A fixed, well-spread number in [-0.5, 0.5) per authority (a Kronecker sequence)."""
    return (authority.index * step) % 1.0 - 0.5


def healthy_weight_pct(planted: FingertipsPlanted, authority: Authority, year: int) -> np.ndarray:
    """Planted healthy-weight prevalence (%) per Census group, in CENSUS_CODES order."""
    reference = planted.healthy_weight_reference_pct + planted.authority_spread_pp * _spread(
        authority, _SQRT2
    )
    t = year - planted.trend_base_year
    pct = np.array(
        [
            reference
            + planted.healthy_weight_gap_pp.get(c, 0.0)
            + (planted.healthy_weight_trend_pp_per_year + planted.group_trend_pp_per_year.get(c, 0.0)) * t
            for c in CENSUS_CODES
        ]
    )
    return np.clip(pct, 5.0, 100.0 - planted.underweight_pct - 1.0)


def life_expectancy(planted: FingertipsPlanted, authority: Authority, year: int) -> dict[str, float]:
    offset = planted.life_expectancy_offset.get(
        authority.short_name, planted.life_expectancy_spread * _spread(authority, _SQRT3)
    )
    t = year - planted.trend_base_year
    return {
        s: base + offset + planted.life_expectancy_trend_per_year * t
        for s, base in planted.life_expectancy_base.items()
    }


def _level(planted: FingertipsPlanted, key: str, authority: Authority, year: int) -> float:
    """Planted level of the persons-only indicators (%, or rate per 100,000)."""
    t = year - planted.trend_base_year
    if key == "school_readiness":
        base = planted.school_readiness_pct + planted.authority_spread_pp * _spread(authority, _SQRT5)
        return base + planted.school_readiness_trend_pp_per_year * t
    if key == "smoking_prevalence":
        base = planted.smoking_pct + 0.5 * planted.authority_spread_pp * _spread(authority, _PI)
        return base + planted.smoking_trend_pp_per_year * t
    spread = planted.mental_health_spread_ratio * _spread(authority, _SQRT2 * _SQRT3)
    return planted.mental_health_rate * (1 + spread)


# --- simulation: one authority-year at a time -----------------------------------------------


COLUMNS = (
    "indicator", "area_code", "residents_year", "sex", "census_code", "count", "denominator",
    "le_value", "le_se", "population", "planted",
)  # fmt: skip


class Blocks:
    """Rows collected as column lists and turned into one frame at the end: a DataFrame (or even
    a numpy array) per small block costs more than the simulation itself."""

    def __init__(self) -> None:
        self.columns: dict[str, list] = {c: [] for c in COLUMNS}

    def add(self, indicator: Indicator, authority: Authority, year: int, **values) -> None:
        """Append rows; list-valued columns give the rows, scalars are repeated, others are NaN."""
        n = max(len(v) for v in values.values() if isinstance(v, list))
        fixed = {"indicator": indicator.key, "area_code": authority.code, "residents_year": year}
        for c in COLUMNS:
            v = fixed[c] if c in fixed else values.get(c, np.nan)
            self.columns[c].extend(v if isinstance(v, list) else [v] * n)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.columns)


def simulate(
    ctx: DemoContext, authority: Authority, year: int, planted: FingertipsPlanted, out: Blocks
) -> None:
    """Counts (or values) of every indicator for one authority and residents year, added to
    ``out`` (census_code "" = all children; le_* only for life expectancy)."""
    residents = P.residents(authority, year)
    by_key = {i.key: i for i in INDICATORS}

    # One stream per authority-year, drawn in a fixed order (a new indicator goes last).
    rng = ctx.rng(SOURCE, authority.index, year)

    # Year 6: measured children per group -> multinomial (underweight, healthy, overweight).
    cohort = residents.counts[:, :, 10].sum(axis=1)
    measured = rng.binomial(cohort, planted.participation)
    unknown = rng.binomial(measured, planted.unknown_ethnicity_share)
    known = measured - unknown
    healthy_p = healthy_weight_pct(planted, authority, year) / 100
    under_p = planted.underweight_pct / 100
    probs = np.stack([np.full(len(CENSUS_CODES), under_p), healthy_p, 1 - under_p - healthy_p], axis=1)
    drawn = rng.multinomial(known, probs)
    mean_p = (probs * np.maximum(cohort, 1)[:, None]).sum(axis=0) / np.maximum(cohort, 1).sum()
    unknown_drawn = rng.multinomial(int(unknown.sum()), mean_p / mean_p.sum())
    for key, col in (("year6_healthy_weight", 1), ("year6_overweight", 2)):
        out.add(
            by_key[key],
            authority,
            year,
            sex="Persons",
            census_code=["", *CENSUS_CODES],
            count=[float(drawn[:, col].sum() + unknown_drawn[col]), *drawn[:, col].astype(float).tolist()],
            denominator=[float(measured.sum()), *known.astype(float).tolist()],
            planted=[np.nan, *(probs[:, col] * 100).tolist()],
        )

    # Life expectancy: planted value + noise whose SE shrinks with population.
    population = float(residents.total)
    se = planted.life_expectancy_se_at_250k * np.sqrt(250_000 / population)
    le = life_expectancy(planted, authority, year)
    sexes = list(by_key["life_expectancy"].sexes)
    out.add(
        by_key["life_expectancy"],
        authority,
        year,
        sex=sexes,
        census_code="",
        le_value=[le[s] + rng.normal(0, se) for s in sexes],
        le_se=se,
        population=population,
        planted=[le[s] for s in sexes],
    )

    # Persons-only indicators.
    level = _level(planted, "school_readiness", authority, year)
    eligible = rng.binomial(int(residents.counts[:, :, 4].sum()), 0.98)
    count = rng.binomial(eligible, level / 100)
    _persons(out, by_key["school_readiness"], authority, year, count, eligible, level)

    level = _level(planted, "smoking_prevalence", authority, year)
    lo, hi = planted.smoking_sample
    sample = int(rng.integers(lo, hi + 1))
    smokers = rng.binomial(sample, level / 100)
    _persons(out, by_key["smoking_prevalence"], authority, year, smokers, sample, level)

    level = _level(planted, "mental_health_admissions_u18", authority, year)
    children = int(residents.between(0, 17).sum())
    count = rng.poisson(level * children / 100_000)
    _persons(out, by_key["mental_health_admissions_u18"], authority, year, count, children, level)


def _persons(out: Blocks, indicator: Indicator, authority: Authority, year: int, count, denominator, level):
    """One Persons row of a persons-only indicator."""
    out.add(
        indicator,
        authority,
        year,
        sex=["Persons"],
        census_code="",
        count=float(count),
        denominator=float(denominator),
        planted=float(level),
    )


def aggregate(frame: pd.DataFrame, area_code: str) -> pd.DataFrame:
    """England or London: counts summed; life expectancy population-weighted (SEs combined)."""
    keys = ["indicator", "residents_year", "sex", "census_code"]
    counts = frame[frame["indicator"] != "life_expectancy"]
    summed = counts.groupby(keys, sort=False)[["count", "denominator"]].sum().reset_index()
    le = frame[frame["indicator"] == "life_expectancy"].copy()
    le["w_value"] = le["le_value"] * le["population"]
    le["w_var"] = (le["le_se"] * le["population"]) ** 2
    agg = le.groupby(keys, sort=False)[["w_value", "w_var", "population"]].sum().reset_index()
    agg["le_value"] = agg["w_value"] / agg["population"]
    agg["le_se"] = np.sqrt(agg["w_var"]) / agg["population"]
    out = pd.concat([summed, agg.drop(columns=["w_value", "w_var"])], ignore_index=True)
    out["area_code"] = area_code
    out["planted"] = np.nan
    return out


def period_of(indicator: Indicator, year: int) -> tuple[str, int, str]:
    """(Time period, Time period Sortable, Time period range) of residents year ``year``."""
    if indicator.period_type == "pooled3":
        return f"{year - 3} - {str(year - 1)[2:]}", (year - 3) * 10_000, "3y"
    if indicator.period_type == "calendar":
        return str(year - 1), (year - 1) * 10_000, "1y"
    return f"{year - 1}/{str(year)[2:]}", (year - 1) * 10_000, "1y"


def planted_truth(planted: FingertipsPlanted, years: list[int]) -> dict:
    """The mechanisms and parameters, as the ground truth records them."""
    base = planted.trend_base_year
    le = {
        a.code: {s: rounded(v) for s, v in life_expectancy(planted, a, base).items()}
        for a in all_authorities()
    }
    by_name = {a.short_name: a.code for a in all_authorities()}
    low, high = (
        min(planted.life_expectancy_offset.items(), key=lambda kv: kv[1]),
        max(planted.life_expectancy_offset.items(), key=lambda kv: kv[1]),
    )
    return {
        "year6_healthy_weight": {
            "mechanism": (
                "P(healthy weight) for authority a, group g, residents year Y = reference_a + gap[g] + "
                "(trend + group_trend[g]) * (Y - trend_base_year) percentage points; underweight fixed; "
                "overweight (incl. obesity) the rest; measured ~ Binomial(age-10 residents, participation), "
                "counts ~ Multinomial; children with no recorded ethnicity count in Persons rows only"
            ),
            "reference_group": planted.reference_group,
            "reference_pct_at_base_year": planted.healthy_weight_reference_pct,
            "authority_spread_pp": planted.authority_spread_pp,
            "gap_pp": dict(sorted(planted.healthy_weight_gap_pp.items())),
            "headline_groups": list(planted.headline_groups),
            "trend_pp_per_year": planted.healthy_weight_trend_pp_per_year,
            "group_trend_pp_per_year": dict(sorted(planted.group_trend_pp_per_year.items())),
            "trend_base_year": base,
            "underweight_pct": planted.underweight_pct,
            "participation": planted.participation,
            "unknown_ethnicity_share": planted.unknown_ethnicity_share,
            "expected_values": "ethnic_groups (counts as written, planted_pct) and values (Persons rows)",
        },
        "null_effect": {
            "groups": list(planted.null_effect_groups),
            "mechanism": "gap 0 and no group trend: the same healthy-weight chance as White British",
            "expected_gap_pp": 0.0,
        },
        "life_expectancy": {
            "mechanism": (
                "base[sex] + offset_a + trend * (Y - trend_base_year), published with noise "
                "N(0, se), se = se_at_250k * sqrt(250000 / residents)"
            ),
            "base": planted.life_expectancy_base,
            "named_offsets": {by_name[k]: v for k, v in sorted(planted.life_expectancy_offset.items())},
            "trend_per_year": planted.life_expectancy_trend_per_year,
            "se_at_250k": planted.life_expectancy_se_at_250k,
            "planted_at_base_year": le,
            "headline_gap": {
                "lower": by_name[low[0]],
                "higher": by_name[high[0]],
                "gap_years": rounded(high[1] - low[1]),
            },
        },
        "persons_indicators": {
            "school_readiness": {
                "pct_at_base_year": planted.school_readiness_pct,
                "trend_pp_per_year": planted.school_readiness_trend_pp_per_year,
            },
            "smoking_prevalence": {
                "pct_at_base_year": planted.smoking_pct,
                "trend_pp_per_year": planted.smoking_trend_pp_per_year,
                "sample": list(planted.smoking_sample),
            },
            "mental_health_admissions_u18": {
                "rate_per_100000": planted.mental_health_rate,
                "spread_ratio": planted.mental_health_spread_ratio,
                "trend": "none",
            },
            "mechanism": "fixed level per authority (spread evenly) plus a linear trend; counts drawn",
        },
        "periods": {str(y): {i.key: period_of(i, y)[0] for i in INDICATORS} for y in years},
    }
