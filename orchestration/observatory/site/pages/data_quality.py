"""Data quality page: what arrived from each source, what was kept out, and how fresh it is.

From publish.data_quality only: per source its freshness in words (stale or missing sources are
named first), the share of records of unknown ethnicity in the latest period as a chart with its
table, and every source and period with rows loaded and quarantined, the commonest rules broken,
the unknown-ethnicity share and unmapped ethnicity codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from observatory.site import formatting as f
from observatory.site.filters import Control, authority_control, control
from observatory.site.pages import Download, Page
from observatory.site.pages.pay_gap import slug
from observatory.site.plots import IntervalPlot, Point, dot_plot
from observatory.site.snapshot import Snapshot

TABLE = "data_quality"
DOWNLOAD = Download(
    TABLE,
    "downloads/data_quality.csv",
    ("source_name", "authority_code", "period_end", "period"),
    label="Data quality by source and period",
)
NO_AUTHORITY = "Many areas"  # publications covering many areas (benchmarks, Census tables)
STATUS_WORDS = {
    "missing": "Missing: nothing received",
    "stale": "Stale: the latest extract is older than expected",
    "rows quarantined": "Rows quarantined",
    "unmapped ethnicity": "Unmapped ethnicity codes",
    "ok": "OK",
}
STATUS_ORDER = ("missing", "stale", "rows quarantined", "unmapped ethnicity", "ok")


def share_pct(value: Any) -> Any:
    return None if f.is_missing(value) else 100.0 * value


def status_words(status: str | None) -> str:
    return STATUS_WORDS.get(status or "", (status or "not recorded").capitalize())


def status_rank(status: str | None) -> int:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


@dataclass(frozen=True)
class Row:
    source: str
    title: str
    authority: str
    authority_code: str
    period: str
    status: str
    status_key: str
    cells: tuple[f.Cell, ...]


@dataclass(frozen=True)
class Freshness:
    source: str
    title: str
    authority: str
    authority_code: str
    latest_period: str
    latest_extract: str
    words: str  # 'Up to date: ...', 'Stale: ...', 'Missing: ...'
    is_stale: bool
    status_key: str


@dataclass(frozen=True)
class View:
    summary: str
    totals: dict[str, str]
    freshness: tuple[Freshness, ...]
    chart: IntervalPlot | None
    chart_rows: tuple[tuple[str, tuple[f.Cell, ...]], ...]
    rows: tuple[Row, ...]
    as_at: str


COLUMNS = (
    "Files",
    "Rows in",
    "Rows loaded",
    "Rows quarantined",
    "Commonest rules broken",
    "Unknown ethnicity",
    "Unmapped ethnicity values",
    "Records with unmapped values",
    "Status",
)
NUMERIC = (True, True, True, True, False, True, True, True, False)


def _row_cells(r: dict[str, Any]) -> tuple[f.Cell, ...]:
    return (
        f.cell(r["files"], None, f.count),
        f.cell(r["rows_in"], None, f.count),
        f.cell(r["rows_loaded"], None, f.count),
        f.cell(r["rows_quarantined"], None, f.count),
        f.Cell(r["top_quarantine_rules"] or "None"),
        f.cell(share_pct(r["ethnicity_unknown_share"]), r["ethnicity_unknown_share_symbol"], f.pct),
        f.cell(r["unmapped_ethnicity_values"], r["unmapped_ethnicity_values_symbol"], f.count),
        f.cell(r["unmapped_ethnicity_rows"], r["unmapped_ethnicity_rows_symbol"], f.count),
        f.Cell(status_words(r["status"])),
    )


def freshness_words(r: dict[str, Any]) -> str:
    cadence = r["cadence_days"]
    if r["status"] == "missing" or not r["source_latest_file_date"]:
        return "Missing: nothing has been received from this source."
    age = r["days_since_latest_extract"]
    expected = f"one is expected every {f.count(cadence)} days"
    if r["is_stale"]:
        return f"Stale: the latest extract is {f.count(age)} days old; {expected}."
    return f"Up to date: the latest extract is {f.count(age)} days old; {expected}."


def _period_key(r: dict[str, Any]) -> tuple:
    """Latest period last; a row without a period (nothing received, or quarantined rows of a
    file spanning periods) never wins over one with a period."""
    return (r["period_end"] is not None, r["period_end"] or date.min, r["period"] or "")


def load(snapshot: Snapshot) -> View:
    rows = snapshot.table(TABLE, ["source_name", "authority_code", "period_end", "period"])
    as_at = max((r["as_at_date"] for r in rows if r["as_at_date"]), default=None)
    table_rows = []
    per_source: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        authority = r["authority_name"] or r["authority_code"] or NO_AUTHORITY
        table_rows.append(
            Row(
                source=r["source_name"],
                title=r["source_title"] or r["source_name"],
                authority=authority,
                authority_code=r["authority_code"] or "",
                period=r["period"] or ("not received" if r["status"] == "missing" else "several periods"),
                status=status_words(r["status"]),
                status_key=r["status"] or "",
                cells=_row_cells(r),
            )
        )
        key = (r["source_name"], r["authority_code"] or "")
        if key not in per_source or _period_key(r) > _period_key(per_source[key]):
            per_source[key] = r
    freshness = []
    for (source, code), r in per_source.items():
        freshness.append(
            Freshness(
                source=source,
                title=r["source_title"] or source,
                authority=r["authority_name"] or code or NO_AUTHORITY,
                authority_code=code,
                latest_period=r["period"] or "none",
                latest_extract=f.long_date(r["source_latest_file_date"])
                if r["source_latest_file_date"]
                else "none",
                words=freshness_words(r),
                is_stale=bool(r["is_stale"]) or r["status"] == "missing",
                status_key="missing" if r["status"] == "missing" else ("stale" if r["is_stale"] else "ok"),
            )
        )
    freshness.sort(key=lambda x: (not x.is_stale, x.source, x.authority))

    # Unknown ethnicity in each source's latest period (sources that record ethnicity).
    latest_rows = sorted(
        (
            r
            for r in per_source.values()
            if r["ethnicity_unknown_share_symbol"] != "z" and r["status"] != "missing"
        ),
        key=lambda r: (r["source_name"], r["authority_code"] or ""),
    )
    several = len({r["authority_code"] for r in latest_rows}) > 1
    points = [
        Point(
            label=r["source_name"] + (f" ({r['authority_name'] or r['authority_code']})" if several else ""),
            value=share_pct(r["ethnicity_unknown_share"]),
            symbol=r["ethnicity_unknown_share_symbol"] or None,
            text=f.pct(share_pct(r["ethnicity_unknown_share"])) + f" ({r['period']})"
            if not f.is_missing(r["ethnicity_unknown_share"])
            else "",
        )
        for r in latest_rows
    ]
    chart = None
    if points:
        described = "; ".join(f"{p.label}: {p.text or f.cell(None, p.symbol, f.pct).text}" for p in points)
        chart = dot_plot(
            points,
            chart_id="chart-dq-unknown",
            title="Share of records with unknown ethnicity, latest period of each source",
            desc=f"Dot plot. {described}.",
            axis_title="Records with ethnicity not recorded or declined (%)",
            fmt=f.pct,
        )
    chart_rows = tuple(
        (
            r["source_name"] + (f" ({r['authority_name'] or r['authority_code']})" if several else ""),
            (
                f.Cell(r["period"] or ""),
                f.cell(r["rows_loaded"], None, f.count),
                f.cell(share_pct(r["ethnicity_unknown_share"]), r["ethnicity_unknown_share_symbol"], f.pct),
                f.cell(r["unmapped_ethnicity_values"], r["unmapped_ethnicity_values_symbol"], f.count),
            ),
        )
        for r in latest_rows
    )
    stale = [x for x in freshness if x.is_stale]
    quarantined = sum(r["rows_quarantined"] or 0 for r in rows)
    loaded = sum(r["rows_loaded"] or 0 for r in rows)
    unmapped = sum(
        1
        for r in rows
        if (r["unmapped_ethnicity_rows"] or 0) > 0 or r["unmapped_ethnicity_rows_symbol"] == "c"
    )
    sources = sorted({r["source_name"] for r in rows})
    parts = [
        f"{len(sources)} sources: {f.count(loaded)} records loaded and {f.count(quarantined)} quarantined."
    ]
    if stale:
        parts.append(
            f"{len(stale)} {'is' if len(stale) == 1 else 'are'} stale or missing: "
            + "; ".join(f"{x.source} ({x.authority})" for x in stale)
            + "."
        )
    else:
        parts.append("Every source is up to date.")
    if unmapped:
        parts.append(f"{unmapped} source periods hold ethnicity codes no lookup maps.")
    return View(
        summary=" ".join(parts),
        totals={
            "sources": f.count(len(sources)),
            "loaded": f.count(loaded),
            "quarantined": f.count(quarantined),
            "stale": f.count(len(stale)),
        },
        freshness=tuple(freshness),
        chart=chart,
        chart_rows=chart_rows,
        rows=tuple(table_rows),
        as_at=f.long_date(as_at) if as_at else "",
    )


def controls(view: View) -> tuple[Control, ...]:
    authorities = sorted({(r.authority_code, r.authority) for r in view.rows if r.authority_code})
    out = [*authority_control(authorities)]
    out.append(control("source", "Source", sorted({r.source for r in view.rows})))
    statuses = sorted({r.status_key for r in view.rows}, key=status_rank)
    out.append(control("status", "Status", statuses, labels={s: status_words(s) for s in statuses}))
    return tuple(out)


def context(snapshot: Snapshot) -> dict[str, Any]:
    view = load(snapshot)
    return {
        "dq": view,
        "controls": controls(view),
        "columns": COLUMNS,
        "numeric": NUMERIC,
        "download": DOWNLOAD,
        "slug": slug,
    }


PAGE = Page(
    path="data-quality.html",
    template="data_quality.html",
    title="Data quality",
    nav_label="Data quality",
    context=context,
    requires=(TABLE,),
    downloads=(DOWNLOAD,),
)
