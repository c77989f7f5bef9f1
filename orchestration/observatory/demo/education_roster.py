"""The pupils of one fictional authority: its schools and a roster that persists across years.

Pupils are residents (``population.residents``) aged 4-15 times a roll share, per Census group,
sex and age, so a year group's headcount is exactly ``round(residents x roll share)`` in each cell.

Persistence, vectorised per cohort (the pupils who start Reception in one academic year): each
year a binomial share (mobility) of the year group leaves at random and the cell is topped up
with joiners to its target, so a pupil keeps their UPN, moves up a year group each year and
changes school at Year 7. A cohort's roster is drawn from its own random stream keyed by the
year it started Reception, and each year's draws follow the previous year's, so a census file
does not depend on how many years (or authorities) are generated.

UPNs have the real 13-character shape: check letter, LA number, DfE establishment number of the
school that allocated it, two-digit year of allocation, three-digit serial. LA numbers are
fictional: 950-999 for the first 50 authorities, then 100-199 (no real English LA uses either
range; real ones are 201-943). Serials never collide: a Reception intake takes 000-499 of its
school's year, joiners at grade k take 500+40(k-1) onwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
import pandas as pd

from observatory.demo.authorities import CENSUS_CODES, Authority
from observatory.demo.context import DemoContext
from observatory.demo.education_config import EducationConfig, PupilPopulation, interp_anchors
from observatory.demo.population import BASE_YEAR, dfe_codes, draw_dfe_codes, residents

SOURCE = "school_census"
N_GROUPS = len(CENSUS_CODES)
FIRST_SECONDARY_GRADE = 7
_CHECK_LETTERS = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"))

_SCHOOL_STEMS = (
    "Oakfield", "St Mary's", "Riverside", "Hillside", "Greenway", "Meadowbank", "Ashford Park",
    "Brookside", "Church Lane", "Elmhurst", "Fairview", "Grange", "Holy Trinity", "Kingsmead",
    "Lark Rise", "Millbrook", "Northgate", "Orchard", "Parkside", "Queensbridge", "Rosedale",
    "St Joseph's", "St Anne's", "Southfield", "Thornhill", "Valley Road", "Westwood", "Woodlands",
    "Hawthorn", "Beechwood", "Cedar", "Heathfield", "Lime Tree", "Maple", "Newbridge", "Old Mill",
    "Redbrook", "Silverdale", "Sycamore", "Willow Bank", "Foxhill", "Coppice", "Linnet", "Kestrel",
)  # fmt: skip
_SCHOOL_PLACES = ("", " Park", " Green", " Hill", " Vale", " Fields")
_PRIMARY_KINDS = ("Primary School", "Primary Academy", "Junior and Infant School", "C of E Primary School")
_SECONDARY_KINDS = ("Academy", "High School", "School", "Community College")


def la_number(authority: Authority) -> int:
    """The fictional 3-digit LA number (see the module docstring)."""
    return 949 + authority.index if authority.index <= 50 else 49 + authority.index


def roll_share(authority: Authority, pop: PupilPopulation) -> float:
    return pop.roll_share_london if authority.region == "London" else pop.roll_share_elsewhere


def year_group_targets(authority: Authority, year: int, pop: PupilPopulation) -> np.ndarray:
    """Pupils on roll in January of academic year ``year``: shape (19 groups, 2 sexes, 12 grades)."""
    counts = residents(authority, year).counts[:, :, 4:16]
    return np.floor(counts * roll_share(authority, pop) + 0.5).astype(np.int64)


def census_date(year: int) -> date:
    """Spring census day: the third Thursday of January."""
    first = date(year, 1, 1)
    return date(year, 1, 1 + (3 - first.weekday()) % 7 + 14)


@cache
def _main_of() -> dict[str, str]:
    codes = dfe_codes()
    return dict(zip(codes["dfe_code"], codes["main_code"], strict=True))


@cache
def _census_index() -> dict[str, int]:
    codes = dfe_codes()
    return {
        c: CENSUS_CODES.index(g) for c, g in zip(codes["dfe_code"], codes["census_code"], strict=True) if g
    }


def main_codes(codes: np.ndarray) -> np.ndarray:
    return pd.Series(codes, dtype=object).map(_main_of()).to_numpy(dtype=object)


@dataclass(frozen=True)
class Schools:
    """An authority's schools (primaries first), fixed across years and seeds' years."""

    la: int
    urn: np.ndarray
    laestab: np.ndarray  # 7 digits: LA number then the 4-digit establishment number
    estab: np.ndarray
    name: np.ndarray
    secondary: np.ndarray  # bool
    records_extended: np.ndarray  # bool: the school records DfE extended ethnicity codes
    suspension_factor: np.ndarray  # multiplies expected suspensions; mean 1
    primary_cum: np.ndarray  # (19, n_primary) cumulative choice probabilities per group
    secondary_cum: np.ndarray  # (19, n_secondary)

    @property
    def n_primary(self) -> int:
        return int((~self.secondary).sum())


def _choice_cum(rng: np.random.Generator, n: int, sd: float, pupils: np.ndarray) -> np.ndarray:
    """Per group, cumulative probabilities of choosing each of n schools.

    Each school has a size and a pull on each group (segregation); a few rounds of iterative
    proportional fitting keep every school's expected roll at its size share, so the pulls move
    pupils between schools without making any school implausibly large. ``pupils``: per group."""
    size = rng.lognormal(0.0, 0.35, n)
    p = np.exp(rng.normal(0.0, sd, (N_GROUPS, n)))
    weight = pupils / max(pupils.sum(), 1)
    for _ in range(20):
        p = p / p.sum(axis=1, keepdims=True)
        p = p * (size / size.sum() / np.maximum(weight @ p, 1e-12))[None, :]
    cum = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    cum[:, -1] = 1.0
    return cum


def make_schools(ctx: DemoContext, authority: Authority, cfg: EducationConfig) -> Schools:
    """Numbers from the 2025 expected rolls (not the generated years), names, URNs and traits."""
    pop = cfg.population
    rng = ctx.rng(f"{SOURCE}:schools", authority.index)
    by_group = year_group_targets(authority, BASE_YEAR, pop).sum(axis=1).astype(float)  # (groups, grades)
    target = by_group.sum(axis=0)
    n_primary = max(1, round(target[:FIRST_SECONDARY_GRADE].sum() / pop.primary_size))
    n_secondary = max(1, round(target[FIRST_SECONDARY_GRADE:].sum() / pop.secondary_size))
    n = n_primary + n_secondary
    stems = [s + p for p in _SCHOOL_PLACES for s in _SCHOOL_STEMS]
    picked = rng.permutation(len(stems))
    secondary = np.arange(n) >= n_primary
    names = []
    for i in range(n):
        stem = stems[picked[i % len(stems)]] + ("" if i < len(stems) else f" {i // len(stems) + 1}")
        kinds = _SECONDARY_KINDS if secondary[i] else _PRIMARY_KINDS
        names.append(f"{stem} {kinds[int(rng.integers(len(kinds)))]} (synthetic)")
    estab = np.where(secondary, 4000 + np.arange(n) - n_primary + 1, 2000 + np.arange(n) + 1)
    la = la_number(authority)
    share = (
        pop.extended_recording_london if authority.region == "London" else pop.extended_recording_elsewhere
    )
    sd = cfg.exclusions.school_sd
    return Schools(
        la=la,
        urn=800_000 + authority.index * 1000 + np.arange(n) + 1,
        laestab=la * 10_000 + estab,
        estab=estab,
        name=np.array(names, dtype=object),
        secondary=secondary,
        records_extended=rng.random(n) < share,
        suspension_factor=np.exp(rng.normal(-sd * sd / 2, sd, n)),
        primary_cum=_choice_cum(
            rng, n_primary, pop.school_segregation_sd, by_group[:, :FIRST_SECONDARY_GRADE].sum(1)
        ),
        secondary_cum=_choice_cum(
            rng, n_secondary, pop.school_segregation_sd, by_group[:, FIRST_SECONDARY_GRADE:].sum(1)
        ),
    )


def _choose(cum: np.ndarray, group: np.ndarray, u: np.ndarray) -> np.ndarray:
    out = np.empty(group.size, dtype=np.int64)
    for g in np.unique(group):
        rows = group == g
        out[rows] = np.minimum(np.searchsorted(cum[g], u[rows], side="right"), cum.shape[1] - 1)
    return out


def upn_with_check(digits: np.ndarray) -> np.ndarray:
    """12-digit integers (LA, establishment, year, serial) -> 13-character UPNs with the DfE check
    letter: sum of character values x weights 2..13, modulo 23, as a letter (no I, O or S)."""
    digits = np.asarray(digits, dtype=np.int64)
    total = np.zeros(digits.size, dtype=np.int64)
    for weight in range(2, 14):
        total += ((digits // 10 ** (13 - weight)) % 10) * weight
    return _CHECK_LETTERS[total % 23].astype(object) + np.char.zfill(digits.astype(str), 12).astype(object)


@dataclass
class Cohort:
    """The pupils ever on roll in one cohort; pupil i is on roll at steps join[i] <= k < leave[i]."""

    reception_year: int
    cell: np.ndarray  # group * 2 + sex
    join: np.ndarray
    leave: np.ndarray
    true_code: np.ndarray  # DfE code (extended where the community has one)
    unknown: np.ndarray  # 0 known, 1 REFU, 2 NOBT (persists)
    dob: np.ndarray  # datetime64[D]
    birth_position: np.ndarray  # 0 = born 1 September ... 1 = born 31 August
    u_fsm: np.ndarray
    u_sen: np.ndarray
    eal: np.ndarray
    primary: np.ndarray
    secondary: np.ndarray
    upn: np.ndarray


def _attributes(
    ctx: DemoContext,
    authority: Authority,
    c: int,
    cell: np.ndarray,
    join: np.ndarray,
    schools: Schools,
    pop: PupilPopulation,
) -> dict[str, np.ndarray]:
    """Everything a pupil carries for life, drawn once for the whole cohort.

    One stream per attribute, consumed in pupil order: pupils who join later come last, so
    generating fewer years leaves every earlier pupil's attributes unchanged."""

    def stream(name: str) -> np.random.Generator:
        return ctx.rng(f"{SOURCE}:{name}", authority.index, c)

    n = cell.size
    group = cell // 2
    true_code, _ = draw_dfe_codes(group, authority, stream("dfe"))
    u = stream("unknown").random(n)
    unknown = np.where(
        u < pop.refused_share, 1, np.where(u < pop.refused_share + pop.not_obtained_share, 2, 0)
    )
    start = np.datetime64(f"{c - 6}-09-01")
    span = int((np.datetime64(f"{c - 5}-09-01") - start).astype(np.int64))
    offset = np.floor(stream("dob").random(n) * span).astype(np.int64)
    eal_p = np.array([pop.eal_share[g] for g in CENSUS_CODES])[group]
    primary = _choose(schools.primary_cum, group, stream("primary").random(n))
    secondary = schools.n_primary + _choose(schools.secondary_cum, group, stream("secondary").random(n))
    return {
        "true_code": true_code,
        "unknown": unknown.astype(np.int8),
        "dob": start + offset.astype("timedelta64[D]"),
        "birth_position": (offset + 0.5) / span,
        "u_fsm": stream("fsm").random(n),
        "u_sen": stream("sen").random(n),
        "eal": stream("eal").random(n) < eal_p,
        "primary": primary,
        "secondary": secondary,
        "upn": _upns(c, join, np.where(join < FIRST_SECONDARY_GRADE, primary, secondary), schools, authority),
    }


def _upns(c: int, join: np.ndarray, school: np.ndarray, schools: Schools, authority: Authority) -> np.ndarray:
    """UPNs allocated by the school each pupil joins, in the autumn of the joining year."""
    order = np.lexsort((np.arange(join.size), school, join))
    key = join[order] * 10_000 + school[order]
    ordinal = np.empty(join.size, dtype=np.int64)
    ordinal[order] = np.arange(join.size) - np.searchsorted(key, key, side="left")
    limit = np.where(join == 0, 500, 40)
    if join.size and (ordinal >= limit).any():
        raise ValueError(f"UPN serials exhausted at {authority.code}, cohort {c}")
    serial = np.where(join == 0, ordinal, 500 + 40 * (join - 1) + ordinal)
    yy = (c + join - 1) % 100
    digits = (schools.la * 10_000 + schools.estab[school]) * 100_000 + yy * 1000 + serial
    return upn_with_check(digits)


def build_cohort(
    ctx: DemoContext, authority: Authority, c: int, last_year: int, schools: Schools, cfg: EducationConfig
) -> Cohort:
    """The roster of the cohort starting Reception in academic year ``c``, up to ``last_year``."""
    pop = cfg.population
    rng = ctx.rng(f"{SOURCE}:cohort", authority.index, c)
    mobility = pop.mobility_london if authority.region == "London" else pop.mobility_elsewhere
    cells = np.arange(N_GROUPS * 2)
    cell = np.repeat(cells, _cell_target(authority, c, 0, pop))
    join = np.zeros(cell.size, dtype=np.int64)
    leave = np.full(cell.size, 12)
    for k in range(1, min(11, last_year - c) + 1):
        present = np.flatnonzero(leave == 12)
        present_cells = cell[present]
        on = np.bincount(present_cells, minlength=cells.size)
        target = _cell_target(authority, c, k, pop)
        stay = np.minimum(on - rng.binomial(on, mobility), target)
        # Within each cell, a random `on - stay` of the pupils on roll leave.
        order = np.lexsort((rng.random(present.size), present_cells))
        sorted_cells = present_cells[order]
        rank = np.arange(present.size) - np.searchsorted(sorted_cells, sorted_cells, side="left")
        leave[present[order[rank >= stay[sorted_cells]]]] = k
        joiners = np.repeat(cells, target - stay)
        cell = np.concatenate([cell, joiners])
        join = np.concatenate([join, np.full(joiners.size, k)])
        leave = np.concatenate([leave, np.full(joiners.size, 12)])
    attributes = _attributes(ctx, authority, c, cell, join, schools, pop)
    return Cohort(reception_year=c, cell=cell, join=join, leave=leave, **attributes)


def _cell_target(authority: Authority, c: int, k: int, pop: PupilPopulation) -> np.ndarray:
    """Target headcount per cell (group * 2 + sex) of cohort c at step k (grade k, year c + k)."""
    return year_group_targets(authority, c + k, pop)[:, :, k].ravel()


def fsm_probability(group: np.ndarray, authority: Authority, year: int, pop: PupilPopulation) -> np.ndarray:
    share = np.array([pop.fsm_share[g] for g in CENSUS_CODES])[group]
    london = pop.fsm_london_factor if authority.region == "London" else 1.0
    return np.clip(share * london * interp_anchors(pop.fsm_year_factor, year), 0.0, 0.95)


def sen_probabilities(
    grade: np.ndarray, male: np.ndarray, year: int, pop: PupilPopulation
) -> tuple[np.ndarray, np.ndarray]:
    """(P(SEN support), P(EHC plan)) per pupil."""
    sex = np.where(male, pop.sen_male_factor, 2.0 - pop.sen_male_factor)
    support = np.array(pop.sen_support)[grade] * sex * (1 + pop.sen_support_growth) ** (year - BASE_YEAR)
    ehc = np.array(pop.ehc_plan)[grade] * sex * (1 + pop.ehc_growth) ** (year - BASE_YEAR)
    return support, ehc


def census_pupils(
    cohorts: dict[int, Cohort], schools: Schools, authority: Authority, year: int, cfg: EducationConfig
) -> pd.DataFrame:
    """Everyone on roll in January of academic year ``year``, ordered by school, grade and UPN.

    Columns: upn, grade, group (true Census index), male, true_code, recorded (the code the school
    holds: extended only where it records them, else the main code; REFU/NOBT when unknown),
    recorded_main, cls_group (Census index read from the recorded code), known, fsm, sen (0 N,
    1 K, 2 E), eal, dob, birth_position, school."""
    pop = cfg.population
    frames = []
    for grade in range(12):
        cohort = cohorts[year - grade]
        on = (cohort.join <= grade) & (cohort.leave > grade)
        school = cohort.primary[on] if grade < FIRST_SECONDARY_GRADE else cohort.secondary[on]
        frames.append(
            pd.DataFrame(
                {
                    "upn": cohort.upn[on],
                    "grade": np.full(int(on.sum()), grade, dtype=np.int64),
                    "group": cohort.cell[on] // 2,
                    "male": (cohort.cell[on] % 2).astype(bool),
                    "true_code": cohort.true_code[on],
                    "unknown": cohort.unknown[on],
                    "dob": cohort.dob[on],
                    "birth_position": cohort.birth_position[on],
                    "u_fsm": cohort.u_fsm[on],
                    "u_sen": cohort.u_sen[on],
                    "eal": cohort.eal[on],
                    "school": school,
                }
            )
        )
    df = pd.concat(frames, ignore_index=True)
    group = df["group"].to_numpy()
    df["fsm"] = df.pop("u_fsm").to_numpy() < fsm_probability(group, authority, year, pop)
    support, ehc = sen_probabilities(df["grade"].to_numpy(), df["male"].to_numpy(), year, pop)
    u_sen = df.pop("u_sen").to_numpy()
    df["sen"] = np.where(u_sen < ehc, 2, np.where(u_sen < ehc + support, 1, 0)).astype(np.int64)
    true_code = df["true_code"].to_numpy(dtype=object)
    true_main = main_codes(true_code)
    extended_ok = schools.records_extended[df["school"].to_numpy()]
    recorded = np.where(extended_ok, true_code, true_main)
    unknown = df.pop("unknown").to_numpy()
    df["known"] = unknown == 0
    df["recorded"] = np.where(unknown == 1, "REFU", np.where(unknown == 2, "NOBT", recorded))
    df["recorded_main"] = np.where(df["known"], true_main, df["recorded"])
    # The Census group a mart derives from the recorded code (a Gypsy pupil recorded under the
    # main code WROM reads as Roma); the true group where the code is unknown. Planted effects
    # are solved on this group so the stated relations hold exactly for what the files show.
    recorded_group = pd.Series(df["recorded"].to_numpy(), dtype=object).map(_census_index()).to_numpy()
    df["cls_group"] = np.where(df["known"], recorded_group, df["group"]).astype(np.int64)
    # File order: school, year group, then UPN without its check letter (integer keys sort fast).
    number = df["upn"].str.slice(1).astype(np.int64).to_numpy()
    order = np.lexsort((number, df["grade"].to_numpy(), df["school"].to_numpy()))
    df = df.take(order).reset_index(drop=True)
    return df


def build_rosters(
    ctx: DemoContext, authority: Authority, schools: Schools, cfg: EducationConfig
) -> dict[int, Cohort]:
    """Every cohort on roll in any generated year."""
    first, last = min(ctx.years), max(ctx.years)
    return {c: build_cohort(ctx, authority, c, last, schools, cfg) for c in range(first - 11, last + 1)}
