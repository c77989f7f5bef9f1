"""Youth justice page: first-time entrants, remand, custody, reoffending, stop and search, and the
stage-by-stage funnel.

The funnel follows the OJJDP method (docs/methods.md): each stage's rate uses the previous stage
as its denominator (children aged 10-17 -> stop and searches -> first-time entrants -> remands ->
custody), so the relative rate index at each stage says where disproportionality grows, rather
than carrying forward what happened at earlier stages.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from observatory.site import formatting as f
from observatory.site.pages import Page, outcomes
from observatory.site.pages.outcomes import (
    LEVELS,
    IndicatorSpec,
    Row,
    Table,
    group_label,
    has_rri,
    level_heading,
    level_order,
    rri_word,
    slug,
)
from observatory.site.plots import Funnel, IntervalPlot, Point, forest_plot, funnel_chart, rri_text
from observatory.site.snapshot import Snapshot

INDICATORS = (
    IndicatorSpec(
        "yj_first_time_entrant_rate",
        "Children aged 10 to 17 receiving their first youth caution or conviction, per 1,000 children"
        " of that age living in the area.",
    ),
    IndicatorSpec(
        "yj_remand_custody_pct",
        "Court outcomes for children in which the child was remanded to youth detention.",
    ),
    IndicatorSpec("yj_custody_pct", "Court outcomes for children that resulted in a custodial sentence."),
    IndicatorSpec(
        "yj_reoffending_pct",
        "Children who committed a proven reoffence within 12 months of a caution or conviction.",
    ),
    IndicatorSpec(
        "police_stop_search_rate",
        "Stop and searches by the police per 1,000 residents of all ages (children's searches are stage 1"
        " of the funnel above).",
    ),
)
BREAKDOWNS = ("ethnicity_sex",)

# (indicator, short label, what is counted, what it is out of)
STAGES = (
    ("yj_stage1_stop_search_rate", "Stage 1: stop and search", "stop and searches", "children aged 10 to 17"),
    ("yj_stage2_fte_per_100_searches", "Stage 2: first-time entry", "first-time entrants", "searches"),
    ("yj_stage3_remand_per_100_fte", "Stage 3: remand", "remands", "first-time entrants"),
    ("yj_stage4_custody_per_100_remands", "Stage 4: custody", "custodial sentences", "remands"),
)
STAGE_IDS = tuple(s[0] for s in STAGES)


@dataclass(frozen=True)
class GroupStages:
    label: str
    forest: IntervalPlot


@dataclass(frozen=True)
class StageLevel:
    id: str
    level: str
    heading: str
    summary: str
    table: Table
    groups: tuple[GroupStages, ...]
    not_charted: str  # groups with no RRI at any stage, in words


@dataclass(frozen=True)
class FunnelView:
    id: str
    period: str
    summary: str
    chart: Funnel
    table: Table
    levels: tuple[StageLevel, ...]


def _stage_cell(r: dict[str, Any] | None) -> f.Cell:
    if r is None:
        return f.Cell("[x]", "x")
    if r["is_reference_group"]:
        return f.Cell("[z]", "z")
    if r["rri_symbol"] or f.is_missing(r["rri"]):
        sym = r["rri_symbol"] or "x"
        return f.Cell(f"[{sym}]", sym)
    return f.Cell(f"{rri_text(r['rri'])} {rri_word(r)}")


def _stage_level(funnel_id: str, level: str, rows: list[dict[str, Any]]) -> StageLevel:
    """One ethnicity level: each group's RRI at each stage, as a table and a forest plot per group."""
    by_group: dict[tuple[int, str], dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in rows:
        by_group[(r["display_order"], group_label(r))][r["indicator_id"]] = r
    groups = sorted(by_group)
    reference = next(
        (lab for (_, lab), st in by_group.items() if any(r["is_reference_group"] for r in st.values())),
        "the reference group",
    )
    table_rows = [
        Row(
            lab,
            tuple(_stage_cell(by_group[(o, lab)].get(s)) for s in STAGE_IDS),
            is_reference=lab == reference,
        )
        for o, lab in groups
    ]
    charts, empty, findings = [], [], []
    for o, lab in groups:
        if lab == reference:
            continue
        stages = by_group[(o, lab)]
        computed = [(s, stages[s]) for s in STAGE_IDS if s in stages and has_rri(stages[s])]
        if not computed:
            empty.append(lab)
            continue
        points = []
        for sid, label, *_ in STAGES:
            r = stages.get(sid)
            if r is not None and has_rri(r):
                points.append(
                    Point(
                        label,
                        r["rri"],
                        r["rri_lower_ci"],
                        r["rri_upper_ci"],
                        None,
                        f"{rri_text(r['rri'])} {rri_word(r)}",
                    )
                )
            else:
                points.append(Point(label, None, symbol=(r["rri_symbol"] if r is not None else None) or "x"))
        sig = [(s, r) for s, r in computed if r["is_rri_significant"] and r["rri"] > 1]
        if sig:
            worst = max(sig, key=lambda p: (p[1]["rri"], -STAGE_IDS.index(p[0])))
            findings.append(
                (worst[1]["rri"], lab, dict((s[0], s[1]) for s in STAGES)[worst[0]], worst[1]["rri"])
            )
        stage_words = "; ".join(f"{p.label}: {p.text or '[' + (p.symbol or 'x') + ']'}" for p in points)
        charts.append(
            GroupStages(
                lab,
                forest_plot(
                    points,
                    chart_id=slug("stages", funnel_id, level, lab),
                    title=(
                        f"{lab} children: relative rate index at each stage compared with"
                        f" {reference} children"
                    ),
                    desc=(
                        f"Forest plot on a log scale; 1 means the same rate as {reference} children."
                        f" {stage_words}."
                    ),
                    reference_label=reference,
                ),
            )
        )
    findings.sort(key=lambda x: (-x[0], x[1]))
    if findings:
        first = findings[0]
        summary = (
            f"The largest significant over-representation is of {first[1]} children at {first[2].lower()}"
            f" ({rri_text(first[3])} times {reference} children's rate)."
        )
        if len(findings) > 1:
            others = [f"{lab} ({stage.split(':')[0].lower()})" for _, lab, stage, _ in findings[1:4]]
            more = len(findings) - 1 - len(others)
            summary += " Also significantly over-represented at their highest stage: " + ", ".join(others)
            summary += f" and {more} more." if more > 0 else "."
    else:
        summary = (
            f"No group is significantly over-represented at any stage compared with {reference} children."
        )
    return StageLevel(
        id=slug("stages", funnel_id, level),
        level=level,
        heading=level_heading(level),
        summary=summary,
        table=Table(
            slug("table-stages", funnel_id, level),
            f"Relative rate index at each stage compared with {reference} children: {level_heading(level)}",
            ("Ethnic group", *(s[1] for s in STAGES)),
            tuple(table_rows),
        ),
        groups=tuple(charts),
        not_charted=", ".join(empty),
    )


def _funnel_summary(items: list[tuple[str, float | None, str, str | None]], period: str) -> str:
    """'In 2024/25 there were 643 stop and searches of children; they led to 116 first-time entrants, ...'."""
    shown = [(txt, s) for _, _, txt, s in items]
    if not shown or not shown[0][0]:
        return f"The number of stop and searches of children in {period} is not published."
    rest = [
        txt if txt else f"[{s or 'x'}] {counted}"
        for (txt, s), (_, _, counted, _) in zip(shown[1:], STAGES[1:], strict=True)
    ]
    text = f"In {period} there were {shown[0][0]} of children"
    if rest:
        text += (
            "; at the later stages: " + ", ".join(rest[:-1]) + (" and " if len(rest) > 1 else "") + rest[-1]
        )
    return text + "."


def funnel_view(auth_id: str, rows: list[dict[str, Any]]) -> FunnelView | None:
    rows = [r for r in rows if r["indicator_id"] in STAGE_IDS]
    if not rows:
        return None
    _, latest = max((r["period_end_year"], r["period"]) for r in rows)
    now = [r for r in rows if r["period"] == latest]
    funnel_id = slug(auth_id, "funnel")
    total = {r["indicator_id"]: r for r in now if r["breakdown"] == "total"}
    items, table_rows = [], []
    for sid, label, counted, _ in STAGES:
        r = total.get(sid)
        num = None if r is None else r["numerator"]
        sym = None if r is None else (r["value_symbol"] or None)
        items.append((label, num, "" if f.is_missing(num) or sym else f"{f.count(num)} {counted}", sym))
        fmt = outcomes.formatter(r["unit"] if r else "", 1)
        table_rows.append(
            Row(
                label,
                (
                    f.cell(num, sym, f.count),
                    f.cell(None if r is None else r["denominator"], sym, f.count),
                    f.cell(None if r is None else r["value"], sym, fmt),
                    f.Cell(r["unit"] if r else "[x]", None if r else "x"),
                ),
            )
        )
    words = "; ".join(f"{lab}: {txt or '[' + (s or 'x') + ']'}" for lab, _, txt, s in items)
    chart = funnel_chart(
        items,
        chart_id=funnel_id,
        title=f"Children at each stage of the youth justice system, {latest}",
        desc=(
            "Funnel chart: the number of children at each stage, each stage a subset of the one"
            f" before. {words}."
        ),
    )
    levels = sorted(
        {r["ethnicity_level"] for r in now if r["breakdown"] == "ethnicity"} & set(LEVELS), key=level_order
    )
    stage_levels = tuple(
        _stage_level(
            funnel_id, lvl, [r for r in now if r["breakdown"] == "ethnicity" and r["ethnicity_level"] == lvl]
        )
        for lvl in levels
    )
    return FunnelView(
        id=funnel_id,
        period=latest,
        summary=_funnel_summary(items, latest),
        chart=chart,
        table=Table(
            slug("table", funnel_id),
            f"Children at each stage of the youth justice system, {latest}",
            ("Stage", "Number", "Out of (the stage before)", "Rate", "Rate per"),
            tuple(table_rows),
        ),
        levels=stage_levels,
    )


def context(snapshot: Snapshot) -> dict[str, Any]:
    ctx = outcomes.context(
        snapshot, INDICATORS, subject="children", overall_label="All children", breakdowns=BREAKDOWNS
    )
    by_auth = dict(outcomes.by_authority(outcomes.stream_rows(snapshot, STAGE_IDS)))
    ctx["funnels"] = {a.code: funnel_view(a.id, by_auth.get(a.code, [])) for a in ctx["authorities"]}
    return ctx


PAGE = Page(
    path="youth-justice.html",
    template="youth_justice.html",
    title="Youth justice",
    nav_label="Youth justice",
    context=context,
    requires=(outcomes.TABLE,),
    downloads=(outcomes.DOWNLOAD,),
)
