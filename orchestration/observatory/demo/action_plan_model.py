"""The action plans' status model: which actions a council adopts and how each moves quarter by quarter.

See ``action_plan`` for the model in words; ``ActionPlanPlanted`` holds every parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from observatory.demo import action_plan_content as C
from observatory.demo.authorities import Authority

STATUSES = ("Not started", "On track", "At risk", "Off track", "Complete")
NOT_STARTED, ON_TRACK, AT_RISK, OFF_TRACK, COMPLETE = range(5)
ABSENT = -1
FIRST_UPDATE = date(2021, 6, 30)  # the earliest quarter end an authority can have adopted its plan
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
LONG_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True)
class ActionPlanPlanted:
    """How actions move through their statuses (per quarter; see the module docstring)."""

    recommendation_share: float = 0.8  # of the library's recommendations an authority adopts
    action_share: float = 0.85  # of each adopted recommendation's actions (at least one)
    ongoing_share: float = 0.15
    added_later_share: float = 0.08
    immediate_start_share: float = 0.5  # start in the quarter the plan is adopted
    start_within_months: int = 21  # the others start 3-21 months after adoption
    duration_months: tuple[int, int] = (3, 24)
    late_start_share: float = 0.25  # start 1-3 quarters after the planned month
    first_state_on_track: float = 0.85
    # Rows: from On track, At risk, Off track; columns: to the same three.
    transition: tuple[tuple[float, ...], ...] = ((0.88, 0.09, 0.03), (0.35, 0.45, 0.20), (0.10, 0.30, 0.60))
    transition_overdue: tuple[tuple[float, ...], ...] = (
        (0.5, 0.35, 0.15),
        (0.1, 0.5, 0.4),
        (0.02, 0.18, 0.8),
    )
    # Completion hazard per quarter by state: more than a quarter before the due date, within the
    # quarter up to the due date, and after it.
    hazard_early: tuple[float, ...] = (0.04, 0.02, 0.0)
    hazard_due: tuple[float, ...] = (0.5, 0.3, 0.1)
    hazard_late: tuple[float, ...] = (0.3, 0.2, 0.08)
    theme_hazard: dict[str, float] = field(default_factory=lambda: {C.POLICING: 0.4})
    slow_theme: str = C.POLICING
    refresh_text_share: float = 0.6  # an unchanged status gets new commentary this often


# --- months -----------------------------------------------------------------------------------


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def month_end(m: int) -> date:
    y, mo = divmod(int(m), 12)
    nxt = date(y + (mo == 11), (mo + 1) % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def month_start(m: int) -> date:
    y, mo = divmod(int(m), 12)
    return date(y, mo + 1, 1)


def fq_end(m: int) -> int:
    """The month index ending the financial quarter that contains month m (Jun, Sep, Dec, Mar)."""
    return m + (2 - (m % 12 - 3) % 3)


def fq_label(m: int) -> str:
    """'Q3 21/22' for a month in October-December 2021."""
    y, mo = divmod(m, 12)
    fy = y if mo >= 3 else y - 1
    return f"Q{(mo - 3) % 12 // 3 + 1} {fy % 100:02d}/{(fy + 1) % 100:02d}"


def quarter_ends(last: date) -> list[date]:
    """Every quarter end from FIRST_UPDATE to ``last``."""
    out, m = [], month_index(FIRST_UPDATE)
    while month_end(m) <= last:
        out.append(month_end(m))
        m += 3
    return out


# --- the plan and its history -----------------------------------------------------------------


def build_plan(rng: np.random.Generator, authority: Authority, planted: ActionPlanPlanted) -> pd.DataFrame:
    """The authority's actions: one row each, in the workbook's order, with the latent dates."""
    adoption_q = int(((authority.index * 0.6180339887) % 1.0) * 4)  # 0-3 quarters after FIRST_UPDATE
    first_month = month_index(FIRST_UPDATE) + 3 * adoption_q - 2
    rows = []
    rec_n = 0
    for rec in C.RECOMMENDATIONS:
        if rng.random() >= planted.recommendation_share:
            continue
        rec_n += 1
        keep = rng.random(len(rec.actions)) < planted.action_share
        keep[rng.integers(len(rec.actions))] = True
        for a_n, (template, kept) in enumerate(zip(rec.actions, keep, strict=True), start=1):
            if not kept:
                continue
            u = rng.random(8)
            added_q = adoption_q + (4 + int(u[0] * 7) if u[1] < planted.added_later_share else 0)
            ongoing = bool(u[2] < planted.ongoing_share)
            if added_q != adoption_q:  # added at a later update: starts within a quarter or so
                start_m = month_index(FIRST_UPDATE) + 3 * added_q - 2 + int(u[3] * 4)
            elif u[3] < planted.immediate_start_share:
                start_m = first_month + int(u[3] / planted.immediate_start_share * 3)
            else:
                start_m = first_month + int(rng.integers(3, planted.start_within_months + 1))
            lo, hi = planted.duration_months
            due_fmt = (
                "ongoing"
                if ongoing
                else str(rng.choice(["excel", "mon", "uk", "fq"], p=[0.5, 0.3, 0.1, 0.1]))
            )
            due_m = start_m + lo + int(u[4] * (hi - lo + 1))
            if due_fmt == "fq":
                due_m = fq_end(due_m)
            start_fmt = str(rng.choice(["excel", "mon", "uk", "blank"], p=[0.5, 0.3, 0.1, 0.1]))
            if ongoing and u[5] < 0.3:
                start_fmt = "ongoing"
            delay = 0 if u[6] >= planted.late_start_share else 1 + int(u[7] * 3)
            rows.append(
                {
                    "rec_n": rec_n,
                    "act_n": a_n,
                    "theme": rec.theme,
                    "rec_title": rec.title,
                    "rec_text": rec.text,
                    "action": template.text,
                    "owner": template.owner,
                    "resource": template.resource,
                    "added_q": added_q,
                    "ongoing": ongoing,
                    "start_m": start_m,
                    "effective_start_m": start_m + 3 * delay,
                    "due_m": due_m if not ongoing else -1,
                    "start_fmt": start_fmt,
                    "due_fmt": due_fmt,
                    "ongoing_word": str(rng.choice(["On-going", "Ongoing", "On going"])),
                }
            )
    frame = pd.DataFrame(rows)
    # Actions added at a later update take the next numbers of their recommendation.
    frame = frame.sort_values(["rec_n", "added_q", "act_n"], kind="stable").reset_index(drop=True)
    frame["act_n"] = frame.groupby("rec_n").cumcount() + 1
    return frame


@dataclass
class History:
    """Per action (rows) and quarter (columns): status code, % complete, commentary, last updated."""

    status: np.ndarray
    percent: np.ndarray  # float, NaN = blank
    text: np.ndarray  # object
    updated: np.ndarray  # datetime64[D]; NaT before the action appears


def simulate(
    rng: np.random.Generator, plan: pd.DataFrame, quarters: list[date], planted: ActionPlanPlanted
) -> History:
    """Quarter by quarter (random numbers drawn per quarter, so a quarter never depends on later ones)."""
    n, k = len(plan), len(quarters)
    status = np.full((n, k), ABSENT, dtype=np.int64)
    percent = np.full((n, k), np.nan)
    text = np.full((n, k), "", dtype=object)
    updated = np.full((n, k), np.datetime64("NaT"), dtype="datetime64[D]")
    trans = np.cumsum(np.array(planted.transition), axis=1)
    trans_late = np.cumsum(np.array(planted.transition_overdue), axis=1)
    theme_mult = plan["theme"].map(planted.theme_hazard).fillna(1.0).to_numpy()
    start, due = plan["effective_start_m"].to_numpy(), plan["due_m"].to_numpy()
    start_planned = plan["start_m"].to_numpy()
    ongoing, added = plan["ongoing"].to_numpy(), plan["added_q"].to_numpy()
    state = np.full(n, -1)  # 0 On track, 1 At risk, 2 Off track; -1 not yet started
    done = np.zeros(n, dtype=bool)
    for t, as_at in enumerate(quarters):
        u = rng.random((7, n))
        m = month_index(as_at)
        present = t >= added
        started = present & (m >= start)
        to_due = due - m
        late = ~ongoing & (to_due < 0)
        first = started & (state < 0)
        state = np.where(first, np.where(u[0] < planted.first_state_on_track, 0, 1), state)
        moving = started & ~first & ~done
        cum = np.where(late[:, None], trans_late[np.maximum(state, 0)], trans[np.maximum(state, 0)])
        state = np.where(moving, (u[1][:, None] >= cum).sum(axis=1).clip(0, 2), state)
        table = np.where(
            (to_due > 3)[:, None],
            np.array(planted.hazard_early),
            np.where((to_due >= 0)[:, None], np.array(planted.hazard_due), np.array(planted.hazard_late)),
        )
        hazard = table[np.arange(n), np.maximum(state, 0)] * theme_mult
        done = done | (started & ~ongoing & ~done & (u[2] < hazard))
        code = np.where(
            ~present, ABSENT, np.where(~started, NOT_STARTED, np.where(done, COMPLETE, state + 1))
        )
        status[:, t] = code
        percent[:, t] = _percent(code, m, plan, state)
        changed = present & ((t == 0) | (status[:, t - 1] != code) | (u[3] < planted.refresh_text_share))
        changed &= ~((t > 0) & (status[:, t - 1] == COMPLETE))  # a completed row is left alone
        day = np.datetime64(as_at.isoformat(), "D") - (u[4] * 45).astype("timedelta64[D]")
        prev = updated[:, t - 1] if t > 0 else updated[:, 0]
        updated[:, t] = np.where(changed, day, prev)
        for i in np.flatnonzero(changed):
            text[i, t] = _phrase(int(code[i]), int(start_planned[i]), as_at, u[5][i], u[6][i])
        keep = present & ~changed
        if t > 0:
            text[keep, t] = text[keep, t - 1]
    return History(status, percent, text, updated)


def _percent(code: np.ndarray, m: int, plan: pd.DataFrame, state: np.ndarray) -> np.ndarray:
    start, due = plan["effective_start_m"].to_numpy(), plan["due_m"].to_numpy()
    frac = np.clip((m - start + 1) / np.maximum(due - start + 1, 1), 0, 1)
    factor = np.array([1.0, 0.85, 0.7])[np.clip(state, 0, 2)]
    pct = np.clip(5 * np.round(20 * frac * factor), 5, 95)
    pct = np.where(code == NOT_STARTED, 0.0, np.where(code == COMPLETE, 100.0, pct))
    return np.where(plan["ongoing"].to_numpy() | (code == ABSENT), np.nan, pct)


def _phrase(code: int, start_m: int, as_at: date, u: float, v: float) -> str:
    options = C.PHRASES[STATUSES[code]]
    template = options[int(u * len(options))]

    def pick(values: tuple[str, ...]) -> str:
        return values[int(v * len(values))]

    start = month_start(start_m)
    return template.format(
        start=f"{LONG_MONTHS[start.month - 1]} {start.year}",
        month=f"{LONG_MONTHS[as_at.month - 1]} {as_at.year}",
        n=2 + int(v * 10),
        partner=pick(C.PARTNERS),
        Partner=pick(C.PARTNERS)[:1].upper() + pick(C.PARTNERS)[1:],
        product=pick(C.PRODUCTS),
        board=pick(C.BOARDS),
        dependency=pick(C.DEPENDENCIES),
    )
