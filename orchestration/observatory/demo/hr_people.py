"""HR people processes for the fictional councils: recruitment, casework, leavers and training.

Four sources, one extract per authority per financial year (1 April - 31 March; the year ending
31 March ``Y`` pairs with the payroll snapshot of 31 March ``Y``), each in the shape its council's
system exports (own column names and value spellings, Windows-1252 CSV with a title line or a
status column, or an XLSX report with title rows and a Total row; UK dates):

* ``hr_recruitment`` (``hr_recruitment.py``): applications with the furthest stage reached.
* ``hr_casework`` (``hr_casework.py``): formal disciplinary, grievance, capability and bullying and
  harassment cases of the employees on the payroll snapshot closing the year.
* ``hr_leavers`` (``hr_leavers.py``): leavers from the payroll snapshot opening the year.
* ``hr_training`` (``hr_training.py``): courses (mandatory / non-mandatory CPD), promotions and
  acting up of the employees on the snapshot closing the year.

Employee-linked sources reproduce the payroll frame with ``hr.simulate`` and the same random
streams as ``hr.write``, so employee numbers, ethnicity labels, grades and directorates agree with
the payroll files.

Planted truths (``HRPeopleConfig``, every field configurable; the ground truth records the
mechanism and, per authority x year x group, the exact counts realised in the written rows):

* Recruitment (``RecruitmentPlanted``): White British applicants are 1.6x as likely as ethnic
  minority applicants to be appointed from shortlisting in 2021-22, falling linearly to 1.3x by
  2024-25 (the trend). Shortlisting from application: no effect (RL 1.0, a null effect).
* Casework (``CaseworkPlanted``): Black staff (BAFR, BCRB, BOTH) are 1.8x as likely as White
  (and White British) staff to enter the formal disciplinary process (base 3% a year). Grievance,
  capability and bullying and harassment: no effect.
* Leavers (``LeaversPlanted``): Black leavers are 2.5x as likely as White British leavers to have
  left by dismissal (base share 6%). Leaving itself depends on contract and age only.
* Training (``TrainingPlanted``): null effect: access to non-mandatory training (35%), promotion
  and acting up are equal for every group.

Dirty mode plants, per file, unknown ethnicity labels, duplicate rows, impossible dates, negative,
out-of-range and text values in a numeric column; and, per source, one file (the first
authority's, a fixed year) that lacks a required column (a file-level fault).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from observatory.demo import faults as F
from observatory.demo import hr
from observatory.demo import hr_casework as casework
from observatory.demo import hr_leavers as leavers
from observatory.demo import hr_people_files as PF
from observatory.demo import hr_people_stats as PS
from observatory.demo import hr_recruitment as recruitment
from observatory.demo import hr_training as training
from observatory.demo.authorities import Authority, all_authorities
from observatory.demo.context import DemoContext
from observatory.demo.ethnicity import load_labels

DOMAIN = "hr_people"
MODULES = (recruitment, casework, leavers, training)
SOURCES = tuple(m.SOURCE for m in MODULES)


@dataclass(frozen=True)
class HRPeopleConfig:
    recruitment: recruitment.RecruitmentConfig = field(default_factory=recruitment.RecruitmentConfig)
    casework: casework.CaseworkConfig = field(default_factory=casework.CaseworkConfig)
    leavers: leavers.LeaversConfig = field(default_factory=leavers.LeaversConfig)
    training: training.TrainingConfig = field(default_factory=training.TrainingConfig)
    payroll: hr.HRConfig = field(default_factory=hr.HRConfig)  # must match what hr.write used


class PayrollLink:
    """The payroll snapshots of one authority exactly as ``hr.write_payroll`` generates them.

    Same mechanism and random stream keys (``hr_payroll``, authority index, year), so the frame is
    the one in the payroll file; in dirty mode the payroll's own fault plan (its stream with key 1)
    is replayed to know which payroll rows ingest will quarantine."""

    def __init__(self, ctx: DemoContext, authority: Authority, cfg: hr.HRConfig):
        self.ctx, self.authority, self.cfg = ctx, authority, cfg
        self._cache: dict[int, PS.Workforce] = {}

    def snapshot(self, year: int) -> PS.Workforce:
        if year not in self._cache:
            self._cache[year] = self._simulate(year)
        return self._cache[year]

    def _simulate(self, year: int) -> PS.Workforce:
        ctx, authority = self.ctx, self.authority
        snapshot = date(year, 3, 31)
        mech = hr._mechanism(authority, year, load_labels().codes, self.cfg.planted, all_authorities()[0])
        frame = hr.simulate(ctx.rng(hr.SOURCE, authority.index, year), authority, snapshot, mech, self.cfg)
        written = snapshot in ctx.snapshot_dates
        include = np.ones(len(frame), dtype=bool)
        if ctx.dirty is not None and written:
            plan = F.plan(ctx.rng(hr.SOURCE, authority.index, year, 1), len(frame), ctx.dirty)
            include[plan.rows[plan.kinds != F.DUPLICATE_ROW]] = False
        return PS.Workforce(frame=frame, include=include, snapshot=snapshot, written=written)

    def forget_before(self, year: int) -> None:
        for y in [y for y in self._cache if y < year]:
            del self._cache[y]


@dataclass
class _Collected:
    files: list = field(default_factory=list)
    faults: list = field(default_factory=list)
    counts: list = field(default_factory=list)
    comparisons: list = field(default_factory=list)


def write(inbox: Path, ctx: DemoContext, config: HRPeopleConfig | None = None) -> dict[str, dict]:
    """The domain entry point: four sources into ``inbox/<source>/``; returns their ground truth."""
    cfg = config or HRPeopleConfig()
    for module in MODULES:
        PF.clean_folder(inbox / module.SOURCE, module.SOURCE)
    out = {module.SOURCE: _Collected() for module in MODULES}
    for authority in ctx.authorities:
        payroll = PayrollLink(ctx, authority, cfg.payroll)
        for year in ctx.years:
            _write_year(inbox, ctx, cfg, authority, year, payroll, out)
            payroll.forget_before(year)
        ctx.advance(DOMAIN)
    return {module.SOURCE: _truth(module, cfg, out[module.SOURCE]) for module in MODULES}


def _write_year(
    inbox: Path,
    ctx: DemoContext,
    cfg: HRPeopleConfig,
    authority: Authority,
    year: int,
    payroll: PayrollLink,
    out: dict[str, _Collected],
) -> None:
    """All four extracts of one authority-year, each with its statistics."""
    for module in MODULES:
        source, config = module.SOURCE, getattr(cfg, module.CONFIG_FIELD)
        offset = module.LINKED_SNAPSHOT
        workforce = None if offset is None else payroll.snapshot(year + offset)
        rng = ctx.rng(source, authority.index, year)
        frame = module.simulate(rng, authority, year, workforce, config)
        written = PF.write_extract(inbox / source, module.SPEC, authority, year, frame, ctx, rng)
        key = {
            "authority_code": authority.code,
            "financial_year": PF.financial_year(year),
            "file": written.record["file"],
            "file_rejected": written.record["file_fault"] is not None,
        }
        table, comparisons = module.statistics(frame, written.include, key, workforce, config, year)
        record = written.record
        if workforce is None:
            record["ethnicity_style"] = recruitment.ethnicity_style(authority)
        else:  # the ethnicity labels are the payroll's
            record["ethnicity_style"] = hr._SYSTEMS[hr.system_for(authority)].ethnicity_style
            record["linked_payroll_snapshot"] = workforce.snapshot.isoformat()
            record["linked_payroll_snapshot_in_inbox"] = workforce.written
        collected = out[source]
        collected.files.append(record)
        collected.faults.extend(written.faults)
        collected.counts.extend(table)
        collected.comparisons.extend(comparisons)


_PAYROLL_LINK = {
    None: None,
    0: "the payroll snapshot of 31 March closing the financial year (same employee numbers)",
    -1: "the payroll snapshot of 31 March opening the financial year (same employee numbers)",
}


def _truth(module, cfg: HRPeopleConfig, collected: _Collected) -> dict:
    source = module.SOURCE
    spec: PF.SourceSpec = module.SPEC
    planted = getattr(cfg, module.CONFIG_FIELD).planted
    return {
        "folder": source,
        "domain": DOMAIN,
        "contract": None,  # the data contract is written in a later issue
        "canonical_columns": dict(spec.kinds),
        "required_columns": list(spec.required),
        "linked_payroll": _PAYROLL_LINK[module.LINKED_SNAPSHOT],
        "definitions": PS.DEFINITIONS,
        "planted": module.planted_truth(planted),
        "files": collected.files,
        "counts": collected.counts,
        "comparisons": collected.comparisons,
        "faults": collected.faults,
    }
