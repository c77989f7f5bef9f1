"""The board pack: the two scorecards and the action-plan summary as one printable page and a PDF.

``board-pack.html`` is a page of the site like any other (rendered from the published snapshot only,
deterministic). The PDF is printed from it by Debian's Chromium in headless mode after the site is
published (``observatory boardpack``, or the Dagster asset ``published/board_pack``): A4, each section
on a new page, table headers repeated on every page. It is written into the live build beside the
HTML, and only then does the HTML get its link to the PDF, so the site never links to a missing file.
Without Chromium the HTML is still there and the message says how to get the PDF.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import Any

from observatory.site import formatting as f
from observatory.site.pages import Page
from observatory.site.snapshot import Snapshot

log = logging.getLogger(__name__)

HTML_NAME = "board-pack.html"
PDF_NAME = "board-pack.pdf"
PDF_SLOT = "<!-- board-pack.pdf link: added when the PDF is printed -->"
LTO = "scorecard_long_term_outcomes"
HWB = "scorecard_hwb"
SUMMARY = "action_plan_summary"
ACTIONS = "action_plan"
CHROMIUM_ENV = "OBSERVATORY_CHROMIUM"
# Flags measured on this stack (shared/reference/stack-notes.md): no network, no first-run work.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-pdf-header-footer",
)
HOW_TO_GET_CHROMIUM = (
    "Chromium is needed to print the PDF: install it with `make chromium` (Debian's `chromium` "
    "package), or set OBSERVATORY_CHROMIUM to a Chromium or Chrome executable, then run "
    "`observatory boardpack`."
)

COMPARED_WORSE = ("Worse", "Lower")  # Lower/Higher: no judgement of which is better
COMPARED_BETTER = ("Better", "Higher")


# --- the page ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureRow:
    area: str
    outcome: str
    measure: str
    period: str
    overall: tuple[f.Cell, ...]  # one per sex where the measure is published by sex
    finding: str  # the groups that differ from the reference group, in words
    trend: str
    differs: bool  # at least one group differs significantly from the reference group
    held: bool  # false for a measure no source holds ([x])


@dataclass(frozen=True)
class AuthorityLto:
    id: str
    name: str
    reference_group: str
    rows: tuple[MeasureRow, ...]
    summary: str


@dataclass(frozen=True)
class HwbRow:
    domain: str
    indicator: str
    period: str
    value: f.Cell
    england: f.Cell
    compared_with_england: str
    trend: str
    largest_gap: str


@dataclass(frozen=True)
class ActionView:
    id: str
    name: str
    as_at: str
    quarter: str
    themes: tuple[dict[str, Any], ...]
    total: dict[str, Any] | None
    overdue: tuple[dict[str, Any], ...]
    summary: str


def _slug(*parts: object) -> str:
    return re.sub(r"[^a-z0-9]+", "-", "-".join(str(p) for p in parts).lower()).strip("-")


def number(value: float, unit: str | None) -> str:
    """A scorecard value with its unit: '67.1%', '43.8', '84.7 years', '11.6 per 100 pupils'."""
    if unit == "%":
        return f.pct(value)
    text = f.pct(value).removesuffix("%")  # one decimal place, half up, true minus sign
    if unit in (None, "", "score"):
        return text
    return f"{text} {unit}"


def _value_cell(value: Any, symbol: str | None, unit: str | None) -> f.Cell:
    return f.cell(value, symbol, lambda v: number(v, unit))


def _names(rows: list[dict[str, Any]], unit: str | None) -> str:
    return ", ".join(f"{r['ethnicity_group']} ({number(r['value'], unit)})" for r in rows)


def _finding(measure_rows: list[dict[str, Any]]) -> tuple[str, str]:
    """(what the groups show in words, the reference group) for one measure's rows."""
    first = measure_rows[0]
    if first["value_symbol"] == "x" and all(r["value_symbol"] == "x" for r in measure_rows):
        return (first["note"] or "Not available.").split(". Data needed")[0].rstrip(".") + ".", ""
    unit = first["unit"]
    groups = [r for r in measure_rows if not r["is_overall"]]
    if first["indicator_id"] and any(r["grade_band"] for r in groups):
        return _workforce_finding(groups, unit), ""
    reference = next((r["ethnicity_group"] for r in groups if r["is_reference_group"]), "")
    reference = reference or next((r["reference_group"] for r in groups if r["reference_group"]), "")
    compared = [r for r in groups if not r["is_reference_group"] and r["value_symbol"] is None]
    worse = [r for r in compared if r["compared_with_reference"] in COMPARED_WORSE]
    better = [r for r in compared if r["compared_with_reference"] in COMPARED_BETTER]
    judged = first["polarity"] in ("high_is_good", "low_is_good")
    words = ("worse", "better") if judged else ("lower", "higher")
    parts = []
    if not groups:
        parts.append("Not published by ethnic group.")
    elif not compared:
        parts.append("No group can be compared.")
    else:
        if worse:
            parts.append(f"Significantly {words[0]} than {reference}: {_names(worse, unit)}.")
        if better:
            parts.append(f"Significantly {words[1]} than {reference}: {_names(better, unit)}.")
        similar = len(compared) - len(worse) - len(better)
        if not worse and not better:
            parts.append(f"No group differs significantly from {reference} ({len(compared)} compared).")
        elif similar:
            parts.append(f"{similar} other group{'s' if similar != 1 else ''} similar.")
    suppressed = sum(1 for r in groups if r["value_symbol"] == "c")
    if suppressed:
        parts.append(f"{suppressed} group{'s' if suppressed != 1 else ''} [c] (too few to show).")
    if first["note"] and groups and "by ethnic group" in first["note"]:
        parts.append(first["note"].split(". Data needed")[0].rstrip(".") + ".")
    return " ".join(parts), reference


def _workforce_finding(groups: list[dict[str, Any]], unit: str | None) -> str:
    """Ethnic minorities' share of staff at each grade band against their share of residents."""
    minority = [r for r in groups if r["ethnicity_level"] == "minority_binary"]
    rows = sorted(minority, key=lambda r: (r["band_order"], r["ethnicity_group"]))
    if not rows:
        return "Not published for ethnic minorities."
    group = rows[0]["ethnicity_group"]
    parts = []
    for r in rows:
        if r["value_symbol"]:
            parts.append(f"{r['grade_band']} [{r['value_symbol']}]")
            continue
        comparison = (r["compared_with_population"] or "").lower()
        said = f" ({comparison} than residents)" if comparison in ("higher", "lower") else ""
        parts.append(f"{r['grade_band']} {number(r['value'], unit)}{said}")
    share = rows[0]["population_share_pct"]
    residents = f" Working-age residents: {f.pct(share)}." if share is not None else ""
    return f"{group}' share of staff: " + "; ".join(parts) + "." + residents


def long_term_outcomes(snapshot: Snapshot) -> tuple[AuthorityLto, ...]:
    rows = snapshot.table(
        LTO, ["authority_code", "framework_order", "sex", "band_order", "display_order", "ethnicity_group"]
    )
    out = []
    for code, auth_rows in groupby(rows, key=lambda r: r["authority_code"]):
        auth_rows = list(auth_rows)
        measures, references = [], []
        for _, m in groupby(auth_rows, key=lambda r: r["framework_order"]):
            m = list(m)
            first = m[0]
            overall = [r for r in m if r["is_overall"]]
            finding, reference = _finding(m)
            references.append(reference)
            cells = tuple(
                f.Cell(
                    (f"{r['sex']}: " if len(overall) > 1 else "")
                    + _value_cell(r["value"], r["value_symbol"], r["unit"]).text,
                    _value_cell(r["value"], r["value_symbol"], r["unit"]).symbol,
                )
                for r in overall
            )
            if not overall:  # the workforce measure: a share of all staff is 100% by definition
                cells = (f.Cell("[z]", "z"),) if first["grade_band"] else (f.Cell("[x]", "x"),)
            measures.append(
                MeasureRow(
                    area=first["outcome_area"],
                    outcome=first["outcome"],
                    measure=first["measure"],
                    period=first["period"] or "[x]",
                    overall=cells,
                    finding=finding,
                    trend=overall[0]["trend"] if overall and overall[0]["trend"] else "Not calculated",
                    differs="Significantly" in finding,
                    held=not all(r["value_symbol"] == "x" for r in m),
                )
            )
        named = [r for r in references if r]
        out.append(
            AuthorityLto(
                id=_slug("lto", code),
                name=auth_rows[0]["authority_name"],
                reference_group=max(sorted(set(named)), key=named.count) if named else "the reference group",
                rows=tuple(measures),
                summary=_lto_summary(measures),
            )
        )
    return tuple(sorted(out, key=lambda a: (a.name, a.id)))


def _lto_summary(measures: list[MeasureRow]) -> str:
    held = [m for m in measures if m.held]
    differing = sum(1 for m in held if m.differs)
    missing = len(measures) - len(held)
    text = (
        f"For {differing} of the {len(held)} measures with figures, at least one ethnic group's figure "
        "differs significantly from the reference group's"
    )
    if missing:
        text += f"; {missing} measure{'s are' if missing != 1 else ' is'} not yet held ([x])"
    return text + "."


def _hwb_summary(rows: tuple[HwbRow, ...]) -> str:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.compared_with_england] = counts.get(r.compared_with_england, 0) + 1
    order = ["Better", "Similar", "Worse", "Higher", "Lower", "Not compared"]
    parts = [f"{counts[k]} {k.lower()}" for k in order if counts.get(k)]
    parts += [f"{n} {k.lower()}" for k, n in sorted(counts.items()) if k not in order]
    return f"Of {len(rows)} indicators, compared with England: " + ", ".join(parts) + "."


def _action_summary(total: dict[str, Any] | None, as_at: str) -> str:
    if not total:
        return "No actions were reported at the latest update."
    return (
        f"Of {total['actions']} actions at {as_at}: {total['complete']} complete, "
        f"{total['on_track']} on track, {total['at_risk']} at risk, {total['off_track']} off track and "
        f"{total['not_started']} not started; {total['overdue']} overdue."
    )


def hwb(snapshot: Snapshot) -> tuple[tuple[str, str, tuple[HwbRow, ...], str], ...]:
    rows = snapshot.table(HWB, ["authority_code", "domain", "indicator_name", "sex"])
    out = []
    for code, auth_rows in groupby(rows, key=lambda r: r["authority_code"]):
        auth_rows = list(auth_rows)
        view = tuple(
            HwbRow(
                domain=r["domain"].capitalize() if r["domain"] else "",
                indicator=r["indicator_name"]
                + (f" ({r['sex']})" if r["sex"] not in (None, "All") else "")
                + (f", {r['unit']}" if r["unit"] and r["unit"] != "%" else ""),
                period=r["period"] or "[x]",
                value=_value_cell(r["value"], r["value_symbol"], _short(r["unit"])),
                england=_value_cell(r["england_value"], None, _short(r["unit"])),
                compared_with_england=r["compared_with_england"] or "Not compared",
                trend=r["trend"] or "Not calculated",
                largest_gap=(
                    _gap_reading(r)
                    if r["largest_gap_reading"]
                    else f"[{r['largest_gap_symbol'] or 'x'}] not published by ethnic group"
                ),
            )
            for r in auth_rows
        )
        out.append((_slug("hwb", code), auth_rows[0]["authority_name"], view, _hwb_summary(view)))
    return tuple(sorted(out, key=lambda a: (a[1], a[0])))


def _short(unit: str | None) -> str | None:
    """The unit shown beside an HWB value: % only (other units are in the indicator's name)."""
    return "%" if unit == "%" else None


def _gap_reading(r: dict[str, Any]) -> str:
    return r["largest_gap_reading"][0].upper() + r["largest_gap_reading"][1:]


def action_plan(snapshot: Snapshot) -> tuple[ActionView, ...]:
    summary = snapshot.rows(
        f"select * from publish.{SUMMARY} where is_latest_update and owner = 'All' "
        "order by authority_code, theme = 'All', theme"
    )
    actions = snapshot.rows(
        f"""select distinct authority_code, action_ref, theme, action_description, owner, due_date,
                   days_overdue, latest_status, rag, percent_complete
            from publish.{ACTIONS}
            where is_overdue and coalesce(is_in_latest_update, true)
            order by authority_code, days_overdue desc, action_ref"""
    )
    out = []
    for code, rows in groupby(summary, key=lambda r: r["authority_code"]):
        rows = list(rows)
        rows = [{**r, "done_pct": _pct_or_x(r["complete_or_on_track_pct"])} for r in rows]
        themes = tuple(r for r in rows if r["theme"] != "All")
        total = next((r for r in rows if r["theme"] == "All"), None)
        as_at = f.long_date(rows[0]["as_at_date"])
        out.append(
            ActionView(
                id=_slug("actions", code),
                name=rows[0]["authority_name"],
                as_at=as_at,
                quarter=rows[0]["financial_quarter"] or "",
                themes=themes,
                total=total,
                overdue=tuple(
                    {
                        **a,
                        "due": f.long_date(a["due_date"]) if a["due_date"] else "No due date",
                        "done": f.pct(a["percent_complete"], 0)
                        if a["percent_complete"] is not None
                        else "[x]",
                    }
                    for a in actions
                    if a["authority_code"] == code
                ),
                summary=_action_summary(total, as_at),
            )
        )
    return tuple(sorted(out, key=lambda a: (a.name, a.id)))


def _pct_or_x(value: float | None) -> str:
    return "[x]" if f.is_missing(value) else f.pct(value)


def _periods(snapshot: Snapshot, tables: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Per table in the pack, the source periods the manifest recorded (one line per source)."""
    rows = {r["table_name"]: r for r in snapshot.manifest().rows}
    out = []
    for table in tables:
        text = (rows.get(table) or {}).get("source_periods") or ""
        out.append((table, tuple(p.strip() for p in text.split(";") if p.strip())))
    return tuple(out)


def context(snapshot: Snapshot) -> dict[str, Any]:
    tables = snapshot.tables()
    manifest = snapshot.manifest()
    published: datetime | None = manifest.published_at
    sections = []
    lto = long_term_outcomes(snapshot) if LTO in tables else ()
    hwb_views = hwb(snapshot) if HWB in tables else ()
    actions = action_plan(snapshot) if {SUMMARY, ACTIONS} <= tables else ()
    if lto:
        sections.append(("long-term-outcomes", "Long-term outcomes scorecard"))
    if hwb_views:
        sections.append(("health-and-wellbeing", "Health and Wellbeing Board scorecard"))
    if actions:
        sections.append(("action-plan", "Action plan progress"))
    names = sorted({a.name for a in lto} | {v[1] for v in hwb_views} | {a.name for a in actions})
    in_pack = tuple(t for t in (LTO, HWB, SUMMARY, ACTIONS) if t in tables)
    return {
        "pack_date": f.long_date(published.date()) if published else None,
        "pack_published": f.long_datetime(published) if published else None,
        "authority_names": names,
        "sections": tuple(sections),
        "periods": _periods(snapshot, in_pack),
        "lto": lto,
        "hwb_views": hwb_views,
        "actions": actions,
        "pdf_slot": PDF_SLOT,
        "pdf_name": PDF_NAME,
    }


PAGE = Page(
    path=HTML_NAME,
    template="boardpack.html",
    title="Board pack: race equality scorecards and action plan",
    nav_label="Board pack",
    context=context,
    requires=(),
)


# --- the PDF -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardPackResult:
    html: Path
    pdf: Path | None  # None when Chromium is missing
    pages: int | None
    message: str


def find_chromium() -> str | None:
    """The Chromium to print with: $OBSERVATORY_CHROMIUM, else chromium (Debian) or a Chrome."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        return named if shutil.which(named) else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(html: Path, pdf: Path, *, chromium: str, timeout: float = 180) -> None:
    """Print ``html`` (a local file) to ``pdf`` with headless Chromium: the page's CSS sets A4."""
    with tempfile.TemporaryDirectory(prefix="observatory-chromium-") as profile:
        cmd = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf}",
            html.resolve().as_uri(),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        raise RuntimeError(
            f"Chromium could not print {html} (exit {done.returncode}): {done.stderr.strip()[-500:]}"
        )


def pdf_page_count(data: bytes) -> int:
    """Pages in a PDF Chromium wrote (its page objects are plain: /Type /Page)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


def pin_pdf_dates(data: bytes, stamp: datetime | None) -> bytes:
    """Chromium stamps the PDF with the clock; put the publication time there instead (the date
    fields keep their length, so the cross-reference offsets stay right). The PDF is still not
    byte-identical between prints: Chromium numbers its accessibility tags per run; the HTML is."""
    if stamp is None:
        return data
    when = f"D:{stamp:%Y%m%d%H%M%S}".encode()

    def repl(m: re.Match[bytes]) -> bytes:
        return m.group(1) + when + m.group(3)

    return re.sub(rb"(/(?:CreationDate|ModDate)\s*\()(D:\d{14})([^)]*\))", repl, data)


def build_board_pack(site_link: Path, *, published_at: datetime | None = None) -> BoardPackResult:
    """Print the live site's board pack to PDF and link it from the HTML (both in the live build)."""
    root = Path(os.path.realpath(site_link))
    html = root / HTML_NAME
    if not html.is_file():
        raise FileNotFoundError(f"no board pack page in the site at {site_link}: build the site first")
    chromium = find_chromium()
    if chromium is None:
        message = f"Board pack HTML: {html}. No PDF: {HOW_TO_GET_CHROMIUM}"
        log.info(message)  # the caller shows it (CLI: on screen; Dagster: a warning in the run log)
        return BoardPackResult(html=html, pdf=None, pages=None, message=message)
    pdf = root / PDF_NAME
    staging = root / f".{PDF_NAME}.{os.getpid()}.tmp"
    try:
        print_pdf(html, staging, chromium=chromium)
        data = pin_pdf_dates(staging.read_bytes(), published_at)
        staging.write_bytes(data)
        os.chmod(staging, 0o644)
        os.replace(staging, pdf)  # the PDF first, then the link to it: never a link to nothing
    finally:
        staging.unlink(missing_ok=True)
    pages = pdf_page_count(data)
    _link_pdf(html, pages)
    message = f"Board pack: {html} and {pdf} ({pages} pages, A4)"
    log.info(message)
    return BoardPackResult(html=html, pdf=pdf, pages=pages, message=message)


def _link_pdf(html: Path, pages: int) -> None:
    text = html.read_text(encoding="utf-8")
    link = (
        f'<p class="pack-pdf no-print"><a href="{PDF_NAME}" download>'
        f"Download this board pack as a PDF (A4, {pages} page{'s' if pages != 1 else ''})</a></p>"
    )
    if PDF_SLOT not in text:
        return  # linked already (printed before)
    tmp = html.with_name(f".{html.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text.replace(PDF_SLOT, link))
    os.chmod(tmp, 0o644)
    os.replace(tmp, html)


def published_at(snapshot_path: Path) -> datetime | None:
    """When the snapshot was published (the PDF's date)."""
    with Snapshot.open(Path(snapshot_path)) as snapshot:
        return snapshot.manifest().published_at


def board_pack_for(snapshot_path: Path, site_link: Path, *, demo: bool) -> BoardPackResult:
    """The board pack of the live site, building the site first if it has no board pack page."""
    if not (Path(site_link) / HTML_NAME).is_file():
        from observatory.site import build_site

        build_site(snapshot_path, site_link, demo=demo)
    return build_board_pack(site_link, published_at=published_at(snapshot_path))
