"""Education (pupil level) for the fictional councils: school census, EYFSP, KS4, exclusions, and
DfE Explore Education Statistics benchmarks.

Sources (inbox folders), one file per authority and academic year (EES: one per publication-year):

* ``school_census``: the spring census (third Thursday of January) of every pupil on roll,
  Reception to Year 11: UPN, school (LAESTAB, URN, name), year group, age, date of birth, sex, DfE
  ethnicity code (extended where the school records them; REFU/NOBT for a small share), FSM, SEN
  provision (N/K/E), EAL. Pupils persist across years (``education_roster``).
* ``eyfsp``: the Reception cohort's early years profile: ELGs at the expected level and GLD.
* ``ks4``: Year 11 results: Attainment 8 (0-90, one decimal) and English and maths grade 5+.
* ``exclusions``: suspension and permanent exclusion events of the academic year.
* ``benchmarks_ees``: ``ees_exclusions_*`` and ``ees_ks4_*`` tidy CSVs (``education_ees``).

Outcome files carry no ethnicity, FSM or SEN: a mart joins them to the census by UPN and year.

Planted truths (``EducationConfig`` in ``education_config``; all written to the ground truth):

* Suspensions: each group's expected suspensions per pupil are exactly ``ratio`` times White
  British's in every authority-year: Black Caribbean 2.8 (2021/22) falling linearly to 2.2
  (2024/25), Mixed White and Black Caribbean 2.5, Gypsy or Irish Traveller and Roma 3.5, Indian
  1.0 (the null-effect group); permanent exclusions use the same ratios. Within every group FSM
  (x3.5), SEN support (x3), EHC plan (x2.5) and boys (x2.3) multiply the rate, and Black Caribbean
  boys with FSM have a further x1.5 (the intersection).
* GLD: each group's expected GLD percentage differs from White British's by exactly ``gap_pp``
  (Gypsy or Irish Traveller -30 points, Pakistani -6, ..., Indian 0 = null effect), with FSM, SEN,
  sex, EAL and summer birth effects inside every group.
* KS4: each class's expected Attainment 8 mean differs from White British's by exactly ``gap``:
  Somali (BSOM) -9, Nigerian (BNGN) +6, Ghanaian (BGHA) +3, other Black African 0, so Somali
  pupils sit clearly below the wider Black African average and Nigerian and Ghanaian pupils above
  it; White Other 0 is the null effect. FSM -13, SEN support -16, EHC plan -30, boys -4.5 points.

"Exactly" holds for the pupils generated whose ethnicity the school recorded (for the extended
codes: where the school records extended codes), in every authority-year, in clean mode. The
ground truth gives, per authority x year x group (and FSM, SEN, sex, and the intersection cells),
the realised counts and the expected values computed from the rows actually written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from observatory.demo import education_outcomes as O
from observatory.demo import education_stats as S
from observatory.demo import writers as W
from observatory.demo.authorities import Authority
from observatory.demo.context import DemoContext
from observatory.demo.education_config import EducationConfig
from observatory.demo.education_ees import FOLDER as EES_FOLDER
from observatory.demo.education_ees import Benchmarks, realised_rows
from observatory.demo.education_files import LAYOUTS, Written, system_for, write_extract
from observatory.demo.education_roster import build_rosters, census_date, make_schools
from observatory.demo.education_roster import census_pupils as roster_census

DOMAIN = "education"
SOURCES = ("school_census", "eyfsp", "ks4", "exclusions", EES_FOLDER)
PUPIL_SOURCES = SOURCES[:4]

DEFINITIONS = {
    "join": "outcome rows (eyfsp, ks4, exclusions) join to the school_census row of the academic year by UPN",
    "groups": (
        "level 'dfe_main': the DfE main code of the census row's ethnicity code (REFU/NOBT as written); "
        "'census_code': the Census 2021 code of the census row's code per "
        "seeds/ethnicity/ethnicity_dfe_codes.csv ('Unknown' for REFU/NOBT); 'dfe_extended': the census "
        "row holds BSOM/BNGN/BGHA; 'fsm', 'sen', 'sex' from the census row; 'intersection': "
        "census_code|sex|fsm for the intersection and reference groups"
    ),
    "suspension_rate": "suspension events / pupils on the census (DfE's rate: events, not pupils)",
    "expected": (
        "sum over the pupils (rows) that count of each pupil's expected value under the planted model; "
        "the expected_*_rate_ratio of a group is its expected rate / White British's"
    ),
    "attainment8": "realised sums use the values as written (one decimal)",
}


def file_name(source: str, authority: Authority, period: str, ext: str) -> str:
    return f"{source}_{authority.code}_{period}_synthetic.{ext}"


def _period(year: int) -> str:
    return f"{year - 1}-{year % 100:02d}"


class _Collector:
    """Everything the domain accumulates across authorities: file and fault records, expected
    statistics and the benchmark rows."""

    def __init__(self, cfg: EducationConfig):
        self.truth = {s: {"files": [], "faults": []} for s in PUPIL_SOURCES}
        self.stats: dict[str, list] = {s: [] for s in PUPIL_SOURCES}
        self.bench = Benchmarks(cfg)

    def add(self, source: str, written: Written) -> np.ndarray:
        self.truth[source]["files"].append(written.record)
        self.truth[source]["faults"].extend(written.faults)
        return written.include


def write(inbox: Path, ctx: DemoContext, config: EducationConfig | None = None) -> dict[str, dict]:
    """The domain entry point: every authority's pupil-level extracts, then the EES benchmarks."""
    cfg = config or EducationConfig()
    for source in PUPIL_SOURCES:
        (inbox / source).mkdir(parents=True, exist_ok=True)
        for old in (inbox / source).glob(f"{source}_X09*_synthetic.*"):
            old.unlink()  # only this generator's own files
    out = _Collector(cfg)
    for authority in ctx.authorities:
        schools = make_schools(ctx, authority, cfg)
        cohorts = build_rosters(ctx, authority, schools, cfg)
        previous = None
        for year in ctx.years:
            pupils = roster_census(cohorts, schools, authority, year, cfg)
            _write_year(inbox, ctx, cfg, authority, year, schools, pupils, previous, out)
            previous = pupils["upn"].to_numpy()
        ctx.advance(DOMAIN)
    ees = out.bench.write(inbox / EES_FOLDER, ctx.years)
    return _assemble(out, ees, ctx, cfg)


def _emit(inbox, ctx, authority, year, source, frame, period, title, *, footer=None, extra=None) -> Written:
    """Write one extract (faults in dirty mode; the first authority's first year lacks a column)."""
    system = system_for(authority)
    dirty = ctx.dirty is not None
    return write_extract(
        inbox / source,
        file_name(source, authority, period, LAYOUTS[source][system].fmt),
        source,
        system,
        frame,
        title=f"SYNTHETIC DEMO DATA - {authority.name} {title}",
        seed=ctx.seed,
        rng_faults=ctx.rng(source, authority.index, year, 1) if dirty else None,
        dirty=ctx.dirty,
        drop_column=dirty and authority == ctx.authorities[0] and year == ctx.years[0],
        footer=footer,
        extra={
            "authority_code": authority.code,
            "year": year,
            "academic_year": O.academic_year(year),
            **(extra or {}),
        },
    )


def _write_year(inbox, ctx, cfg, authority, year, schools, pupils, previous, out: _Collector) -> None:
    """One authority-year: the four extracts, their expected statistics and benchmark rows."""
    key = {"authority_code": authority.code, "year": year, "academic_year": O.academic_year(year)}
    label = O.academic_year(year)
    when = census_date(year)
    census = O.census_frame(pupils, schools, year, when)
    written = _emit(inbox, ctx, authority, year, "school_census", census, when.isoformat(), "school census",
                    extra={"census_date": when.isoformat()})  # fmt: skip
    census_in = out.add("school_census", written)
    out.stats["school_census"].append(S.census_counts(key, pupils, census_in, previous))

    eyfsp = O.eyfsp(pupils, schools, year, cfg, ctx.rng("eyfsp", authority.index, year))
    written = _emit(inbox, ctx, authority, year, "eyfsp", eyfsp, _period(year), f"EYFSP results {label}",
                    footer=_count_footer)  # fmt: skip
    out.stats["eyfsp"].extend(S.gld_stats(key, pupils, eyfsp, census_in, out.add("eyfsp", written)))

    ks4 = O.ks4(pupils, schools, year, cfg, ctx.rng("ks4", authority.index, year))
    written = _emit(inbox, ctx, authority, year, "ks4", ks4, _period(year), f"KS4 results {label}",
                    footer=_count_footer)  # fmt: skip
    out.stats["ks4"].extend(S.ks4_stats(key, pupils, ks4, census_in, out.add("ks4", written)))

    expect = O.exclusion_expectations(pupils, schools, year, cfg)
    events = O.exclusions(pupils, expect, schools, year, cfg, ctx.rng("exclusions", authority.index, year))
    written = _emit(inbox, ctx, authority, year, "exclusions", events, _period(year), f"exclusions {label}")
    included = out.add("exclusions", written)
    out.stats["exclusions"].extend(S.exclusion_stats(key, pupils, expect, events, census_in, included, cfg))
    out.bench.add(authority, year, *realised_rows(pupils, events, ks4), realised=True)


def _text_cell(text: str) -> W.Cells:
    return W.Cells.of_text(np.array([text], dtype=object))


def _count_footer(header: list[str], columns: list[W.Cells]) -> list[W.Cells]:
    """The report's last row: 'Total' and the number of pupils."""
    n = columns[0].text.size
    return [_text_cell("Total"), _text_cell(f"{n} pupils")] + [_text_cell("") for _ in header[2:]]


def _assemble(out: _Collector, ees: dict, ctx: DemoContext, cfg: EducationConfig) -> dict[str, dict]:
    truth, stats = out.truth, out.stats
    planted = cfg.as_dict()
    for part in truth.values():
        part["rejected_files"] = sorted(
            {f["file"] for f in part["faults"] if f["fault"] == "missing_required_column"}
        )
    common = {"domain": DOMAIN, "definitions": DEFINITIONS}
    out = {
        "school_census": {
            **truth["school_census"],
            **common,
            "folder": "school_census",
            "population": planted["population"],
            "headcounts": stats["school_census"],
        },
        "eyfsp": {
            **truth["eyfsp"],
            **common,
            "folder": "eyfsp",
            "planted": planted["gld"],
            "gld": stats["eyfsp"],
        },
        "ks4": {
            **truth["ks4"],
            **common,
            "folder": "ks4",
            "planted": planted["ks4"],
            "attainment": stats["ks4"],
        },
        "exclusions": {
            **truth["exclusions"],
            **common,
            "folder": "exclusions",
            "planted": {
                **planted["exclusions"],
                "ratio_by_year": {
                    str(y): {g: cfg.exclusions.ratio_in(g, y) for g in cfg.exclusions.ratio}
                    for y in ctx.years
                },
            },
            "rates": stats["exclusions"],
        },
        EES_FOLDER: {
            "files": ees["files"],
            "exclusions": _ees_note(ctx, "suspensions and permanent exclusions by characteristic"),
            "ks4": _ees_note(ctx, "Attainment 8 and English and maths grade 5+ by ethnicity, FSM and sex"),
        },
    }
    return out


def _ees_note(ctx: DemoContext, what: str) -> dict:
    return {
        "content": what,
        "realised_authorities": [a.code for a in ctx.authorities],
        "other_authorities": (
            "model expected values on the same population (school effects averaged out), counts rounded "
            "to whole numbers, Attainment 8 sums to one decimal"
        ),
        "aggregates": "Regional and National rows are sums of their authorities' rows",
        "symbols": {
            "c": (
                "count of 1 or 2 at local authority level, or a rate/average built on it or on fewer "
                "than 6 pupils"
            ),
            "z": "no pupils to compute the rate over",
            "low": "a rate that rounds to zero but is not zero",
            "x": "Attainment 8 averages of pupils of unknown ethnicity (not published)",
        },
        "renamed_columns_latest_year": {
            "t_pupils": "pupil_count",
            "t_att8": "attainment8_sum",
            "avg_att8": "attainment8_average",
        },
    }
