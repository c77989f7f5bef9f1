"""The ethnicity pay gap page: per authority, the latest snapshot's gaps by ethnicity level.

Each level gets a chart, a one-sentence summary and the full data table; earlier snapshots are
summarised in a median-gap-by-year table. The same loading code feeds the home page headline.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from observatory.site import formatting as f
from observatory.site.charts import BarChart, bar_chart
from observatory.site.pages import Download, Page
from observatory.site.snapshot import Snapshot

TABLE = "pay_gap"
DOWNLOAD = Download(
    table=TABLE,
    path="downloads/pay_gap.csv",
    order_by=(
        "authority_code",
        "snapshot_date",
        "ethnicity_level",
        "display_order",
        "ethnicity_group",
    ),
)

# Most detailed first: the board reads the detail, the binary split is the summary.
LEVELS: dict[str, str] = {
    "detailed": "Detailed ethnic groups",
    "major": "Broad ethnic groups",
    "minority_binary": "White British and ethnic minorities",
}
DEFAULT_COMPARATOR = "White British"

# (heading, value column, symbol column, formatter)
COLUMNS = (
    ("Relevant headcount", "relevant_headcount", "headcount_symbol", f.count),
    ("Full-pay relevant headcount", "full_pay_relevant_headcount", "full_pay_headcount_symbol", f.count),
    ("Mean hourly pay", "mean_hourly_pay", "pay_symbol", f.pounds),
    ("Median hourly pay", "median_hourly_pay", "pay_symbol", f.pounds),
    ("Mean gap %", "mean_hourly_gap_pct", "gap_symbol", f.pct),
    ("Median gap %", "median_hourly_gap_pct", "gap_symbol", f.pct),
    ("% receiving bonus", "bonus_recipient_pct", "bonus_symbol", f.pct),
    ("Mean bonus gap %", "mean_bonus_gap_pct", "bonus_symbol", f.pct),
    ("Median bonus gap %", "median_bonus_gap_pct", "bonus_symbol", f.pct),
)


def slug(*parts: object) -> str:
    return re.sub(r"[^a-z0-9]+", "-", "-".join(str(p) for p in parts).lower()).strip("-")


def level_order(level: str) -> tuple[int, str]:
    """Known levels in LEVELS order; any future level after them, alphabetically."""
    known = list(LEVELS)
    return (known.index(level), "") if level in known else (len(known), level)


def level_heading(level: str) -> str:
    return LEVELS.get(level, level.replace("_", " ").capitalize())


def has_gap(row: dict[str, Any]) -> bool:
    return (
        not row["is_comparator"] and not row["gap_symbol"] and not f.is_missing(row["median_hourly_gap_pct"])
    )


def _gap_clause(gap: float, comparator: str) -> str:
    """'was 15.2% lower than White British staff's' (positive gap = paid less)."""
    if f.pct(gap) == "0.0%":
        return f"was the same as {comparator} staff's"
    return f"was {f.pct(abs(gap))} {'lower' if gap > 0 else 'higher'} than {comparator} staff's"


def gap_sentence(group: str, gap: float, comparator: str) -> str:
    """'Black African staff's median hourly pay was 15.2% lower than White British staff's'."""
    return f"{group} staff's median hourly pay {_gap_clause(gap, comparator)}"


def largest_gaps(rows: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """The n published gaps furthest from zero (either direction), ties in display order."""
    ranked = sorted(
        (r for r in rows if has_gap(r)),
        key=lambda r: (-abs(r["median_hourly_gap_pct"]), r["display_order"], r["ethnicity_group"]),
    )
    return ranked[:n]


def level_summary(rows: list[dict[str, Any]], comparator: str) -> str:
    published = [r for r in rows if has_gap(r)]
    suppressed = sum(1 for r in rows if not r["is_comparator"] and r["gap_symbol"] == "c")
    if not published:
        text = "No median hourly pay gap can be shown for these groups."
    elif len(published) == 1:
        r = published[0]
        text = gap_sentence(r["ethnicity_group"], r["median_hourly_gap_pct"], comparator) + "."
    else:
        r = largest_gaps(rows, 1)[0]
        text = (
            f"The largest of the {len(published)} published gaps: "
            f"{gap_sentence(r['ethnicity_group'], r['median_hourly_gap_pct'], comparator)}."
        )
    if suppressed == 1:
        text += " The gap for 1 group is not shown because it has fewer than the minimum number"
        text += " of staff."
    elif suppressed:
        text += f" The gaps for {suppressed} groups are not shown because they have fewer than"
        text += " the minimum number of staff."
    return text


@dataclass(frozen=True)
class TableRow:
    group: str
    is_comparator: bool
    cells: tuple[f.Cell, ...]


@dataclass(frozen=True)
class LevelView:
    id: str
    heading: str
    summary: str
    chart: BarChart
    caption: str
    rows: tuple[TableRow, ...]


@dataclass(frozen=True)
class TrendView:
    id: str
    caption: str
    years: tuple[str, ...]
    rows: tuple[tuple[str, tuple[f.Cell, ...]], ...]


@dataclass(frozen=True)
class AuthorityView:
    id: str
    code: str
    name: str
    reporting_year: str
    snapshot_date: str
    comparator: str
    levels: tuple[LevelView, ...]
    years: tuple[str, ...]  # every reporting year held, oldest first
    trends: tuple[TrendView, ...]
    latest_rows: tuple[dict[str, Any], ...]
    extra: tuple[Any, ...] = ()  # pay quartiles and pay gaps by sex (workforce.Section), where published


def _level_view(auth_id: str, level: str, rows: list[dict[str, Any]], comparator: str, year: str):
    heading = level_heading(level)
    level_id = slug(auth_id, level)
    items = [(r["ethnicity_group"], r["median_hourly_gap_pct"], r["gap_symbol"] or None) for r in rows]
    described = "; ".join(f"{label}: {f.cell(value, symbol, f.pct).text}" for label, value, symbol in items)
    chart = bar_chart(
        items,
        chart_id=f"chart-{level_id}",
        title=f"Median hourly pay gap compared with {comparator} staff: {heading}, {year}",
        desc=(
            f"Horizontal bar chart. A positive gap means the group's median hourly pay is lower "
            f"than {comparator} staff's. {described}."
        ),
        axis_title=f"Median hourly pay gap compared with {comparator} staff",
        below_label="\u2190 paid more",
        above_label="paid less \u2192",
    )
    table_rows = tuple(
        TableRow(
            group=r["ethnicity_group"],
            is_comparator=bool(r["is_comparator"]),
            cells=tuple(f.cell(r[col], r[sym], fmt) for _, col, sym, fmt in COLUMNS),
        )
        for r in rows
    )
    return LevelView(
        id=level_id,
        heading=heading,
        summary=level_summary(rows, comparator),
        chart=chart,
        caption=f"Ethnicity pay gap: {heading}, {year}",
        rows=table_rows,
    )


def _trend_view(auth_id: str, level: str, by_snapshot: list[tuple[Any, list[dict]]]) -> TrendView:
    years = _year_labels(by_snapshot)
    order: dict[str, tuple[int, str]] = {}
    cells: dict[tuple[str, int], f.Cell] = {}
    for i, (_, rows) in enumerate(by_snapshot):
        for r in rows:
            if r["ethnicity_level"] != level:
                continue
            g = r["ethnicity_group"]
            order[g] = (r["display_order"], g)  # latest snapshot's order wins
            cells[(g, i)] = f.cell(r["median_hourly_gap_pct"], r["gap_symbol"], f.pct)
    groups = sorted(order, key=order.__getitem__)
    return TrendView(
        id=slug(auth_id, "trend", level),
        caption=f"Median hourly pay gap % by reporting year: {level_heading(level)}",
        years=years,
        rows=tuple(
            (g, tuple(cells.get((g, i), f.Cell("[x]", "x")) for i in range(len(years)))) for g in groups
        ),
    )


def _row_key(r: dict[str, Any]) -> tuple:
    return (level_order(r["ethnicity_level"]), r["display_order"], r["ethnicity_group"])


def _year_labels(by_snapshot: list[tuple[Any, list[dict]]]) -> tuple[str, ...]:
    """Reporting years, with the snapshot date added where two snapshots share a year."""
    years = [rows[0]["reporting_year"] for _, rows in by_snapshot]
    return tuple(
        f"{y} ({f.long_date(d)})" if years.count(y) > 1 else y
        for y, (d, _) in zip(years, by_snapshot, strict=True)
    )


def load(snapshot: Snapshot) -> tuple[AuthorityView, ...]:
    """Every authority (by name), with its latest snapshot laid out for the page.

    Authorities are grouped by code, so a council that changed its name stays one authority
    (shown under its latest name).
    """
    rows = snapshot.table(TABLE, ["authority_code", "snapshot_date"])
    views = []
    for code, auth_rows in groupby(rows, key=lambda r: r["authority_code"]):
        by_snapshot = [
            (d, sorted(snap_rows, key=_row_key))
            for d, snap_rows in groupby(list(auth_rows), key=lambda r: r["snapshot_date"])
        ]
        latest_date, latest = by_snapshot[-1]
        comparator = next(
            (r["comparator_group"] for r in latest if r["comparator_group"]), DEFAULT_COMPARATOR
        )
        year = latest[0]["reporting_year"]
        auth_id = slug(code)
        levels = sorted({r["ethnicity_level"] for r in latest}, key=level_order)
        views.append(
            AuthorityView(
                id=auth_id,
                code=code,
                name=latest[0]["authority_name"],
                reporting_year=year,
                snapshot_date=f.long_date(latest_date),
                comparator=comparator,
                levels=tuple(
                    _level_view(
                        auth_id,
                        lvl,
                        [r for r in latest if r["ethnicity_level"] == lvl],
                        comparator,
                        year,
                    )
                    for lvl in levels
                ),
                years=_year_labels(by_snapshot),
                trends=tuple(_trend_view(auth_id, lvl, by_snapshot) for lvl in levels)
                if len(by_snapshot) > 1
                else (),
                latest_rows=tuple(latest),
            )
        )
    return tuple(sorted(views, key=lambda v: (v.name, v.code)))


def context(snapshot: Snapshot) -> dict[str, Any]:
    from observatory.site.pages.workforce import pay_sections  # imported here: workforce imports this module

    extra = pay_sections(snapshot)
    return {
        "authorities": tuple(dataclasses.replace(a, extra=extra.get(a.code, ())) for a in load(snapshot)),
        "columns": tuple(heading for heading, *_ in COLUMNS),
        "download": DOWNLOAD,
    }


PAGE = Page(
    path="pay-gap.html",
    template="pay_gap.html",
    title="Ethnicity pay gap",
    nav_label="Ethnicity pay gap",
    context=context,
    requires=(TABLE,),
    downloads=(DOWNLOAD,),
)
