"""The Health and Wellbeing Board scorecard, in the Fingertips convention.

Read from ``publish.scorecard_hwb`` only (docs/scorecards.md): per indicator its latest period, the
local value with its 95% interval, London, England and the statistical neighbours, the comparison
with England as a coloured cell with the word printed, the recent trend (arrow and words), and the
largest gap between ethnic groups with its significance. A table-first page: the indicators have
different units, so one chart across them would mislead; every figure is in the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from observatory.site import formatting as f
from observatory.site.pages import Download, Page
from observatory.site.pages import scorecards as sc
from observatory.site.snapshot import Snapshot

TABLE = "scorecard_hwb"
ORDER = ("authority_code", "domain", "indicator_name", "indicator_id", "sex")
DOWNLOAD = Download(
    table=TABLE,
    path="downloads/scorecard_hwb.csv",
    order_by=ORDER,
    label="Health and Wellbeing Board scorecard",
)

DOMAINS: dict[str, str] = {
    "health": "Health",
    "education": "Education",
    "care": "Children’s social care",
    "justice": "Youth justice",
    "community": "Community",
}
POLARITY: dict[str, str] = {
    "high_is_good": "higher is better",
    "low_is_good": "lower is better",
    "no_judgement": "neither higher nor lower is better",
    "near_one_is_good": "nearer 1 is better",
}
LEVELS: dict[str, str] = {
    "census2021": "Census 2021 groups",
    "dfe_main": "DfE main groups",
    "major": "broad groups",
}


def slug(*parts: object) -> str:
    return re.sub(r"[^a-z0-9]+", "-", "-".join(str(p) for p in parts).lower()).strip("-")


def domain_label(domain: str | None) -> str:
    return DOMAINS.get(domain or "", (domain or "Other").replace("_", " ").capitalize())


@dataclass(frozen=True)
class Gap:
    shown: bool
    text: str  # "Mixed White and Black Caribbean 96.2 against Indian 14.4: a gap of 81.7"
    significance: str  # "Significant" / "Not significant" / symbol meaning
    groups: str  # "14 Census 2021 groups compared"


@dataclass(frozen=True)
class IndicatorRow:
    id: str
    domain: str
    indicator: str
    sex: str | None
    polarity: str
    unit: str | None
    period: str
    value: f.Cell
    ci: str
    counts: str
    london: f.Cell
    cmp_london: sc.Comparison
    england: f.Cell
    cmp_england: sc.Comparison
    neighbours: f.Cell
    cmp_neighbours: sc.Comparison
    trend: sc.Trend
    gap: Gap
    unknown_pct: str
    note: str | None


@dataclass(frozen=True)
class DomainBlock:
    id: str
    key: str  # the filter value (one word: filter values are space-separated)
    name: str
    rows: tuple[IndicatorRow, ...]


@dataclass(frozen=True)
class AuthorityView:
    id: str
    code: str
    name: str
    domains: tuple[DomainBlock, ...]
    summary: str


def _benchmark(row: dict[str, Any], column: str) -> f.Cell:
    value = row[column]
    return f.Cell("[x]", "x") if f.is_missing(value) else sc.value_cell(value, None, row["unit"])


def _gap(row: dict[str, Any]) -> Gap:
    unit = row["unit"]
    if row["largest_gap_symbol"] or f.is_missing(row["largest_gap"]):
        symbol = row["largest_gap_symbol"] or "x"
        return Gap(
            shown=False,
            text=f"[{symbol}]",
            significance=(
                "No breakdown by ethnic group is published"
                if symbol == "x"
                else f"{f.SYMBOL_WORDS.get(symbol, 'not shown').capitalize()}"
            ),
            groups="",
        )
    text = (
        f"{row['gap_highest_group']} {sc.number(row['gap_highest_value'], unit)} against "
        f"{row['gap_lowest_group']} {sc.number(row['gap_lowest_value'], unit)}: a gap of "
        + (
            f"{f._fixed(row['largest_gap'], 1)} percentage points"
            if unit == "%"
            else sc.number(row["largest_gap"], unit)
        )
    )
    if not f.is_missing(row["largest_gap_ratio"]):
        text += f" ({f._fixed(row['largest_gap_ratio'], 1)} times as high)"
    level = LEVELS.get(row["gap_ethnicity_level"] or "", row["gap_ethnicity_level"] or "groups")
    return Gap(
        shown=True,
        text=text,
        significance=(
            "Significant: the two groups’ intervals do not overlap"
            if row["is_largest_gap_significant"]
            else "Not significant: the two groups’ intervals overlap"
        ),
        groups=f"{row['gap_groups_compared']} {level} compared",
    )


def _counts(row: dict[str, Any]) -> str:
    if f.is_missing(row["numerator"]) or f.is_missing(row["denominator"]):
        return ""
    return f"{f.count(row['numerator'])} of {f.count(row['denominator'])}"


def _row(code: str, row: dict[str, Any]) -> IndicatorRow:
    sex = row["sex"] if row["sex"] not in (None, "All", "Persons") else None
    return IndicatorRow(
        id=slug(code, row["indicator_id"], sex or ""),
        domain=row["domain"] or "",
        indicator=row["indicator_name"],
        sex=sex,
        polarity=POLARITY.get(row["polarity"] or "", ""),
        unit=row["unit"],
        period=row["period"] or "[x]",
        value=sc.value_cell(row["value"], row["value_symbol"], row["unit"]),
        ci=sc.interval(row["lower_ci"], row["upper_ci"], row["unit"]),
        counts=_counts(row),
        london=_benchmark(row, "london_value"),
        cmp_london=sc.comparison(row["compared_with_london"]),
        england=_benchmark(row, "england_value"),
        cmp_england=sc.comparison(row["compared_with_england"]),
        neighbours=_benchmark(row, "neighbours_value"),
        cmp_neighbours=sc.comparison(row["compared_with_neighbours"]),
        trend=sc.trend(row["trend"]),
        gap=_gap(row),
        unknown_pct=(
            f.cell(row["unknown_ethnicity_pct"], row.get("unknown_ethnicity_symbol"), f.pct).text
            if row.get("unknown_ethnicity_symbol") == "c" or not f.is_missing(row["unknown_ethnicity_pct"])
            else ""
        ),
        note=row["value_note"],
    )


def summary(rows: list[dict[str, Any]]) -> str:
    words = [sc.comparison(r["compared_with_england"]).word for r in rows]
    parts = [f"{words.count(w)} {w.lower()}" for w in sc.KEY_WORDS if words.count(w)]
    n = len(rows)
    text = f"Compared with England, of the {n} indicator{'s' if n != 1 else ''}: " + ", ".join(parts) + "."
    gaps = sum(1 for r in rows if r["is_largest_gap_significant"])
    with_groups = sum(1 for r in rows if not r["largest_gap_symbol"] and not f.is_missing(r["largest_gap"]))
    if with_groups:
        text += (
            f" {gaps} of the {with_groups} indicators published by ethnic group show a significant gap"
            " between the highest and lowest group."
        )
    return text


def load(snapshot: Snapshot) -> tuple[AuthorityView, ...]:
    rows = snapshot.table(TABLE, ORDER)
    views = []
    for code, auth_rows in groupby(rows, key=lambda r: r["authority_code"]):
        auth_rows = list(auth_rows)
        domains = []
        ordered = sorted(
            auth_rows,
            key=lambda r: (
                list(DOMAINS).index(r["domain"]) if r["domain"] in DOMAINS else len(DOMAINS),
                r["domain"] or "",
                r["indicator_name"],
                r["indicator_id"],
                r["sex"] or "",
            ),
        )
        for domain, d_rows in groupby(ordered, key=lambda r: r["domain"]):
            domains.append(
                DomainBlock(
                    id=slug(code, domain or "other"),
                    key=slug(domain or "other"),
                    name=domain_label(domain),
                    rows=tuple(_row(code, r) for r in d_rows),
                )
            )
        views.append(
            AuthorityView(
                id=slug("hwb", code),
                code=code,
                name=auth_rows[0]["authority_name"],
                domains=tuple(domains),
                summary=summary(auth_rows),
            )
        )
    return tuple(sorted(views, key=lambda v: (v.name, v.code)))


def context(snapshot: Snapshot) -> dict[str, Any]:
    authorities = load(snapshot)
    domains = {d.key: d.name for a in authorities for d in a.domains}
    return sc.page_context(authorities, ("domain", "Topic"), domains, DOWNLOAD)


PAGE = Page(
    path="health-and-wellbeing.html",
    template="hwb.html",
    title="Health and Wellbeing Board scorecard",
    nav_label="Health and Wellbeing",
    context=context,
    requires=(TABLE,),
    downloads=(DOWNLOAD,),
)
