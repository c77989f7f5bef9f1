"""How the fictional councils' action plan trackers look: three layouts, messy cells, planted faults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from observatory.demo import faults as F
from observatory.demo import writers as W
from observatory.demo.action_plan_model import (
    ABSENT,
    LONG_MONTHS,
    MONTHS,
    STATUSES,
    History,
    fq_label,
    month_end,
    month_index,
    month_start,
)
from observatory.demo.authorities import Authority
from observatory.demo.context import DemoContext

SOURCE = "action_plan"


@dataclass(frozen=True)
class Layout:
    """One council's tracker: headers in order, spellings and which cells carry dates."""

    headers: tuple[tuple[str, str], ...]
    status: dict[str, str]
    rag: dict[str, str]
    ref: str  # "dot" 1.1, "prefixed" R1.1, "letter" 1a
    recommendation: str  # format with {n}, {title}, {text}
    theme_every_row: bool
    last_updated_excel: bool


def _spell(**changes: str) -> dict[str, str]:
    return {s: changes.get(s.replace(" ", "_").lower(), s) for s in STATUSES}


LAYOUTS: tuple[Layout, ...] = (
    Layout(
        headers=(
            ("ref", "Ref"), ("theme", "Theme"), ("recommendation", "Recommendation"), ("action", "Action"),
            ("resource", "Resource"), ("start_date", "Start Date"), ("due_date", "Due Date"),
            ("owner", "Owner"), ("status", "Status"), ("rag", "RAG"), ("percent_complete", "% Complete"),
            ("progress_update", "Progress Update"), ("last_updated", "Last Updated"),
        ),
        status=_spell(),
        rag={"Not started": "", "On track": "Green", "At risk": "Amber", "Off track": "Red",
             "Complete": "Blue"},
        ref="dot",
        recommendation="R{n}. {title}: {text}",
        theme_every_row=True,
        last_updated_excel=True,
    ),
    Layout(
        headers=(
            ("ref", "Action Ref"), ("theme", "Priority Area"), ("recommendation", "Rec No. & Recommendation"),
            ("action", "Action(s)"), ("resource", "Resources"), ("start_date", "Start"),
            ("due_date", "Target Date"), ("owner", "Lead Officer / Directorate"),
            ("status", "Delivery Status"),
            ("rag", "RAG Rating"), ("percent_complete", "Percent complete"),
            ("progress_update", "Progress Commentary"), ("last_updated", "Date Updated"),
        ),
        status=_spell(not_started="Not Started", on_track="On Track", at_risk="At Risk",
                      off_track="Off Track", complete="Completed"),
        rag={"Not started": "", "On track": "G", "At risk": "A", "Off track": "R", "Complete": "B"},
        ref="prefixed",
        recommendation="Recommendation {n}: {title}. {text}",
        theme_every_row=False,
        last_updated_excel=False,
    ),
    Layout(
        headers=(
            ("ref", "No."), ("theme", "Workstream"), ("recommendation", "Commission Recommendation"),
            ("action", "Key Action"), ("owner", "Responsible Owner"), ("resource", "Resource Allocated"),
            ("start_date", "Start date"), ("due_date", "Deadline"), ("status", "Progress Status"),
            ("rag", "RAG status"), ("percent_complete", "% done"), ("progress_update", "Update this quarter"),
            ("last_updated", "Last updated"),
        ),
        status=_spell(not_started="Not yet started"),
        rag={"Not started": "Grey", "On track": "Green", "At risk": "Amber", "Off track": "Red",
             "Complete": "Green"},
        ref="letter",
        recommendation="{n}. {title} - {text}",
        theme_every_row=False,
        last_updated_excel=True,
    ),
)  # fmt: skip


def column_aliases() -> dict[str, tuple[str, ...]]:
    """Every header each canonical column has in some layout (a draft for the contract)."""
    out: dict[str, list[str]] = {}
    for layout in LAYOUTS:
        for canonical, header in layout.headers:
            out.setdefault(canonical, [])
            if header not in out[canonical]:
                out[canonical].append(header)
    return {c: tuple(v) for c, v in out.items()}


def file_name(authority: Authority, as_at: date) -> str:
    return f"{SOURCE}_{authority.code}_{as_at.isoformat()}_synthetic.xlsx"


def layout_for(authority: Authority) -> int:
    return (authority.index - 1) % len(LAYOUTS)


# --- one workbook -----------------------------------------------------------------------------


def _date_cells(months: np.ndarray, fmts: np.ndarray, ongoing_words: np.ndarray, *, end: bool) -> W.Cells:
    """Dates as each row holds them: Excel date cells, or text in the row's own format."""
    days = np.array(
        [(month_end(m) if end else month_start(m)).isoformat() if m >= 0 else "NaT" for m in months],
        dtype="datetime64[D]",
    )
    valid = months >= 0
    serial = np.where(valid, W.excel_serial(np.where(valid, days, np.datetime64("2000-01-01"))), "")
    uk = np.where(valid, W.uk_dates(np.where(valid, days, np.datetime64("2000-01-01"))), "")
    mon = [f"{MONTHS[m % 12]}-{(m // 12) % 100:02d}" if m >= 0 else "" for m in months.tolist()]
    fq = [fq_label(m) if m >= 0 else "" for m in months.tolist()]
    text = np.select(
        [fmts == "excel", fmts == "mon", fmts == "uk", fmts == "fq", fmts == "ongoing"],
        [serial.astype(object), np.array(mon, dtype=object), uk.astype(object), np.array(fq, dtype=object),
         ongoing_words],
        "",
    )  # fmt: skip
    cells = W.Cells.of_text(text)
    cells.numeric = fmts == "excel"
    cells.style = W.STYLE_DATE
    return cells


def static_cells(plan: pd.DataFrame, layout: Layout) -> dict[str, W.Cells]:
    """The cells of every action that do not change between updates (a tracker is copied forward)."""
    rec_n, act_n = plan["rec_n"].tolist(), plan["act_n"].tolist()
    if layout.ref == "dot":
        ref = [f"{r}.{a}" for r, a in zip(rec_n, act_n, strict=True)]
    elif layout.ref == "prefixed":
        ref = [f"R{r}.{a}" for r, a in zip(rec_n, act_n, strict=True)]
    else:
        ref = [f"{r}{'abcdefgh'[a - 1]}" for r, a in zip(rec_n, act_n, strict=True)]
    rec_text = [
        layout.recommendation.format(n=n, title=title, text=text)
        for n, title, text in zip(rec_n, plan["rec_title"], plan["rec_text"], strict=True)
    ]
    words = plan["ongoing_word"].to_numpy()
    return {
        "ref": W.Cells.of_text(np.array(ref, dtype=object)),
        "theme": W.Cells.of_text(plan["theme"].to_numpy()),
        "recommendation": W.Cells.of_text(np.array(rec_text, dtype=object)),
        "action": W.Cells.of_text(plan["action"].to_numpy()),
        "resource": W.Cells.of_text(plan["resource"].to_numpy()),
        "start_date": _date_cells(plan["start_m"].to_numpy(), plan["start_fmt"].to_numpy(), words, end=False),
        "due_date": _date_cells(plan["due_m"].to_numpy(), plan["due_fmt"].to_numpy(), words, end=True),
        "owner": W.Cells.of_text(plan["owner"].to_numpy()),
    }


def render(
    static: dict[str, W.Cells], rec_n: np.ndarray, history: History, t: int, layout: Layout
) -> tuple[np.ndarray, dict[str, W.Cells]]:
    """The rows present at quarter t (plan positions) and their cells per canonical column.

    The recommendation (and, unless the layout repeats it, the theme) is only written on the
    first row of each recommendation present, like merged cells."""
    rows = np.flatnonzero(history.status[:, t] != ABSENT)
    cells = {c: static[c].take(rows) for c in static}
    present_rec = rec_n[rows]
    continuation = np.r_[False, present_rec[1:] == present_rec[:-1]]
    blank = ["recommendation"] if layout.theme_every_row else ["recommendation", "theme"]
    for column in blank:
        cells[column].text[continuation] = ""
    status = np.array(STATUSES, dtype=object)[history.status[rows, t]]
    pct = history.percent[rows, t]
    upd = history.updated[rows, t]
    cells |= {
        "status": W.Cells.of_text(np.array([layout.status[s] for s in status], dtype=object)),
        "rag": W.Cells.of_text(np.array([layout.rag[s] for s in status], dtype=object)),
        "percent_complete": W.Cells.of_numbers(np.where(np.isnan(pct), "", W.decimal(np.nan_to_num(pct)))),
        "progress_update": W.Cells.of_text(history.text[rows, t]),
        "last_updated": (
            W.Cells.of_numbers(W.excel_serial(upd), W.STYLE_DATE)
            if layout.last_updated_excel
            else W.Cells.of_text(W.uk_dates(upd))
        ),
    }
    return rows, cells


_FAULT_NAMES = {
    F.UNKNOWN_LABEL: "unknown_status",
    F.DUPLICATE_ROW: "duplicate_row",
    F.IMPOSSIBLE_DATE: "impossible_date",
    F.NEGATIVE_NUMBER: "negative_percent",
    F.TEXT_IN_NUMERIC: "text_in_numeric",
    F.OUT_OF_RANGE: "percent_out_of_range",
}


def _fault(kind: str, j: int, row: int, cells: dict[str, W.Cells], as_at: date) -> tuple[str, str, bool]:
    """(canonical column, text, numeric cell?) for the j-th fault of a kind."""
    if kind == F.UNKNOWN_LABEL:
        return "status", ("TBC", "Delayed", "Paused", "Amber/Red")[j % 4], False
    if kind == F.DUPLICATE_ROW:
        return "ref", str(cells["ref"].text[row]), False
    if kind == F.IMPOSSIBLE_DATE:
        return "due_date", f"31/02/{as_at.year + j % 2}", False
    if kind == F.NEGATIVE_NUMBER:
        return "percent_complete", "-" + (str(cells["percent_complete"].text[row]) or "10"), True
    if kind == F.TEXT_IN_NUMERIC:
        return "percent_complete", ("tbc", "n/a")[j % 2], False
    if kind == F.OUT_OF_RANGE:
        return "percent_complete", ("150", "120")[j % 2], True
    raise ValueError(kind)  # pragma: no cover - a kind this source does not plant


def _quarter_labels(as_at: date) -> tuple[str, str, str]:
    """('2025 Q1', 'Q4 2024/25', 'January to March 2025') for 31/03/2025."""
    m = month_index(as_at)
    fy = as_at.year if as_at.month >= 4 else as_at.year - 1
    first = month_start(m - 2)
    span = f"{LONG_MONTHS[first.month - 1]} to {LONG_MONTHS[as_at.month - 1]} {as_at.year}"
    return (
        f"{as_at.year} Q{(as_at.month - 1) // 3 + 1}",
        f"Q{fq_label(m)[1]} {fy}/{(fy + 1) % 100:02d}",
        span,
    )


def write_update(
    inbox_dir: Path,
    authority: Authority,
    as_at: date,
    rows: np.ndarray,
    cells: dict[str, W.Cells],
    ctx: DemoContext,
    drop_column: str | None,
) -> tuple[dict, list[dict], np.ndarray]:
    """Write one quarterly workbook; returns its record, its fault records and which rows are kept."""
    layout = LAYOUTS[layout_for(authority)]
    name = file_name(authority, as_at)
    rel = f"{SOURCE}/{name}"
    n = rows.size
    headers = [(c, h) for c, h in layout.headers if c != drop_column]
    order, injected = np.arange(n), {}
    if ctx.dirty is not None and drop_column is None:
        plan = F.plan(ctx.rng(SOURCE, authority.index, as_at.year, as_at.month, 1), n, ctx.dirty)
        order, injected = plan.order, _inject(plan, cells, as_at)

    quarter, fin_quarter, span = _quarter_labels(as_at)
    title_rows = [
        f"SYNTHETIC DEMO DATA - {authority.name} Race Equality Commission action plan",
        f"Quarterly progress update {fin_quarter} ({span}): position as at {as_at.strftime('%d/%m/%Y')}",
        f"Fictional council generated by observatory.demo (seed {ctx.seed}); not a real council's plan.",
    ]
    columns = [cells[c] if order.size == n else cells[c].take(order) for c, _ in headers]
    W.write_xlsx(
        inbox_dir / name,
        sheet=f"{fin_quarter.replace('/', '-')} update",
        title_rows=title_rows,
        header=[h for _, h in headers],
        columns=columns,
    )
    header_row = len(title_rows) + 1
    first, copy = F.physical_rows(order, header_row + 1)
    records, kept = F.fault_records(
        rel, injected, first, copy, header_row, dict(headers), "ref", cells["ref"].text
    )
    if drop_column is not None:
        kept[:] = False
        records.insert(
            0,
            {
                "file": rel,
                "row": None,
                "data_row": None,
                "column": dict(layout.headers)[drop_column],
                "canonical_column": drop_column,
                "value": None,
                "fault": "missing_required_column",
            },
        )
    file_record = {
        "file": rel,
        "source": SOURCE,
        "authority_code": authority.code,
        "as_at": as_at.isoformat(),
        "quarter": quarter,
        "financial_quarter": fin_quarter,
        "format": "xlsx",
        "sheet": f"{fin_quarter.replace('/', '-')} update",
        "title_rows": list(range(1, len(title_rows) + 1)),
        "header_row": header_row,
        "first_data_row": header_row + 1,
        "last_data_row": header_row + int(order.size),
        "data_rows": int(order.size),
        "header": [h for _, h in headers],
        "columns": {h: c for c, h in headers},
        "layout": layout_for(authority),
        "rejected": drop_column is not None,
    }
    return file_record, records, kept


Injected = dict[int, tuple[str, str, bool, str]]  # row -> (column, text, numeric?, fault name)


def _inject(plan: F.FaultPlan, cells: dict[str, W.Cells], as_at: date) -> Injected:
    """Overwrite the planned cells (a duplicate's copy is added when the rows are ordered)."""
    injected: Injected = {}
    seen: dict[str, int] = {}
    for row, kind in zip(plan.rows.tolist(), plan.kinds.tolist(), strict=True):
        j = seen[kind] = seen.get(kind, -1) + 1  # faults of this kind so far: rotates the variants
        column, text, numeric = _fault(kind, j, row, cells, as_at)
        if kind != F.DUPLICATE_ROW:
            cells[column].set(row, text, numeric=numeric)
        injected[row] = (column, text, numeric, _FAULT_NAMES[kind])
    return injected
