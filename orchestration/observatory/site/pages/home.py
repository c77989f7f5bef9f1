"""The overview: headline gaps across domains, what changed since the previous
publication, links to every page.

Headline gaps come from the two scorecards (the largest significant gap of each long-term outcome, the
Health and Wellbeing Board indicators worse than England or with a significant gap between groups,
senior leadership against residents) and the ethnicity pay gap. "What changed" compares the live
snapshot with the one it replaced (observatory.site.changes, passed in by render_site).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from observatory.site import filters
from observatory.site import formatting as f
from observatory.site.pages import Page, hwb, long_term_outcomes, pay_gap
from observatory.site.pages import scorecards as sc
from observatory.site.snapshot import Snapshot

HEADLINE_GROUPS = 3

# One line about each page, for the overview's list of pages (a page without one is listed by name).
PAGE_DESCRIPTIONS: dict[str, str] = {
    "long-term-outcomes.html": "The council’s long-term outcomes framework, by ethnic group, with every"
    " comparison in words.",
    "health-and-wellbeing.html": "The Health and Wellbeing Board scorecard: each indicator against London"
    " and England, its trend, and the largest gap between ethnic groups.",
    "education.html": "Early years, attainment, suspensions and exclusions by ethnic group.",
    "youth-justice.html": "Youth justice and stop and search by ethnic group, stage by stage.",
    "childrens-social-care.html": "Children looked after and on child protection plans by ethnic group.",
    "workforce.html": "The council’s staff: representation by grade, recruitment and progression.",
    "pay-gap.html": "The ethnicity pay gap of the council’s staff.",
    "action-plan.html": "Progress on the anti-racism action plan.",
    "data-quality.html": "What data arrived from each source, and how complete and fresh it is.",
    "methods.html": "What the symbols, words and statistics on this site mean.",
}


@dataclass(frozen=True)
class Headline:
    authority: str
    reporting_year: str
    snapshot_date: str
    overall: str | None  # the White British / ethnic minorities sentence, when published
    level_heading: str | None
    largest: tuple[str, ...]  # sentences for the largest gaps at the most detailed level


@dataclass(frozen=True)
class OutcomeGap:
    area: str
    measure: str
    period: str
    sentence: str
    comparison: sc.Comparison
    href: str


@dataclass(frozen=True)
class HealthLine:
    indicator: str
    period: str
    sentence: str
    comparison: sc.Comparison


@dataclass(frozen=True)
class AuthorityHeadlines:
    code: str
    name: str
    outcome_gaps: tuple[OutcomeGap, ...]
    measures_with_figures: int
    measures: int
    without_gap: tuple[str, ...]  # measures with groups compared and no significant gap
    no_groups: tuple[str, ...]  # measures published for everyone only (no ethnic breakdown)
    missing: tuple[str, ...]  # measures with no data held
    workforce: str  # senior leadership against residents
    health: tuple[HealthLine, ...]
    health_indicators: int


def headlines(snapshot: Snapshot) -> tuple[Headline, ...]:
    out = []
    for auth in pay_gap.load(snapshot):
        rows = list(auth.latest_rows)
        binary = pay_gap.largest_gaps([r for r in rows if r["ethnicity_level"] == "minority_binary"], 1)
        detailed = [lvl for lvl in pay_gap.LEVELS if lvl != "minority_binary"]
        level = next((lvl for lvl in detailed if any(r["ethnicity_level"] == lvl for r in rows)), None)
        top = (
            pay_gap.largest_gaps([r for r in rows if r["ethnicity_level"] == level], HEADLINE_GROUPS)
            if level
            else []
        )
        out.append(
            Headline(
                authority=auth.name,
                reporting_year=auth.reporting_year,
                snapshot_date=auth.snapshot_date,
                overall=(
                    pay_gap.gap_sentence(
                        binary[0]["ethnicity_group"],
                        binary[0]["median_hourly_gap_pct"],
                        auth.comparator,
                    )
                    if binary
                    else None
                ),
                level_heading=pay_gap.level_heading(level) if top else None,
                largest=tuple(
                    pay_gap.gap_sentence(r["ethnicity_group"], r["median_hourly_gap_pct"], auth.comparator)
                    for r in top
                ),
            )
        )
    return tuple(out)


def _health(rows: list[dict[str, Any]]) -> tuple[HealthLine, ...]:
    """HWB indicators worse than England, or with a significant gap between ethnic groups."""
    out = []
    for r in rows:
        parts = []
        if r["compared_with_england"] == "Worse":
            parts.append(
                f"{sc.with_unit(r['value'], r['unit'])} against {sc.with_unit(r['england_value'], r['unit'])}"
                " for England (worse)"
            )
        if r["is_largest_gap_significant"] and r["largest_gap_reading"]:
            parts.append(f"largest gap between ethnic groups: {r['largest_gap_reading']}")
        if parts:
            label = r["indicator_name"] + (f" ({r['sex'].lower()})" if r["sex"] not in (None, "All") else "")
            out.append(
                HealthLine(
                    indicator=label,
                    period=r["period"],
                    sentence="; ".join(parts),
                    comparison=sc.comparison(r["compared_with_england"]),
                )
            )
    return tuple(out)


def scorecard_headlines(snapshot: Snapshot) -> tuple[AuthorityHeadlines, ...]:
    tables = snapshot.tables()
    lto = long_term_outcomes.load(snapshot) if long_term_outcomes.TABLE in tables else ()
    hwb_rows = snapshot.table(hwb.TABLE, hwb.ORDER) if hwb.TABLE in tables else []
    names = {a.code: a.name for a in lto} | {r["authority_code"]: r["authority_name"] for r in hwb_rows}
    by_code = {a.code: a for a in lto}
    out = []
    for code in sorted(names, key=lambda c: (names[c], c)):
        auth = by_code.get(code)
        measures = auth.measures if auth else ()
        health = [r for r in hwb_rows if r["authority_code"] == code]
        workforce = next((m.summary for m in measures if m.workforce is not None and m.summary), "")
        out.append(
            AuthorityHeadlines(
                code=code,
                name=names[code],
                outcome_gaps=tuple(
                    OutcomeGap(
                        area=m.area,
                        measure=m.measure,
                        period=m.period or "",
                        sentence=m.largest,
                        comparison=m.largest_cmp or sc.comparison(None),
                        href=f"{long_term_outcomes.PAGE.path}#{m.id}",
                    )
                    for m in measures
                    if m.largest
                ),
                measures_with_figures=sum(1 for m in measures if m.available),
                measures=len(measures),
                without_gap=tuple(
                    m.measure
                    for m in measures
                    if m.available and not m.largest and m.workforce is None and m.compared
                ),
                no_groups=tuple(
                    m.measure for m in measures if m.available and m.workforce is None and not m.compared
                ),
                missing=tuple(m.measure for m in measures if not m.available),
                workforce=workforce,
                health=_health(health),
                health_indicators=len(health),
            )
        )
    return tuple(out)


def context(snapshot: Snapshot) -> dict[str, Any]:
    manifest = snapshot.manifest()
    scorecards = scorecard_headlines(snapshot)
    return {
        "headlines": headlines(snapshot) if pay_gap.TABLE in snapshot.tables() else (),
        "scorecards": scorecards,
        "controls": filters.authority_control((a.code, a.name) for a in scorecards),
        "page_descriptions": PAGE_DESCRIPTIONS,
        "f_count": f.count,
        "manifest_rows": tuple(
            {
                "table": r["table_name"],
                "rows": f.count(r["row_count"]) if r["row_count"] is not None else "Not recorded",
                "published_at": (f.long_datetime(r["published_at"]) if r["published_at"] else "Not recorded"),
                "source_periods": r["source_periods"] or "Not recorded",
            }
            for r in manifest.rows
        ),
        "source_periods": manifest.source_periods,
        "pay_gap_href": pay_gap.PAGE.path,
        "lto_href": long_term_outcomes.PAGE.path,
        "hwb_href": hwb.PAGE.path,
    }


PAGE = Page(
    path="index.html",
    template="index.html",
    title="Race Equality Observatory",
    nav_label="Overview",
    context=context,
)
