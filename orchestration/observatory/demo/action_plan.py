"""Race equality action plans (source ``action_plan``): the quarterly progress workbooks councils keep.

Each fictional council adopted a race equality commission action plan in 2021/22, shaped like the
Tower Hamlets commission's (themes, numbered recommendations, several actions each with a resource,
start and due dates and an owner; see ``action_plan_content``). Officers update it every quarter:
one XLSX per authority per quarter end (``action_plan_<code>_<as at date>_synthetic.xlsx``) with
title rows above the header and each action's status, RAG rating, % complete, progress commentary
and the date the row was last updated. The workbooks are messy as real ones are: the
recommendation (and, for two of the three layouts, the theme) is written only on the first action
of each recommendation, like merged cells; dates are Excel dates in some rows and text in others
("Mar-23", "31/03/2023", "Q4 22/23", "On-going"); three layouts name and spell things differently.

Status model (``ActionPlanPlanted``, configurable, written to ground_truth.json): an action is
"Not started" until its start month (some start up to three quarters late); then each quarter it
moves between On track, At risk and Off track by a Markov chain (worse once past its due date)
and completes with a hazard that is low early, highest in the quarter of its due date and lower
once overdue, so some actions finish early, many slip past their due date and a few never finish.
Policing and youth justice actions complete at 0.4 times the hazard (a planted finding: in
expectation that theme has the largest share of overdue actions). About 15% of actions are
on-going (no due date, never complete) and 8% are added to the plan at a later update.
Everything is simulated once per authority, quarter by quarter from its adoption (random numbers
drawn quarter by quarter), so a quarter's workbook is the same whichever years are generated.

The ground truth holds, per workbook, the counts by status, the overdue actions (due date before
the as-at date and not Complete) overall and by theme, and per action its status in every update.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from observatory.demo import action_plan_content as C
from observatory.demo.action_plan_model import (
    ABSENT,
    COMPLETE,
    MONTHS,
    STATUSES,
    ActionPlanPlanted,
    History,
    build_plan,
    month_end,
    month_index,
    month_start,
    quarter_ends,
    simulate,
)
from observatory.demo.action_plan_workbook import (
    LAYOUTS,
    SOURCE,
    column_aliases,
    layout_for,
    render,
    static_cells,
    write_update,
)
from observatory.demo.authorities import Authority
from observatory.demo.context import DemoContext

__all__ = ["DOMAIN", "MONTHS", "SOURCES", "STATUSES", "ActionPlanPlanted", "column_aliases", "write"]

DOMAIN = "action_plan"
SOURCES = (SOURCE,)
CONTRACT = "sources/action_plan.yml"  # the next issue writes it; column_aliases() drafts its aliases

DEFINITIONS = {
    "status": "canonical statuses: " + ", ".join(STATUSES) + "; each layout's spellings in 'layouts'",
    "due_date": (
        "a month written as text ('Mar-23') means the last day of that month; 'Qn yy/yy' the last day "
        "of that financial quarter (Q1 = April-June); dd/mm/yyyy text and Excel dates as written; "
        "'On-going' (and its spellings) means no due date"
    ),
    "overdue": "due date strictly before the update's as-at date and status not Complete",
    "status_counts": "rows of the workbook kept by ingest (see 'faults'), by canonical status",
    "history": (
        "per action, its canonical status in each written update; updates whose row is listed in "
        "'faults' (or whose workbook is rejected for a missing column) are left out"
    ),
    "merged_cells": (
        "recommendation text (and theme, in layouts 1 and 2) is written on the first row of each "
        "recommendation only; later rows of the same recommendation leave it blank"
    ),
}


def _update_truth(
    plan: pd.DataFrame,
    history: History,
    t: int,
    as_at: date,
    rows: np.ndarray,
    kept: np.ndarray,
    refs: list[str],
) -> dict:
    """Counts by status and overdue actions over the rows ingest keeps."""
    code = history.status[rows, t][kept]
    due = plan["due_m"].to_numpy()[rows[kept]]
    theme = plan["theme"].to_numpy()[rows[kept]]
    # Due dates are month ends and as_at a quarter end: due before as_at <=> an earlier month.
    overdue = (due >= 0) & (due < month_index(as_at)) & (code != COMPLETE)
    by_theme = {}
    for name in C.THEMES:
        in_theme = theme == name
        if in_theme.any():
            by_theme[name] = {
                "actions": int(in_theme.sum()),
                "complete": int((in_theme & (code == COMPLETE)).sum()),
                "overdue": int((in_theme & overdue).sum()),
            }
    kept_refs = [r for r, k in zip(refs, kept, strict=True) if k]
    return {
        "actions_in_plan": int(rows.size),
        "rows_kept": int(kept.sum()),
        "status_counts": {s: int((code == i).sum()) for i, s in enumerate(STATUSES)},
        "complete_pct": round(float((code == COMPLETE).mean() * 100), 6) if code.size else None,
        "overdue": int(overdue.sum()),
        "overdue_refs": [r for r, o in zip(kept_refs, overdue, strict=True) if o],
        "by_theme": by_theme,
    }


def write(inbox: Path, ctx: DemoContext, planted: ActionPlanPlanted | None = None) -> dict[str, dict]:
    """The domain entry point: quarterly action plan workbooks into ``inbox/action_plan/``."""
    return {SOURCE: write_action_plans(inbox / SOURCE, ctx, planted)}


def written_quarters(ctx: DemoContext) -> list[date]:
    """Quarter ends inside the generated reporting years (April to March ending each snapshot)."""
    years = set(ctx.years)
    return [q for q in quarter_ends(max(ctx.snapshot_dates)) if (q.year + (q.month > 3)) in years]


def write_action_plans(inbox_dir: Path, ctx: DemoContext, planted: ActionPlanPlanted | None = None) -> dict:
    """Write every authority's quarterly workbooks into ``inbox_dir``; return this source's truth."""
    planted = planted or ActionPlanPlanted()
    inbox_dir.mkdir(parents=True, exist_ok=True)
    for old in inbox_dir.glob(f"{SOURCE}_X09*_synthetic.*"):
        old.unlink()  # only this generator's own files
    quarters = quarter_ends(max(ctx.snapshot_dates))
    wanted = set(written_quarters(ctx))
    files, faults, updates, actions = [], [], [], []
    for authority in ctx.authorities:
        layout = LAYOUTS[layout_for(authority)]
        rng = ctx.rng(SOURCE, authority.index)
        plan = build_plan(rng, authority, planted)
        history = simulate(rng, plan, quarters, planted)
        static = static_cells(plan, layout)
        rec_n = plan["rec_n"].to_numpy()
        histories: list[dict[str, str]] = [{} for _ in range(len(plan))]
        ref_of: dict[int, str] = {}
        first_written = True
        for t, as_at in enumerate(quarters):
            if as_at not in wanted or (history.status[:, t] == ABSENT).all():
                continue
            rows, cells = render(static, rec_n, history, t, layout)
            refs = [str(x) for x in cells["ref"].text]
            ref_of.update(zip(rows.tolist(), refs, strict=True))
            drop = (
                "status"
                if (ctx.dirty is not None and first_written and authority == ctx.authorities[0])
                else None
            )
            first_written = False
            record, fault_records, kept = write_update(inbox_dir, authority, as_at, rows, cells, ctx, drop)
            files.append(record)
            faults.extend(fault_records)
            if record["rejected"]:
                continue
            key = {"authority_code": authority.code, "as_at": as_at.isoformat(), "file": record["file"]}
            updates.append({**key, **_update_truth(plan, history, t, as_at, rows, kept, refs)})
            for i, k in zip(rows.tolist(), kept.tolist(), strict=True):
                if k:
                    histories[i][as_at.isoformat()] = STATUSES[history.status[i, t]]
        actions.extend(_action_truth(authority, plan, history, quarters, histories, ref_of))
        ctx.advance(DOMAIN)
    return {
        "contract": CONTRACT,
        "folder": SOURCE,
        "definitions": DEFINITIONS,
        "planted": _planted_truth(planted),
        "layouts": [{"headers": dict(lay.headers), "status": lay.status, "rag": lay.rag} for lay in LAYOUTS],
        "files": files,
        "updates": updates,
        "actions": actions,
        "faults": faults,
    }


def _action_truth(
    authority: Authority,
    plan: pd.DataFrame,
    history: History,
    quarters: list[date],
    histories: list[dict[str, str]],
    ref_of: dict[int, str],
) -> list[dict]:
    out = []
    for i, a in enumerate(plan.itertuples()):
        if i not in ref_of:
            continue  # not in any written workbook
        complete = np.flatnonzero(history.status[i] == COMPLETE)
        appears = int(np.flatnonzero(history.status[i] != ABSENT)[0])
        out.append(
            {
                "authority_code": authority.code,
                "ref": ref_of[i],
                "recommendation_number": int(a.rec_n),
                "recommendation": a.rec_title,
                "theme": a.theme,
                "action": a.action,
                "owner": a.owner,
                "start_date": month_start(a.start_m).isoformat(),
                "due_date": None if a.ongoing else month_end(a.due_m).isoformat(),
                "ongoing": bool(a.ongoing),
                "start_cell": a.start_fmt,
                "due_cell": a.due_fmt,
                "in_plan_from": quarters[appears].isoformat(),
                "completed_as_at": quarters[int(complete[0])].isoformat() if complete.size else None,
                "history": histories[i],
            }
        )
    return out


def _planted_truth(planted: ActionPlanPlanted) -> dict:
    return {
        "mechanism": (
            "Not started until the planned start month (late_start_share start 1-3 quarters late); then "
            "a quarterly Markov chain over On track / At risk / Off track (transition_overdue once past "
            "the due date) and a completion hazard by state: hazard_early more than 3 months before the "
            "due month, hazard_due up to it, hazard_late after it, times theme_hazard"
        ),
        "parameters": {
            "recommendation_share": planted.recommendation_share,
            "action_share": planted.action_share,
            "ongoing_share": planted.ongoing_share,
            "added_later_share": planted.added_later_share,
            "duration_months": list(planted.duration_months),
            "late_start_share": planted.late_start_share,
            "transition": [list(r) for r in planted.transition],
            "transition_overdue": [list(r) for r in planted.transition_overdue],
            "hazard_early": list(planted.hazard_early),
            "hazard_due": list(planted.hazard_due),
            "hazard_late": list(planted.hazard_late),
            "theme_hazard": dict(planted.theme_hazard),
        },
        "finding": (
            f"'{planted.slow_theme}' actions complete at {planted.theme_hazard.get(planted.slow_theme)} "
            "times the hazard: in expectation the theme with the largest share of overdue actions"
        ),
        "trend": "the share of actions complete rises update by update; overdue actions build up, then clear",
        "expected_values": "updates (per workbook) and actions (per action history)",
    }
