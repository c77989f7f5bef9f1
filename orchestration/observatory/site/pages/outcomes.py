"""What the education, youth justice and children's social care pages share: outcome_indicators laid out.

For each authority and indicator, the latest period: each ethnicity level as a dot plot (value
and 95% interval, the authority's overall value as a reference line), a forest plot of relative
rate indices (log scale, parity at 1, significance written) and the full data table, with a
sentence naming the groups significantly above or below the reference group; the broad groups
split by sex, free school meals or SEN; and a trend of the overall value and a few headline
groups over every period held. Only published rows are read, so suppressed cells arrive as
symbols and are shown as symbols.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import Any

from observatory.site import formatting as f
from observatory.site.filters import Control, authority_control, control
from observatory.site.pages import Download
from observatory.site.plots import (
    IntervalPlot,
    Point,
    Series,
    TrendChart,
    dot_plot,
    forest_plot,
    rri_text,
    trend_chart,
)
from observatory.site.snapshot import Snapshot

TABLE = "outcome_indicators"
DOWNLOAD = Download(
    table=TABLE,
    path="downloads/outcome_indicators.csv",
    label="Outcome indicators by ethnic group",
    order_by=(
        "authority_code",
        "indicator_id",
        "period_end_year",
        "period",
        "breakdown",
        "ethnicity_level",
        "display_order",
        "ethnicity_code",
        "sex",
        "fsm",
        "sen",
    ),
)


@dataclass(frozen=True)
class PageText:
    """The words that set apart an outcome page drawn by templates/outcome_page.html."""

    lead: str  # the opening sentence
    groupings: str  # the groupings the filters offer, for "How to read these figures"
    empty: str  # what the page says when nothing has been published


LEVELS: dict[str, str] = {
    "dfe_main": "DfE ethnic groups",
    "census2021": "Census 2021 ethnic groups",
    "major": "Broad ethnic groups",
    "custom": "Combined and community groups",
}
LEVEL_NOTES: dict[str, str] = {
    "dfe_main": "the 18 groups schools record (DfE main codes), with refused and not yet obtained",
    "census2021": "the 19 groups of the 2021 Census",
    "major": "Asian, Black, Mixed, White and Other ethnic group",
    "custom": "groups defined by the council, such as Black (all), Somali, and Turkish and Kurdish",
}
BREAKDOWNS: dict[str, tuple[str, str]] = {  # breakdown -> (control label, the column it splits by)
    "ethnicity": ("Ethnic group only", ""),
    "ethnicity_sex": ("Ethnic group and sex", "sex"),
    "ethnicity_fsm": ("Ethnic group and free school meals", "fsm"),
    "ethnicity_sen": ("Ethnic group and special educational needs", "sen"),
}
CATEGORY_WORDS = {
    "FSM": "FSM",
    "Not FSM": "not FSM",
    "No SEN": "no SEN",
    "SEN support": "SEN support",
    "EHC plan": "EHC plan",
    "Female": "female",
    "Male": "male",
}
GROUP_LABELS = {"REFU": "Refused", "NOBT": "Not yet obtained"}  # DfE codes published as labels

LEGEND: tuple[tuple[str, str], ...] = (
    (
        "[c]",
        "confidential: withheld so that no one can be identified"
        " (a small count, or a figure that would reveal one)",
    ),
    (
        "[x]",
        "not available: for example no events in the group or in the reference group,"
        " so no ratio can be computed",
    ),
    ("[z]", "not applicable: the reference group itself (its relative rate index is 1 by definition)"),
)
COMPARE_WORDS = {
    "Similar": "similar to",
    "Better": "better than",
    "Worse": "worse than",
    "Higher": "higher than",
    "Lower": "lower than",
}
BENCHMARKS = (  # (value column, comparison column, name)
    ("london_value", "compared_with_london", "London"),
    ("england_value", "compared_with_england", "England"),
    ("neighbours_value", "compared_with_neighbours", "statistical neighbours"),
)


def slug(*parts: object) -> str:
    return re.sub(r"[^a-z0-9]+", "-", "-".join(str(p) for p in parts).lower()).strip("-")


def group_label(row: dict[str, Any]) -> str:
    return GROUP_LABELS.get(row["ethnicity_group"], row["ethnicity_group"])


def level_order(level: str) -> tuple[int, str]:
    known = list(LEVELS)
    return (known.index(level), "") if level in known else (len(known), level)


def level_heading(level: str) -> str:
    return LEVELS.get(level, level.replace("_", " ").capitalize())


def places_for(values: Iterable[float | None]) -> int:
    """Decimal places for an indicator: two when every value is below 1 (permanent exclusions), else one."""
    shown = [abs(v) for v in values if not f.is_missing(v)]
    return 2 if shown and max(shown) < 1 else 1


def formatter(unit: str, places: int) -> Callable[[float], str]:
    if unit == "%":
        return lambda v: f.pct(v, places)
    return lambda v: f._fixed(v, places)


def times(rri: float) -> str:
    return f"{rri_text(rri)} times"


def rri_word(row: dict[str, Any]) -> str:
    """'higher' / 'lower' (the interval excludes 1) or 'similar' (it does not)."""
    if row["is_rri_significant"]:
        return "higher" if row["rri"] > 1 else "lower"
    return "similar"


def has_rri(row: dict[str, Any]) -> bool:
    return not row["rri_symbol"] and not f.is_missing(row["rri"])


def shown_value(row: dict[str, Any]) -> bool:
    return not row["value_symbol"] and not f.is_missing(row["value"])


# --- tables ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[f.Cell, ...]
    is_reference: bool = False
    attrs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Table:
    id: str
    caption: str
    headings: tuple[str, ...]
    rows: tuple[Row, ...]


def _ci_cell(row: dict[str, Any], lo: str, hi: str, symbol: str | None, fmt) -> f.Cell:
    if symbol or f.is_missing(row[lo]) or f.is_missing(row[hi]):
        return f.Cell(f"[{symbol or 'x'}]", symbol or "x")
    return f.Cell(f"{fmt(row[lo])} to {fmt(row[hi])}")


def _compare_cell(word: str | None, value: float | None, symbol: str | None, fmt) -> f.Cell:
    if symbol == "c":
        return f.Cell("[c]", "c")
    if not word:
        return f.Cell(f"[{symbol or 'x'}]", symbol or "x")
    if word != "Not compared" and not f.is_missing(value):
        return f.Cell(f"{word} ({fmt(value)})")
    return f.Cell(word)


def _benchmarks_present(rows: Sequence[dict[str, Any]]) -> tuple[tuple[str, str, str], ...]:
    return tuple(b for b in BENCHMARKS if any(not f.is_missing(r[b[0]]) for r in rows))


def outcome_table(
    table_id: str,
    caption: str,
    rows: Sequence[dict[str, Any]],
    labels: Sequence[str],
    reference: str,
    fmt,
) -> Table:
    """Value, interval, RRI with interval, comparison with the reference and the benchmarks."""
    benchmarks = _benchmarks_present(rows)
    headings = (
        "Ethnic group",
        "Value",
        "95% confidence interval",
        f"Relative rate index (RRI) compared with {reference}",
        "RRI 95% confidence interval",
        f"Compared with {reference}",
        *(f"Compared with {name}" for _, _, name in benchmarks),
    )
    out = []
    for r, label in zip(rows, labels, strict=True):
        vsym = r["value_symbol"] or None
        rsym = r["rri_symbol"] or None
        ref_sym = "z" if r["is_reference_group"] else vsym
        cells = [
            f.cell(r["value"], vsym, fmt),
            _ci_cell(r, "lower_ci", "upper_ci", vsym, fmt),
            f.cell(r["rri"], rsym, rri_text),
            _ci_cell(r, "rri_lower_ci", "rri_upper_ci", rsym, rri_text),
            _compare_cell(r["compared_with_reference"], None, ref_sym, fmt),
            *(_compare_cell(r[word], r[val], vsym, fmt) for val, word, _ in benchmarks),
        ]
        out.append(Row(label, tuple(cells), bool(r["is_reference_group"])))
    return Table(table_id, caption, headings, tuple(out))


# --- one level (or one breakdown) of one indicator ---------------------------------------------


@dataclass(frozen=True)
class GroupView:
    id: str
    heading: str
    note: str
    summary: str
    dot: IntervalPlot
    forest: IntervalPlot | None  # None: no RRI is computed (an average score)
    table: Table
    attrs: tuple[tuple[str, str], ...]


def _name_list(names: Sequence[str], limit: int = 3) -> str:
    shown = list(names[:limit])
    rest = len(names) - len(shown)
    if rest:
        shown.append(f"{rest} other group{'s' if rest > 1 else ''}")
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " and " + shown[-1]


DIFFERENT = ("Better", "Worse", "Higher", "Lower")  # compared_with_reference: the interval excludes it


def significance_summary(
    rows: Sequence[dict[str, Any]],
    labels: Sequence[str],
    reference: str,
    subject: str,
    fmt: Callable[[float], str] = str,
) -> str:
    """One sentence: which groups are significantly above or below the reference group.

    Rates and shares are compared by their RRI; where no RRI is computed (an average score such
    as Attainment 8), by the published comparison with the reference group's value."""
    pairs = [(r, lab) for r, lab in zip(rows, labels, strict=True) if not r["is_reference_group"]]
    withheld = sum(1 for r, _ in pairs if r["rri_symbol"] == "c" or r["value_symbol"] == "c")
    computed = [(r, lab) for r, lab in pairs if has_rri(r)]
    ref_row = next((r for r in rows if r["is_reference_group"]), None)
    if computed:
        higher = sorted(
            ((r, lab) for r, lab in computed if r["is_rri_significant"] and r["rri"] > 1),
            key=lambda p: (-p[0]["rri"], p[1]),
        )
        lower = sorted(
            ((r, lab) for r, lab in computed if r["is_rri_significant"] and r["rri"] < 1),
            key=lambda p: (p[0]["rri"], p[1]),
        )
        first = (lambda r: f"{times(r['rri'])} the {reference} rate") if higher else None
    else:
        computed = [
            (r, lab)
            for r, lab in pairs
            if r["compared_with_reference"]
            and r["compared_with_reference"] != "Not compared"
            and shown_value(r)
            and not f.is_missing(r["gap_to_reference"])
        ]
        differ = [(r, lab) for r, lab in computed if r["compared_with_reference"] in DIFFERENT]
        higher = sorted(
            ((r, lab) for r, lab in differ if r["gap_to_reference"] > 0),
            key=lambda p: (-p[0]["gap_to_reference"], p[1]),
        )
        lower = sorted(
            ((r, lab) for r, lab in differ if r["gap_to_reference"] < 0),
            key=lambda p: (p[0]["gap_to_reference"], p[1]),
        )
        ref_text = fmt(ref_row["value"]) if ref_row and shown_value(ref_row) else None
        first = (lambda r: f"{fmt(r['value'])} against {ref_text}") if ref_text else None
    similar = len(computed) - len(higher) - len(lower)
    if not computed:
        text = f"No group can be compared with {reference} {subject} for this period."
    elif not higher and not lower:
        text = f"No group was significantly different from {reference} {subject}."
    else:
        parts = []
        if higher:
            names = [f"{lab} ({first(r)})" if i == 0 and first else lab for i, (r, lab) in enumerate(higher)]
            parts.append(f"significantly higher for {_name_list(names)}")
        if lower:
            names = [lab for _, lab in lower]
            parts.append(f"significantly lower for {_name_list(names)}")
        text = f"Compared with {reference} {subject}, the value was " + ", and ".join(parts) + "."
        if similar:
            text += f" {similar} group{'s were' if similar > 1 else ' was'} not significantly different."
    if withheld:
        text += (
            f" {withheld} group{'s are' if withheld > 1 else ' is'} not shown ([c]) so that no one"
            " can be identified."
        )
    return text


def _points(rows, labels, fmt) -> tuple[list[Point], list[Point]]:
    dots, rris = [], []
    for r, label in zip(rows, labels, strict=True):
        vsym = r["value_symbol"] or None
        dots.append(
            Point(
                label,
                r["value"],
                r["lower_ci"],
                r["upper_ci"],
                vsym,
                fmt(r["value"]) if shown_value(r) else "",
            )
        )
        rsym = r["rri_symbol"] or None
        if r["is_reference_group"]:
            rsym = "z"
        rris.append(
            Point(
                label,
                r["rri"],
                r["rri_lower_ci"],
                r["rri_upper_ci"],
                rsym if rsym or not f.is_missing(r["rri"]) else "x",
                f"{rri_text(r['rri'])} {rri_word(r)}" if has_rri(r) and not rsym else "",
            )
        )
    return dots, rris


def group_view(
    *,
    view_id: str,
    heading: str,
    note: str,
    rows: Sequence[dict[str, Any]],
    labels: Sequence[str],
    ind: IndicatorMeta,
    overall: dict[str, Any] | None,
    attrs: tuple[tuple[str, str], ...],
) -> GroupView:
    reference = next((lab for r, lab in zip(rows, labels, strict=True) if r["is_reference_group"]), None)
    reference = (
        reference or (rows[0]["reference_group"] if rows else "the reference group") or "the reference"
    )
    reference = reference.split(",")[0]
    dots, rris = _points(rows, labels, ind.fmt)
    summary = significance_summary(rows, labels, reference, ind.subject, ind.fmt)
    ref_value = overall["value"] if overall and shown_value(overall) else None
    title = f"{ind.name}: {heading}, {ind.period}"
    dot = dot_plot(
        dots,
        chart_id=f"dot-{view_id}",
        title=title,
        desc=(
            f"Dot plot of each group's value with its 95% confidence interval"
            f"{'; dashed line: the overall value, ' + ind.fmt(ref_value) if ref_value is not None else ''}."
            f" {summary} The table below the chart gives every group's figures."
        ),
        axis_title=ind.axis_title,
        fmt=ind.fmt,
        reference=("Overall", ref_value) if ref_value is not None else None,
    )
    forest = (
        None
        if not any(has_rri(r) for r in rows)
        else forest_plot(
            rris,
            chart_id=f"rri-{view_id}",
            title=f"Relative rate index compared with {reference}: {ind.name}, {heading}, {ind.period}",
            desc=(
                f"Forest plot on a log scale; 1 means the same rate as {reference}. Higher or lower means the"
                f" 95% interval excludes 1; similar means it does not. {summary}"
            ),
            reference_label=reference,
        )
    )
    table = outcome_table(f"table-{view_id}", title, rows, labels, reference, ind.fmt)
    return GroupView(view_id, heading, note, summary, dot, forest, table, attrs)


# --- an indicator ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorMeta:
    id: str
    name: str
    unit: str
    polarity: str
    period: str
    subject: str  # "pupils", "children"
    fmt: Callable[[float], str]

    @property
    def axis_title(self) -> str:
        return self.name if self.unit == "%" or self.unit in self.name else f"{self.name} ({self.unit})"


@dataclass(frozen=True)
class TrendView:
    id: str
    chart: TrendChart | None
    table: Table
    summary: str


@dataclass(frozen=True)
class IndicatorView:
    id: str
    name: str
    about: str
    period: str
    polarity_text: str
    headline: str
    overall_text: str
    unknown_text: str
    views: tuple[GroupView, ...]
    trend: TrendView | None
    extra: Any = None  # a page's own addition (the youth justice funnel)


POLARITY = {
    "high_is_good": "A higher value is better.",
    "low_is_good": "A lower value is better.",
    "no_judgement": "Neither a higher nor a lower value is better in itself.",
}


def overall_sentence(row: dict[str, Any] | None, ind: IndicatorMeta, authority: str) -> str:
    if row is None or not shown_value(row):
        return f"The overall value for {authority} in {ind.period} is not available."
    text = f"Overall in {ind.period}, {authority}: {ind.fmt(row['value'])}"
    if not f.is_missing(row["lower_ci"]) and not f.is_missing(row["upper_ci"]):
        text += f" (95% confidence interval {ind.fmt(row['lower_ci'])} to {ind.fmt(row['upper_ci'])})"
    parts = []
    for val, word, name in BENCHMARKS:
        w = row[word]
        if w in COMPARE_WORDS and not f.is_missing(row[val]):
            parts.append(f"{COMPARE_WORDS[w]} {name} ({ind.fmt(row[val])})")
    if parts:
        text += "; " + ", ".join(parts)
    return text + "."


def trend_view(
    view_id: str,
    ind: IndicatorMeta,
    periods: Sequence[str],
    overall_by_period: dict[str, dict[str, Any]],
    major_by_period: dict[str, list[dict[str, Any]]],
    latest_major: Sequence[dict[str, Any]],
    overall_label: str,
) -> TrendView | None:
    """The overall value and the broad groups over every period; the chart draws overall, the
    reference group and the two groups furthest from it in the latest period."""
    if len(periods) < 2:
        return None
    ranked = sorted(
        (r for r in latest_major if has_rri(r) and not r["is_reference_group"]),
        key=lambda r: (
            not r["is_rri_significant"],
            -abs(math.log(r["rri"])) if r["rri"] > 0 else 0,
            r["display_order"],
        ),
    )
    reference = next((r for r in latest_major if r["is_reference_group"]), None)
    headline = ([reference] if reference else []) + ranked[:2]
    groups = sorted(
        {(r["display_order"], group_label(r)) for p in periods for r in major_by_period.get(p, [])}
    )
    by_group = {(p, group_label(r)): r for p in periods for r in major_by_period.get(p, [])}

    def point(r: dict[str, Any] | None, label: str) -> Point:
        if r is None:
            return Point(label, None, symbol="x")
        return Point(
            label,
            r["value"],
            r["lower_ci"],
            r["upper_ci"],
            r["value_symbol"] or None,
            ind.fmt(r["value"]) if shown_value(r) else "",
        )

    series = [Series(overall_label, tuple(point(overall_by_period.get(p), overall_label) for p in periods))]
    for r in headline:
        lab = group_label(r)
        series.append(Series(lab, tuple(point(by_group.get((p, lab)), lab) for p in periods)))
    described = "; ".join(f"{s.label} from {_first_last(s.points, periods)}" for s in series)
    chart = trend_chart(
        periods,
        series,
        chart_id=f"trend-{view_id}",
        title=f"{ind.name}, {periods[0]} to {periods[-1]}: {', '.join(s.label for s in series)}",
        desc=f"Line chart of the value in each period with 95% confidence intervals. {described}.",
        axis_title=ind.axis_title,
        fmt=ind.fmt,
    )
    rows = []
    latest = overall_by_period.get(periods[-1])
    trend_rows = [(overall_label, {p: overall_by_period.get(p) for p in periods}, latest)]
    for _, lab in groups:
        trend_rows.append(
            (lab, {p: by_group.get((p, lab)) for p in periods}, by_group.get((periods[-1], lab)))
        )
    for lab, per, last in trend_rows:
        cells = tuple(
            f.cell(per[p]["value"], per[p]["value_symbol"] or None, ind.fmt) if per[p] else f.Cell("[x]", "x")
            for p in periods
        )
        word = f.Cell(last["trend"]) if last and last["trend"] else f.Cell("[x]", "x")
        rows.append(Row(lab, (*cells, word)))
    table = Table(
        f"table-trend-{view_id}",
        f"{ind.name} by period: overall and broad ethnic groups",
        ("Ethnic group", *periods, "Recent trend"),
        tuple(rows),
    )
    overall_trend = latest["trend"] if latest and latest["trend"] else None
    summary = (
        f"Recent trend overall: {overall_trend.lower()}."
        if overall_trend
        else "The recent trend cannot be calculated."
    )
    return TrendView(f"trend-{view_id}", chart, table, summary)


def _first_last(points: Sequence[Point], periods: Sequence[str]) -> str:
    shown = [(p, pt) for p, pt in zip(periods, points, strict=True) if pt.shown]
    if not shown:
        return "no published values"
    (p0, a), (p1, b) = shown[0], shown[-1]
    return f"{a.text} in {p0} to {b.text} in {p1}"


# --- the page -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorSpec:
    id: str
    about: str  # one plain sentence: what it counts


@dataclass(frozen=True)
class AuthorityView:
    id: str
    code: str
    name: str
    indicators: tuple[IndicatorView, ...]


def _key(r: dict[str, Any]) -> tuple:
    return (r["display_order"], group_label(r), r["sex"], r["fsm"], r["sen"])


def _category(r: dict[str, Any], column: str) -> str:
    return CATEGORY_WORDS.get(r[column], r[column])


CATEGORY_ORDER = {
    "Female": 0,
    "Male": 1,
    "FSM": 0,
    "Not FSM": 1,
    "No SEN": 0,
    "SEN support": 1,
    "EHC plan": 2,
}


def stream_rows(snapshot: Snapshot, indicator_ids: Sequence[str]) -> Iterator[dict[str, Any]]:
    """The indicators' rows, an authority's after another (the order below): a page's context
    takes one authority's at a time (`by_authority`), not the table's."""
    marks = ", ".join("?" for _ in indicator_ids)
    return snapshot.stream(
        f"select * from publish.{TABLE} where indicator_id in ({marks}) "
        "order by authority_code, indicator_id, period_end_year, period, breakdown, ethnicity_level, "
        "display_order, ethnicity_code, sex, fsm, sen",
        list(indicator_ids),
    )


def by_authority(rows: Iterable[dict[str, Any]]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(authority code, its rows) from rows ordered by authority code."""
    for code, group in groupby(rows, key=itemgetter("authority_code")):
        yield code, list(group)


def build_indicator(
    auth_id: str,
    authority: str,
    spec: IndicatorSpec,
    rows: list[dict[str, Any]],
    *,
    subject: str,
    overall_label: str,
    breakdowns: Sequence[str],
) -> IndicatorView:
    periods = sorted({(r["period_end_year"], r["period"]) for r in rows})
    period_labels = [p for _, p in periods]
    latest = period_labels[-1]
    now = [r for r in rows if r["period"] == latest]
    first = rows[0]
    ind_id = slug(auth_id, spec.id)
    ind = IndicatorMeta(
        id=spec.id,
        name=first["indicator_name"],
        unit=first["unit"] or "",
        polarity=first["polarity"] or "no_judgement",
        period=latest,
        subject=subject,
        fmt=formatter(first["unit"] or "", places_for(r["value"] for r in rows)),
    )
    overall = next((r for r in now if r["breakdown"] == "total"), None)
    by_level: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in now:
        if r["breakdown"] == "ethnicity":
            by_level[r["ethnicity_level"]].append(r)
    levels = sorted((lvl for lvl in by_level if lvl in LEVELS), key=level_order)
    views = []
    for lvl in levels:
        lrows = sorted(by_level[lvl], key=_key)
        labels = [group_label(r) for r in lrows]
        views.append(
            group_view(
                view_id=slug(ind_id, lvl),
                heading=level_heading(lvl),
                note=LEVEL_NOTES.get(lvl, ""),
                rows=lrows,
                labels=labels,
                ind=ind,
                overall=overall,
                attrs=(("level", lvl), ("breakdown", "ethnicity")),
            )
        )
    for bd in breakdowns:
        column = BREAKDOWNS[bd][1]
        brows = sorted(
            (r for r in now if r["breakdown"] == bd and r["ethnicity_level"] == "major"),
            key=lambda r: (CATEGORY_ORDER.get(r[column], 9), r[column], *_key(r)),
        )
        if not brows:
            continue
        labels = [f"{group_label(r)}, {_category(r, column)}" for r in brows]
        views.append(
            group_view(
                view_id=slug(ind_id, bd),
                heading=f"Broad ethnic groups by {BREAKDOWNS[bd][0].split(' and ', 1)[1]}",
                note=(
                    f"each broad group split by {BREAKDOWNS[bd][0].split(' and ', 1)[1]}, compared with White"
                    f" {subject} in the same category (finer groups are in the download)"
                ),
                rows=brows,
                labels=labels,
                ind=ind,
                overall=overall,
                attrs=(("level", " ".join(levels)), ("breakdown", bd)),
            )
        )
    overall_by_period = {r["period"]: r for r in rows if r["breakdown"] == "total"}
    major_by_period: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["breakdown"] == "ethnicity" and r["ethnicity_level"] == "major":
            major_by_period[r["period"]].append(r)
    trend = trend_view(
        ind_id,
        ind,
        period_labels,
        overall_by_period,
        major_by_period,
        by_level.get("major", []),
        overall_label,
    )
    unknown = overall["unknown_ethnicity_pct"] if overall else None
    unknown_text = (
        f"Ethnicity was not recorded for {f.pct(unknown)} of {subject}; group values are among those whose"
        " ethnicity is known."
        if not f.is_missing(unknown)
        else "Group values are among those whose ethnicity is known; how many were not recorded is withheld"
        " [c], as it would give a small count away."
        if overall and overall.get("unknown_ethnicity_symbol") == "c"
        else ""
    )
    default = next(
        (v for v in views if v.attrs[0][1] in ("dfe_main", "census2021")), views[0] if views else None
    )
    return IndicatorView(
        id=ind_id,
        name=ind.name,
        about=spec.about,
        period=latest,
        polarity_text=POLARITY.get(ind.polarity, ""),
        headline=default.summary if default else "No figures by ethnic group are published for this period.",
        overall_text=overall_sentence(overall, ind, authority),
        unknown_text=unknown_text,
        views=tuple(views),
        trend=trend,
    )


def load(
    snapshot: Snapshot,
    specs: Sequence[IndicatorSpec],
    *,
    subject: str,
    overall_label: str,
    breakdowns: Sequence[str],
) -> tuple[AuthorityView, ...]:
    views = []
    for code, auth_rows in by_authority(stream_rows(snapshot, [s.id for s in specs])):
        name = max(auth_rows, key=lambda r: (r["period_end_year"], r["period"]))["authority_name"]
        auth_id = slug(code)
        by_ind: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in auth_rows:
            by_ind[r["indicator_id"]].append(r)
        indicators = tuple(
            build_indicator(
                auth_id,
                name,
                spec,
                by_ind[spec.id],
                subject=subject,
                overall_label=overall_label,
                breakdowns=breakdowns,
            )
            for spec in specs
            if by_ind.get(spec.id)
        )
        views.append(AuthorityView(auth_id, code, name, indicators))
    return tuple(sorted(views, key=lambda v: (v.name, v.code)))


def controls(authorities: Sequence[AuthorityView], breakdowns: Sequence[str]) -> tuple[Control, ...]:
    """Authority (when several), ethnicity level (finest common level first) and breakdown."""
    out = [*authority_control(((a.code, a.name) for a in authorities), select_first=True)]
    levels = sorted(
        {
            v.attrs[0][1]
            for a in authorities
            for i in a.indicators
            for v in i.views
            if v.attrs[1][1] == "ethnicity"
        },
        key=level_order,
    )
    if levels:
        out.append(
            control(
                "level",
                "Ethnic groups",
                levels,
                labels={lvl: level_heading(lvl) for lvl in levels},
                selected=levels[0],
                all_label="All levels",
            )
        )
    present = [
        bd
        for bd in ("ethnicity", *breakdowns)
        if any(v.attrs[1][1] == bd for a in authorities for i in a.indicators for v in i.views)
    ]
    if len(present) > 1:
        out.append(
            control(
                "breakdown",
                "Split by",
                present,
                labels={bd: BREAKDOWNS[bd][0] for bd in present},
                selected="ethnicity",
                all_label="Show every split",
            )
        )
    return tuple(out)


def context(
    snapshot: Snapshot,
    specs: Sequence[IndicatorSpec],
    *,
    subject: str,
    overall_label: str,
    breakdowns: Sequence[str] = (),
) -> dict[str, Any]:
    authorities = load(snapshot, specs, subject=subject, overall_label=overall_label, breakdowns=breakdowns)
    return {
        "authorities": authorities,
        "controls": controls(authorities, breakdowns),
        "download": DOWNLOAD,
        "outcome_legend_items": LEGEND,
        "subject": subject,
    }
