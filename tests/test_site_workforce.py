"""Board site: workforce, pay gap (quartiles, by sex), action plan and data quality pages.

Page tests read the demo borough's published snapshot (session fixture ``demo_run``) and check the
figures on the pages against the snapshot itself; edge cases (a stale and a missing source, an action
due soon) are planted in a copy of that snapshot.
"""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from observatory.site import build_site
from observatory.site import formatting as f
from observatory.site.pages import action_plan, data_quality
from observatory.site.pages.action_plan import ref_key
from observatory.site.pages.workforce import ratio_text


class Tables(HTMLParser):
    """Every table on a page: caption, and per body row its row header and cell texts; page text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self.text_parts: list[str] = []
        self._in: list[str] = []
        self._cell: list[str] | None = None
        self.svgs = 0
        self.feed(html)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.svgs += 1
        if tag == "table":
            self.tables.append({"caption": "", "rows": [], "attrs": []})
        elif tag == "tr" and self.tables and "tbody" in self._in:
            self.tables[-1]["rows"].append([])
            self.tables[-1]["attrs"].append(dict(attrs))
        elif tag in ("th", "td") and self.tables and "tbody" in self._in:
            self._cell = []
        if tag in ("table", "tbody", "caption", "th", "td", "tr"):
            self._in.append(tag)

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None and self.tables and self.tables[-1]["rows"]:
            self.tables[-1]["rows"][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag in self._in:
            while self._in.pop() != tag:
                pass

    def handle_data(self, data):
        self.text_parts.append(data)
        if self._in and self._in[-1] == "caption":
            self.tables[-1]["caption"] += data
        if self._cell is not None:
            self._cell.append(data)

    def table(self, caption_start: str) -> dict:
        found = [t for t in self.tables if t["caption"].strip().startswith(caption_start)]
        assert found, f"no table captioned {caption_start!r}: {[t['caption'] for t in self.tables]}"
        return found[0]


def read(site: Path, name: str) -> Tables:
    return Tables((site / name).read_text(encoding="utf-8"))


def query(snapshot: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def snapshot(demo_run) -> Path:
    return demo_run["paths"].snapshot


@pytest.fixture(scope="module")
def site(demo_run) -> Path:
    """The site the pipeline built from that snapshot."""
    return demo_run["paths"].site


def build_one(snapshot: Path, out: Path, page_module, monkeypatch) -> Path:
    """Build the site with one page only (a planted snapshot need not pay for every page's downloads)."""
    monkeypatch.setattr("observatory.site.render.all_pages", lambda: (page_module.PAGE,))
    return build_site(snapshot, out, demo=True)


# --- workforce ----------------------------------------------------------------------------------


def test_top5_target_progress_equals_the_snapshot(site, snapshot):
    page = read(site, "workforce.html")
    rows = query(
        snapshot,
        "select reporting_year, minority_share_pct, target_pct, gap_to_target_pp,"
        " top_earners_ethnic_minority, is_target_met from publish.top_earners order by snapshot_date",
    )
    year, share, target, gap, minority, met = rows[-1]
    assert f"Progress to the top 5% target, {year}" in page.text
    summary = f"In {year}, {f.pct(share)} of the top 5% of earners of known ethnicity"
    assert summary in page.text
    assert f"{f.pct(target)} target" in page.text
    if not met:
        assert f"{f._fixed(abs(gap), 1)} percentage points below the {f.pct(target)} target" in page.text
    table = page.table("Ethnic minority share of the top 5% of earners")
    assert [r[0] for r in table["rows"]] == [r[0] for r in rows]  # every year, oldest first
    latest = table["rows"][-1]
    assert latest[2] == f.count(minority) and latest[3] == f.pct(share) and latest[5] == f.pct(target)


def test_workforce_figures_are_the_snapshots(site, snapshot):
    page = read(site, "workforce.html")
    (band, share, population), *_ = query(
        snapshot,
        "select grade_band, share_pct, population_share_pct from publish.workforce_representation"
        " where is_senior and ethnicity_code = 'EM'"
        " and snapshot_date = (select max(snapshot_date) from publish.workforce_representation)",
    )
    assert f"{f.pct(share)} of staff of known ethnicity in {band} were from ethnic minorities" in page.text
    assert f"{f.pct(population)} of working-age residents" in page.text

    (year, ratio, lo, hi, reading), *_ = query(
        snapshot,
        "select reporting_year, ratio, ratio_lower_ci, ratio_upper_ci, reading"
        " from publish.workforce_relative_likelihood where measure = 'appointed_from_shortlisting'"
        " and ethnicity_code = 'EM' and financial_year = (select max(financial_year)"
        " from publish.workforce_relative_likelihood)",
    )
    table = page.table(
        f"Relative likelihoods against White British staff: White British and ethnic minorities, {year}"
    )
    row = next(r for r in table["rows"] if r[0].startswith("Appointed from shortlisting"))
    assert row[3:5] == [ratio_text(ratio), f"{ratio_text(lo)} to {ratio_text(hi)}"]
    assert row[-1] == reading  # the reading in words beside the number
    funnel = page.table(f"Recruitment by ethnic group: White British and ethnic minorities, {year}")
    assert [r[0] for r in funnel["rows"]] == ["White British (reference)", "Ethnic minorities"]

    (declared,) = query(
        snapshot,
        "select declared_pct from publish.workforce_declaration where is_all_directorates"
        " order by snapshot_date desc limit 1",
    )[0]
    assert f"{f.pct(declared)} of staff had declared their ethnicity" in page.text
    # a suppressed relative likelihood shows its symbol, never a number
    suppressed = query(
        snapshot,
        "select count(*) from publish.workforce_relative_likelihood where ratio_symbol = 'c'"
        " and financial_year = (select max(financial_year) from publish.workforce_relative_likelihood)",
    )[0][0]
    if suppressed:
        cells = [c for t in page.tables for r in t["rows"] for c in r]
        assert any(c == "[c]confidential" for c in cells)  # the symbol, and what a screen reader says


def test_pay_gap_page_has_quartiles_and_gender_gap(site, snapshot):
    page = read(site, "pay-gap.html")
    quartiles = query(
        snapshot,
        "select quartile, share_of_quartile_pct from publish.pay_quartiles"
        " where ethnicity_group = 'Ethnic minorities'"
        " and snapshot_date = (select max(snapshot_date) from publish.pay_quartiles) order by quartile",
    )
    table = page.table("Share of each pay quartile: White British and ethnic minorities")
    em = next(r for r in table["rows"] if r[0] == "Ethnic minorities")
    assert em[1:] == [f.pct(v) for _, v in quartiles]
    (gap,) = query(
        snapshot,
        "select median_hourly_gap_pct from publish.pay_gap_by_sex where dimension = 'sex' and sex = 'Female'"
        " and snapshot_date = (select max(snapshot_date) from publish.pay_gap_by_sex)",
    )[0]
    assert f"Women's median hourly pay was {f.pct(abs(gap))}" in page.text


# --- action plan --------------------------------------------------------------------------------


def _actions_needing_attention(snapshot: Path) -> list[str]:
    rows = query(
        snapshot,
        "select distinct action_ref, is_overdue, days_overdue, is_due_soon, days_until_due"
        " from publish.action_plan where is_overdue or is_due_soon",
    )
    overdue = sorted((r for r in rows if r[1]), key=lambda r: (-r[2], ref_key(r[0])))
    soon = sorted((r for r in rows if not r[1]), key=lambda r: (r[4], ref_key(r[0])))
    return [r[0] for r in overdue + soon]


def test_overdue_actions_are_listed_first_and_match_the_table(site, snapshot):
    page = read(site, "action-plan.html")
    expected = _actions_needing_attention(snapshot)
    assert expected, "the demo plan has overdue actions"
    attention = page.table("Actions overdue or due soon")
    assert [r[0] for r in attention["rows"]] == expected
    every = page.table("Every action in the plan")
    refs = [r[0] for r in every["rows"]]
    assert refs[: len(expected)] == expected
    (count,) = query(snapshot, "select count(distinct action_ref) from publish.action_plan")[0]
    assert len(refs) == len(set(refs)) == count
    # each row carries what the filters need, and its status word is printed
    statuses = dict(query(snapshot, "select distinct action_ref, latest_status from publish.action_plan"))
    for attrs, row in zip(every["attrs"], every["rows"], strict=True):
        assert attrs["data-status"] == statuses[row[0]] and statuses[row[0]] in row[6]
        assert attrs["data-theme"] and attrs["data-owner"]
    total, overdue = query(
        snapshot,
        "select actions, overdue from publish.action_plan_summary where is_latest_update and theme = 'All'"
        " and owner = 'All'",
    )[0]
    if overdue:
        assert f"{overdue} of the {total} actions {'is' if overdue == 1 else 'are'} overdue" in page.text


def test_linked_indicator_values_are_shown_beside_overdue_actions(site, snapshot):
    page = read(site, "action-plan.html")
    attention = page.table("Actions overdue or due soon")
    rows = query(
        snapshot,
        "select action_ref, indicator_name, indicator_unit, group_value, group_value_symbol, targeted_group"
        " from publish.action_plan where is_overdue and indicator_id is not null"
        " and targeted_group is not null",
    )
    by_ref = {r[0]: r[-1] for r in attention["rows"]}
    for ref, name, unit, value, symbol, group in rows:
        text = by_ref[ref]
        assert f"{name}, {group}" in text
        if symbol == "c":
            assert "[c]" in text
        elif value is not None and unit == "%":
            assert f.pct(value) in text


def test_an_action_due_soon_comes_after_overdue_ones(snapshot, tmp_path, monkeypatch):
    planted = tmp_path / "observatory.duckdb"
    shutil.copyfile(snapshot, planted)
    con = duckdb.connect(str(planted))
    ref = con.execute(
        "select action_ref from publish.action_plan where not is_overdue and not is_complete"
        " and not is_ongoing order by action_ref limit 1"
    ).fetchone()
    if ref is None:  # every open action is overdue or on-going: plant on a complete one
        ref = con.execute(
            "select action_ref from publish.action_plan where is_complete order by action_ref limit 1"
        ).fetchone()
    con.execute(
        "update publish.action_plan set is_due_soon = true, days_until_due = 12, is_complete = false,"
        " latest_status = 'At risk', rag = 'Amber' where action_ref = ?",
        [ref[0]],
    )
    con.close()
    page = read(build_one(planted, tmp_path / "site", action_plan, monkeypatch), "action-plan.html")
    attention = [r[0] for r in page.table("Actions overdue or due soon")["rows"]]
    assert attention[-1] == ref[0] and attention == _actions_needing_attention(planted)
    row = next(r for r in page.table("Every action in the plan")["rows"] if r[0] == ref[0])
    assert row[5] == "Due soon: in 12 days" and "At risk" in row[6] and "(Amber)" in row[6]


# --- data quality -------------------------------------------------------------------------------


def test_data_quality_rows_equal_the_table(site, snapshot):
    page = read(site, "data-quality.html")
    (count,) = query(snapshot, "select count(*) from publish.data_quality")[0]
    every = page.table("Records received, loaded and quarantined")
    assert len(every["rows"]) == count
    loaded, quarantined = query(
        snapshot, "select sum(rows_loaded), sum(rows_quarantined) from publish.data_quality"
    )[0]
    assert f"{f.count(loaded)} records loaded and {f.count(quarantined)} quarantined" in page.text
    sources = {r[0] for r in query(snapshot, "select distinct source_name from publish.data_quality")}
    assert {r[0] for r in page.table("Freshness of each source")["rows"]} == sources


def test_stale_and_missing_sources_are_named_first_in_words(snapshot, tmp_path, monkeypatch):
    planted = tmp_path / "observatory.duckdb"
    shutil.copyfile(snapshot, planted)
    con = duckdb.connect(str(planted))
    con.execute(
        "update publish.data_quality set is_stale = true, status = 'stale', days_since_latest_extract = 500"
        " where source_name = 'hr_training'"
    )
    con.execute(
        "update publish.data_quality set rows_quarantined = 7, rows_in = rows_in + 7,"
        " status = 'rows quarantined',"
        " top_quarantine_rules = 'ethnicity not allowed (7)'"
        " where source_name = 'cla' and period_end = (select max(period_end) from publish.data_quality"
        " where source_name = 'cla')"
    )
    con.execute(  # a second authority that has sent no payroll
        "insert into publish.data_quality by name select 'X09000002' as authority_code,"
        " 'Another (synthetic)' as authority_name, source_name, source_title, domain, 0 as files,"
        " 0 as rows_in, 0 as rows_loaded, 0 as rows_quarantined, 'x' as ethnicity_unknown_share_symbol,"
        " 'x' as unmapped_ethnicity_values_symbol, 'x' as unmapped_ethnicity_rows_symbol, cadence_days,"
        " true as is_stale, 'missing' as status, as_at_date from publish.data_quality"
        " where source_name = 'hr_payroll' limit 1"
    )
    (count,) = con.execute("select count(*) from publish.data_quality").fetchone()
    con.close()
    build = build_one(planted, tmp_path / "site", data_quality, monkeypatch)
    page = read(build, "data-quality.html")
    fresh = page.table("Freshness of each source")["rows"]
    assert [r[0] for r in fresh[:2]] == ["hr_payroll", "hr_training"]  # stale and missing first
    assert fresh[0][2] == "Another (synthetic)" and fresh[0][-1].startswith(
        "Missing: nothing has been received"
    )
    assert fresh[1][-1].startswith("Stale: the latest extract is 500 days old")
    assert "2 are stale or missing: hr_payroll (Another (synthetic)); hr_training (" in page.text
    assert len(page.table("Records received, loaded and quarantined")["rows"]) == count
    html = (build / "data-quality.html").read_text(encoding="utf-8")
    assert 'data-filter="authority"' in html  # several authorities: an authority filter
    row = next(
        r
        for r in page.table("Records received, loaded and quarantined")["rows"]
        if r[0].startswith("cla:") and r[5] == "7"
    )
    assert "ethnicity not allowed (7)" in row and row[-1] == "Rows quarantined"
