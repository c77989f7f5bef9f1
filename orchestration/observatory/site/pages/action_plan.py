"""Action plan page: which actions are overdue, and how are the outcomes they target moving?

Read from the published tracker tables only (publish.action_plan, action_plan_summary,
action_plan_history). Per authority: overdue and due-soon actions first, each with its theme, owner,
due date, status (the word printed, its RAG colour only repeating it), per cent complete and the
linked indicators' latest values and trends; then every action, counts by theme and by owner, and
the delivery trend over the quarterly updates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from observatory.site import formatting as f
from observatory.site.filters import Control, authority_control, control
from observatory.site.pages import Download, Page
from observatory.site.pages.pay_gap import slug
from observatory.site.pages.workforce import Table, _table
from observatory.site.plots import IntervalPlot, Point, Series, TrendChart, dot_plot, trend_chart
from observatory.site.snapshot import Snapshot

ACTIONS = "action_plan"
SUMMARY = "action_plan_summary"
HISTORY = "action_plan_history"

DOWNLOADS = (
    Download(
        ACTIONS,
        "downloads/action_plan.csv",
        ("authority_code", "action_ref", "indicator_id", "targeted_ethnicity_code"),
        label="Action plan: every action with its linked indicators",
    ),
    Download(
        SUMMARY,
        "downloads/action_plan_summary.csv",
        ("authority_code", "as_at_date", "theme", "owner"),
        label="Action plan counts by update, theme and owner",
    ),
    Download(
        HISTORY,
        "downloads/action_plan_history.csv",
        ("authority_code", "as_at_date", "action_ref"),
        label="Action plan history: every action at every update",
    ),
)

STATUS_ORDER = ("Off track", "At risk", "Not started", "On track", "Complete")
RAG_CLASSES = {"Red": "red", "Amber": "amber", "Green": "green", "Blue": "blue", "Grey": "grey"}
STATUS_RAG = {
    "Off track": "Red",
    "At risk": "Amber",
    "On track": "Green",
    "Complete": "Blue",
    "Not started": "Grey",
}


def ref_key(ref: str) -> tuple:
    """'R10.2' after 'R9.1'; '1a' after '1': numbers compared as numbers."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.findall(r"\d+|[^\d.]+", ref or ""))


def number(value: float, unit: str | None) -> str:
    if unit == "%":
        return f.pct(value)
    if unit == "ratio":
        return f._fixed(value, 2)
    text = f._fixed(value, 2 if abs(value) < 1 else 1)
    return f"{text} {unit}" if unit else text


@dataclass(frozen=True)
class Link:
    """One linked indicator (and targeted group) of an action, in words and symbol cells."""

    name: str
    group: str  # '' when the link is to the indicator overall
    period: str
    value: f.Cell  # the group's value when a group is targeted, else the overall value
    overall: f.Cell | None  # the overall value beside a group's
    previous: f.Cell | None
    previous_period: str
    trend: str
    comparison: str


@dataclass(frozen=True)
class Action:
    authority_code: str
    ref: str
    description: str
    theme: str
    owner: str
    due: str
    timing: str  # 'Overdue by 731 days', 'Due in 45 days', 'On-going', 'Complete'
    status: str
    rag: str
    rag_class: str
    percent: float | None
    is_overdue: bool
    is_due_soon: bool
    days_overdue: int | None
    days_until_due: int | None
    in_latest: bool
    status_as_at: str
    history: str
    links: tuple[Link, ...]


def _cell(value: Any, symbol: str | None, unit: str | None) -> f.Cell:
    return f.cell(value, symbol, lambda v: number(v, unit))


def _link(r: dict[str, Any]) -> Link | None:
    if not r["indicator_id"]:
        return None
    unit = r["indicator_unit"]
    targeted = bool(r["targeted_ethnicity_code"])
    overall = _cell(r["indicator_value"], r["indicator_value_symbol"], unit)
    if targeted:
        value = _cell(r["group_value"], r["group_value_symbol"], unit)
        trend = r["group_trend"] or r["indicator_trend"] or ""
        parts = []
        if r["group_compared_with_reference"]:
            ref = {"WBRI": "White British", "White": "White"}.get(
                r["group_reference_group"] or "", r["group_reference_group"]
            )
            parts.append(
                f"{r['group_compared_with_reference']} than {ref}"
                if ref
                else r["group_compared_with_reference"]
            )
        if not r["group_rri_symbol"] and not f.is_missing(r["group_rri"]):
            parts.append(f"relative rate {f._fixed(r['group_rri'], 2)}")
        comparison = ", ".join(parts)
    else:
        value = overall
        trend = r["indicator_trend"] or ""
        comparison = r["indicator_comparison_note"] or ""
        england = r["indicator_compared_with_england"]
        if not comparison and england and england not in ("Not compared",):
            comparison = f"{england} compared with England"
    previous = None
    if r["indicator_previous_period"]:
        previous = _cell(r["indicator_previous_value"], r["indicator_previous_value_symbol"], unit)
    return Link(
        name=r["indicator_name"] or r["indicator_id"],
        group=(r["targeted_group"] or "") if targeted else "",
        period=r["indicator_period"] or "",
        value=value,
        overall=overall if targeted else None,
        previous=None if targeted else previous,
        previous_period=r["indicator_previous_period"] or "",
        trend=trend if trend else ("No trend is calculated for this measure" if value.symbol is None else ""),
        comparison=comparison,
    )


def _timing(r: dict[str, Any]) -> str:
    if r["is_overdue"]:
        return f"Overdue by {f.count(r['days_overdue'])} days"
    if r["is_due_soon"]:
        days = r["days_until_due"]
        return "Due today" if not days else f"Due soon: in {f.count(days)} days"
    if r["is_ongoing"]:
        return "No (on-going, no due date)"
    if r["is_complete"]:
        return "No (complete)"
    return "No (due later)"


def actions(rows: list[dict[str, Any]]) -> tuple[Action, ...]:
    """One Action per authority and reference, its link rows gathered; overdue first (longest overdue
    first), then due soon (soonest first), then the rest by reference."""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        grouped.setdefault((r["authority_code"], r["action_ref"]), []).append(r)
    out = []
    for (code, ref), link_rows in grouped.items():
        r = link_rows[0]
        rag = r["rag"] or STATUS_RAG.get(r["latest_status"], "")
        out.append(
            Action(
                authority_code=code,
                ref=ref,
                description=r["action_description"] or "",
                theme=r["theme"] or "Theme not recorded",
                owner=r["owner"] or "Owner not recorded",
                due=f.long_date(r["due_date"]) if r["due_date"] else "On-going",
                timing=_timing(r),
                status=r["latest_status"] or "Not recorded",
                rag=rag,
                rag_class=RAG_CLASSES.get(rag, "grey"),
                percent=None if f.is_missing(r["percent_complete"]) else float(r["percent_complete"]),
                is_overdue=bool(r["is_overdue"]),
                is_due_soon=bool(r["is_due_soon"]),
                days_overdue=r["days_overdue"],
                days_until_due=r["days_until_due"],
                in_latest=bool(r["is_in_latest_update"]),
                status_as_at=f.long_date(r["status_as_at_date"]) if r["status_as_at_date"] else "",
                history=r["status_history"] or "",
                links=tuple(
                    link
                    for link in (
                        _link(x)
                        for x in sorted(
                            link_rows,
                            key=lambda x: (x["indicator_id"] or "", x["targeted_ethnicity_code"] or ""),
                        )
                    )
                    if link is not None
                ),
            )
        )
    return tuple(sorted(out, key=action_order))


def action_order(a: Action) -> tuple:
    if a.is_overdue:
        return (0, -(a.days_overdue or 0), ref_key(a.ref))
    if a.is_due_soon:
        return (1, a.days_until_due or 0, ref_key(a.ref))
    return (2, 0, ref_key(a.ref))


# --- counts ---------------------------------------------------------------------------------------

COUNT_COLUMNS = (
    "Actions",
    "Overdue",
    "Due soon",
    "Off track",
    "At risk",
    "Not started",
    "On track",
    "Complete",
    "No due date (on-going)",
    "Complete or on track",
)


def _count_cells(r: dict[str, Any]) -> tuple[f.Cell, ...]:
    return (
        *(
            f.cell(r[c], None, f.count)
            for c in (
                "actions",
                "overdue",
                "due_soon",
                "off_track",
                "at_risk",
                "not_started",
                "on_track",
                "complete",
                "no_due_date",
            )
        ),
        f.cell(r["complete_or_on_track_pct"], None, f.pct),
    )


@dataclass(frozen=True)
class AuthorityView:
    id: str
    code: str
    name: str
    as_at: str
    quarter: str
    totals: dict[str, Any] | None
    totals_pct: str
    summary: str
    attention: tuple[Action, ...]  # overdue and due soon
    actions: tuple[Action, ...]
    by_theme: Table | None
    by_theme_chart: IntervalPlot | None
    by_owner: Table | None
    trend_summary: str
    trend_chart: TrendChart | None
    trend_table: Table | None


def attention_summary(
    all_actions: tuple[Action, ...], totals: dict[str, Any] | None, days: int | None
) -> str:
    current = [a for a in all_actions if a.in_latest]
    total = totals["actions"] if totals else len(current)
    overdue = [a for a in all_actions if a.is_overdue]
    soon = [a for a in all_actions if a.is_due_soon]
    if not overdue and not soon:
        return f"None of the {total} actions is overdue or due soon."
    parts = []
    if overdue:
        longest = overdue[0]
        parts.append(
            f"{len(overdue)} of the {total} actions {'is' if len(overdue) == 1 else 'are'} overdue; "
            "the longest overdue "
            f"is {longest.ref} ({longest.owner}), due {longest.due}"
        )
    else:
        parts.append(f"None of the {total} actions is overdue")
    if soon:
        parts.append(f"{len(soon)} {'is' if len(soon) == 1 else 'are'} due soon")
    else:
        parts.append("none is due soon")
    text = "; ".join(parts) + "."
    worsening = sorted(
        {
            f"{link.name}{' (' + link.group + ')' if link.group else ''}"
            for a in overdue + soon
            for link in a.links
            if "getting worse" in link.trend
        }
    )
    if worsening:
        text += " Outcomes these actions target that are getting worse: " + "; ".join(worsening) + "."
    return text


def _summary_rows(rows: list[dict[str, Any]], code: str) -> list[dict[str, Any]]:
    return [r for r in rows if r["authority_code"] == code]


def load(snapshot: Snapshot) -> tuple[AuthorityView, ...]:
    all_rows = snapshot.table(
        ACTIONS, ["authority_code", "action_ref", "indicator_id", "targeted_ethnicity_code"]
    )
    summary = snapshot.table(SUMMARY, ["authority_code", "as_at_date", "theme", "owner"])
    names: dict[str, str] = {}
    for r in (*summary, *all_rows):
        names[r["authority_code"]] = r["authority_name"]
    views = []
    for code in sorted(names):
        auth_id = slug(code)
        acts = actions([r for r in all_rows if r["authority_code"] == code])
        srows = _summary_rows(summary, code)
        latest = [r for r in srows if r["is_latest_update"]]
        totals = next((r for r in latest if r["theme"] == "All" and r["owner"] == "All"), None)
        plan_rows = [r for r in all_rows if r["authority_code"] == code]
        as_at = plan_rows[0]["plan_as_at_date"] if plan_rows else (totals["as_at_date"] if totals else None)
        themes = sorted(
            (r for r in latest if r["owner"] == "All" and r["theme"] != "All"), key=lambda r: r["theme"]
        )
        owners = sorted(
            (r for r in latest if r["theme"] == "All" and r["owner"] != "All"), key=lambda r: r["owner"]
        )
        when = f.long_date(as_at) if as_at else ""
        by_theme = (
            _table(
                f"{auth_id}-by-theme",
                f"Actions by theme, as at {when}",
                "Theme",
                COUNT_COLUMNS,
                [(r["theme"], _count_cells(r)) for r in themes]
                + ([("Whole plan", _count_cells(totals))] if totals else []),
            )
            if themes
            else None
        )
        by_owner = (
            _table(
                f"{auth_id}-by-owner",
                f"Actions by owner, as at {when}",
                "Owner",
                COUNT_COLUMNS,
                [(r["owner"], _count_cells(r)) for r in owners]
                + ([("Whole plan", _count_cells(totals))] if totals else []),
            )
            if owners
            else None
        )
        theme_chart = None
        if themes:
            points = [
                Point(
                    label=r["theme"],
                    value=r["complete_or_on_track_pct"],
                    text=f"{f.pct(r['complete_or_on_track_pct'])} ({r['overdue']} overdue)",
                )
                for r in themes
            ]
            described = "; ".join(f"{p.label}: {p.text}" for p in points)
            theme_chart = dot_plot(
                points,
                chart_id=f"chart-{auth_id}-themes",
                title=f"Actions complete or on track, by theme, as at {when}",
                desc=f"Dot plot; the dashed line is the whole plan. {described}.",
                axis_title="Actions complete or on track (%)",
                fmt=lambda v: f.pct(v, 0),
                reference=("Whole plan", totals["complete_or_on_track_pct"]) if totals else None,
            )
        trend_rows = sorted(
            (r for r in srows if r["theme"] == "All" and r["owner"] == "All"), key=lambda r: r["as_at_date"]
        )
        trend = None
        trend_table = None
        trend_text = ""
        if trend_rows:
            quarters = [r["financial_quarter"] for r in trend_rows]
            series = [
                Series(
                    "Complete or on track",
                    tuple(
                        Point(q, r["complete_or_on_track_pct"], text=f.pct(r["complete_or_on_track_pct"]))
                        for q, r in zip(quarters, trend_rows, strict=True)
                    ),
                ),
                Series(
                    "Overdue",
                    tuple(
                        Point(q, r["overdue_pct"], text=f.pct(r["overdue_pct"]))
                        for q, r in zip(quarters, trend_rows, strict=True)
                    ),
                ),
            ]
            first, last = trend_rows[0], trend_rows[-1]
            # 14 quarters do not fit as labels: name each year end (Q4) only; the table has every quarter.
            labels = [q.split(" ", 1)[1] if q.startswith("Q4 ") else "" for q in quarters]
            if not any(labels):
                labels = quarters
            trend_text = (
                f"Actions complete or on track went from {f.pct(first['complete_or_on_track_pct'])} at "
                f"{first['financial_quarter']} to {f.pct(last['complete_or_on_track_pct'])} at "
                f"{last['financial_quarter']}; "
                f"overdue actions from {first['overdue']} to {last['overdue']}."
            )
            if len(trend_rows) > 1:
                trend = trend_chart(
                    labels,
                    series,
                    chart_id=f"chart-{auth_id}-delivery",
                    title="Delivery of the action plan at each quarterly update",
                    desc=(
                        "Line chart of the share of actions complete or on track and the share overdue, "
                        f"by quarter. {trend_text}"
                    ),
                    axis_title="Share of the plan's actions (%), by quarterly update; years labelled at Q4",
                    fmt=lambda v: f.pct(v, 0),
                )
            trend_table = _table(
                f"{auth_id}-delivery-table",
                "Delivery of the action plan at each quarterly update",
                "Update",
                COUNT_COLUMNS,
                [
                    (f"{r['financial_quarter']} ({f.long_date(r['as_at_date'])})", _count_cells(r))
                    for r in trend_rows
                ],
            )
        views.append(
            AuthorityView(
                id=auth_id,
                code=code,
                name=names[code],
                as_at=when,
                quarter=totals["financial_quarter"] if totals else "",
                totals=totals,
                totals_pct=f.pct(totals["complete_or_on_track_pct"]) if totals else "",
                summary=attention_summary(acts, totals, None),
                attention=tuple(a for a in acts if a.is_overdue or a.is_due_soon),
                actions=acts,
                by_theme=by_theme,
                by_theme_chart=theme_chart,
                by_owner=by_owner,
                trend_summary=trend_text,
                trend_chart=trend,
                trend_table=trend_table,
            )
        )
    return tuple(sorted(views, key=lambda v: (v.name, v.code)))


def controls(authorities: tuple[AuthorityView, ...]) -> tuple[Control, ...]:
    acts = [a for v in authorities for a in v.actions]
    out = [*authority_control((v.code, v.name) for v in authorities)]
    out.append(control("theme", "Theme", sorted({a.theme for a in acts})))
    out.append(control("owner", "Owner", sorted({a.owner for a in acts})))
    statuses = sorted(
        {a.status for a in acts}, key=lambda s: (STATUS_ORDER.index(s) if s in STATUS_ORDER else 99, s)
    )
    out.append(control("status", "Status", statuses))
    return tuple(out)


def context(snapshot: Snapshot) -> dict[str, Any]:
    authorities = load(snapshot)
    return {
        "authorities": authorities,
        "controls": controls(authorities),
        "downloads": DOWNLOADS,
        "download": {d.table: d for d in DOWNLOADS},
    }


PAGE = Page(
    path="action-plan.html",
    template="action_plan.html",
    title="Action plan",
    nav_label="Action plan",
    context=context,
    requires=(ACTIONS, SUMMARY, HISTORY),
    downloads=DOWNLOADS,
)
