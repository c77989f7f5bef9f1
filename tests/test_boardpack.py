"""The board pack: printable HTML in the site and an A4 PDF printed from it by headless Chromium.

On the demo borough (``demo_run``, whose refresh ran the ``published/board_pack`` asset): the PDF
exists, starts each section on a new page, and its text (read back with pypdf) holds the scorecards'
real values and every overdue action. Fast tests on a hand-made snapshot cover the pieces: no
Chromium (HTML kept, message says how to get the PDF), dates pinned, pages counted.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from observatory.site import boardpack
from observatory.site import formatting as f
from observatory.site.boardpack import HTML_NAME, PDF_NAME, PDF_SLOT, find_chromium
from observatory.site.render import environment
from observatory.site.snapshot import Snapshot

SECTIONS = ("Long-term outcomes scorecard", "Health and Wellbeing Board scorecard", "Action plan progress")


def _text(page) -> str:
    """A PDF page's text with ligatures undone and whitespace collapsed."""
    text = page.extract_text() or ""
    for lig, plain in (("\ufb01", "fi"), ("\ufb02", "fl"), ("\ufb00", "ff"), ("\ufb03", "ffi")):
        text = text.replace(lig, plain)
    return re.sub(r"\s+", " ", text).strip()


def _require_chromium() -> None:
    if find_chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing in CI: `make test` installs it with `make chromium`")
        pytest.skip("Chromium is not installed (run `make chromium`): no PDF to check")


@pytest.fixture(scope="module")
def pack(demo_run):
    _require_chromium()
    pypdf = pytest.importorskip("pypdf")
    site = demo_run["paths"].site
    pdf = site / PDF_NAME
    assert pdf.is_file(), "the refresh's published/board_pack asset prints the PDF into the site"
    reader = pypdf.PdfReader(str(pdf))
    return {
        "site": site,
        "snapshot": demo_run["paths"].snapshot,
        "pages": [_text(p) for p in reader.pages],
        "metadata": reader.metadata,
    }


def _rows(snapshot: Path, sql: str) -> list[dict]:
    with Snapshot.open(snapshot) as snap:
        return snap.rows(sql)


def test_the_pdf_starts_each_section_on_a_new_page(pack):
    pages = pack["pages"]
    n = len(pages)
    for i, text in enumerate(pages, start=1):
        assert f"Page {i} of {n}" in text, (i, text[:80])
        assert len(text) > len(f"Page {i} of {n}") + 20, f"page {i} is blank"
    body = [re.sub(r"^Page \d+ of \d+ ", "", t) for t in pages]
    assert "Board pack: race equality scorecards and action plan" in body[0]
    starts = [next(i for i, t in enumerate(body) if t.startswith(s)) for s in SECTIONS]
    assert starts == sorted(starts) and starts[0] >= 1, starts  # the cover first, then in order
    # As many pages as the sections need: the cover, then each section's own run of pages.
    assert n >= 1 + len(SECTIONS)
    assert n == starts[-1] + 1 + sum(1 for t in body[starts[-1] + 1 :] if t), n


def test_the_pdf_is_dated_with_the_periods_caveats_and_synthetic_label(pack):
    cover = pack["pages"][0]
    published = _rows(pack["snapshot"], "select max(published_at) as p from publish.manifest")[0]["p"]
    assert f"Date of this pack {f.long_date(published.date())}" in cover
    assert "Synthetic demo data" in cover
    assert "Periods the data cover" in cover and "Caveats" in " ".join(pack["pages"][:2])
    periods = _rows(
        pack["snapshot"],
        "select source_periods from publish.manifest where table_name = 'action_plan_summary'",
    )[0]["source_periods"]
    assert periods in cover
    assert pack["metadata"]["/CreationDate"].startswith(f"D:{published:%Y%m%d%H%M%S}")


def test_the_pdf_holds_the_scorecards_real_values(pack):
    text = " ".join(pack["pages"])
    hwb = _rows(
        pack["snapshot"],
        "select indicator_name, unit, value, value_symbol, england_value, compared_with_england "
        "from publish.scorecard_hwb",
    )
    assert hwb
    for r in hwb:
        shown = f.pct(r["value"]) if r["unit"] == "%" else f.pct(r["value"]).removesuffix("%")
        assert (r["value_symbol"] and f"[{r['value_symbol']}]" in text) or shown in text, r
    lto = _rows(
        pack["snapshot"],
        "select measure, unit, value, value_symbol, sex from publish.scorecard_long_term_outcomes "
        "where is_overall",
    )
    assert lto
    for r in lto:
        if r["value"] is not None:
            assert boardpack.number(r["value"], r["unit"]) in text, r
    worse = _rows(
        pack["snapshot"],
        "select ethnicity_group, unit, value from publish.scorecard_long_term_outcomes "
        "where compared_with_reference = 'Worse' and value_symbol is null",
    )
    for r in worse:  # every group significantly worse than the reference group is named with its value
        assert f"{r['ethnicity_group']} ({boardpack.number(r['value'], r['unit'])})" in text, r


def test_the_pdf_lists_every_overdue_action(pack):
    text = " ".join(pack["pages"])
    overdue = _rows(
        pack["snapshot"],
        "select distinct action_ref, action_description, days_overdue from publish.action_plan "
        "where is_overdue and coalesce(is_in_latest_update, true)",
    )
    assert overdue, "the demo plan has overdue actions"
    for r in overdue:
        first_words = " ".join(r["action_description"].split()[:3])
        assert f"{r['action_ref']}: {first_words}" in text, r
        assert str(r["days_overdue"]) in text
    total = _rows(
        pack["snapshot"],
        "select actions, overdue from publish.action_plan_summary "
        "where is_latest_update and theme = 'All' and owner = 'All'",
    )[0]
    assert f"Of {total['actions']} actions at" in text
    assert total["overdue"] == len({r["action_ref"] for r in overdue})


def test_the_site_links_the_pdf_only_once_it_exists(pack):
    html = (pack["site"] / HTML_NAME).read_text(encoding="utf-8")
    assert f'href="{PDF_NAME}"' in html and PDF_SLOT not in html


# --- fast: a hand-made snapshot, no pipeline -----------------------------------------------------


def _tiny_snapshot(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema publish")
        con.execute(
            """create table publish.manifest as select * from (values
               ('action_plan_summary', 2::bigint, timestamp '2025-04-02 09:30:00', 'test', 'action_plan: 2024-03-31 to 2025-03-31'),
               ('action_plan', 2::bigint, timestamp '2025-04-02 09:30:00', 'test', 'action_plan: 2024-03-31 to 2025-03-31'))
               t(table_name, row_count, published_at, code_version, source_periods)"""  # noqa: E501
        )
        con.execute(
            """create table publish.action_plan_summary as select * from (values
               ('X09000001', 'Demo Borough', date '2025-03-31', 'Q4 2024/25', true, 'All', 'All',
                3, 0, 1, 0, 1, 1, 1, 0.0, 66.7),
               ('X09000001', 'Demo Borough', date '2025-03-31', 'Q4 2024/25', true, 'Education', 'All',
                3, 0, 1, 0, 1, 1, 1, 0.0, 66.7))
               t(authority_code, authority_name, as_at_date, financial_quarter, is_latest_update, theme,
                 owner, actions, not_started, on_track, at_risk, off_track, complete, overdue,
                 overdue_pct, complete_or_on_track_pct)"""
        )
        con.execute(
            """create table publish.action_plan as select * from (values
               ('X09000001', '5.1', 'Education', '=Publish data by ethnicity', 'Head of Schools',
                date '2024-03-31', 365, 'Off track', 'Red', 70.0, true, true))
               t(authority_code, action_ref, theme, action_description, owner, due_date, days_overdue,
                 latest_status, rag, percent_complete, is_overdue, is_in_latest_update)"""
        )
    return path


def _render_pack(snapshot: Path, out: Path) -> Path:
    with Snapshot.open(snapshot) as snap:
        html = (
            environment()
            .get_template(boardpack.PAGE.template)
            .render(
                **boardpack.context(snap),
                site_name="Race Equality Observatory",
                demo=True,
                published_at=None,
                code_versions=(),
                legend=f.LEGEND,
                symbol_words=f.SYMBOL_WORDS,
                page=boardpack.PAGE,
                root="",
                nav=[],
            )
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / HTML_NAME).write_text(html, encoding="utf-8")
    static = Path(boardpack.__file__).parent / "static"
    shutil.copytree(static, out / "static")
    return out


def test_without_chromium_the_html_stays_and_the_message_says_how(tmp_path, monkeypatch):
    site = _render_pack(_tiny_snapshot(tmp_path / "s.duckdb"), tmp_path / "site")
    monkeypatch.setenv(boardpack.CHROMIUM_ENV, str(tmp_path / "no-such-chromium"))
    assert find_chromium() is None
    result = boardpack.build_board_pack(site)
    assert result.pdf is None and "make chromium" in result.message
    html = (site / HTML_NAME).read_text(encoding="utf-8")
    assert PDF_SLOT in html and PDF_NAME not in html.replace(PDF_SLOT, "")  # no link to a missing PDF
    assert "Action plan progress" in html and "2 April 2025" in html
    assert "5.1: =Publish data by ethnicity" in html  # text, escaped; never run as anything
    assert "Of 3 actions at 31 March 2025: 1 complete, 1 on track, 0 at risk, 1 off track" in html


def test_pdf_dates_are_pinned_and_pages_counted():
    raw = (
        b"%PDF-1.4\n1 0 obj << /Type /Pages /Count 2 >>\n2 0 obj << /Type /Page >>\n"
        b"3 0 obj << /Type /Page >>\n4 0 obj << /CreationDate (D:20991231235959+00'00') "
        b"/ModDate (D:20991231235959+00'00') >>"
    )
    pinned = boardpack.pin_pdf_dates(raw, datetime(2025, 4, 2, 9, 30))
    assert b"(D:20250402093000+00'00')" in pinned and b"2099" not in pinned
    assert len(pinned) == len(raw)  # the xref offsets stay right
    assert boardpack.pdf_page_count(raw) == 2


def test_a_printed_pack_links_its_pdf(tmp_path):
    _require_chromium()
    pypdf = pytest.importorskip("pypdf")
    site = _render_pack(_tiny_snapshot(tmp_path / "s.duckdb"), tmp_path / "site")
    result = boardpack.build_board_pack(site, published_at=datetime(2025, 4, 2, 9, 30))
    assert result.pdf == site / PDF_NAME and result.pages == len(pypdf.PdfReader(str(result.pdf)).pages)
    assert result.pages == 2  # the cover, then the one section held (the action plan) on its own page
    html = (site / HTML_NAME).read_text(encoding="utf-8")
    assert f'href="{PDF_NAME}"' in html and PDF_SLOT not in html
    assert pypdf.PdfReader(str(result.pdf)).metadata["/CreationDate"].startswith("D:20250402093000")
    again = boardpack.build_board_pack(site, published_at=datetime(2025, 4, 2, 9, 30))
    assert again.pages == result.pages  # printing again replaces the PDF; the link is not doubled
    assert (site / HTML_NAME).read_text(encoding="utf-8").count(f'href="{PDF_NAME}"') == 1
