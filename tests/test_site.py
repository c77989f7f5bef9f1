"""The board site: built from a small fixture snapshot, checked with the stdlib HTML parser."""

from __future__ import annotations

import csv
import os
import threading
import urllib.error
import urllib.request
from datetime import date, datetime
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

import duckdb
import pytest
from observatory.site import build_site
from observatory.site import formatting as f
from observatory.site.charts import nice_domain
from observatory.site.publish import BUILDS_DIRNAME, tree_digest
from observatory.site.server import make_server

BANNER = "Synthetic demo data — not a real council"
DEMO = "X09000001"
OTHER = "X09000002"

PAY_GAP_DDL = """
create table publish.pay_gap (
    authority_code varchar, authority_name varchar, snapshot_date date, reporting_year varchar,
    ethnicity_level varchar, ethnicity_group varchar, display_order integer,
    comparator_group varchar, is_comparator boolean,
    relevant_headcount integer, headcount_symbol varchar, full_pay_relevant_headcount integer,
    full_pay_headcount_symbol varchar,
    mean_hourly_pay double, median_hourly_pay double, pay_symbol varchar,
    mean_hourly_gap_pct double, median_hourly_gap_pct double, gap_symbol varchar,
    bonus_recipient_pct double, mean_bonus_gap_pct double, median_bonus_gap_pct double,
    bonus_symbol varchar
)
"""
MANIFEST_DDL = """
create table publish.manifest (
    table_name varchar, row_count bigint, published_at timestamp, code_version varchar,
    source_periods varchar
)
"""


def _group(level, group, order, *, headcount=None, pay=None, gap=None, bonus=None, sym=None):
    """One pay_gap row; sym='c' suppresses everything, sym='z' marks the comparator."""
    comparator = sym == "z"
    suppressed = sym == "c"
    return {
        "ethnicity_level": level,
        "ethnicity_group": group,
        "display_order": order,
        "comparator_group": "White British",
        "is_comparator": comparator,
        "relevant_headcount": None if suppressed else headcount,
        "headcount_symbol": "c" if suppressed else None,
        "full_pay_relevant_headcount": None if suppressed else headcount - 3,
        "full_pay_headcount_symbol": "c" if suppressed else None,
        "mean_hourly_pay": None if suppressed else pay,
        "median_hourly_pay": None if suppressed else pay - 0.5,
        "pay_symbol": "c" if suppressed else None,
        "mean_hourly_gap_pct": None if sym else gap + 0.7,
        "median_hourly_gap_pct": None if sym else gap,
        "gap_symbol": sym,
        "bonus_recipient_pct": None if suppressed else bonus,
        "mean_bonus_gap_pct": None if sym else 4.25,
        "median_bonus_gap_pct": None if sym else 3.5,
        "bonus_symbol": sym,
    }


def _snapshot_rows(code, name, snap, year, shift):
    detailed = [
        _group("detailed", "White British", 1, headcount=1234, pay=18.0, bonus=40.0, sym="z"),
        _group("detailed", "Indian", 2, headcount=150, pay=18.6, gap=-3.4 + shift, bonus=38.0),
        _group("detailed", "Black African", 3, headcount=90, pay=15.3, gap=15.2 + shift, bonus=21),
        _group("detailed", "Black Caribbean", 4, headcount=60, pay=16.1, gap=8.1, bonus=30.0),
        _group("detailed", "Bangladeshi", 5, sym="c"),
        _group(
            "detailed",
            "Any other Mixed or multiple ethnic background",
            6,
            headcount=12,
            pay=17.2,
            gap=4.0,
            bonus=25.0,
        ),
    ]
    major = [
        _group("major", "White British", 1, headcount=1234, pay=18.0, bonus=40.0, sym="z"),
        _group("major", "Asian", 2, headcount=170, pay=18.1, gap=-0.5, bonus=37.0),
        _group("major", "Black", 3, headcount=150, pay=15.6, gap=12.9, bonus=24.0),
        _group("major", "Other ethnic group", 4, sym="c"),
    ]
    binary = [
        _group("minority_binary", "White British", 1, headcount=1234, pay=18, bonus=40, sym="z"),
        _group("minority_binary", "Ethnic minorities", 2, headcount=400, pay=16.7, gap=7.3, bonus=30),
    ]
    rows = detailed + major + binary
    for r in rows:
        r.update(authority_code=code, authority_name=name, snapshot_date=snap, reporting_year=year)
    return rows


def write_fixture_snapshot(path: Path) -> Path:
    rows = (
        _snapshot_rows(DEMO, "Demo Borough Council", date(2024, 3, 31), "2023/24", 1.0)
        + _snapshot_rows(DEMO, "Demo Borough Council", date(2025, 3, 31), "2024/25", 0.0)
        + [
            r
            for r in _snapshot_rows(OTHER, "Another Demo Council", date(2025, 3, 31), "2024/25", 0)
            if r["ethnicity_level"] == "minority_binary"
        ]
    )
    con = duckdb.connect(str(path))
    con.execute("create schema publish")
    con.execute(PAY_GAP_DDL)
    con.execute(MANIFEST_DDL)
    columns = [d[0] for d in con.execute("select * from publish.pay_gap limit 0").description]
    con.executemany(
        f"insert into publish.pay_gap values ({', '.join('?' for _ in columns)})",
        [[r[c] for c in columns] for r in rows],
    )
    con.execute(
        "insert into publish.manifest values (?, ?, ?, ?, ?)",
        [
            "pay_gap",
            len(rows),
            datetime(2025, 4, 2, 9, 30),
            "abc1234",
            "hr_payroll: 2022-03-31 to 2025-03-31",
        ],
    )
    con.close()
    return path


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> Path:
    return write_fixture_snapshot(tmp_path_factory.mktemp("snapshot") / "observatory.duckdb")


@pytest.fixture(scope="module")
def site(snapshot, tmp_path_factory) -> Path:
    """One demo build shared by the read-only page tests."""
    link = tmp_path_factory.mktemp("data") / "site"
    build_site(snapshot, link, demo=True)
    return link


# --- a tiny DOM-less HTML checker -------------------------------------------------------------


class Page(HTMLParser):
    """Collects what the accessibility and content checks need from one HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[tuple[int, str]] = []
        self.text_parts: list[str] = []
        self.tables: list[dict] = []
        self.svgs: list[dict] = []
        self._heading: list[str] | None = None
        self.feed(html)
        self.close()

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self._heading = []
        if tag == "table":
            self.tables.append({"caption": None, "th": [], "body_rows": 0, "cells": []})
        if tag == "caption":
            self.tables[-1]["caption"] = ""
        if tag == "th" and self.tables:
            self.tables[-1]["th"].append(a.get("scope"))
        if tag == "tr" and "tbody" in self.stack:
            self.tables[-1]["body_rows"] += 1
        if tag == "svg":
            self.svgs.append({"attrs": a, "title": "", "desc": "", "rects": 0})
        if tag == "rect" and "svg" in self.stack:
            self.svgs[-1]["rects"] += 1
        if tag not in {"meta", "link", "br", "img", "input", "line", "rect", "hr"}:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "rect" and "svg" in self.stack:
            self.svgs[-1]["rects"] += 1

    def handle_endtag(self, tag):
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"} and self._heading is not None:
            self.headings.append((int(tag[1]), " ".join("".join(self._heading).split())))
            self._heading = None
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        self.text_parts.append(data)
        if self._heading is not None:
            self._heading.append(data)
        if self.stack and self.stack[-1] == "caption":
            self.tables[-1]["caption"] += data
        if "td" in self.stack and self.tables:
            self.tables[-1]["cells"].append(data)
        if self.stack and self.stack[-1] in {"title", "desc"} and "svg" in self.stack:
            self.svgs[-1][self.stack[-1]] += data


def read(site: Path, name: str) -> Page:
    return Page((site / name).read_text(encoding="utf-8"))


def all_html(site: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(site.glob("*.html"))}


# --- pages ----------------------------------------------------------------------------------


def test_pages_downloads_and_static_exist(site):
    assert site.is_symlink()
    for name in ("index.html", "pay-gap.html", "downloads/pay_gap.csv", "static/site.css"):
        assert (site / name).is_file(), name


def test_every_page_has_the_synthetic_banner(site):
    for name, html in all_html(site).items():
        assert BANNER in Page(html).text, name


def test_no_banner_without_demo(snapshot, tmp_path):
    link = tmp_path / "site"
    build_site(snapshot, link, demo=False)
    for html in all_html(link).values():
        assert BANNER not in html


@pytest.mark.parametrize("name", ["index.html", "pay-gap.html"])
def test_page_structure_is_accessible(site, name):
    page = read(site, name)
    html_tag = next(a for t, a in page.tags if t == "html")
    assert html_tag["lang"] == "en-GB"
    tags = [t for t, _ in page.tags]
    for landmark in ("header", "nav", "main", "footer"):
        assert tags.count(landmark) == 1, landmark
    first_link = next(a for t, a in page.tags if t == "a")
    assert first_link["href"] == "#main"  # skip link comes first
    assert any(t == "main" and a.get("id") == "main" for t, a in page.tags)
    levels = [level for level, _ in page.headings]
    assert levels.count(1) == 1 and levels[0] == 1
    assert all(b - a <= 1 for a, b in pairwise(levels)), levels
    # The one script is the site's own filters (progressive enhancement: pages are complete without it).
    scripts = [a.get("src", "") for t, a in page.tags if t == "script"]
    assert all(src.endswith("static/filters.js") for src in scripts), scripts
    for tag, attrs in page.tags:  # nothing is fetched from elsewhere
        for attr in ("src", "href"):
            value = attrs.get(attr) or ""
            assert not value.startswith(("http:", "https:", "//")), (tag, value)
    for table in page.tables:
        assert table["caption"], table
        assert table["th"] and all(scope in ("col", "row") for scope in table["th"])
        assert table["body_rows"] > 0


def test_pay_gap_page_content(site):
    page = read(site, "pay-gap.html")
    headings = [text for _, text in page.headings]
    # Levels in the required order, detailed first.
    demo = headings.index("Demo Borough Council, 2024/25")
    assert headings[demo + 1 : demo + 4] == [
        "Detailed ethnic groups",
        "Broad ethnic groups",
        "White British and ethnic minorities",
    ]
    assert "Change over time" in headings
    assert "Black African staff's median hourly pay was 15.2% lower than White British" in page.text
    assert "Indian" in page.text and "\u22123.4%" in page.text  # a negative gap, true minus
    assert "£15.30" in page.text and "1,234" in page.text
    # a positive gap is explained in words, not left to the chart
    assert "A positive gap means the group is paid less than White British staff" in page.text


def test_symbols_and_legend_under_every_table(site):
    html = (site / "pay-gap.html").read_text(encoding="utf-8")
    page = Page(html)
    cells = [c for t in page.tables for c in t["cells"]]
    assert "[c]" in cells and "[z]" in cells
    assert "not applicable" in cells  # what a screen reader hears instead of [z]
    assert html.count('class="legend"') == len(page.tables)
    assert "confidential: fewer than the minimum number of staff" in page.text
    assert "not applicable: comparator group" in page.text
    # the comparator's own bonus receipt rate is a real figure, not hidden by its 'z'
    assert "40.0%" in cells
    links = [a["href"] for t, a in page.tags if t == "a" and "pay_gap.csv" in a.get("href", "")]
    assert len(links) >= len(page.tables)


def test_charts_are_labelled_svg(site):
    page = read(site, "pay-gap.html")
    # 3 levels for the demo council + 1 for the other authority
    assert len(page.svgs) == 4
    for svg in page.svgs:
        assert svg["attrs"]["role"] == "img"
        assert svg["title"].startswith("Median hourly pay gap")
        assert "positive gap" in svg["desc"]
        labelled = svg["attrs"]["aria-labelledby"].split()
        assert all(x.endswith(s) for x, s in zip(labelled, ("-title", "-desc"), strict=True))
    detailed = page.svgs[1]
    assert "Bangladeshi: [c]" in detailed["desc"]
    # 4 published gaps get bars; comparator and suppressed group get a symbol instead
    assert detailed["rects"] == 4


def test_index_headline_and_periods(site):
    page = read(site, "index.html")
    assert "Headline: the largest median pay gaps" in page.text
    assert "Black African staff's median hourly pay was 15.2% lower" in page.text
    assert "Ethnic minorities staff's median hourly pay was 7.3% lower" in page.text
    assert "hr_payroll: 2022-03-31 to 2025-03-31" in page.text
    assert "2 April 2025 at 09:30" in page.text
    assert any(t == "a" and a.get("href") == "pay-gap.html" for t, a in page.tags)


def test_csv_download_has_every_row(site, snapshot):
    with (site / "downloads" / "pay_gap.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    con = duckdb.connect(str(snapshot), read_only=True)
    expected = con.execute("select count(*) from publish.pay_gap").fetchone()[0]
    con.close()
    assert len(rows) == expected
    suppressed = next(r for r in rows if r["ethnicity_group"] == "Bangladeshi")
    assert suppressed["median_hourly_gap_pct"] == "" and suppressed["gap_symbol"] == "c"


# --- determinism and publication ---------------------------------------------------------------


def test_same_snapshot_gives_identical_site(snapshot, tmp_path):
    first = build_site(snapshot, tmp_path / "a" / "site", demo=True)
    second = build_site(snapshot, tmp_path / "b" / "site", demo=True)
    assert first.name != second.name
    assert tree_digest(first) == tree_digest(second)


def test_swap_keeps_live_and_previous_build_only(snapshot, tmp_path):
    link = tmp_path / "site"
    builds = [build_site(snapshot, link, demo=True) for _ in range(3)]
    assert len({b.name for b in builds}) == 3  # build ids never collide
    assert link.is_symlink() and link.resolve() == builds[-1].resolve()
    assert not os.path.isabs(os.readlink(link))  # relative: the data dir can move
    kept = sorted(p.name for p in (tmp_path / BUILDS_DIRNAME).iterdir() if p.is_dir())
    assert kept == sorted(b.name for b in builds[-2:])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site")]  # no temp links


def test_real_directory_is_replaced_safely(snapshot, tmp_path):
    link = tmp_path / "site"
    link.mkdir()
    (link / "index.html").write_text("old layout")
    build = build_site(snapshot, link, demo=True)
    assert link.is_symlink() and link.resolve() == build.resolve()
    legacy = [p for p in (tmp_path / BUILDS_DIRNAME).iterdir() if p.name.endswith("-legacy")]
    assert [(p / "index.html").read_text() for p in legacy] == ["old layout"]  # kept for rollback


def test_failed_build_leaves_live_site_alone(snapshot, tmp_path, monkeypatch):
    link = tmp_path / "site"
    live = build_site(snapshot, link, demo=True)

    def fail_half_way(snap, out, *, demo):
        (out / "index.html").write_text("half a site")
        raise RuntimeError("render failed")

    with monkeypatch.context() as m:
        m.setattr("observatory.site.render_site", fail_half_way)
        with pytest.raises(RuntimeError):
            build_site(snapshot, link, demo=True)
    with pytest.raises(FileNotFoundError):
        build_site(tmp_path / "missing.duckdb", link, demo=True)
    not_published = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(not_published)).close()  # no publish.manifest: not a snapshot
    with pytest.raises(ValueError, match="not a published snapshot"):
        build_site(not_published, link, demo=True)
    assert link.resolve() == live.resolve()
    assert [p.name for p in (tmp_path / BUILDS_DIRNAME).iterdir() if p.is_dir()] == [live.name]


def test_pages_whose_tables_are_missing_are_skipped(tmp_path):
    older = tmp_path / "older.duckdb"
    con = duckdb.connect(str(older))
    con.execute("create schema publish")
    con.execute(MANIFEST_DDL)
    con.close()
    build = build_site(older, tmp_path / "site", demo=False)
    assert (build / "index.html").is_file() and not (build / "pay-gap.html").exists()
    page = read(build, "index.html")
    assert "No ethnicity pay gap figures have been published yet." in page.text
    assert not any(a.get("href") == "pay-gap.html" for t, a in page.tags if t == "a")


# --- server -------------------------------------------------------------------------------------


def _get(base: str, path: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(base + path, timeout=5) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], ""


def test_server_serves_the_live_build_and_follows_swaps(snapshot, tmp_path):
    link = tmp_path / "site"
    server = make_server(link, port=0)
    host, port = server.server_address[:2]
    assert host == "127.0.0.1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://{host}:{port}"
    try:
        assert _get(base, "/")[0] == 503  # not built yet
        build_site(snapshot, link, demo=True)
        status, ctype, body = _get(base, "/")
        assert status == 200 and ctype == "text/html; charset=utf-8" and BANNER in body
        assert _get(base, "/static/site.css")[1] == "text/css; charset=utf-8"
        assert _get(base, "/downloads/pay_gap.csv")[1] == "text/csv; charset=utf-8"
        assert _get(base, "/static/")[0] == 404  # no directory listings
        assert _get(base, "/../site-builds/")[0] == 404
        build_site(snapshot, link, demo=False)  # swap: the next request sees the new build
        assert BANNER not in _get(base, "/index.html")[2]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- formatting ---------------------------------------------------------------------------------


def test_uk_number_formatting():
    assert f.pounds(1234.5) == "£1,234.50"
    assert f.pct(15.44) == "15.4%"
    assert f.pct(4.25) == "4.3%"  # half up, as readers expect
    assert f.pct(-3.45) == "\u22123.5%"
    assert f.pct(-0.04) == "0.0%"
    assert f.count(12345) == "12,345"
    assert f.long_date(date(2025, 3, 31)) == "31 March 2025"
    assert f.cell(None, "c", f.pct).text == "[c]"
    assert f.cell(12.0, "c", f.pct).text == "[c]"  # confidential always wins
    assert f.cell(None, None, f.pct).text == "[x]"


def test_chart_domain_includes_zero_and_rounds_out():
    assert nice_domain([15.2, -3.4]) == (-5.0, 20.0, 5.0)
    assert nice_domain([]) == (0.0, 10.0, 2.0)
    lo, hi, _ = nice_domain([-45.0])
    assert lo <= -45 and hi == 0


def test_a_streamed_query_gives_every_row_in_order_while_other_queries_run(tmp_path):
    """Pages work through the outcome table an authority at a time (Snapshot.stream: a batch of rows
    as Python objects, not gigabytes at England scale); asking the snapshot something else meanwhile
    must not cut the stream short."""
    from observatory.site.pages.outcomes import by_authority
    from observatory.site.snapshot import Snapshot

    path = tmp_path / "observatory.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema publish")
        con.execute("create table publish.manifest as select 'outcome_indicators' as table_name, now() as x")
        con.execute(
            "create table publish.outcome_indicators as select 'E0' || (i % 7) as authority_code, i "
            "from range(1000) t(i)"
        )
    ordered = "select * from publish.outcome_indicators order by authority_code, i"
    with Snapshot.open(path) as snap:
        seen = []
        for row in snap.stream(ordered, batch=64):
            seen.append(row)
            if len(seen) % 100 == 0:
                assert snap.tables() >= {"manifest", "outcome_indicators"}
        assert seen == snap.rows(ordered)
        groups = list(by_authority(iter(seen)))
    assert [code for code, _ in groups] == [f"E0{n}" for n in range(7)]
    assert sum(len(rows) for _, rows in groups) == 1000
    assert all(r["authority_code"] == code for code, rows in groups for r in rows)
