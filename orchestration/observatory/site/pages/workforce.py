"""Workforce page: the top-5% target, representation by grade, recruitment, WRES relative likelihoods
and ethnicity declaration, per authority, from the published workforce tables only.

Each section leads with one sentence a board member can read aloud, then a chart with its full data
table beside it (Ethnicity facts and figures rule). The latest year is shown in detail; the top-5%
share, relative likelihoods and declaration rates are also given year by year.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from observatory.site import formatting as f
from observatory.site.filters import Control, authority_control, control
from observatory.site.pages import Download, Page
from observatory.site.pages.pay_gap import slug
from observatory.site.plots import Funnel, IntervalPlot, Point, dot_plot, forest_plot, funnel_chart
from observatory.site.snapshot import Snapshot

TOP = "top_earners"
REPRESENTATION = "workforce_representation"
LIKELIHOOD = "workforce_relative_likelihood"
DECLARATION = "workforce_declaration"
QUARTILES = "pay_quartiles"
BY_SEX = "pay_gap_by_sex"

DOWNLOADS = (
    Download(
        TOP,
        "downloads/top_earners.csv",
        ("authority_code", "snapshot_date"),
        label="Top 5% of earners and the target",
    ),
    Download(
        REPRESENTATION,
        "downloads/workforce_representation.csv",
        (
            "authority_code",
            "snapshot_date",
            "band_order",
            "ethnicity_level",
            "display_order",
            "ethnicity_code",
        ),
        label="Representation by grade band",
    ),
    Download(
        LIKELIHOOD,
        "downloads/workforce_relative_likelihood.csv",
        (
            "authority_code",
            "financial_year",
            "measure",
            "reference_level",
            "ethnicity_level",
            "display_order",
            "ethnicity_code",
        ),
        label="Relative likelihoods (recruitment, formal processes, training, progression, leaving)",
    ),
    Download(
        DECLARATION,
        "downloads/workforce_declaration.csv",
        ("authority_code", "snapshot_date", "directorate"),
        label="Ethnicity declaration by directorate",
    ),
    Download(
        QUARTILES,
        "downloads/pay_quartiles.csv",
        (
            "authority_code",
            "snapshot_date",
            "dimension",
            "ethnicity_level",
            "display_order",
            "ethnicity_group",
            "sex",
            "quartile",
        ),
        label="Pay quartiles",
    ),
    Download(
        BY_SEX,
        "downloads/pay_gap_by_sex.csv",
        (
            "authority_code",
            "snapshot_date",
            "dimension",
            "ethnicity_level",
            "display_order",
            "ethnicity_group",
            "sex",
        ),
        label="Gender pay gap and pay gaps by ethnicity and sex",
    ),
)
DOWNLOAD = {d.table: d for d in DOWNLOADS}

LEVELS: dict[str, str] = {
    "minority_binary": "White British and ethnic minorities",
    "major": "Broad ethnic groups",
    "census2021": "Detailed ethnic groups (Census 2021)",
}
REFERENCE = "White British"

# Measures in the order a board reads them: recruitment, formal processes, development, leaving.
FAMILY_ORDER = (
    "shortlisting",
    "appointment",
    "casework",
    "training",
    "progression",
    "leaving",
    "leaving_reason",
    "reason_share_of_leavers",
)
MAIN_FAMILIES = ("shortlisting", "appointment", "casework", "training", "progression")
LEAVING_FAMILIES = ("leaving", "leaving_reason", "reason_share_of_leavers")
MEASURE_LABELS = {
    "shortlisted_from_application": "Shortlisted from application",
    "appointed_from_shortlisting": "Appointed from shortlisting",
    "accessing_non_mandatory_training": "Accessing non-mandatory training",
    "acting_up": "Acting up",
    "promotion": "Promotion",
    "leaving": "Leaving (any reason)",
}
PARITY_WORDS = {
    "Similar": "Not significantly different from parity",
    "Higher": "Significantly above 1",
    "Lower": "Significantly below 1",
}
TARGET_WORDS = {
    "Better": "above the target (the whole 95% interval is above it)",
    "Similar": "not significantly different from the target (it is inside the 95% interval)",
    "Worse": "below the target (the whole 95% interval is below it)",
}
COMPARE_WORDS = {"Similar": "Similar", "Higher": "Higher", "Lower": "Lower"}


# --- small formatting helpers ------------------------------------------------------------------


def ratio_text(value: float) -> str:
    return f._fixed(value, 2)


def _point(
    row: dict[str, Any],
    label: str,
    value: str,
    symbol: str,
    ci: tuple[str, str] | None = None,
    *,
    text: str | None = None,
) -> Point:
    """One mark of a dot or forest plot from a row: ``value``, ``symbol`` and ``ci`` (lower, upper)
    name its columns; the words beside the mark are the value as a percentage unless ``text`` is given."""
    v = row[value]
    lower, upper = (row[ci[0]], row[ci[1]]) if ci else (None, None)
    if text is None:
        text = "" if f.is_missing(v) else f.pct(v)
    return Point(label=label, value=v, lower=lower, upper=upper, symbol=row[symbol] or None, text=text)


def _described(points: list[Point], fmt=f.pct) -> str:
    """The plotted figures in words, for the chart's text alternative ('2021/22: 31.0%; ...')."""
    return "; ".join(f"{p.label}: {p.text or f.cell(None, p.symbol, fmt).text}" for p in points)


def interval(lo: Any, hi: Any, fmt) -> str:
    return f"{fmt(lo)} to {fmt(hi)}"


def interval_cell(lo: Any, hi: Any, symbol: str | None, fmt) -> f.Cell:
    if symbol or f.is_missing(lo) or f.is_missing(hi):
        return f.cell(None, symbol, fmt)
    return f.Cell(interval(lo, hi, fmt))


def year_of_target(target_year: int | None) -> str:
    """2022 (the 31 March 2022 snapshot) -> '2021/22'."""
    if target_year is None:
        return "no date"
    return f"{target_year - 1}/{str(target_year)[2:]}"


def measure_label(row: dict[str, Any]) -> str:
    measure, detail = row["measure"], row["measure_detail"]
    if measure in MEASURE_LABELS:
        return MEASURE_LABELS[measure]
    family = row["measure_family"]
    if family == "casework" and detail:
        return f"Entering a formal {detail.lower()} process"
    if family == "leaving_reason" and detail:
        return f"Leaving: {detail.lower() if detail != 'TUPE transfer' else detail}"
    if family == "reason_share_of_leavers" and detail:
        return f"Among leavers, left by {detail.lower() if detail != 'TUPE transfer' else detail}"
    return measure.replace("_", " ").capitalize()


def measure_key(row: dict[str, Any]) -> tuple:
    family = row["measure_family"]
    rank = FAMILY_ORDER.index(family) if family in FAMILY_ORDER else len(FAMILY_ORDER)
    return (rank, family, row["measure"])


def level_key(level: str) -> tuple[int, str]:
    known = list(LEVELS)
    return (known.index(level), "") if level in known else (len(known), level)


def level_heading(level: str) -> str:
    return LEVELS.get(level, level.replace("_", " ").capitalize())


# --- views ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A data table: caption, column headings, rows of (row header, cells), optional data-level."""

    id: str
    caption: str
    columns: tuple[str, ...]  # headings after the row-header column
    row_header: str
    rows: tuple[tuple[str, tuple[f.Cell, ...]], ...]
    level: str = ""
    numeric: tuple[bool, ...] = ()  # per column: right-aligned figures


def _table(id_: str, caption: str, row_header: str, columns, rows, *, level: str = "", numeric=None) -> Table:
    columns = tuple(columns)
    return Table(
        id=id_,
        caption=caption,
        columns=columns,
        row_header=row_header,
        rows=tuple(rows),
        level=level,
        numeric=tuple(numeric) if numeric is not None else tuple(True for _ in columns),
    )


@dataclass(frozen=True)
class TargetView:
    id: str
    year: str
    share: f.Cell
    target: str
    target_by: str
    gap_words: str
    summary: str
    chart: IntervalPlot | None
    table: Table


@dataclass(frozen=True)
class Section:
    """A section of one authority's workforce figures: summary, charts and tables."""

    id: str
    heading: str
    summary: str
    charts: tuple[Any, ...]
    chart_caption: str
    tables: tuple[Table, ...]
    download: Download
    notes: tuple[str, ...] = ()
    chart_titles: tuple[str, ...] = ()  # a visible title above each chart, where there are several


@dataclass(frozen=True)
class AuthorityView:
    id: str
    code: str
    name: str
    target: TargetView | None
    sections: tuple[Section, ...]


# --- top 5% of earners against the target -----------------------------------------------------


def target_summary(latest: dict[str, Any], first: dict[str, Any]) -> str:
    year = latest["reporting_year"]
    target = f.pct(latest["target_pct"])
    by = year_of_target(latest["target_year"])
    if latest["share_symbol"] or f.is_missing(latest["minority_share_pct"]):
        why = f.SYMBOL_WORDS.get(latest["share_symbol"] or "x", "not available")
        return (
            f"The ethnic minority share of the top 5% of earners in {year} is {why}, "
            f"so progress to the {target} target cannot be shown."
        )
    share = latest["minority_share_pct"]
    gap = latest["gap_to_target_pp"]
    ci = interval(latest["minority_share_lower_ci"], latest["minority_share_upper_ci"], f.pct)
    if latest["is_target_met"]:
        position = f"meeting the {target} target due by {by}"
    else:
        position = f"{f._fixed(abs(gap), 1)} percentage points below the {target} target due by {by}"
    text = (
        f"In {year}, {f.pct(share)} of the top 5% of earners of known ethnicity were from ethnic "
        f"minority backgrounds (95% interval {ci}), "
        f"{position}"
    )
    words = TARGET_WORDS.get(latest["compared_with_target"] or "")
    text += f"; allowing for uncertainty, the share is {words}." if words else "."
    change = latest["change_since_first_pp"]
    if first is not latest and not f.is_missing(change):
        if f._fixed(change, 1) in ("0.0", f.MINUS + "0.0"):
            text += f" The share is unchanged since {first['reporting_year']}."
        else:
            direction = "up" if change > 0 else "down"
            points = f._fixed(abs(change), 1)
            text += f" It is {direction} {points} percentage points since {first['reporting_year']}."
    return text


TOP_COLUMNS = (
    "Top earners (of known ethnicity)",
    "From ethnic minorities",
    "Ethnic minority share",
    "95% interval",
    "Target",
    "Difference from target (percentage points)",
    "Compared with target",
    "Ethnic minority share of the whole workforce",
    "Pay threshold for the top 5%",
)


def _top_row(r: dict[str, Any]) -> tuple[str, tuple[f.Cell, ...]]:
    share_sym = r["share_symbol"]
    return (
        r["reporting_year"],
        (
            f.cell(r["top_earners_known_ethnicity"], r["headcount_symbol"] or share_sym, f.count),
            f.cell(r["top_earners_ethnic_minority"], share_sym, f.count),
            f.cell(r["minority_share_pct"], share_sym, f.pct),
            interval_cell(r["minority_share_lower_ci"], r["minority_share_upper_ci"], share_sym, f.pct),
            f.cell(r["target_pct"], None, f.pct) if not f.is_missing(r["target_pct"]) else f.Cell("[x]", "x"),
            f.cell(r["gap_to_target_pp"], share_sym, lambda v: f._fixed(v, 1)),
            f.Cell(r["compared_with_target"])
            if r["compared_with_target"]
            else f.cell(None, share_sym or "x", str),
            f.cell(r["workforce_minority_share_pct"], None, f.pct),
            f.cell(r["threshold_hourly_pay"], None, f.pounds),
        ),
    )


def target_view(auth_id: str, rows: list[dict[str, Any]]) -> TargetView:
    rows = sorted(rows, key=lambda r: r["snapshot_date"])
    latest, first = rows[-1], rows[0]
    target_pct = latest["target_pct"]
    points = [
        _point(
            r,
            r["reporting_year"],
            "minority_share_pct",
            "share_symbol",
            ("minority_share_lower_ci", "minority_share_upper_ci"),
        )
        for r in rows
    ]
    described = _described(points)
    summary = target_summary(latest, first)
    chart = dot_plot(
        points,
        chart_id=f"chart-{auth_id}-top5",
        title="Ethnic minority share of the top 5% of earners by year"
        + ("" if f.is_missing(target_pct) else f", against the {f.pct(target_pct)} target"),
        desc=f"Dot plot with 95% intervals; the dashed line is the target. {described}. {summary}",
        axis_title="Ethnic minority share of the top 5% of earners (%)",
        fmt=f.pct,
        reference=("Target", target_pct) if not f.is_missing(target_pct) else None,
    )
    share = f.cell(latest["minority_share_pct"], latest["share_symbol"], f.pct)
    if latest["share_symbol"] or f.is_missing(latest["minority_share_pct"]):
        gap_words = "Progress cannot be shown"
    elif latest["is_target_met"]:
        gap_words = "Target met"
    else:
        gap_words = f"{f._fixed(abs(latest['gap_to_target_pp']), 1)} percentage points to go"
    return TargetView(
        id=f"{auth_id}-top5",
        year=latest["reporting_year"],
        share=share,
        target=f.pct(target_pct) if not f.is_missing(target_pct) else "no target",
        target_by=year_of_target(latest["target_year"]),
        gap_words=gap_words,
        summary=summary,
        chart=chart,
        table=_table(
            f"{auth_id}-top5-table",
            "Ethnic minority share of the top 5% of earners, by reporting year",
            "Reporting year",
            TOP_COLUMNS,
            [_top_row(r) for r in rows],
        ),
    )


# --- representation by grade band -------------------------------------------------------------

REPRESENTATION_COLUMNS = (
    "Staff",
    "Share of the band",
    "95% interval",
    "Share of the whole workforce",
    "Compared with the workforce",
    "Share of working-age residents",
    "Compared with residents",
)


def _rep_cells(r: dict[str, Any]) -> tuple[f.Cell, ...]:
    sym = r["headcount_symbol"]
    return (
        f.cell(r["headcount"], sym, f.count),
        f.cell(r["share_pct"], sym, f.pct),
        interval_cell(r["share_lower_ci"], r["share_upper_ci"], sym, f.pct),
        f.cell(r["workforce_share_pct"], None, f.pct),
        f.Cell(r["compared_with_workforce"])
        if r["compared_with_workforce"]
        else f.cell(None, sym or "x", str),
        f.cell(r["population_share_pct"], None, f.pct),
        f.Cell(r["compared_with_population"])
        if r["compared_with_population"]
        else f.cell(None, sym or "x", str),
    )


def representation_summary(senior: dict[str, Any] | None, snapshot: str) -> str:
    if senior is None:
        return f"Representation of ethnic minority staff at each grade band on {snapshot}."
    band = senior["grade_band"]
    ci = interval(senior["share_lower_ci"], senior["share_upper_ci"], f.pct)
    if senior["headcount_symbol"] or f.is_missing(senior["share_pct"]):
        return f"The ethnic minority share of {band} on {snapshot} is withheld ([c]): the numbers are small."
    text = (
        f"On {snapshot}, {f.pct(senior['share_pct'])} of staff of known ethnicity in {band} were from "
        f"ethnic minorities (95% interval {ci}), "
        f"against {f.pct(senior['workforce_share_pct'])} of the whole workforce"
    )
    if not f.is_missing(senior["population_share_pct"]):
        text += f" and {f.pct(senior['population_share_pct'])} of working-age residents"
    words = {"Lower": "lower than", "Higher": "higher than", "Similar": "similar to"}
    wf = words.get(senior["compared_with_workforce"] or "")
    pop = words.get(senior["compared_with_population"] or "")
    if wf and pop and wf == pop:
        text += f": {wf} both."
    elif wf and pop:
        text += f": {wf} the workforce and {pop} residents."
    else:
        text += "."
    return text


def representation_section(auth_id: str, rows: list[dict[str, Any]]) -> Section:
    latest_date = max(r["snapshot_date"] for r in rows)
    latest = [r for r in rows if r["snapshot_date"] == latest_date]
    snapshot = f.long_date(latest_date)
    year = latest[0]["reporting_year"]
    em = sorted(
        (r for r in latest if r["ethnicity_level"] == "minority_binary" and r["ethnicity_code"] == "EM"),
        key=lambda r: r["band_order"],
    )
    senior = next((r for r in em if r["is_senior"]), None)
    population = next(
        (r["population_share_pct"] for r in em if not f.is_missing(r["population_share_pct"])), None
    )
    pop_source = next((r["population_source"] for r in em if r["population_source"]), None)
    points = [
        _point(r, r["grade_band"], "share_pct", "headcount_symbol", ("share_lower_ci", "share_upper_ci"))
        for r in em
    ]
    summary = representation_summary(senior, snapshot)
    charts = ()
    if points:
        described = _described(points)
        charts = (
            dot_plot(
                points,
                chart_id=f"chart-{auth_id}-representation",
                title=f"Ethnic minority share of staff by grade band, {year}",
                desc=(
                    "Dot plot with 95% intervals"
                    + (
                        "; the dashed line is the share of working-age residents"
                        if population is not None
                        else ""
                    )
                    + f". {described}. {summary}"
                ),
                axis_title="Ethnic minority share of staff of known ethnicity (%)",
                fmt=f.pct,
                reference=("Working-age residents", population) if population is not None else None,
            ),
        )
    tables = []
    for level in sorted({r["ethnicity_level"] for r in latest}, key=level_key):
        level_rows = sorted(
            (r for r in latest if r["ethnicity_level"] == level),
            key=lambda r: (r["band_order"], r["display_order"], r["ethnicity_group"]),
        )
        tables.append(
            _table(
                f"{auth_id}-representation-{slug(level)}",
                f"Representation by grade band: {level_heading(level)}, {snapshot}",
                "Grade band and ethnic group",
                REPRESENTATION_COLUMNS,
                [(f"{r['grade_band']}: {r['ethnicity_group']}", _rep_cells(r)) for r in level_rows],
                level=level,
                numeric=(True, True, True, True, False, True, False),
            )
        )
    notes = ("Shares are of staff of known ethnicity in each band.",)
    if pop_source == "census2021_all_ages":
        notes += ("Residents: Census 2021, all usual residents (no mid-year estimate was loaded).",)
    elif pop_source:
        notes += ("Residents: ONS mid-year estimate, residents aged 18 to 64.",)
    return Section(
        id=f"{auth_id}-representation",
        heading=f"Representation by grade, {year}",
        summary=summary,
        charts=charts,
        chart_caption=(
            "Each dot is the ethnic minority share of staff in the band, with its 95% interval; "
            "the dashed line is the share of working-age residents."
        ),
        tables=tuple(tables),
        download=DOWNLOAD[REPRESENTATION],
        notes=notes,
    )


# --- recruitment funnel and relative likelihoods ----------------------------------------------


def group_counts(row: dict[str, Any]) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """((group events, group base), (reference events, reference base)) whatever the orientation."""
    numerator = (row["a"], row["n1"])
    denominator = (row["c"], row["n0"])
    if row["numerator_group"] == row["ethnicity_group"]:
        return numerator, denominator
    return denominator, numerator


def of_cell(events: Any, base: Any) -> f.Cell:
    if f.is_missing(events) or f.is_missing(base):
        return f.Cell("[c]", "c")
    return f.Cell(f"{f.count(events)} of {f.count(base)}")


def share_cell(events: Any, base: Any) -> f.Cell:
    if f.is_missing(events) or f.is_missing(base):
        return f.Cell("[c]", "c")
    if not base:
        return f.Cell("[x]", "x")
    return f.Cell(f.pct(100.0 * events / base))


def ratio_cell(row: dict[str, Any] | None) -> f.Cell:
    if row is None:
        return f.Cell("[x]", "x")
    return f.cell(row["ratio"], row["ratio_symbol"], ratio_text)


def ratio_interval_cell(row: dict[str, Any] | None) -> f.Cell:
    if row is None:
        return f.Cell("[x]", "x")
    return interval_cell(row["ratio_lower_ci"], row["ratio_upper_ci"], row["ratio_symbol"], ratio_text)


FUNNEL_COLUMNS = (
    "Applications",
    "Shortlisted",
    "Shortlisted (% of applications)",
    "Appointed",
    "Appointed (% of shortlisted)",
    "Relative likelihood: shortlisting",
    "Relative likelihood: appointment",
    "Appointment, in words",
)


def _stage(count: Any, text: str) -> tuple[Any, str, str | None]:
    if f.is_missing(count):
        return (None, "", "c")
    return (count, text, None)


def funnel_for(
    auth_id: str, group: str, counts: dict[str, Any], year: str
) -> tuple[Funnel, tuple[Any, Any, Any]]:
    apps, shortlisted, appointed = counts["applications"], counts["shortlisted"], counts["appointed"]
    items = [
        ("Applications", *_stage(apps, f.count(apps) if not f.is_missing(apps) else "")),
        (
            "Shortlisted",
            *_stage(
                shortlisted,
                f"{f.count(shortlisted)} ({share_cell(shortlisted, apps).text})"
                if not f.is_missing(shortlisted)
                else "",
            ),
        ),
        (
            "Appointed",
            *_stage(
                appointed,
                f"{f.count(appointed)} ({share_cell(appointed, shortlisted).text})"
                if not f.is_missing(appointed)
                else "",
            ),
        ),
    ]
    described = "; ".join(f"{label}: {text or '[c] confidential'}" for label, _, text, _ in items)
    described += ". Percentages: shortlisted of applications, appointed of shortlisted"
    chart = funnel_chart(
        [(label, value, text, symbol) for label, value, text, symbol in items],
        chart_id=f"chart-{auth_id}-funnel-{slug(group)}",
        title=f"Recruitment funnel, {group} candidates, {year}",
        desc=f"Funnel chart: bar widths are proportional to the number at each stage. {described}.",
    )
    return chart, (apps, shortlisted, appointed)


def recruitment_section(auth_id: str, rows: list[dict[str, Any]], year: str) -> Section | None:
    """Application -> shortlisting -> appointment for each group against White British."""
    by_stage: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    for r in rows:
        if r["measure"] in ("shortlisted_from_application", "appointed_from_shortlisting") and (
            r["reference_group"] == REFERENCE
        ):
            by_stage.setdefault(r["measure"], {})[(r["ethnicity_level"], r["ethnicity_group"])] = r
    shortlisting = by_stage.get("shortlisted_from_application", {})
    appointment = by_stage.get("appointed_from_shortlisting", {})
    if not shortlisting and not appointment:
        return None

    def counts(level: str, group: str, *, reference: bool = False) -> dict[str, Any]:
        s, a = shortlisting.get((level, group)), appointment.get((level, group))
        pick = 1 if reference else 0
        s_counts = group_counts(s)[pick] if s else (None, None)
        a_counts = group_counts(a)[pick] if a else (None, None)
        return {"applications": s_counts[1], "shortlisted": s_counts[0], "appointed": a_counts[0]}

    keys = sorted(
        set(shortlisting) | set(appointment),
        key=lambda k: (level_key(k[0]), (shortlisting.get(k) or appointment.get(k))["display_order"], k[1]),
    )
    tables = []
    charts = []
    titles = []
    reference_counts = None
    for level, level_keys in groupby(keys, key=lambda k: k[0]):
        level_keys = list(level_keys)
        table_rows = []
        ref = counts(level, level_keys[0][1], reference=True)
        reference_counts = reference_counts or ref
        for_rows = [(REFERENCE, ref, None, None)] + [
            (group, counts(level, group), shortlisting.get((level, group)), appointment.get((level, group)))
            for _, group in level_keys
        ]
        for group, c, s_row, a_row in for_rows:
            is_ref = s_row is None and a_row is None
            table_rows.append(
                (
                    group + (" (reference)" if is_ref else ""),
                    (
                        f.cell(c["applications"], "c" if f.is_missing(c["applications"]) else None, f.count),
                        f.cell(c["shortlisted"], "c" if f.is_missing(c["shortlisted"]) else None, f.count),
                        share_cell(c["shortlisted"], c["applications"]),
                        f.cell(c["appointed"], "c" if f.is_missing(c["appointed"]) else None, f.count),
                        share_cell(c["appointed"], c["shortlisted"]),
                        f.Cell("[z]", "z") if is_ref else ratio_cell(s_row),
                        f.Cell("[z]", "z") if is_ref else ratio_cell(a_row),
                        f.Cell("[z]", "z")
                        if is_ref
                        else (f.Cell(a_row["reading"]) if a_row and a_row["reading"] else ratio_cell(a_row)),
                    ),
                )
            )
        tables.append(
            _table(
                f"{auth_id}-recruitment-{slug(level)}",
                f"Recruitment by ethnic group: {level_heading(level)}, {year}",
                "Ethnic group",
                FUNNEL_COLUMNS,
                table_rows,
                level=level,
                numeric=(True, True, True, True, True, True, True, False),
            )
        )
        if level == "minority_binary":
            for group, c, _, _ in for_rows:
                charts.append(funnel_for(auth_id, group, c, year)[0])
                titles.append(
                    "Ethnic minority candidates" if group == "Ethnic minorities" else f"{group} candidates"
                )
    em_s = shortlisting.get(("minority_binary", "Ethnic minorities"))
    em_a = appointment.get(("minority_binary", "Ethnic minorities"))
    summary = recruitment_summary(em_s, em_a, reference_counts, year)
    return Section(
        id=f"{auth_id}-recruitment",
        heading=f"Recruitment: from application to appointment, {year}",
        summary=summary,
        charts=tuple(charts),
        chart_caption=(
            "Each funnel shows applications, shortlisted candidates and appointments; bar widths are "
            "proportional to the numbers, which are written beside each bar with the percentage "
            "shortlisted (of applications) or appointed (of those shortlisted)."
        ),
        chart_titles=tuple(titles),
        tables=tuple(tables),
        download=DOWNLOAD[LIKELIHOOD],
        notes=(
            "A relative likelihood above 1 means White British candidates were more likely to be "
            "shortlisted (or appointed) than the group; 1 is parity.",
        ),
    )


def recruitment_summary(
    em_s: dict[str, Any] | None, em_a: dict[str, Any] | None, ref: dict[str, Any] | None, year: str
) -> str:
    if em_s is None or em_a is None:
        return f"Recruitment figures by ethnic group for {year}."
    (s_events, s_base), _ = group_counts(em_s)
    (a_events, a_base), _ = group_counts(em_a)
    parts = []
    if not any(f.is_missing(v) for v in (s_events, s_base, a_events, a_base)):
        parts.append(
            f"In {year}, {share_cell(s_events, s_base).text} of applications from ethnic minority candidates "
            f"were shortlisted and {share_cell(a_events, a_base).text} of those shortlisted were appointed"
        )
        if ref and not any(f.is_missing(ref[k]) for k in ("applications", "shortlisted", "appointed")):
            parts[-1] += (
                f", against {share_cell(ref['shortlisted'], ref['applications']).text} and "
                f"{share_cell(ref['appointed'], ref['shortlisted']).text} for White British candidates"
            )
        parts[-1] += "."
    for row in (em_s, em_a):
        if row["reading"]:
            parts.append(row["reading"] + ".")
    return " ".join(parts) or f"Recruitment figures by ethnic group for {year}."


LIKELIHOOD_COLUMNS = (
    "Group: events of base",
    "White British: events of base",
    "Relative likelihood",
    "95% interval",
    "Compared with parity",
    "In words",
)


def _rl_cells(r: dict[str, Any]) -> tuple[f.Cell, ...]:
    (g_events, g_base), (r_events, r_base) = group_counts(r)
    return (
        of_cell(g_events, g_base),
        of_cell(r_events, r_base),
        ratio_cell(r),
        ratio_interval_cell(r),
        f.Cell(PARITY_WORDS.get(r["compared_with_parity"], r["compared_with_parity"]))
        if r["compared_with_parity"]
        else f.cell(None, r["ratio_symbol"] or "x", str),
        f.Cell(r["reading"]) if r["reading"] else f.cell(None, r["ratio_symbol"] or "x", str),
    )


def significance_text(r: dict[str, Any]) -> str:
    if r["ratio_symbol"] or f.is_missing(r["ratio"]):
        return ""
    return f"{ratio_text(r['ratio'])}, " + ("significant" if r["is_significant"] else "not significant")


def likelihood_section(auth_id: str, rows: list[dict[str, Any]], year: str) -> Section | None:
    main = [r for r in rows if r["reference_group"] == REFERENCE and r["measure_family"] in MAIN_FAMILIES]
    leaving = [
        r
        for r in rows
        if r["reference_group"] == REFERENCE
        and r["measure_family"] in LEAVING_FAMILIES
        and r["ethnicity_level"] == "minority_binary"
    ]
    if not main and not leaving:
        return None
    em = sorted((r for r in main if r["ethnicity_level"] == "minority_binary"), key=measure_key)
    charts = []
    if em:
        points = [
            _point(
                r,
                measure_label(r),
                "ratio",
                "ratio_symbol",
                ("ratio_lower_ci", "ratio_upper_ci"),
                text=significance_text(r),
            )
            for r in em
        ]
        described = _described(points, ratio_text)
        plot = forest_plot(
            points,
            chart_id=f"chart-{auth_id}-likelihood",
            title=f"Relative likelihoods, ethnic minority staff compared with White British staff, {year}",
            desc=(
                "Forest plot on a log scale with 95% intervals; 1 is parity. Above 1 the outcome is less "
                f"favourable to ethnic minority staff. {described}."
            ),
            reference_label=REFERENCE,
            higher_label="less favourable to ethnic minority staff \u2192",
            lower_label="\u2190 more favourable",
        )
        charts.append(
            dataclasses.replace(
                plot,
                axis_title="Relative likelihood, ethnic minorities and White British (log scale)",
                ref_label="1 = parity",
            )
        )
    tables = []
    for level in sorted({r["ethnicity_level"] for r in main}, key=level_key):
        level_rows = sorted(
            (r for r in main if r["ethnicity_level"] == level),
            key=lambda r: (*measure_key(r), r["display_order"], r["ethnicity_group"]),
        )
        tables.append(
            _table(
                f"{auth_id}-likelihood-{slug(level)}",
                f"Relative likelihoods against White British staff: {level_heading(level)}, {year}",
                "Measure and group",
                LIKELIHOOD_COLUMNS,
                [(f"{measure_label(r)}: {r['ethnicity_group']}", _rl_cells(r)) for r in level_rows],
                level=level,
                numeric=(True, True, True, True, False, False),
            )
        )
    if leaving:
        tables.append(
            _table(
                f"{auth_id}-leaving",
                f"Leaving, by reason: ethnic minority staff against White British staff, {year}",
                "Measure",
                LIKELIHOOD_COLUMNS,
                [(measure_label(r), _rl_cells(r)) for r in sorted(leaving, key=measure_key)],
                numeric=(True, True, True, True, False, False),
            )
        )
    significant = [r for r in em if r["is_significant"] and not r["ratio_symbol"]]
    if not em:
        summary = f"Relative likelihoods against White British staff, {year}."
    elif significant:
        summary = (
            f"In {year}, {len(significant)} of the {len(em)} measures "
            f"{'differs' if len(significant) == 1 else 'differ'} significantly from parity "
            "for ethnic minority staff: " + "; ".join(r["reading"] for r in significant) + "."
        )
    else:
        summary = (
            f"In {year}, none of the {len(em)} measures differs significantly from parity for ethnic "
            "minority staff compared with White British staff."
        )
    return Section(
        id=f"{auth_id}-likelihood",
        heading=f"Relative likelihoods: recruitment, formal processes, training and progression, {year}",
        summary=summary,
        charts=tuple(charts),
        chart_caption=(
            "Each row is a relative likelihood with its 95% interval, on a log scale; the solid line at 1 "
            "is parity. To the right of the line the outcome is less favourable to ethnic minority staff "
            "(less likely to be shortlisted, appointed, trained or promoted; more likely to enter a formal "
            "process). Significance is written beside each row."
        ),
        tables=tuple(tables),
        download=DOWNLOAD[LIKELIHOOD],
    )


def likelihood_trend(auth_id: str, rows: list[dict[str, Any]]) -> Table | None:
    """Ethnic minorities against White British, every year held, for the main measures."""
    em = [
        r
        for r in rows
        if r["reference_group"] == REFERENCE
        and r["ethnicity_level"] == "minority_binary"
        and r["measure_family"] in (*MAIN_FAMILIES, "leaving")
    ]
    years = sorted({r["reporting_year"] for r in em})
    if len(years) < 2:
        return None
    cells = {(r["measure"], r["reporting_year"]): r for r in em}
    measures = sorted({r["measure"]: r for r in em}.values(), key=measure_key)
    return _table(
        f"{auth_id}-likelihood-trend",
        "Relative likelihood by year: ethnic minority staff against White British staff",
        "Measure",
        years,
        [
            (
                measure_label(m),
                tuple(ratio_cell(cells.get((m["measure"], y))) for y in years),
            )
            for m in measures
        ],
    )


# --- declaration --------------------------------------------------------------------------------

DECLARATION_COLUMNS = ("Staff", "Declared an ethnicity", "Prefer not to say", "Not recorded")


def _declaration_cells(r: dict[str, Any]) -> tuple[f.Cell, ...]:
    return (
        f.cell(r["headcount"], r["headcount_symbol"], f.count),
        f.cell(r["declared_pct"], r["declared_symbol"], f.pct),
        f.cell(r["prefer_not_to_say_pct"], r["prefer_not_to_say_symbol"], f.pct),
        f.cell(r["not_recorded_pct"], r["not_recorded_symbol"], f.pct),
    )


def declaration_section(auth_id: str, rows: list[dict[str, Any]]) -> Section:
    latest_date = max(r["snapshot_date"] for r in rows)
    latest = sorted(
        (r for r in rows if r["snapshot_date"] == latest_date),
        key=lambda r: (not r["is_all_directorates"], r["directorate"]),
    )
    year = latest[0]["reporting_year"]
    whole = next((r for r in latest if r["is_all_directorates"]), None)
    directorates = [r for r in latest if not r["is_all_directorates"]]
    if whole and not whole["declared_symbol"] and not f.is_missing(whole["declared_pct"]):
        pnts = f.cell(whole["prefer_not_to_say_pct"], whole["prefer_not_to_say_symbol"], f.pct).text
        summary = (
            f"On {f.long_date(latest_date)}, {f.pct(whole['declared_pct'])} of staff had declared their "
            f"ethnicity; {pnts}"
            " preferred not to say and "
            f"{f.cell(whole['not_recorded_pct'], whole['not_recorded_symbol'], f.pct).text} "
            "had none recorded."
        )
        shown = [r for r in directorates if not r["declared_symbol"] and not f.is_missing(r["declared_pct"])]
        if len(shown) > 1:
            low = min(shown, key=lambda r: (r["declared_pct"], r["directorate"]))
            summary += (
                f" The lowest declaration rate was in {low['directorate']} ({f.pct(low['declared_pct'])})."
            )
    else:
        summary = f"Ethnicity declaration of staff on {f.long_date(latest_date)}."
    charts = ()
    if directorates:
        points = [_point(r, r["directorate"], "declared_pct", "declared_symbol") for r in directorates]
        reference = (
            ("All directorates", whole["declared_pct"])
            if whole and not f.is_missing(whole["declared_pct"])
            else None
        )
        described = _described(points)
        charts = (
            dot_plot(
                points,
                chart_id=f"chart-{auth_id}-declaration",
                title=f"Share of staff who declared their ethnicity, by directorate, {year}",
                desc=f"Dot plot; the dashed line is the whole workforce. {described}.",
                axis_title="Staff who declared an ethnicity (%)",
                fmt=f.pct,
                reference=reference,
            ),
        )
    tables = [
        _table(
            f"{auth_id}-declaration-table",
            f"Ethnicity declaration by directorate, {f.long_date(latest_date)}",
            "Directorate",
            DECLARATION_COLUMNS,
            [(r["directorate"], _declaration_cells(r)) for r in latest],
        )
    ]
    history = sorted((r for r in rows if r["is_all_directorates"]), key=lambda r: r["snapshot_date"])
    if len(history) > 1:
        tables.append(
            _table(
                f"{auth_id}-declaration-trend",
                "Ethnicity declaration of the whole workforce, by reporting year",
                "Reporting year",
                DECLARATION_COLUMNS,
                [(r["reporting_year"], _declaration_cells(r)) for r in history],
            )
        )
    return Section(
        id=f"{auth_id}-declaration",
        heading=f"Ethnicity declaration, {year}",
        summary=summary,
        charts=charts,
        chart_caption="Each dot is a directorate's declaration rate; the dashed line is the whole workforce.",
        tables=tuple(tables),
        download=DOWNLOAD[DECLARATION],
        notes=(
            "Staff who have not declared an ethnicity are left out of every share and gap on this site; "
            "the higher the declaration rate, the more the figures can be relied on.",
        ),
    )


# --- pay quartiles and pay gaps by sex (shown on the pay gap page) -----------------------------

PAY_LEVELS: dict[str, str] = {
    "minority_binary": "White British and ethnic minorities",
    "major": "Broad ethnic groups",
    "detailed": "Detailed ethnic groups",
}
QUARTILE_NAMES = ("Lower", "Lower middle", "Upper middle", "Upper")


def adjective(group: str) -> str:
    """'Ethnic minorities' -> 'Ethnic minority' (as in 'Ethnic minority share')."""
    return "Ethnic minority" if group == "Ethnic minorities" else group


def pay_level_key(level: str) -> tuple[int, str]:
    known = list(PAY_LEVELS)
    return (known.index(level), "") if level in known else (len(known), level)


def _latest(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    latest = max(r["snapshot_date"] for r in rows)
    return [r for r in rows if r["snapshot_date"] == latest]


def quartile_section(auth_id: str, rows: list[dict[str, Any]]) -> Section:
    latest = _latest(rows)
    when = f.long_date(latest[0]["snapshot_date"])
    year = latest[0]["reporting_year"]
    quartiles = sorted({(r["quartile"], r["quartile_name"]) for r in latest})
    names = tuple(name for _, name in quartiles)
    em = {
        r["quartile"]: r
        for r in latest
        if r["dimension"] == "ethnicity"
        and r["ethnicity_level"] == "minority_binary"
        and not r["is_comparator"]
    }
    known = {
        q: sum(
            r["employees_in_quartile"] or 0
            for r in latest
            if r["dimension"] == "ethnicity"
            and r["ethnicity_level"] == "minority_binary"
            and r["quartile"] == q
        )
        for q, _ in quartiles
    }
    charts: tuple[Any, ...] = ()
    summary = f"Each ethnic group's share of each pay quartile on {when}."
    if em:
        group = next(iter(em.values()))["ethnicity_group"]
        points = [
            _point(
                em[q],
                em[q]["quartile_name"] + {1: " (lowest paid)", 4: " (highest paid)"}.get(q, ""),
                "share_of_quartile_pct",
                "share_symbol",
            )
            for q, _ in quartiles
            if q in em
        ]
        suppressed = any(em[q]["share_symbol"] or f.is_missing(em[q]["employees_in_quartile"]) for q in em)
        overall = None
        if not suppressed and sum(known.values()):
            overall = 100.0 * sum(em[q]["employees_in_quartile"] for q in em) / sum(known.values())
        described = _described(points)
        charts = (
            dot_plot(
                points,
                chart_id=f"chart-{auth_id}-quartiles",
                title=f"{adjective(group)} share of each pay quartile, {year}",
                desc=f"Dot plot; the dashed line is the share across all four quartiles. {described}.",
                axis_title=f"{adjective(group)} share of the quartile, staff of known ethnicity (%)",
                fmt=f.pct,
                reference=("All quartiles", overall) if overall is not None else None,
            ),
        )
        low, high = em.get(1), em.get(4)
        if low and high and not (low["share_symbol"] or high["share_symbol"]):
            summary = (
                f"On {when}, ethnic minority staff were {f.pct(low['share_of_quartile_pct'])} of the "
                "lowest-paid "
                f"quarter of staff and {f.pct(high['share_of_quartile_pct'])} of the highest-paid quarter "
                "(staff of known ethnicity)."
            )
            if overall is not None:
                summary += f" They were {f.pct(overall)} of all staff of known ethnicity."
    tables = []
    eth = [r for r in latest if r["dimension"] == "ethnicity"]
    for level in sorted({r["ethnicity_level"] for r in eth}, key=pay_level_key):
        level_rows = [r for r in eth if r["ethnicity_level"] == level]
        cells = {(r["ethnicity_group"], r["quartile"]): r for r in level_rows}
        groups = sorted({(r["display_order"], r["ethnicity_group"]) for r in level_rows})
        table_rows = [
            (
                g,
                tuple(
                    f.cell(cells[(g, q)]["share_of_quartile_pct"], cells[(g, q)]["share_symbol"], f.pct)
                    if (g, q) in cells
                    else f.Cell("[x]", "x")
                    for q, _ in quartiles
                ),
            )
            for _, g in groups
        ]
        outside = {r["quartile"]: r for r in level_rows}
        table_rows.append(
            (
                "Ethnicity not known (share of all staff in the quartile)",
                tuple(
                    f.cell(outside[q]["outside_groups_pct"], outside[q]["outside_groups_symbol"], f.pct)
                    if q in outside
                    else f.Cell("[x]", "x")
                    for q, _ in quartiles
                ),
            )
        )
        tables.append(
            _table(
                f"{auth_id}-quartiles-{slug(level)}",
                f"Share of each pay quartile: {PAY_LEVELS.get(level, level)}, {when}",
                "Ethnic group",
                names,
                table_rows,
            )
        )
    sex = [r for r in latest if r["dimension"] == "sex"]
    if sex:
        cells = {(r["sex"], r["quartile"]): r for r in sex}
        tables.append(
            _table(
                f"{auth_id}-quartiles-sex",
                f"Share of each pay quartile: women and men, {when}",
                "Sex",
                names,
                [
                    (
                        "Women" if s_ == "Female" else "Men" if s_ == "Male" else s_,
                        tuple(
                            f.cell(
                                cells[(s_, q)]["share_of_quartile_pct"], cells[(s_, q)]["share_symbol"], f.pct
                            )
                            if (s_, q) in cells
                            else f.Cell("[x]", "x")
                            for q, _ in quartiles
                        ),
                    )
                    for s_ in sorted({r["sex"] for r in sex})
                ],
            )
        )
    return Section(
        id=f"{auth_id}-quartiles",
        heading=f"Pay quartiles, {year}",
        summary=summary,
        charts=charts,
        chart_caption=(
            "Staff are ranked by hourly pay and split into four equal groups, from the lowest paid (lower "
            "quartile) to the highest paid (upper quartile). Each dot is the ethnic minority share of a "
            "quartile."
        ),
        tables=tuple(tables),
        download=DOWNLOAD[QUARTILES],
        notes=(
            "Shares are of staff of known ethnicity (or of women and men), so each column adds up to 100%.",
        ),
    )


SEX_COLUMNS = ("Relevant headcount", "Median hourly pay", "Median gap %", "Mean gap %")
SEX_WORDS = {"Female": "women", "Male": "men"}


def _sex_cells(r: dict[str, Any]) -> tuple[f.Cell, ...]:
    return (
        f.cell(r["relevant_headcount"], r["headcount_symbol"], f.count),
        f.cell(r["median_hourly_pay"], r["pay_symbol"], f.pounds),
        f.cell(r["median_hourly_gap_pct"], r["gap_symbol"], f.pct),
        f.cell(r["mean_hourly_gap_pct"], r["gap_symbol"], f.pct),
    )


def _gap_words(gap: float) -> str:
    if f.pct(gap) == "0.0%":
        return "the same as"
    return f"{f.pct(abs(gap))} {'lower' if gap > 0 else 'higher'} than"


def _bare_gap_words(gap: float) -> str:
    """'7.0% lower', 'the same' (the comparison named once, earlier in the sentence)."""
    return _gap_words(gap).removesuffix(" than").removesuffix(" as")


def by_sex_section(auth_id: str, rows: list[dict[str, Any]]) -> Section:
    latest = _latest(rows)
    when = f.long_date(latest[0]["snapshot_date"])
    year = latest[0]["reporting_year"]
    women = next((r for r in latest if r["dimension"] == "sex" and r["sex"] == "Female"), None)
    parts = []
    if women and not women["gap_symbol"] and not f.is_missing(women["median_hourly_gap_pct"]):
        parts.append(f"Women's median hourly pay was {_gap_words(women['median_hourly_gap_pct'])} men's.")
    binary = sorted(
        (
            r
            for r in latest
            if r["dimension"] == "ethnicity_sex" and r["ethnicity_level"] == "minority_binary"
        ),
        key=lambda r: (r["display_order"], r["ethnicity_group"], r["sex"]),
    )
    em = [
        r
        for r in binary
        if r["ethnicity_group"] == "Ethnic minorities"
        and not r["gap_symbol"]
        and not f.is_missing(r["median_hourly_gap_pct"])
    ]
    if em:
        parts.append(
            "Against White British men's, the median hourly pay of "
            + " and of ".join(
                f"ethnic minority {SEX_WORDS.get(r['sex'], r['sex'])} "
                f"was {_bare_gap_words(r['median_hourly_gap_pct'])}"
                for r in em
            )
            + "."
        )
    summary = " ".join(parts) or f"Pay gaps by sex and by ethnicity and sex on {when}."
    charts: tuple[Any, ...] = ()
    if binary:
        from observatory.site.charts import bar_chart

        items = [
            (
                f"{r['ethnicity_group']} {SEX_WORDS.get(r['sex'], r['sex'])}",
                r["median_hourly_gap_pct"],
                r["gap_symbol"] or None,
            )
            for r in binary
        ]
        described = "; ".join(f"{label}: {f.cell(v, sym, f.pct).text}" for label, v, sym in items)
        charts = (
            bar_chart(
                items,
                chart_id=f"chart-{auth_id}-by-sex",
                title=f"Median hourly pay gap compared with White British men, {year}",
                desc=(
                    "Horizontal bar chart. A positive gap means the group's median hourly pay is lower than "
                    f"White British men's. {described}."
                ),
                axis_title="Median hourly pay gap compared with White British men",
                below_label="\u2190 paid more",
                above_label="paid less \u2192",
            ),
        )
    tables = []
    sex_rows = sorted((r for r in latest if r["dimension"] == "sex"), key=lambda r: r["sex"])
    if sex_rows:
        tables.append(
            _table(
                f"{auth_id}-gender-gap",
                f"Gender pay gap (women compared with men), {when}",
                "Sex",
                SEX_COLUMNS,
                [
                    (
                        SEX_WORDS.get(r["sex"], r["sex"]).capitalize()
                        + (" (comparator)" if r["is_comparator"] else ""),
                        _sex_cells(r),
                    )
                    for r in sex_rows
                ],
            )
        )
    eth = [r for r in latest if r["dimension"] == "ethnicity_sex"]
    for level in sorted({r["ethnicity_level"] for r in eth}, key=pay_level_key):
        if level == "detailed":
            continue  # in the download; the detailed groups split by sex are mostly withheld
        level_rows = sorted(
            (r for r in eth if r["ethnicity_level"] == level),
            key=lambda r: (r["display_order"], r["ethnicity_group"], r["sex"]),
        )
        tables.append(
            _table(
                f"{auth_id}-by-sex-{slug(level)}",
                "Pay gaps by ethnicity and sex, compared with White British men: "
                f"{PAY_LEVELS.get(level, level)}, {when}",
                "Ethnic group and sex",
                SEX_COLUMNS,
                [
                    (
                        f"{r['ethnicity_group']} {SEX_WORDS.get(r['sex'], r['sex'])}"
                        + (" (comparator)" if r["is_comparator"] else ""),
                        _sex_cells(r),
                    )
                    for r in level_rows
                ],
            )
        )
    return Section(
        id=f"{auth_id}-by-sex",
        heading=f"Gender pay gap, and pay gaps by ethnicity and sex, {year}",
        summary=summary,
        charts=charts,
        chart_caption=(
            "Median hourly pay gap of each group of women and men compared with White British men. "
            "Bars to the "
            "right of the zero line: the group is paid less; to the left: paid more."
        ),
        tables=tuple(tables),
        download=DOWNLOAD[BY_SEX],
    )


def pay_sections(snapshot: Snapshot) -> dict[str, tuple[Section, ...]]:
    """Quartile and by-sex sections per authority for the pay gap page (empty when the tables, or the
    workforce page that writes their downloads, are not in the snapshot)."""
    if not set(PAGE.requires) <= snapshot.tables():
        return {}
    quartiles = _by_authority(
        snapshot.table(
            QUARTILES,
            [
                "authority_code",
                "snapshot_date",
                "dimension",
                "ethnicity_level",
                "display_order",
                "ethnicity_group",
                "sex",
                "quartile",
            ],
        )
    )
    by_sex = _by_authority(
        snapshot.table(
            BY_SEX,
            [
                "authority_code",
                "snapshot_date",
                "dimension",
                "ethnicity_level",
                "display_order",
                "ethnicity_group",
                "sex",
            ],
        )
    )
    out: dict[str, tuple[Section, ...]] = {}
    for code in sorted(set(quartiles) | set(by_sex)):
        auth_id = slug(code)
        sections = []
        if code in quartiles:
            sections.append(quartile_section(auth_id, quartiles[code]))
        if code in by_sex:
            sections.append(by_sex_section(auth_id, by_sex[code]))
        out[code] = tuple(sections)
    return out


# --- page ---------------------------------------------------------------------------------------


def _by_authority(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["authority_code"], []).append(r)
    return out


def load(snapshot: Snapshot) -> tuple[AuthorityView, ...]:
    top = _by_authority(snapshot.table(TOP, ["authority_code", "snapshot_date"]))
    rep = _by_authority(
        snapshot.table(
            REPRESENTATION,
            [
                "authority_code",
                "snapshot_date",
                "band_order",
                "ethnicity_level",
                "display_order",
                "ethnicity_code",
            ],
        )
    )
    rl = _by_authority(
        snapshot.table(
            LIKELIHOOD,
            [
                "authority_code",
                "financial_year",
                "measure",
                "reference_level",
                "ethnicity_level",
                "display_order",
                "ethnicity_code",
            ],
        )
    )
    dec = _by_authority(snapshot.table(DECLARATION, ["authority_code", "snapshot_date", "directorate"]))
    names: dict[str, tuple] = {}
    for table in (top, rep, rl, dec):
        for code, rows in table.items():
            latest = max(rows, key=lambda r: r.get("snapshot_date") or r.get("year_ending"))
            when = latest.get("snapshot_date") or latest.get("year_ending")
            if code not in names or when > names[code][0]:
                names[code] = (when, latest["authority_name"])
    views = []
    for code in sorted(names):
        auth_id = slug(code)
        sections: list[Section] = []
        if code in rep:
            sections.append(representation_section(auth_id, rep[code]))
        if code in rl:
            year = max(r["reporting_year"] for r in rl[code])
            latest = [r for r in rl[code] if r["reporting_year"] == year]
            for section in (
                recruitment_section(auth_id, latest, year),
                likelihood_section(auth_id, latest, year),
            ):
                if section is not None:
                    sections.append(section)
            trend = likelihood_trend(auth_id, rl[code])
            if trend is not None and sections and sections[-1].id.endswith("-likelihood"):
                sections[-1] = dataclasses.replace(sections[-1], tables=(*sections[-1].tables, trend))
        if code in dec:
            sections.append(declaration_section(auth_id, dec[code]))
        views.append(
            AuthorityView(
                id=auth_id,
                code=code,
                name=names[code][1],
                target=target_view(auth_id, top[code]) if code in top else None,
                sections=tuple(sections),
            )
        )
    return tuple(sorted(views, key=lambda v: (v.name, v.code)))


def controls(authorities: tuple[AuthorityView, ...]) -> tuple[Control, ...]:
    out = [*authority_control((a.code, a.name) for a in authorities)]
    levels = sorted(
        {t.level for a in authorities for s in a.sections for t in s.tables if t.level}, key=level_key
    )
    if len(levels) > 1:
        out.append(
            control(
                "level",
                "Ethnicity level of the tables",
                levels,
                labels={lvl: level_heading(lvl) for lvl in levels},
                selected="minority_binary" if "minority_binary" in levels else "",
            )
        )
    return tuple(out)


def context(snapshot: Snapshot) -> dict[str, Any]:
    authorities = load(snapshot)
    return {
        "authorities": authorities,
        "controls": controls(authorities),
        "downloads": DOWNLOADS,
    }


PAGE = Page(
    path="workforce.html",
    template="workforce.html",
    title="Workforce",
    nav_label="Workforce",
    context=context,
    requires=(TOP, REPRESENTATION, LIKELIHOOD, DECLARATION, QUARTILES, BY_SEX),
    downloads=DOWNLOADS,
)
