"""The long-term outcomes scorecard: the council's framework filled with its figures, by ethnic group.

Read from ``publish.scorecard_long_term_outcomes`` only (docs/scorecards.md). Grouped by outcome area as
the framework is; per measure: the overall value with benchmarks and trend, then every group (Black
groups apart) with its gap to the overall value and to the reference group, each comparison as a
coloured cell with its word printed. A measure no source holds is an [x] row saying which data is needed.
The workforce measure is a grade band by group table against the borough's working-age residents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from observatory.site import formatting as f
from observatory.site import plots
from observatory.site.pages import Download, Page
from observatory.site.pages import scorecards as sc
from observatory.site.snapshot import Snapshot

TABLE = "scorecard_long_term_outcomes"
WORKFORCE_SOURCE = "workforce_representation"
ORDER = (
    "authority_code",
    "framework_order",
    "band_order",
    "sex",
    "display_order",
    "ethnicity_group",
)
DOWNLOAD = Download(
    table=TABLE,
    path="downloads/scorecard_long_term_outcomes.csv",
    order_by=ORDER,
    label="Long-term outcomes scorecard",
)

LEVEL_LABELS: dict[str, str] = {
    "all": "Everyone",
    "dfe_main": "Ethnic groups (DfE main categories)",
    "census2021": "Ethnic groups (Census 2021 categories)",
    "major": "Broad ethnic groups",
    "extended": "Detailed groups (DfE extended categories)",
    "custom": "Combined groups",
    "minority_binary": "All ethnic minorities combined",
}
DATA_TYPES: dict[str, str] = {
    "success": "success: how well people do",
    "take-up of support": "take-up of support: who uses a service",
    "positive action": "positive action: what the council does",
    "perceptions": "perceptions: what residents think",
    "system failure": "system failure: where services fail people",
}


def slug(*parts: object) -> str:
    return re.sub(r"[^a-z0-9]+", "-", "-".join(str(p) for p in parts).lower()).strip("-")


def level_label(level: str | None) -> str:
    return LEVEL_LABELS.get(level or "", (level or "").replace("_", " ").capitalize())


@dataclass(frozen=True)
class OverallRow:
    label: str  # "Everyone", or "Female" / "Male" where the source publishes by sex only
    value: f.Cell
    ci: str
    trend: sc.Trend
    england: f.Cell
    cmp_england: sc.Comparison
    london: f.Cell
    cmp_london: sc.Comparison
    neighbours: f.Cell
    cmp_neighbours: sc.Comparison
    unknown_pct: str


@dataclass(frozen=True)
class GroupRow:
    group: str
    is_reference: bool
    value: f.Cell
    ci: str
    gap_overall: f.Cell
    cmp_overall: sc.Comparison
    gap_reference: f.Cell
    rri: f.Cell
    cmp_reference: sc.Comparison
    trend: sc.Trend
    england: f.Cell
    cmp_england: sc.Comparison


@dataclass(frozen=True)
class LevelBlock:
    id: str
    heading: str
    rows: tuple[GroupRow, ...]


@dataclass(frozen=True)
class BandCell:
    value: f.Cell
    cmp_population: sc.Comparison
    cmp_workforce: sc.Comparison


@dataclass(frozen=True)
class WorkforceRow:
    group: str
    population: f.Cell
    cells: tuple[BandCell, ...]


@dataclass(frozen=True)
class WorkforceBlock:
    id: str
    heading: str
    bands: tuple[str, ...]
    rows: tuple[WorkforceRow, ...]


@dataclass(frozen=True)
class MeasureView:
    id: str
    area: str
    area_key: str
    outcome: str
    measure: str
    data_type: str
    data_type_short: str
    indicator_name: str | None
    unit: str | None
    period: str | None
    available: bool
    note: str | None
    summary: str
    reference_group: str | None
    overall: tuple[OverallRow, ...]
    levels: tuple[LevelBlock, ...]
    has_rri: bool  # means (scores) have a gap but no rate ratio: the column is left out
    workforce: WorkforceBlock | None
    chart: plots.IntervalPlot | None
    # for the scorecard-at-a-glance row
    overall_text: str
    trend_text: sc.Trend | None
    cmp_england: sc.Comparison | None
    worse: int
    better: int
    differ: int  # significantly higher or lower (no judgement)
    compared: int
    largest: str
    largest_cmp: sc.Comparison | None


@dataclass(frozen=True)
class AreaView:
    id: str
    key: str  # the filter value (one word: filter values are space-separated)
    name: str
    measures: tuple[MeasureView, ...]


@dataclass(frozen=True)
class AuthorityView:
    id: str
    code: str
    name: str
    areas: tuple[AreaView, ...]

    @property
    def measures(self) -> tuple[MeasureView, ...]:
        return tuple(m for a in self.areas for m in a.measures)


def _cell(row: dict[str, Any], column: str, symbol_column: str | None) -> f.Cell:
    return sc.value_cell(row[column], row[symbol_column] if symbol_column else None, row["unit"])


def _benchmark(row: dict[str, Any], column: str) -> f.Cell:
    value = row[column]
    if f.is_missing(value):
        return f.Cell("[x]", "x")
    return sc.value_cell(value, None, row["unit"])


def _overall_row(row: dict[str, Any]) -> OverallRow:
    sex = row["sex"]
    return OverallRow(
        label=sex if sex and sex not in ("All", "Persons") else "Everyone",
        value=_cell(row, "value", "value_symbol"),
        ci=sc.interval(row["lower_ci"], row["upper_ci"], row["unit"]),
        trend=sc.trend(row["trend"]),
        england=_benchmark(row, "england_value"),
        cmp_england=sc.comparison(row["compared_with_england"]),
        london=_benchmark(row, "london_value"),
        cmp_london=sc.comparison(row["compared_with_london"]),
        neighbours=_benchmark(row, "neighbours_value"),
        cmp_neighbours=sc.comparison(row["compared_with_neighbours"]),
        # [c] where disclosure control withholds the share (older snapshots lack the symbol).
        unknown_pct=f.cell(row["unknown_ethnicity_pct"], row.get("unknown_ethnicity_symbol"), f.pct).text,
    )


def _rri_cell(row: dict[str, Any]) -> f.Cell:
    if row["is_reference_group"]:
        return f.Cell("[z]", "z")
    return f.cell(row["rri"], row["gap_to_reference_symbol"] or None, lambda v: f._fixed(v, 2))


def _group_row(row: dict[str, Any]) -> GroupRow:
    unit = row["unit"]
    reference = bool(row["is_reference_group"])
    return GroupRow(
        group=row["ethnicity_group"],
        is_reference=reference,
        value=_cell(row, "value", "value_symbol"),
        ci=sc.interval(row["lower_ci"], row["upper_ci"], unit),
        gap_overall=sc.difference_cell(row["gap_to_overall"], row["gap_to_overall_symbol"], unit),
        cmp_overall=sc.comparison(row["compared_with_overall"]),
        gap_reference=(
            f.Cell("[z]", "z")
            if reference
            else sc.difference_cell(row["gap_to_reference"], row["gap_to_reference_symbol"], unit)
        ),
        rri=_rri_cell(row),
        cmp_reference=(
            sc.Comparison("Reference group", "not-compared")
            if reference
            else sc.comparison(row["compared_with_reference"])
        ),
        trend=sc.trend(row["trend"]),
        england=_benchmark(row, "england_value"),
        cmp_england=sc.comparison(row["compared_with_england"]),
    )


def _reference_name(rows: list[dict[str, Any]]) -> str | None:
    ref = next((r for r in rows if r["is_reference_group"]), None)
    if ref is not None:
        return ref["ethnicity_group"]
    return next((r["reference_group"] for r in rows if r["reference_group"]), None)


def significant_gaps(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Groups whose gap to the reference group is significant, largest first (ties in display order)."""
    hits = [
        r
        for r in rows
        if not r["is_overall"]
        and r["is_gap_to_reference_significant"]
        and not f.is_missing(r["gap_to_reference"])
        and not r["gap_to_reference_symbol"]
    ]
    return sorted(hits, key=lambda r: (-abs(r["gap_to_reference"]), r["display_order"], r["ethnicity_group"]))


def reference_value(rows: list[dict[str, Any]], row: dict[str, Any]) -> float | None:
    """The reference group's value for a group's row: same sex, preferring the same level."""
    refs = [r for r in rows if r["is_reference_group"] and r["sex"] == row["sex"]]
    ref = next((r for r in refs if r["ethnicity_level"] == row["ethnicity_level"]), refs[0] if refs else None)
    return None if ref is None else ref["value"]


def gap_sentence(rows: list[dict[str, Any]], row: dict[str, Any], reference: str | None) -> str:
    """'Black - Somali: 50.0% against 70.4% for White - British (worse)'; rates name their unit once."""
    unit = row["unit"]
    ref_value = reference_value(rows, row)
    word = (row["compared_with_reference"] or "different").lower()
    if ref_value is None or not reference:
        return (
            f"{row['ethnicity_group']}: {sc.with_unit(row['value'], unit)}, a gap of "
            f"{sc.signed(row['gap_to_reference'], unit)} to {reference or 'the reference group'} ({word})"
        )
    suffix = f" {unit}" if unit and unit not in ("%", "score") else ""
    return (
        f"{row['ethnicity_group']}: {sc.number(row['value'], unit)} against "
        f"{sc.number(ref_value, unit)}{suffix} for {reference} ({word})"
    )


def _summary(rows: list[dict[str, Any]], overall: list[dict[str, Any]], reference: str | None) -> str:
    unit = rows[0]["unit"]
    period = rows[0]["period"]
    parts = []
    shown = [r for r in overall if not r["value_symbol"] and not f.is_missing(r["value"])]
    if len(shown) == 1 and shown[0]["sex"] in ("All", "Persons", None):
        parts.append(f"Overall in {period}: {sc.with_unit(shown[0]['value'], unit)}.")
    elif shown:
        by_sex = " and ".join(f"{r['sex'].lower()} {sc.with_unit(r['value'], unit)}" for r in shown)
        parts.append(f"Overall in {period}: {by_sex}.")
    groups = [r for r in rows if not r["is_overall"] and not r["is_reference_group"]]
    compared = [r for r in groups if r["compared_with_reference"]]
    if compared:
        words = [r["compared_with_reference"] for r in compared]
        counts = [
            f"{words.count(w)} {w.lower()}" for w in ("Worse", "Better", "Higher", "Lower") if words.count(w)
        ]
        if counts:
            parts.append(
                f"Of {len(compared)} groups compared with {reference}, "
                + ", ".join(counts)
                + f" and {words.count('Similar')} similar."
            )
        else:
            parts.append(
                f"None of the {len(compared)} groups compared differs significantly from {reference}."
            )
        top = significant_gaps(rows)
        if top:
            parts.append(f"Largest significant gap: {gap_sentence(rows, top[0], reference)}.")
    elif groups:
        parts.append("No group can be compared with the reference group.")
    suppressed = sum(1 for r in groups if r["value_symbol"] == "c")
    if suppressed:
        parts.append(
            f"{suppressed} group{'s are' if suppressed > 1 else ' is'} shown as [c] because the numbers are"
            " too small to publish."
        )
    return " ".join(parts)


def _workforce(mid: str, rows: list[dict[str, Any]]) -> tuple[WorkforceBlock, str]:
    bands = []
    for r in sorted(rows, key=lambda r: (r["band_order"], r["grade_band"])):
        if r["grade_band"] not in bands:
            bands.append(r["grade_band"])
    groups: dict[str, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: (r["display_order"], r["ethnicity_group"])):
        groups.setdefault(r["ethnicity_group"], r)
    cell = {(r["ethnicity_group"], r["grade_band"]): r for r in rows}
    out = []
    for group, first in groups.items():
        cells = []
        for band in bands:
            r = cell.get((group, band))
            if r is None:
                cells.append(BandCell(f.Cell("[x]", "x"), sc.comparison(None), sc.comparison(None)))
                continue
            cells.append(
                BandCell(
                    value=_cell(r, "value", "value_symbol"),
                    cmp_population=sc.comparison(r["compared_with_population"]),
                    cmp_workforce=sc.comparison(r["compared_with_overall"]),
                )
            )
        population = first["population_share_pct"]
        out.append(
            WorkforceRow(
                group=group,
                population=f.Cell(f.pct(population)) if not f.is_missing(population) else f.Cell("[x]", "x"),
                cells=tuple(cells),
            )
        )
    senior = [r for r in rows if r["band_order"] == max(x["band_order"] for x in rows)]
    minority = next((r for r in senior if r["ethnicity_level"] == "minority_binary"), None)
    summary = ""
    if minority is not None and not minority["value_symbol"] and not f.is_missing(minority["value"]):
        residents = minority["population_share_pct"]
        against = (
            f", against {f.pct(residents)} of working-age residents "
            f"({(minority['compared_with_population'] or 'not compared').lower()})"
            if not f.is_missing(residents)
            else " (no resident population figures are held to compare with)"
        )
        summary = (
            f"{minority['grade_band']}, {minority['period']}: {minority['ethnicity_group'].lower()} hold "
            f"{f.pct(minority['value'])} of posts{against}."
        )
        others = [
            r
            for r in rows
            if r["ethnicity_level"] != "minority_binary"
            and r["compared_with_population"] in ("Higher", "Lower")
            and not f.is_missing(r["population_share_pct"])
            and r["grade_band"] == minority["grade_band"]
        ]
        if others:
            summary += " Also different from residents at that level: " + "; ".join(
                f"{r['ethnicity_group']} {f.pct(r['value'])} against {f.pct(r['population_share_pct'])}"
                f" ({r['compared_with_population'].lower()})"
                for r in others
            )
            summary += "."
    block = WorkforceBlock(
        id=f"{mid}-bands",
        heading="Share of staff by grade band",
        bands=tuple(bands),
        rows=tuple(out),
    )
    return block, summary


CHART_LEVELS = ("dfe_main", "census2021", "major", "custom")


def _chart(mid: str, rows: list[dict[str, Any]], reference: str | None) -> plots.IntervalPlot | None:
    """A dot plot of the framework's groups (and combined groups) against the reference group's value."""
    first = rows[0]
    unit = first["unit"]
    chosen = [r for r in rows if not r["is_overall"] and r["ethnicity_level"] in CHART_LEVELS]
    chosen.sort(key=lambda r: (r["display_order"], r["ethnicity_group"]))
    if not any(not r["value_symbol"] and not f.is_missing(r["value"]) for r in chosen):
        return None
    points = []
    for r in chosen:
        word = r["compared_with_reference"]
        text = sc.number(r["value"], unit) if not f.is_missing(r["value"]) else ""
        if word and not r["is_reference_group"]:
            text += f", {word.lower()}"
        elif r["is_reference_group"]:
            text += ", reference"
        points.append(
            plots.Point(
                label=r["ethnicity_group"],
                value=r["value"],
                lower=r["lower_ci"],
                upper=r["upper_ci"],
                symbol=r["value_symbol"] or None,
                text=text,
            )
        )
    ref_row = next((r for r in chosen if r["is_reference_group"]), None)
    ref = (
        (f"{reference}", ref_row["value"])
        if ref_row is not None and not f.is_missing(ref_row["value"]) and not ref_row["value_symbol"]
        else None
    )
    described = "; ".join(
        f"{p.label}: {sc.value_cell(p.value, p.symbol, unit).text}"
        + (
            f" ({sc.interval(p.lower, p.upper, unit)})"
            if p.shown and sc.interval(p.lower, p.upper, unit)
            else ""
        )
        for p in points
    )
    return plots.dot_plot(
        points,
        chart_id=f"{mid}-chart",
        title=f"{first['measure']}, {first['period']}, by ethnic group",
        desc=(
            f"Dot plot: each group's value {sc.unit_label(unit)} with its 95% confidence interval"
            + (f"; the dashed line is {reference}." if ref else ".")
            + f" {described}."
        ),
        axis_title=f"{first['indicator_name'] or first['measure']} {sc.unit_label(unit)}".strip(),
        fmt=lambda v: sc.number(v, unit),
        reference=ref,
    )


def _measure(code: str, rows: list[dict[str, Any]]) -> MeasureView:
    first = rows[0]
    mid = slug(code, first["framework_order"], first["indicator_id"] or "measure")
    available = not (len(rows) == 1 and first["value_symbol"] == "x" and f.is_missing(first["value"]))
    overall = [r for r in rows if r["is_overall"]]
    groups = [r for r in rows if not r["is_overall"]]
    reference = _reference_name(groups)
    workforce = None
    cmp_england = sc.comparison(overall[0]["compared_with_england"]) if overall else None
    trend_text = sc.trend(overall[0]["trend"]) if overall else None
    if not available:
        summary = first["note"] or "Not available: no source holds this measure yet."
        overall_text = "[x]"
        cmp_england = None
        trend_text = None
    elif first["source_table"] == WORKFORCE_SOURCE:
        workforce, summary = _workforce(mid, rows)
        overall_text = "By grade band"
        trend_text = None
    else:
        summary = _summary(rows, overall, reference)
        overall_text = "; ".join(
            (f"{o.label}: " if o.label != "Everyone" else "") + o.value.text
            for o in map(_overall_row, overall)
        )
    levels = []
    if workforce is None:
        for level, level_rows in groupby(
            sorted(groups, key=lambda r: (r["display_order"], r["ethnicity_group"])),
            key=lambda r: r["ethnicity_level"],
        ):
            level_rows = list(level_rows)
            levels.append(
                LevelBlock(
                    id=f"{mid}-{slug(level)}",
                    heading=level_label(level),
                    rows=tuple(_group_row(r) for r in level_rows),
                )
            )
    words = [r["compared_with_reference"] for r in groups if not r["is_reference_group"]]
    top = significant_gaps(rows) if workforce is None else []
    return MeasureView(
        id=mid,
        area=first["outcome_area"],
        area_key=slug(first["outcome_area"]),
        outcome=first["outcome"],
        measure=first["measure"],
        data_type=DATA_TYPES.get(first["data_type"], first["data_type"] or ""),
        data_type_short=first["data_type"] or "",
        indicator_name=first["indicator_name"],
        unit=first["unit"],
        period=first["period"],
        available=available,
        note=first["note"],
        summary=summary,
        reference_group=reference,
        overall=tuple(_overall_row(r) for r in overall) if available else (),
        levels=tuple(levels),
        has_rri=any(not f.is_missing(r["rri"]) for r in groups),
        workforce=workforce,
        chart=_chart(mid, rows, reference) if available and workforce is None else None,
        overall_text=overall_text,
        trend_text=trend_text,
        cmp_england=cmp_england,
        worse=words.count("Worse"),
        better=words.count("Better"),
        differ=words.count("Higher") + words.count("Lower"),
        compared=sum(1 for w in words if w),
        largest=gap_sentence(rows, top[0], reference) if top else "",
        largest_cmp=sc.comparison(top[0]["compared_with_reference"]) if top else None,
    )


def load(snapshot: Snapshot) -> tuple[AuthorityView, ...]:
    rows = snapshot.table(TABLE, ORDER)
    views = []
    for code, auth_rows in groupby(rows, key=lambda r: r["authority_code"]):
        auth_rows = list(auth_rows)
        measures = []
        for _, m_rows in groupby(
            sorted(auth_rows, key=lambda r: (r["framework_order"], r["indicator_id"] or "")),
            key=lambda r: (r["framework_order"], r["indicator_id"]),
        ):
            measures.append(_measure(code, list(m_rows)))
        areas = []
        for area, area_measures in groupby(measures, key=lambda m: m.area):
            areas.append(
                AreaView(id=slug(code, area), key=slug(area), name=area, measures=tuple(area_measures))
            )
        views.append(
            AuthorityView(id=slug(code), code=code, name=auth_rows[0]["authority_name"], areas=tuple(areas))
        )
    return tuple(sorted(views, key=lambda v: (v.name, v.code)))


def context(snapshot: Snapshot) -> dict[str, Any]:
    authorities = load(snapshot)
    areas = {area.key: area.name for a in authorities for area in a.areas}
    return sc.page_context(authorities, ("area", "Outcome area"), areas, DOWNLOAD)


PAGE = Page(
    path="long-term-outcomes.html",
    template="long_term_outcomes.html",
    title="Long-term outcomes scorecard",
    nav_label="Long-term outcomes",
    context=context,
    requires=(TABLE,),
    downloads=(DOWNLOAD,),
)
