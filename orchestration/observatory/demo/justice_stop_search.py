"""Police stop and search events in each fictional borough, as data.police.uk publishes them.

One CSV per authority per reporting year (year ending 31 March; data.police.uk itself serves a
file per force per month), UTF-8, with data.police.uk's columns in its order and spellings: Type,
Date (ISO timestamp with the UK offset), Part of a policing operation, Policing operation,
Latitude, Longitude (blank, or FAKE points in the North Sea so no row can locate a real street),
Gender, Age range, Self-defined ethnicity (the 2011 Census-style 18+1 labels plus "Other ethnic
group - Not stated"), Officer-defined ethnicity (White, Black, Asian, Other or blank), Legislation,
Object of search, Outcome, Outcome linked to object of search, Removal of more than just outer
clothing; then a ``Data status`` column (SYNTHETIC) that real files do not have.

Planted truths (``StopSearchPlanted``): searches of people whose true Census 2021 group is g,
per 1,000 residents of all ages, are ``rate_per_1000 x factor x rate_ratio[g]``. Black Caribbean
4.0x, Black African 3.2x and Other Black 3.5x White British (Black overall about 3.5x White);
Indian residents (``null_effect_groups``) 1.0x. What people say (self-defined) differs from what
officers record: a share declines ("Not stated", the same for every group so rate ratios by
self-defined ethnicity are unbiased) and officers perceive Mixed, Arab and Other people variously
(``PERCEPTION``). Outcomes (arrest etc.) do not depend on ethnicity. Vehicle-only searches carry
no person details. Expected counts are in the truth per authority x year x self-defined group,
with the officer-defined counts and the self- vs officer-defined cross-tabulation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from observatory.contracts import normalise_label
from observatory.demo import faults as F
from observatory.demo import writers as W
from observatory.demo.authorities import CENSUS_CODES, Authority
from observatory.demo.context import DemoContext
from observatory.demo.ethnicity import load_labels
from observatory.demo.justice_care_common import (
    SYNTHETIC,
    Layout,
    authority_factor,
    cell_expectation,
    draw_counts,
    drops_column,
    expand,
    map_values,
    period_label,
    pick,
    positions,
    reporting_year,
    tally,
    write_extract,
)
from observatory.demo.population import AGES, residents
from observatory.demo.truth import rounded

SOURCE = "stop_search"
NOT_STATED_LABEL = "Other ethnic group - Not stated"
NOT_STATED, NOT_RECORDED = "not_stated", "not_recorded"
OFFICER = ("White", "Black", "Asian", "Other")

SELF_DEFINED = {
    "WBRI": "White - English/Welsh/Scottish/Northern Irish/British",
    "WIRI": "White - Irish",
    "WGYP": "White - Gypsy or Irish Traveller",
    "WROM": "White - Any other White background",  # the police's 2011 list has no Roma category
    "WOTH": "White - Any other White background",
    "MWBC": "Mixed/Multiple ethnic groups - White and Black Caribbean",
    "MWBA": "Mixed/Multiple ethnic groups - White and Black African",
    "MWAS": "Mixed/Multiple ethnic groups - White and Asian",
    "MOTH": "Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background",
    "ABAN": "Asian/Asian British - Bangladeshi",
    "ACHN": "Asian/Asian British - Chinese",
    "AIND": "Asian/Asian British - Indian",
    "APKN": "Asian/Asian British - Pakistani",
    "AOTH": "Asian/Asian British - Any other Asian background",
    "BAFR": "Black/African/Caribbean/Black British - African",
    "BCRB": "Black/African/Caribbean/Black British - Caribbean",
    "BOTH": "Black/African/Caribbean/Black British - Any other Black/African/Caribbean background",
    "OARA": "Other ethnic group - Arab",
    "OOTH": "Other ethnic group - Any other ethnic group",
}
# Self-defined label -> the Census 2021 code a mart maps it to (Roma people land in WOTH).
LABEL_GROUP = {label: code for code, label in SELF_DEFINED.items() if code != "WROM"}

# How officers perceive people of each true group: shares of White, Black, Asian, Other.
PERCEPTION = {
    "WBRI": (0.985, 0.0, 0.005, 0.01), "WIRI": (0.985, 0.0, 0.005, 0.01),
    "WGYP": (0.95, 0.0, 0.01, 0.04), "WROM": (0.85, 0.0, 0.03, 0.12), "WOTH": (0.92, 0.01, 0.02, 0.05),
    "MWBC": (0.25, 0.62, 0.01, 0.12), "MWBA": (0.25, 0.62, 0.01, 0.12), "MWAS": (0.40, 0.02, 0.38, 0.20),
    "MOTH": (0.30, 0.20, 0.15, 0.35),
    "ABAN": (0.0, 0.01, 0.95, 0.04), "ACHN": (0.01, 0.0, 0.85, 0.14), "AIND": (0.0, 0.01, 0.95, 0.04),
    "APKN": (0.0, 0.01, 0.95, 0.04), "AOTH": (0.01, 0.02, 0.85, 0.12),
    "BAFR": (0.0, 0.97, 0.01, 0.02), "BCRB": (0.0, 0.97, 0.01, 0.02), "BOTH": (0.01, 0.94, 0.01, 0.04),
    "OARA": (0.20, 0.02, 0.30, 0.48), "OOTH": (0.15, 0.10, 0.25, 0.50),
}  # fmt: skip

HEADERS = (
    ("type", "Type"), ("date", "Date"), ("part_of_operation", "Part of a policing operation"),
    ("policing_operation", "Policing operation"), ("latitude", "Latitude"), ("longitude", "Longitude"),
    ("gender", "Gender"), ("age_range", "Age range"), ("self_defined_ethnicity", "Self-defined ethnicity"),
    ("officer_defined_ethnicity", "Officer-defined ethnicity"), ("legislation", "Legislation"),
    ("object_of_search", "Object of search"), ("outcome", "Outcome"),
    ("outcome_linked", "Outcome linked to object of search"),
    ("removal_of_clothing", "Removal of more than just outer clothing"), ("data_status", "Data status"),
)  # fmt: skip
LAYOUT = Layout(system="data.police.uk", headers=HEADERS, encoding="utf-8")

LEGISLATION = (
    ("Misuse of Drugs Act 1971 (section 23)", 0.60),
    ("Police and Criminal Evidence Act 1984 (section 1)", 0.34),
    ("Criminal Justice and Public Order Act 1994 (section 60)", 0.03),
    ("Firearms Act 1968 (section 47)", 0.02),
    ("Criminal Justice Act 1988 (section 139B)", 0.01),
)
PACE_OBJECTS = (
    ("Offensive weapons", 0.35), ("Stolen goods", 0.33), ("Articles for use in criminal damage", 0.15),
    ("Evidence of offences under the Act", 0.10), ("Anything to threaten or harm anyone", 0.05),
    ("Fireworks", 0.02),
)  # fmt: skip
OUTCOMES = (
    ("A no further action disposal", 0.71), ("Arrest", 0.14), ("Community resolution", 0.07),
    ("Khat or Cannabis warning", 0.04), ("Summons / charged by post", 0.03),
    ("Penalty Notice for Disorder", 0.01),
)  # fmt: skip
AGE_RANGES = ("under 10", "10-17", "18-24", "25-34", "over 34")


@dataclass(frozen=True)
class StopSearchPlanted:
    reference_group: str = "WBRI"
    rate_per_1000: float = 8.0  # reference group, London (the Met's White rate is about this)
    outside_london_factor: float = 0.55
    rate_ratio: dict[str, float] = field(
        default_factory=lambda: {
            "BCRB": 4.0,
            "BAFR": 3.2,
            "BOTH": 3.5,
            "MWBC": 2.5,
            "MWBA": 2.2,
            "MOTH": 1.8,
            "MWAS": 1.3,
            "ABAN": 1.6,
            "APKN": 1.6,
            "AOTH": 1.4,
            "ACHN": 0.6,
            "AIND": 1.0,
            "WIRI": 1.0,
            "WGYP": 1.5,
            "WROM": 1.5,
            "WOTH": 0.9,
            "OARA": 1.8,
            "OOTH": 2.0,
        }
    )
    null_effect_groups: tuple[str, ...] = ("AIND",)
    headline_groups: tuple[str, ...] = ("BAFR", "BCRB", "BOTH")
    not_stated_share: float = 0.15
    self_blank_share: float = 0.02
    officer_blank_share: float = 0.02
    vehicle_only_share: float = 0.03  # vehicle-only searches per person search
    coordinates_share: float = 0.75
    sampling: str = "systematic"

    def base_rate(self, authority: Authority) -> float:
        outside = 1.0 if authority.region == "London" else self.outside_london_factor
        return self.rate_per_1000 / 1000 * outside * authority_factor(authority, 0.37)

    def rates(self, authority: Authority) -> np.ndarray:
        ratio = np.array([self.rate_ratio.get(c, 1.0) for c in CENSUS_CODES])
        return self.base_rate(authority) * ratio


def _age_profile() -> np.ndarray:
    """Relative chance of being searched by single year of age (peaks at 18-24)."""
    knots_age = [0, 9, 10, 13, 15, 17, 20, 25, 30, 35, 45, 55, 65, 90]
    knots_w = [0, 0, 0.05, 0.3, 1.0, 1.6, 2.0, 1.5, 1.1, 0.7, 0.3, 0.1, 0.03, 0.01]
    return np.interp(AGES, knots_age, knots_w) + np.where(AGES == 9, 0.01, 0.0)


def _last_sunday(year: int, month: int) -> np.datetime64:
    last = np.datetime64(f"{year}-{month + 1:02d}-01", "D") - 1
    weekday = (last.astype(np.int64) - 4) % 7  # 1970-01-01 was a Thursday; Monday = 0
    return last - ((weekday - 6) % 7)


def _timestamps(rng: np.random.Generator, year: int, n: int) -> np.ndarray:
    """Distinct minutes in the reporting year (most searches in the afternoon and evening), as
    data.police.uk prints them: '2024-06-14T21:35:00+01:00' (British Summer Time) or '+00:00'."""
    start, end = reporting_year(year)
    days = int((end - start).astype(np.int64)) + 1
    hour_w = np.interp(np.arange(24), [0, 4, 8, 12, 16, 20, 23], [0.6, 0.2, 0.3, 0.8, 1.2, 1.4, 1.0])
    minute_p = np.repeat(hour_w / hour_w.sum() / 60, 60)
    slots = rng.integers(0, days, n) * 1440 + rng.choice(1440, n, p=minute_p)
    for _ in range(50):  # re-draw the rare clashes so no two searches share a minute
        _, first = np.unique(slots, return_index=True)
        clash = np.setdiff1d(np.arange(n), first)
        if clash.size == 0:
            break
        slots[clash] = rng.integers(0, days * 1440, clash.size)
    slots = np.sort(slots)
    moment = start.astype("datetime64[m]") + slots.astype("timedelta64[m]")
    day = moment.astype("datetime64[D]")
    bst = np.zeros(n, dtype=bool)
    for y in (year - 1, year):
        bst |= (day >= _last_sunday(y, 3)) & (day < _last_sunday(y, 10))
    text = np.datetime_as_string(moment, unit="s")
    return np.where(bst, np.char.add(text, "+01:00"), np.char.add(text, "+00:00")).astype(object)


def simulate(rng: np.random.Generator, authority: Authority, year: int, p: StopSearchPlanted) -> pd.DataFrame:
    """One year's searches: data.police.uk values plus truth columns (census_code, group)."""
    pop = residents(authority, year).counts.astype(np.float64)
    profile = np.outer([0.12, 1.0], _age_profile())
    counts = draw_counts(rng, cell_expectation(pop, p.rates(authority), profile), p.sampling)
    group, sex, age = expand(counts)
    n_person = group.size
    n_vehicle = int(np.floor(n_person * p.vehicle_only_share + rng.random()))
    n = n_person + n_vehicle
    person = np.r_[np.ones(n_person, bool), np.zeros(n_vehicle, bool)]
    shuffle = rng.permutation(n)  # interleave vehicle-only searches through the year
    person, group = person[shuffle], np.r_[group, np.full(n_vehicle, -1)][shuffle]
    sex, age = np.r_[sex, np.zeros(n_vehicle, int)][shuffle], np.r_[age, np.zeros(n_vehicle, int)][shuffle]

    codes = np.array(CENSUS_CODES, dtype=object)
    true_code = np.where(person, codes[np.maximum(group, 0)], None)
    u = rng.random(n)
    labels = np.array([SELF_DEFINED[c] for c in CENSUS_CODES], dtype=object)[np.maximum(group, 0)]
    self_defined = np.where(
        ~person | (u < p.self_blank_share),
        "",
        np.where(u < p.self_blank_share + p.not_stated_share, NOT_STATED_LABEL, labels),
    )
    perception = np.array([PERCEPTION[c] for c in CENSUS_CODES])[np.maximum(group, 0)]
    seen = (perception.cumsum(axis=1) < rng.random(n)[:, None]).sum(axis=1)
    officer = np.array(OFFICER, dtype=object)[np.minimum(seen, 3)]
    officer = np.where(~person | (rng.random(n) < p.officer_blank_share), "", officer)

    legislation = pick(rng, LEGISLATION, n)
    obj = np.select(
        [
            legislation == LEGISLATION[0][0],
            legislation == LEGISLATION[1][0],
            legislation == LEGISLATION[3][0],
        ],
        ["Controlled drugs", pick(rng, PACE_OBJECTS, n), "Firearms"],
        "Offensive weapons",
    )
    outcome = pick(rng, OUTCOMES, n)
    nfa = outcome == OUTCOMES[0][0]
    linked = np.where(nfa, "", np.where(rng.random(n) < 0.7, "True", "False"))
    removal = np.where(rng.random(n) < 0.03, "", np.where(rng.random(n) < 0.012, "True", "False"))
    with_point = rng.random(n) < p.coordinates_share
    lat = np.where(with_point, np.char.mod("%.6f", 54.0 + rng.random(n)), "")
    lon = np.where(with_point, np.char.mod("%.6f", 2.0 + rng.random(n)), "")
    kind = np.where(
        ~person, "Vehicle search", np.where(rng.random(n) < 0.2, "Person and Vehicle search", "Person search")
    )
    age_range = np.array(AGE_RANGES, dtype=object)[np.searchsorted([10, 18, 25, 35], age, side="right")]

    frame = pd.DataFrame(
        {
            "type": kind,
            "date": _timestamps(rng, year, n),
            "part_of_operation": np.where(rng.random(n) < 0.1, "", "False"),
            "policing_operation": "",
            "latitude": lat,
            "longitude": lon,
            "gender": np.where(person, np.array(["Female", "Male"], dtype=object)[sex], ""),
            "age_range": np.where(person, age_range, ""),
            "self_defined_ethnicity": self_defined,
            "officer_defined_ethnicity": officer,
            "legislation": legislation,
            "object_of_search": obj,
            "outcome": outcome,
            "outcome_linked": linked,
            "removal_of_clothing": removal,
            "data_status": SYNTHETIC,
            "census_code": true_code,
            "person": person,
        }
    )
    frame["group"] = self_defined_group(frame["self_defined_ethnicity"].to_numpy())
    return frame


def self_defined_group(labels: np.ndarray) -> np.ndarray:
    """Census code of a self-defined label, or not_stated / not_recorded."""
    mapped = pd.Series(labels).map({**LABEL_GROUP, NOT_STATED_LABEL: NOT_STATED, "": NOT_RECORDED})
    return mapped.to_numpy(dtype=object)


def major_of(groups: np.ndarray) -> np.ndarray:
    """Census code -> major group (not_stated / not_recorded stay as they are)."""
    major = load_labels().major_group
    return map_values(groups, lambda g: major.get(g, g))


def _fault_cell(cells: dict[str, W.Cells]):
    # Values no reviewed lookup maps (checked against the seed, so a new seed row never turns a
    # planted fault into a valid label).
    candidates = (
        "Blk Caribbean",
        "Asian - othr",
        "W1",
        "Mixed (see notes)",
        "Whte British",
        "Other - specify",
    )
    known = load_labels().known_normalised
    unmapped = tuple(x for x in candidates if normalise_label(x) not in known)

    def fault(kind: str, j: int, row: int) -> tuple[str, str, bool, str]:
        date = str(cells["date"].text[row])
        if kind == F.UNKNOWN_LABEL:
            return "self_defined_ethnicity", unmapped[j % len(unmapped)], False, "unknown_ethnicity"
        if kind == F.DUPLICATE_ROW:
            return "date", date, False, "duplicate_row"
        if kind == F.IMPOSSIBLE_DATE:
            return "date", date[:5] + "02-" + ("30", "31")[j % 2] + date[10:], False, "impossible_date"
        if kind == F.NEGATIVE_NUMBER:
            return "latitude", f"-{54.0 + (row % 1000) / 1000:.6f}", False, "negative_latitude"
        if kind == F.TEXT_IN_NUMERIC:
            return "latitude", ("unknown", "n/a")[j % 2], False, "text_in_numeric"
        if kind == F.OUT_OF_RANGE:
            return "latitude", ("154.210000", "95.500000")[j % 2], False, "latitude_out_of_range"
        raise ValueError(kind)  # pragma: no cover

    return fault


def statistics(
    frame: pd.DataFrame, include: np.ndarray, authority: Authority, year: int, p: StopSearchPlanted
):
    """Per self-defined group: person searches, arrests, residents and rates; officer-defined
    counts; the cross-tabulation of self-defined major group by officer-defined ethnicity."""
    person = include & frame["person"].to_numpy()
    group = frame["group"].to_numpy()
    order = [*CENSUS_CODES, NOT_STATED, NOT_RECORDED]
    searches = dict(zip(order, tally(group, order, person).tolist(), strict=True))
    arrests = tally(group, order, person & (frame["outcome"].to_numpy() == "Arrest"))
    true_counts = tally(frame["census_code"].to_numpy(), list(CENSUS_CODES), person)
    pop = residents(authority, year).counts.sum(axis=(1, 2))
    rates = p.rates(authority) * 1000
    # What a mart dividing searches by self-defined label by the Census group's residents expects:
    # the planted rate less the declined and blank shares; Roma people are counted under WOTH.
    expected = rates * pop * (1 - p.not_stated_share - p.self_blank_share)
    woth, wrom = CENSUS_CODES.index("WOTH"), CENSUS_CODES.index("WROM")
    expected[woth] += expected[wrom]
    expected[wrom] = 0.0
    by_group = []
    for g, n in searches.items():
        record = {"group": g, "searches": int(n), "arrests": int(arrests[order.index(g)])}
        if g in CENSUS_CODES:
            i = CENSUS_CODES.index(g)
            record.update(
                {
                    "residents": int(pop[i]),
                    "rate_per_1000": rounded(n / pop[i] * 1000) if pop[i] else None,
                    "searches_true_group": int(true_counts[i]),
                    "planted_rate_per_1000": rounded(rates[i]),
                    "planted_rate_ratio": rounded(p.rate_ratio.get(g, 1.0)),
                    "planted_self_defined_rate_per_1000": rounded(expected[i] / pop[i]) if pop[i] else None,
                }
            )
        by_group.append(record)
    officer_values = [*OFFICER, NOT_RECORDED]
    officer = frame["officer_defined_ethnicity"].to_numpy()
    officer = positions(np.where(officer == "", NOT_RECORDED, officer), officer_values)
    major = major_of(group)
    cross = {}
    for m in dict.fromkeys([*load_labels().major_group.values(), NOT_STATED, NOT_RECORDED]):
        row = tally(officer, officer_values, person & (major == m))
        cross[m] = {o: int(v) for o, v in zip(officer_values, row, strict=True) if v}
    by_officer = tally(officer, officer_values, person)
    return {
        "by_self_defined": by_group,
        "by_officer_defined": {o: int(v) for o, v in zip(officer_values, by_officer, strict=True)},
        "self_major_by_officer": {m: c for m, c in cross.items() if c},
        "person_searches": int(person.sum()),
        "vehicle_only_searches": int((include & ~frame["person"].to_numpy()).sum()),
        "residents": int(pop.sum()),
    }


class StopSearchWriter:
    """Writes each authority-year file as the justice domain loops, and gathers the truth."""

    def __init__(self, inbox: Path, ctx: DemoContext, planted: StopSearchPlanted):
        self.inbox, self.ctx, self.p = inbox, ctx, planted
        folder = inbox / SOURCE
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"{SOURCE}_X09*_synthetic.*"):
            old.unlink()
        self.files: list[dict] = []
        self.faults: list[dict] = []
        self.expected: list[dict] = []

    def write_year(self, authority: Authority, year: int) -> None:
        ctx = self.ctx
        frame = simulate(ctx.rng(SOURCE, authority.index, year), authority, year, self.p)
        cells = {c: W.Cells.of_text(frame[c].to_numpy()) for c, _ in HEADERS}
        rel = f"{SOURCE}/{SOURCE}_{authority.code}_{period_label(year)}_synthetic.csv"
        drop = drops_column(ctx, authority, year)
        written = write_extract(
            self.inbox,
            rel,
            LAYOUT,
            cells,
            ctx=ctx,
            rng_faults=ctx.rng(SOURCE, authority.index, year, 1),
            fault_cell=_fault_cell(cells),
            drop_column="self_defined_ethnicity" if drop else None,
        )
        key = {"authority_code": authority.code, "year": year, "period": period_label(year)}
        self.files.append({**written.record, "source": SOURCE, **key})
        self.faults.extend(written.faults)
        stats = statistics(frame, written.include, authority, year, self.p)
        self.expected.append(
            {**key, "file": rel, "file_rejected": bool(written.record["missing_columns"]), **stats}
        )

    def truth(self) -> dict:
        p = self.p
        return {
            "folder": SOURCE,
            "definitions": DEFINITIONS,
            "planted": {
                "search_rates": {
                    "mechanism": (
                        "expected person searches of true group g = rate_per_1000/1000 x authority factor "
                        "(x outside_london_factor) x rate_ratio[g] x residents of all ages; men 8x women, "
                        f"peaking at 18-24; counts rounded '{p.sampling}'"
                    ),
                    "reference_group": p.reference_group,
                    "rate_per_1000_reference_london": p.rate_per_1000,
                    "outside_london_factor": p.outside_london_factor,
                    "rate_ratio": dict(sorted(p.rate_ratio.items())),
                    "headline_groups": list(p.headline_groups),
                },
                "self_vs_officer_defined": {
                    "not_stated_share": p.not_stated_share,
                    "self_blank_share": p.self_blank_share,
                    "officer_blank_share": p.officer_blank_share,
                    "officer_perception": {
                        k: dict(zip(OFFICER, v, strict=True)) for k, v in PERCEPTION.items()
                    },
                    "roma": "self-defined as 'White - Any other White background' (no Roma category)",
                },
                "null_effect": {
                    "groups": list(p.null_effect_groups),
                    "mechanism": "same search rate as White British; outcomes independent of ethnicity",
                },
            },
            "files": self.files,
            "expected": self.expected,
            "faults": self.faults,
        }


DEFINITIONS = {
    "searches": "person searches (Type is not 'Vehicle search') with that self-defined ethnicity",
    "group": "Census 2021 code of the self-defined label (Roma -> WOTH), or not_stated / not_recorded",
    "rate_per_1000": "searches / residents of the group (all ages) * 1000",
    "planted_self_defined_rate_per_1000": "planted rate x the share not declining or blank",
    "searches_true_group": "searches of people whose true group is this one (however self-defined)",
    "self_major_by_officer": "person searches by self-defined major group (rows) and officer-defined value",
    "file_rejected": "the file lacks a required column (dirty mode): ingest loads none of its rows",
}
