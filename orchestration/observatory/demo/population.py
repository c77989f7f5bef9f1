"""Resident populations of the fictional authorities: the one set of people every domain draws from.

Every domain that needs people (pupils, children in care, young people in the youth justice
system, survey respondents) takes them from ``residents(authority, year)``, and the population
domain publishes the same counts as the ONS-style denominators. So a rate the pipeline computes
(suspensions per pupil, first-time entrants per 10-17 population) has a numerator and a
denominator that describe the same synthetic people, as real ones would.

The model, deliberately simple and documented in the ground truth:

* Size: a London authority has 250-350 thousand residents, any other 150-650 thousand (fixed per
  authority, not by the seed), growing 0.8% a year.
* Ethnic mix: the authority's ``mix`` (the same shares its workforce is drawn from) over all ages.
* Age: one England-like single-year-of-age profile (0..90, 90 meaning 90 and over), tilted per
  group by ``youth_factor``: the profile is multiplied by ``f ** ((40 - age) / 40)``, so a group with
  f > 1 (most minority groups) has more children and fewer older people, and the overall mix is
  unchanged. This is why children are more diverse than adults, as in every London borough.
* Sex: half and half below 60, women a growing majority above (they live longer).
* Extended ethnicity (DfE extended codes, ``seeds/ethnicity/ethnicity_dfe_codes.csv``): how each
  Census group divides into e.g. Somali, Nigerian, Turkish, Kurdish. Defaults are London-like; the
  Somali, Turkish and Kurdish communities of the named authorities override them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from observatory.config import DBT_PROJECT_DIR
from observatory.demo.authorities import CENSUS_CODES, Authority

MAX_AGE = 90  # the last single year means 90 and over
AGES = np.arange(MAX_AGE + 1)
SEXES = ("Female", "Male")
BASE_YEAR = 2025
GROWTH_PER_YEAR = 0.008

# Youth factor per Census 2021 group (see the module docstring); 1 = the England profile.
YOUTH_FACTOR: dict[str, float] = {
    "WBRI": 0.85, "WIRI": 0.75, "WGYP": 1.6, "WROM": 1.6, "WOTH": 1.1,
    "MWBC": 2.6, "MWBA": 2.6, "MWAS": 2.4, "MOTH": 2.4,
    "ABAN": 1.6, "ACHN": 1.0, "AIND": 1.15, "APKN": 1.6, "AOTH": 1.2,
    "BAFR": 1.5, "BCRB": 1.0, "BOTH": 1.7,
    "OARA": 1.5, "OOTH": 1.3,
}  # fmt: skip

# How each Census group divides into DfE codes (main code = recorded without an extended code).
# Keys are Census 2021 codes; values are DfE codes from the ethnicity_dfe_codes seed.
DEFAULT_EXTENDED: dict[str, dict[str, float]] = {
    "WBRI": {"WBRI": 0.93, "WENG": 0.04, "WSCO": 0.01, "WWEL": 0.01, "WNIR": 0.01},
    "WIRI": {"WIRI": 1.0},
    "WGYP": {"WIRT": 0.5, "WROG": 0.5},
    "WROM": {"WROR": 0.7, "WROM": 0.3},
    "WOTH": {
        "WOTH": 0.30, "WEEU": 0.22, "WWEU": 0.10, "WTUR": 0.08, "WPOR": 0.07, "WITA": 0.07,
        "WGRE": 0.06, "WALB": 0.05, "WKOS": 0.02, "WSER": 0.01, "WCRO": 0.01, "WBOS": 0.01,
    },
    "MWBC": {"MWBC": 1.0},
    "MWBA": {"MWBA": 1.0},
    "MWAS": {"MWAS": 0.6, "MWAI": 0.2, "MWAP": 0.1, "MWAO": 0.1},
    "MOTH": {"MOTH": 0.5, "MWOE": 0.2, "MABL": 0.1, "MBOE": 0.1, "MWCH": 0.05, "MAOE": 0.05},
    "ABAN": {"ABAN": 1.0},
    "ACHN": {"CHNE": 0.8, "CHKC": 0.12, "CMAL": 0.04, "COCH": 0.04},
    "AIND": {"AIND": 1.0},
    "APKN": {"APKN": 0.8, "AMPK": 0.1, "AKPA": 0.05, "AOPK": 0.05},
    "AOTH": {"AOTH": 0.4, "ASLT": 0.2, "ANEP": 0.1, "AAFR": 0.1, "ASNL": 0.05, "ASRO": 0.05, "AOTA": 0.1},
    "BAFR": {
        "BAFR": 0.20, "BNGN": 0.30, "BGHA": 0.14, "BSOM": 0.12, "BSLN": 0.06, "BCON": 0.05,
        "BSUD": 0.03, "BANN": 0.02, "BAOF": 0.08,
    },
    "BCRB": {"BCRB": 1.0},
    "BOTH": {"BOTH": 0.7, "BEUR": 0.1, "BNAM": 0.05, "BOTB": 0.15},
    "OARA": {"OARA": 1.0},
    "OOTH": {
        "OOTH": 0.36, "OLAM": 0.12, "OFIL": 0.10, "OAFG": 0.09, "OKRD": 0.08, "OIRN": 0.07,
        "OVIE": 0.06, "OIRQ": 0.05, "OJPN": 0.02, "OKOR": 0.02, "OTHA": 0.02, "OOEG": 0.01,
    },
}  # fmt: skip

# Authority-specific communities (by short name); shares replace the default for that group.
COMMUNITY_EXTENDED: dict[str, dict[str, dict[str, float]]] = {
    "Kestrel Vale": {  # large Somali community
        "BAFR": {"BSOM": 0.55, "BAFR": 0.12, "BNGN": 0.12, "BGHA": 0.06, "BSUD": 0.05, "BAOF": 0.10},
    },
    "Hollowgate": {  # large Turkish and Kurdish communities
        "WOTH": {"WTUR": 0.48, "WOTH": 0.16, "WEEU": 0.12, "WGRE": 0.08, "WWEU": 0.08, "WPOR": 0.08},
        "OOTH": {"OKRD": 0.55, "OOTH": 0.20, "OLAM": 0.08, "OIRN": 0.07, "OAFG": 0.05, "OFIL": 0.05},
    },
}


@cache
def dfe_codes() -> pd.DataFrame:
    """The ethnicity_dfe_codes seed: dfe_code, dfe_label, main_code, census_code, code_level."""
    path = DBT_PROJECT_DIR / "seeds" / "ethnicity" / "ethnicity_dfe_codes.csv"
    with path.open(newline="", encoding="utf-8") as f:
        return pd.DataFrame(list(csv.DictReader(f)))


def _read_only(values: np.ndarray) -> np.ndarray:
    values.setflags(write=False)  # cached and shared: nobody may change it in place
    return values


@cache
def _base_profile() -> np.ndarray:
    """England-like share of residents per single year of age (flat to 50, then falling; 90+ lumped)."""
    weight = np.where(AGES < 50, 1.0, np.clip(1.0 - (AGES - 50) / 45.0, 0.05, None))
    weight[MAX_AGE] = 2.5 * weight[MAX_AGE - 1]  # the 90+ band holds several years
    return _read_only(weight / weight.sum())


@cache
def age_profile(census_code: str) -> np.ndarray:
    """Share of the group's residents at each age 0..90 (sums to 1)."""
    f = YOUTH_FACTOR[census_code]
    weight = _base_profile() * f ** ((40.0 - AGES) / 40.0)
    return _read_only(weight / weight.sum())


def _female_share() -> np.ndarray:
    return np.where(AGES < 60, 0.5, 0.5 + 0.15 * (AGES - 60) / 30.0)


def total_residents(authority: Authority, year: int) -> int:
    """All residents in the mid-year before the reporting year ending 31 March ``year``."""
    span = 100_000 if authority.region == "London" else 500_000
    low = 250_000 if authority.region == "London" else 150_000
    # A fixed, well-spread size per authority: the golden-ratio sequence over its index.
    size = low + span * ((authority.index * 0.6180339887) % 1.0)
    return round(size * (1 + GROWTH_PER_YEAR) ** (year - BASE_YEAR))


@dataclass(frozen=True)
class Residents:
    """Residents of one authority in one year: ``counts[census group, sex, age]`` (whole people)."""

    authority: Authority
    year: int
    counts: np.ndarray  # int64, shape (19, 2, 91), groups in CENSUS_CODES order, sexes in SEXES order

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def between(self, low: int, high: int) -> np.ndarray:
        """Residents aged low..high inclusive, shape (19 groups, 2 sexes)."""
        return self.counts[:, :, low : high + 1].sum(axis=2)

    def frame(self) -> pd.DataFrame:
        """Long form: census_code, sex, age, residents (one row per cell, zeros kept)."""
        g, s, a = np.meshgrid(np.arange(len(CENSUS_CODES)), np.arange(2), AGES, indexing="ij")
        return pd.DataFrame(
            {
                "census_code": np.array(CENSUS_CODES)[g.ravel()],
                "sex": np.array(SEXES)[s.ravel()],
                "age": a.ravel(),
                "residents": self.counts.ravel(),
            }
        )


@cache
def residents(authority: Authority, year: int) -> Residents:
    """The model in the module docstring; deterministic (no seed: the population is a fixed fact)."""
    mix = authority.mix
    total = total_residents(authority, year)
    female = _female_share()
    expected = np.stack(
        [
            np.stack([female, 1 - female]) * age_profile(code)[None, :] * mix.get(code, 0.0) * total
            for code in CENSUS_CODES
        ]
    )
    counts = np.floor(expected + 0.5).astype(np.int64)
    return Residents(authority=authority, year=year, counts=counts)


def extended_mix(authority: Authority) -> dict[str, dict[str, float]]:
    """For each Census group, the share of its people recorded under each DfE code."""
    overrides = COMMUNITY_EXTENDED.get(authority.short_name, {})
    return {code: dict(overrides.get(code, DEFAULT_EXTENDED[code])) for code in CENSUS_CODES}


def draw_dfe_codes(
    census_idx: np.ndarray, authority: Authority, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised: for people with Census group index ``census_idx``, draw the DfE code a school (or
    SSDA903 return) would hold, per ``extended_mix``. Returns (dfe_code, dfe main code) arrays."""
    codes = dfe_codes().set_index("dfe_code")["main_code"]
    mix = extended_mix(authority)
    out = np.empty(census_idx.size, dtype=object)
    u = rng.random(census_idx.size)
    for i, census_code in enumerate(CENSUS_CODES):
        rows = np.flatnonzero(census_idx == i)
        if rows.size == 0:
            continue
        options = list(mix[census_code].items())
        cum = np.cumsum([w for _, w in options])
        pick = np.searchsorted(cum / cum[-1], u[rows], side="right")
        out[rows] = np.array([c for c, _ in options], dtype=object)[np.minimum(pick, len(options) - 1)]
    return out, codes.reindex(out).to_numpy(dtype=object)
