"""The overview, the two scorecard pages and the methods page of the board site.

Fast tests build the site from tiny hand-made snapshots (two of them, differing in planted values, for
"what changed"); the demo tests read the real seed-7 snapshot the session's pipeline run published.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from observatory.site import build_site
from observatory.site import formatting as f
from observatory.site.pages import hwb, long_term_outcomes, methods
from observatory.site.pages import scorecards as sc
from observatory.site.publish import tree_digest

AUTH = "X09000001"
LTO_DDL = """create table publish.scorecard_long_term_outcomes (
authority_code varchar, authority_name varchar, framework_order integer, outcome_area varchar,
outcome varchar, measure varchar, data_type varchar, indicator_id varchar, source_table varchar,
indicator_name varchar, unit varchar, polarity varchar, period varchar, period_end_year integer,
grade_band varchar, band_order integer, sex varchar, ethnicity_level varchar, ethnicity_code varchar,
ethnicity_group varchar, display_order integer, is_overall boolean, is_reference_group boolean,
value double, lower_ci double, upper_ci double, value_symbol varchar, overall_value double,
gap_to_overall double, compared_with_overall varchar, is_gap_to_overall_significant boolean,
gap_to_overall_symbol varchar, reference_group varchar, gap_to_reference double,
gap_to_reference_lower_ci double, gap_to_reference_upper_ci double, rri double, rri_lower_ci double,
rri_upper_ci double, compared_with_reference varchar, is_gap_to_reference_significant boolean,
gap_to_reference_symbol varchar, trend varchar, london_value double, compared_with_london varchar,
england_value double, compared_with_england varchar, neighbours_value double, neighbours_count integer,
compared_with_neighbours varchar, benchmark_symbol varchar, population_share_pct double,
compared_with_population varchar, unknown_ethnicity_pct double, note varchar,
unknown_ethnicity_symbol varchar)"""
HWB_DDL = """create table publish.scorecard_hwb (
authority_code varchar, authority_name varchar, domain varchar, indicator_id varchar,
indicator_name varchar, fingertips_indicator_id integer, unit varchar, polarity varchar, sex varchar,
period varchar, period_end_year integer, numerator double, denominator double, value double,
lower_ci double, upper_ci double, value_symbol varchar, value_note varchar, london_value double,
compared_with_london varchar, england_value double, compared_with_england varchar,
england_comparison_colour varchar, neighbours_value double, compared_with_neighbours varchar,
trend varchar, unknown_ethnicity_pct double, gap_ethnicity_level varchar, gap_groups_compared integer,
gap_highest_group varchar, gap_highest_value double, gap_lowest_group varchar, gap_lowest_value double,
largest_gap double, largest_gap_ratio double, is_largest_gap_significant boolean,
largest_gap_symbol varchar, largest_gap_reading varchar, unknown_ethnicity_symbol varchar)"""
MANIFEST_DDL = """create table publish.manifest (
table_name varchar, row_count bigint, published_at timestamp, code_version varchar,
source_periods varchar)"""


def _lto(order, group, value, *, code=None, overall=False, ref=False, word="Similar", sig=False,
         sym=None, period="2024/25", note=None, **extra) -> dict[str, Any]:  # fmt: skip
    row = {
        "authority_code": AUTH,
        "authority_name": "Testshire (synthetic)",
        "framework_order": order,
        "outcome_area": "Every child" if order < 40 else "Fairer safer",
        "outcome": "Early years" if order == 10 else "Employment",
        "measure": "Good level of development" if order == 10 else "Employment rate",
        "data_type": "success",
        "indicator_id": "edu_gld_pct" if order == 10 else "res_employment_rate_pct",
        "source_table": "outcome_indicators" if order == 10 else None,
        "indicator_name": "Good level of development" if order == 10 else None,
        "unit": "%" if order == 10 else None,
        "polarity": "high_is_good",
        "period": period,
        "sex": "All",
        "ethnicity_level": "all" if overall else "dfe_main",
        "ethnicity_code": code or group,
        "ethnicity_group": group,
        "display_order": 0 if overall else 10000 + len(group),
        "is_overall": overall,
        "is_reference_group": ref,
        "value": value,
        "lower_ci": None if value is None else value - 2.5,
        "upper_ci": None if value is None else value + 2.5,
        "value_symbol": sym,
        "gap_to_overall": None if overall or value is None else value - 67.0,
        "compared_with_overall": None if overall or value is None else word,
        "reference_group": None if overall else "WBRI",
        "gap_to_reference": None if overall or ref or value is None else value - 70.4,
        "rri": None if overall or ref or value is None else value / 70.4,
        "compared_with_reference": None if overall or ref or value is None else word,
        "is_gap_to_reference_significant": None if overall or ref or value is None else sig,
        "gap_to_reference_symbol": "z" if ref else sym,
        "trend": "No significant change",
        "compared_with_england": "Not compared",
        "benchmark_symbol": "x",
        "note": note,
    }
    row.update(extra)
    return row


def lto_rows(*, somali_word="Worse", pakistani_sym=None) -> list[dict[str, Any]]:
    return [
        _lto(10, "All", 67.0, overall=True, code="all", unknown_ethnicity_pct=2.3),
        _lto(10, "White - British", 70.4, code="WBRI", ref=True),
        _lto(10, "Black - Somali", 50.0, code="BSOM", word=somali_word, sig=somali_word == "Worse"),
        _lto(10, "Black Caribbean", 64.7, code="BCRB"),
        _lto(
            10,
            "Pakistani",
            None if pakistani_sym else 57.3,
            code="APKN",
            word="Worse",
            sig=True,
            sym=pakistani_sym,
        ),
        _lto(
            40,
            "All",
            None,
            overall=True,
            code="all",
            sym="x",
            period=None,
            note="Not held. Data needed: employment rate by ethnic group from the APS.",
        ),
    ]


def hwb_rows(*, england_word="Worse") -> list[dict[str, Any]]:
    return [
        {
            "authority_code": AUTH,
            "authority_name": "Testshire (synthetic)",
            "domain": "health",
            "indicator_id": "hwb_school_readiness_pct",
            "indicator_name": "School readiness",
            "unit": "%",
            "polarity": "high_is_good",
            "sex": "All",
            "period": "2024/25",
            "numerator": 2980.0,
            "denominator": 4447.0,
            "value": 67.0115,
            "lower_ci": 65.6154,
            "upper_ci": 68.3781,
            "london_value": 68.4785,
            "compared_with_london": "Worse",
            "england_value": 68.7547,
            "compared_with_england": england_word,
            "trend": "Increasing and getting better",
            "gap_ethnicity_level": "census2021",
            "gap_groups_compared": 14,
            "gap_highest_group": "Indian",
            "gap_highest_value": 76.0,
            "gap_lowest_group": "Roma",
            "gap_lowest_value": 50.0,
            "largest_gap": 26.0,
            "largest_gap_ratio": 1.52,
            "is_largest_gap_significant": True,
            "largest_gap_reading": "Indian 76.0 vs Roma 50.0 (%): a gap of 26.0, significant",
        },
        {
            "authority_code": AUTH,
            "authority_name": "Testshire (synthetic)",
            "domain": "health",
            "indicator_id": "hwb_life_expectancy",
            "indicator_name": "Life expectancy at birth",
            "unit": "years",
            "polarity": "high_is_good",
            "sex": "Female",
            "period": "2022 - 24",
            "value": 84.6643,
            "lower_ci": 84.05,
            "upper_ci": 85.2785,
            "compared_with_england": "Better",
            "england_value": 83.6937,
            "trend": "Cannot be calculated",
            "largest_gap_symbol": "x",
        },
    ]


def _insert(con, table: str, rows: list[dict[str, Any]]) -> None:
    columns = [d[0] for d in con.execute(f"select * from publish.{table} limit 0").description]
    con.executemany(
        f"insert into publish.{table} values ({', '.join('?' for _ in columns)})",
        [[r.get(c) for c in columns] for r in rows],
    )


def write_snapshot(path: Path, lto: list[dict], hwb_: list[dict], published: datetime) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema publish")
    for ddl in (LTO_DDL, HWB_DDL, MANIFEST_DDL):
        con.execute(ddl)
    _insert(con, "scorecard_long_term_outcomes", lto)
    _insert(con, "scorecard_hwb", hwb_)
    for table, n in (("scorecard_long_term_outcomes", len(lto)), ("scorecard_hwb", len(hwb_))):
        con.execute(
            "insert into publish.manifest values (?, ?, ?, ?, ?)",
            [table, n, published, "abc1234", "eyfsp: 2020/21 to 2024/25; fingertips: 2016 - 18 to 2024/25"],
        )
    con.close()
    return path


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory) -> tuple[Path, Path]:
    """(previous, current): Black - Somali moved from Similar to Worse, Pakistani newly suppressed,
    school readiness from Similar to Worse than England, and a new period in the HWB table."""
    root = tmp_path_factory.mktemp("scorecards")
    previous_hwb = hwb_rows(england_word="Similar")
    previous_hwb[1]["period"] = "2021 - 23"
    previous = write_snapshot(
        root / "observatory.previous.duckdb",
        lto_rows(somali_word="Similar"),
        previous_hwb,
        datetime(2025, 1, 5, 2, 0),
    )
    current = write_snapshot(
        root / "observatory.duckdb", lto_rows(pakistani_sym="c"), hwb_rows(), datetime(2025, 4, 2, 2, 0)
    )
    return previous, current


@pytest.fixture(scope="module")
def small_site(snapshots, tmp_path_factory) -> Path:
    previous, current = snapshots
    link = tmp_path_factory.mktemp("small") / "site"
    build_site(current, link, demo=True, previous=previous)
    return link


def text_of(fragment: str) -> str:
    """Visible text: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def comparison_cells(page: str) -> list[tuple[str, str]]:
    """(css modifier, text) of every comparison cell or badge."""
    cells = re.findall(r'<td class="cmp cmp-([a-z-]+)">(.*?)</td>', page, flags=re.S)
    cells += re.findall(r'<span class="cmp cmp-([a-z-]+) cmp-badge">(.*?)</span>', page, flags=re.S)
    return [(css, text_of(inner)) for css, inner in cells]


def section(page: str, anchor_id: str, end: str = "<h4") -> str:
    start = page.index(f'id="{anchor_id}"')
    stop = page.find(end, start + 1)
    return page[start : stop if stop != -1 else len(page)]


def row_of(fragment: str, header: str) -> str:
    """The table row whose header cell is ``header`` (a tag or a note may follow it)."""
    match = re.search(
        r'<tr[^>]*>\s*<th scope="row">' + re.escape(html.escape(header)) + r"(?=</th>|\s*<span).*?</tr>",
        fragment,
        re.S,
    )
    assert match, header
    return match.group(0)


# --- fast tests: hand-made snapshots -------------------------------------------------------------


def test_what_changed_finds_the_planted_changes(small_site):
    page = (small_site / "index.html").read_text(encoding="utf-8")
    changed = text_of(section(page, "what-changed", "<h2"))
    assert "5 January 2025 at 02:00" in changed  # when the previous snapshot was published
    assert "Black - Somali compared with the reference group Similar Worse" in changed
    assert "Pakistani figure published [c] confidential" in changed
    assert "School readiness Everyone compared with England Similar Worse" in changed
    assert "scorecard_hwb : 2022 - 24" in changed  # the new period
    # the Pakistani row's comparison words changed too, but the suppression explains them: listed once
    assert changed.count("Pakistani") == 1
    assert "4 figures newly suppressed, newly published or compared differently" in changed
    assert "Black - Somali compared with the authority overall Similar Worse" in changed


def test_what_changed_without_previous_or_without_changes(snapshots, tmp_path):
    _, current = snapshots
    first = build_site(current, tmp_path / "a" / "site", demo=True, previous=tmp_path / "missing.duckdb")
    assert "no earlier published snapshot to compare with" in text_of((first / "index.html").read_text())
    same = build_site(current, tmp_path / "b" / "site", demo=True, previous=current)
    text = text_of((same / "index.html").read_text())
    assert "Nothing changed in the published figures since the previous publication" in text


def test_headline_gaps_on_the_overview(small_site):
    page = (small_site / "index.html").read_text(encoding="utf-8")
    text = text_of(page)
    assert "Black - Somali: 50.0% against 70.4% for White - British (worse)" in text
    assert "No data is held yet for: Employment rate" in text
    assert "School readiness , 2024/25: 67.0% against 68.8% for England (worse)" in text
    assert "Headline: the largest median pay gaps" in text  # kept, even with no pay gap published
    for href in ("long-term-outcomes.html", "health-and-wellbeing.html", "methods.html"):
        assert f'href="{href}"' in page


def test_comparison_words_are_printed_in_every_coloured_cell(small_site):
    words = {style[0]: word for word, style in sc.COMPARISON_STYLES.items()}
    for name in ("long-term-outcomes.html", "health-and-wellbeing.html", "index.html"):
        cells = comparison_cells((small_site / name).read_text(encoding="utf-8"))
        assert cells, name
        for css, text in cells:
            if css == "not-compared" and text.endswith("Reference group"):
                continue
            assert text.endswith(words[css]), (name, css, text)


def test_comparison_colours_meet_contrast_and_match_the_css():
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    css = (Path(sc.__file__).parents[1] / "static" / "scorecards.css").read_text(encoding="utf-8")
    for word, (modifier, background, text) in sc.COMPARISON_STYLES.items():
        light, dark = sorted((luminance(background), luminance(text)), reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 4.5, word
        rule = re.search(r"\.cmp-" + modifier + r" \{([^}]*)\}", css)
        assert rule, modifier
        assert f"background: {background}" in rule.group(1) and f"color: {text}" in rule.group(1)
    # Better and Worse are not the red and green colour-blind readers confuse
    assert sc.COMPARISON_STYLES["Better"][1] != "#92d050" and sc.COMPARISON_STYLES["Worse"][1] != "#c00000"


def test_scorecard_pages_from_a_small_snapshot(small_site):
    lto = (small_site / "long-term-outcomes.html").read_text(encoding="utf-8")
    measure = section(lto, long_term_outcomes.slug(AUTH, 10, "edu_gld_pct"))
    somali = text_of(row_of(measure, "Black - Somali"))
    assert "50.0% (47.5 to 52.5)" in somali and "Worse" in somali and "0.71" in somali
    assert "[c]" in text_of(row_of(measure, "Pakistani"))
    assert "Reference group" in text_of(row_of(measure, "White - British"))
    missing = text_of(section(lto, long_term_outcomes.slug(AUTH, 40, "res_employment_rate_pct")))
    assert "Not available" in missing and "employment rate by ethnic group from the APS" in missing
    assert "<svg" in measure and "Black - Somali: 50.0% (47.5 to 52.5)" in measure  # chart + its desc
    page = (small_site / "health-and-wellbeing.html").read_text(encoding="utf-8")
    readiness = text_of(row_of(page, "School readiness"))
    for expected in ("67.0% (65.6 to 68.4)", "2,980 of 4,447", "68.5%", "68.8%", "Worse"):
        assert expected in readiness, expected
    assert "\u2191" in readiness and "Increasing and getting better" in readiness
    assert "Indian 76.0% against Roma 50.0%: a gap of 26.0 percentage points" in readiness
    assert "Significant" in readiness
    life = text_of(row_of(page, "Life expectancy at birth (female)"))
    assert "84.7 (84.1 to 85.3)" in life and "Better" in life and "No breakdown by ethnic group" in life
    for name in ("scorecard_long_term_outcomes", "scorecard_hwb"):
        assert (small_site / "downloads" / f"{name}.csv").is_file()


def test_a_withheld_unknown_share_shows_as_confidential_not_as_missing(tmp_path):
    """Disclosure control can withhold the unknown-ethnicity share (publish.outcome_indicators):
    both scorecards then say [c], not [x] or nothing."""
    lto, hwb_ = lto_rows(), hwb_rows()
    lto[0].update(unknown_ethnicity_pct=None, unknown_ethnicity_symbol="c")
    hwb_[0].update(unknown_ethnicity_pct=None, unknown_ethnicity_symbol="c")
    site = tmp_path / "site"
    build_site(
        write_snapshot(tmp_path / "observatory.duckdb", lto, hwb_, datetime(2025, 4, 2, 2, 0)),
        site,
        demo=True,
    )
    page = (site / "long-term-outcomes.html").read_text(encoding="utf-8")
    overall = text_of(
        section(page, f"{long_term_outcomes.slug(AUTH, 10, 'edu_gld_pct')}-overall-caption", "</table>")
    )
    assert overall.endswith("Not compared [c]")  # the last cell: ethnicity not known
    readiness = text_of(
        row_of((site / "health-and-wellbeing.html").read_text(encoding="utf-8"), "School readiness")
    )
    assert "ethnicity not known for [c]" in readiness


def test_methods_page_lists_every_symbol(small_site):
    page = (small_site / "methods.html").read_text(encoding="utf-8")
    symbols = text_of(section(page, "symbols", "<h2"))
    for code in [*f.SYMBOLS, *methods.SYMBOLS]:
        assert f"[{code}]" in symbols, code
    text = text_of(page)
    k = methods.dbt_vars()["disclosure_min_count"]
    assert f"fewer than {k} people" in text
    assert "White British" in text and "Relative rate index" in text and "Confidence interval" in text
    assert "2020/21 to 2024/25" in text  # a source's periods from the manifest


def test_same_snapshots_give_identical_pages(snapshots, tmp_path):
    previous, current = snapshots
    a = build_site(current, tmp_path / "a" / "site", demo=True, previous=previous)
    b = build_site(current, tmp_path / "b" / "site", demo=True, previous=previous)
    assert tree_digest(a) == tree_digest(b)


# --- the demo borough (seed 7), through the whole pipeline --------------------------------------


def _demo(demo_run) -> tuple[Path, duckdb.DuckDBPyConnection]:
    paths = demo_run["paths"]
    return paths.site, duckdb.connect(str(paths.snapshot), read_only=True)


def _rows(con, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def test_demo_every_framework_measure_has_its_row(demo_run):
    site, con = _demo(demo_run)
    rows = _rows(con, "select * from publish.scorecard_long_term_outcomes")
    con.close()
    page = (site / "long-term-outcomes.html").read_text(encoding="utf-8")
    measures = {(r["authority_code"], r["framework_order"], r["indicator_id"]): r for r in rows}
    assert len(measures) >= 12  # the framework shipped has twelve measures
    for (code, order, indicator), r in measures.items():
        mid = long_term_outcomes.slug(code, order, indicator)
        assert f'href="#{mid}"' in page, mid  # its row in the scorecard at a glance
        fragment = text_of(section(page, mid))
        assert html.unescape(r["measure"]) in fragment
        if r["value_symbol"] == "x" and r["value"] is None and r["note"]:
            assert "Not available" in fragment and r["note"][:60] in fragment
    for r in rows:  # every published overall value and every group's value is on the page
        if r["value"] is None or r["source_table"] == "workforce_representation":
            continue
        fragment = section(
            page, long_term_outcomes.slug(r["authority_code"], r["framework_order"], r["indicator_id"])
        )
        label = (
            r["ethnicity_group"] if not r["is_overall"] else ("Everyone" if r["sex"] == "All" else r["sex"])
        )
        cells = text_of(row_of(fragment, label))
        assert sc.number(r["value"], r["unit"]) in cells, (r["measure"], label)
        if not r["is_overall"] and not r["is_reference_group"] and r["compared_with_reference"]:
            assert r["compared_with_reference"] in cells, (r["measure"], label)


def test_demo_workforce_measure_compares_bands_with_residents(demo_run):
    site, con = _demo(demo_run)
    rows = _rows(
        con,
        "select * from publish.scorecard_long_term_outcomes where source_table = 'workforce_representation'"
        " and ethnicity_level = 'minority_binary' order by band_order",
    )
    con.close()
    assert rows
    page = (site / "long-term-outcomes.html").read_text(encoding="utf-8")
    cells = text_of(row_of(page, "Ethnic minorities"))
    for r in rows:
        if r["value"] is not None:
            assert f"{f.pct(r['value'])} {r['compared_with_population']}" in cells, r["grade_band"]


def test_demo_hwb_scorecard_values_and_words(demo_run):
    site, con = _demo(demo_run)
    rows = _rows(con, "select * from publish.scorecard_hwb")
    con.close()
    page = (site / "health-and-wellbeing.html").read_text(encoding="utf-8")
    assert rows
    for r in rows:
        label = r["indicator_name"] + (f" ({r['sex'].lower()})" if r["sex"] != "All" else "")
        cells = text_of(row_of(page, label))
        if r["value"] is not None:
            assert sc.value_cell(r["value"], r["value_symbol"], r["unit"]).text in cells, label
        assert sc.comparison(r["compared_with_england"]).word in cells, label
        assert r["trend"] in cells and sc.trend(r["trend"]).arrow in cells, label
        if r["largest_gap"] is not None:
            assert r["gap_highest_group"] in cells and r["gap_lowest_group"] in cells, label
            word = "Significant" if r["is_largest_gap_significant"] else "Not significant"
            assert word in cells, label


def test_demo_overview_headlines_are_the_largest_significant_gaps(demo_run):
    site, con = _demo(demo_run)
    rows = _rows(con, "select * from publish.scorecard_long_term_outcomes")
    con.close()
    text = text_of((site / "index.html").read_text(encoding="utf-8"))
    measures = sorted({(r["framework_order"], r["indicator_id"]) for r in rows})
    found = 0
    for order, indicator in measures:
        m_rows = [r for r in rows if r["framework_order"] == order and r["indicator_id"] == indicator]
        top = long_term_outcomes.significant_gaps(m_rows)
        if top and top[0]["source_table"] != "workforce_representation":
            reference = long_term_outcomes._reference_name([r for r in m_rows if not r["is_overall"]])
            assert long_term_outcomes.gap_sentence(m_rows, top[0], reference) in text, indicator
            found += 1
    assert found > 0  # the demo borough has planted gaps
    assert "What changed since the previous publication" in text
    assert "Headline: the largest median pay gaps" in text


def test_demo_methods_page_and_downloads(demo_run):
    site, con = _demo(demo_run)
    sources = [r["source_name"] for r in _rows(con, "select distinct source_name from publish.data_quality")]
    con.close()
    text = text_of((site / "methods.html").read_text(encoding="utf-8"))
    for code in f.SYMBOLS:
        assert f"[{code}]" in text
    for source in sources:
        assert source in text, source
    for table in (long_term_outcomes.TABLE, hwb.TABLE):
        assert (site / "downloads" / f"{table}.csv").is_file()
