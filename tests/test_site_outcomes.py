"""The outcome pages (education, youth justice, children's social care) and their charts.

Geometry is tested on hand-made points; the pages on the demo borough's real snapshot, comparing
what the page shows with what the snapshot holds (numbers are read from the snapshot, never
typed in here).
"""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from observatory.site.pages import outcomes
from observatory.site.pages.outcomes import LEVELS, formatter, group_label, places_for, slug
from observatory.site.pages.youth_justice import STAGES
from observatory.site.plots import (
    Point,
    Series,
    dot_plot,
    forest_plot,
    funnel_chart,
    log_domain,
    spread_labels,
    trend_chart,
)

PAGES = {
    "education": "education.html",
    "justice": "youth-justice.html",
    "care": "childrens-social-care.html",
}


def _identity(v: float) -> str:
    return f"{v:.1f}"


# --- geometry ----------------------------------------------------------------------------------


def test_forest_interval_crossing_parity_straddles_the_parity_line():
    plot = forest_plot(
        [
            Point("Black", 1.2, 0.8, 1.8, text="1.20 similar"),
            Point("Asian", 2.5, 1.5, 4.0, text="2.50 higher"),
        ],
        chart_id="t",
        title="t",
        desc="d",
        reference_label="White British",
    )
    crossing, above = plot.rows
    assert crossing.lo_x < plot.ref_x < crossing.hi_x
    assert crossing.point_x > plot.ref_x  # 1.2 is right of parity
    assert above.lo_x > plot.ref_x  # the whole interval above 1: significant, and written so
    assert above.text == "2.50 higher"
    assert "higher for this group" in plot.above_label and "lower" in plot.below_label


def test_forest_scale_is_logarithmic_around_parity():
    plot = forest_plot(
        [Point("a", 2.0, 2.0, 2.0, text=""), Point("b", 0.5, 0.5, 0.5, text=""), Point("c", 4.0, 4.0, 4.0)],
        chart_id="t",
        title="t",
        desc="d",
        reference_label="White",
    )
    double, half, four = (r.point_x for r in plot.rows)
    assert math.isclose(double - plot.ref_x, plot.ref_x - half, abs_tol=0.11)  # twice and half: same distance
    assert math.isclose(four - double, double - plot.ref_x, abs_tol=0.11)  # each doubling: same step
    lo, hi, ticks = log_domain([0.3, 3.0])
    assert (lo, hi) == (0.2, 5.0) and 1.0 in ticks
    assert log_domain([])[2] == (0.5, 1.0, 2.0)  # nothing but parity still draws an axis


def test_interval_beyond_the_scale_is_clipped_with_an_arrow():
    plot = forest_plot(
        [Point("tiny group", 6.0, 1.1, 500.0, text="6.00 higher")],
        chart_id="t",
        title="t",
        desc="d",
        reference_label="White",
    )
    (row,) = plot.rows
    assert row.clipped_hi and not row.clipped_lo
    assert row.hi_x == 520.0  # drawn to the plot's edge
    assert row.arrows.startswith("M520.0 ")
    assert row.whisker.count("v10") == 1  # a cap at the low end only


def test_suppressed_groups_get_their_symbol_not_a_mark():
    points = [
        Point("Indian", 11.6, 10.6, 12.7, text="11.6"),
        Point("Gypsy/Roma", None, symbol="c"),
        Point("White - British", 11.6, 11.1, 12.1, text="11.6"),
    ]
    dots = dot_plot(
        points, chart_id="d", title="t", desc="d", axis_title="a", fmt=_identity, reference=("Overall", 11.0)
    )
    assert dots.marks == 2
    suppressed = dots.rows[1]
    assert suppressed.point_x is None and suppressed.text == "[c] confidential"
    assert dots.ticks[0].label == "0" and dots.ref_x is not None  # axis from zero, '.0' dropped
    rri = forest_plot(
        [Point("White - British", None, symbol="z"), Point("Gypsy/Roma", None, symbol="c")],
        chart_id="f",
        title="t",
        desc="d",
        reference_label="White British",
    )
    assert [r.text for r in rri.rows] == ["[z] reference group", "[c] confidential"]
    assert rri.marks == 0


def test_funnel_keeps_stage_order_and_draws_widths_to_scale():
    funnel = funnel_chart(
        [
            ("Applications", 400, "400", None),
            ("Shortlisted", 100, "100", None),
            ("Interviewed", None, "", "c"),
            ("Appointed", 20, "20", None),
        ],
        chart_id="f",
        title="t",
        desc="d",
    )
    labels = [s.label_lines[0] for s in funnel.stages]
    assert labels == ["Applications", "Shortlisted", "Interviewed", "Appointed"]
    ys = [s.bar_y for s in funnel.stages]
    assert ys == sorted(ys)
    widths = [s.bar_width for s in funnel.stages]
    assert widths[2] is None and funnel.stages[2].text == "[c] confidential"
    assert math.isclose(widths[0] / widths[1], 4, rel_tol=0.01) and math.isclose(
        widths[0] / widths[3], 20, rel_tol=0.01
    )
    centres = {round(s.bar_x + s.bar_width / 2, 1) for s in funnel.stages if s.bar_x is not None}
    assert len(centres) == 1  # bars centred on one axis
    assert funnel.marks == 3


def test_trend_lines_break_at_missing_periods_and_end_labels_do_not_overlap():
    periods = ["2021/22", "2022/23", "2023/24"]
    chart = trend_chart(
        periods,
        [
            Series(
                "All pupils",
                (
                    Point("", 10.0, 9, 11, text="10.0"),
                    Point("", 10.5, text="10.5"),
                    Point("", 10.4, text="10.4"),
                ),
            ),
            Series(
                "Black",
                (Point("", 10.1, text="10.1"), Point("", None, symbol="c"), Point("", 10.6, text="10.6")),
            ),
        ],
        chart_id="t",
        title="t",
        desc="d",
        axis_title="a",
        fmt=_identity,
    )
    overall, black = chart.lines
    assert len(overall.paths) == 1 and len(black.paths) == 2  # a gap where the value is withheld
    assert black.end_text == "Black 10.6" and overall.end_text == "All pupils 10.4"
    assert abs(black.end_y - overall.end_y) >= 15
    assert spread_labels([50, 50, 50], 15, 0, 200) == [50, 65, 80]
    assert spread_labels([200, 200], 15, 0, 200) == [185, 200]  # pushed back inside the plot


# --- pages on the demo snapshot -----------------------------------------------------------------


class Svgs(HTMLParser):
    """Every inline SVG's attributes, title, desc and number of marks (dots and bars)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.svgs: list[dict] = []
        self._open = False
        self._part: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.svgs.append({"attrs": dict(attrs), "title": "", "desc": "", "marks": 0})
            self._open = True
        elif self._open and tag in ("title", "desc"):
            self._part = tag
        elif self._open and tag in ("circle", "rect"):
            self.svgs[-1]["marks"] += 1

    def handle_startendtag(self, tag, attrs):
        if self._open and tag in ("circle", "rect"):
            self.svgs[-1]["marks"] += 1

    def handle_endtag(self, tag):
        if tag == "svg":
            self._open = False
        if tag in ("title", "desc"):
            self._part = None

    def handle_data(self, data):
        if self._part:
            self.svgs[-1][self._part] += data


def table_rows(html: str, table_id: str) -> dict[str, list[str]]:
    """Rows of the table whose caption has ``table_id``: {row heading: [cell texts]}."""
    start = html.index(f'id="{table_id}-caption"')
    end = html.index("</table>", start)
    rows = {}
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", html[start:end], re.S):
        cells = [
            " ".join(re.sub(r"<[^>]+>", " ", c).split())
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)
        ]
        if cells:
            rows.setdefault(cells[0].replace(" (reference)", ""), cells[1:])
    return rows


def svgs(html: str) -> list[dict]:
    return Svgs(html).svgs


def _snapshot_rows(snapshot: Path, sql: str, params=()) -> list[dict]:
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        cur = con.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def _latest_level_rows(snapshot: Path, domain: str) -> list[dict]:
    """The latest period's rows by ethnic group at the charted levels, for every indicator of a domain."""
    return _snapshot_rows(
        snapshot,
        """
        select * from publish.outcome_indicators o
        where domain = ? and breakdown = 'ethnicity'
          and period = (select max_by(period, period_end_year) from publish.outcome_indicators i
                        where i.indicator_id = o.indicator_id and i.authority_code = o.authority_code)
        order by authority_code, indicator_id, ethnicity_level, display_order, ethnicity_code
        """,
        [domain],
    )


def _paths(demo_run):
    paths = demo_run["paths"]
    return paths.snapshot, paths.site


def _page_indicators(domain: str) -> set[str]:
    from observatory.site.pages import education, social_care, youth_justice

    module = {"education": education, "justice": youth_justice, "care": social_care}[domain]
    return {spec.id for spec in module.INDICATORS}


@pytest.mark.parametrize("domain", sorted(PAGES))
def test_every_indicator_has_charts_and_a_table(demo_run, domain):
    snapshot, site = _paths(demo_run)
    html = (site / PAGES[domain]).read_text(encoding="utf-8")
    rows = _latest_level_rows(snapshot, domain)
    pairs = {(r["authority_code"], r["indicator_id"]) for r in rows if r["ethnicity_level"] in LEVELS}
    on_page = {(a, i) for a, i in pairs if i in _page_indicators(domain)}
    assert on_page, "the demo snapshot has indicators for this page"
    # the page covers every indicator of its domain except the funnel stages (charted as the funnel)
    stage_ids = {s[0] for s in STAGES}
    assert {i for _, i in pairs} - stage_ids <= _page_indicators(domain)
    with_rri = {
        (r["authority_code"], r["indicator_id"])
        for r in rows
        if r["ethnicity_level"] in LEVELS and r["rri"] is not None and not r["rri_symbol"]
    }
    for code, ind in sorted(on_page):
        base = slug(slug(code), ind)
        assert f'id="dot-{base}-' in html and f'id="table-{base}-' in html, ind
        # a forest plot wherever an RRI is published; an average score (Attainment 8) has none
        assert (f'id="rri-{base}-' in html) == ((code, ind) in with_rri), ind
    for svg in svgs(html):
        assert svg["attrs"]["role"] == "img"
        assert svg["title"].strip() and svg["desc"].strip()
        assert svg["marks"] > 0 or "[c]" in svg["desc"] or "[x]" in svg["desc"] or "No group" in svg["desc"]
    assert len(html.encode("utf-8")) < 1_000_000  # pages stay light enough to load in a second


@pytest.mark.parametrize("domain", sorted(PAGES))
def test_values_and_symbols_in_tables_match_the_snapshot(demo_run, domain):
    snapshot, site = _paths(demo_run)
    html = (site / PAGES[domain]).read_text(encoding="utf-8")
    rows = [r for r in _latest_level_rows(snapshot, domain) if r["indicator_id"] in _page_indicators(domain)]
    all_values = _snapshot_rows(
        snapshot,
        "select indicator_id, list(value) v from publish.outcome_indicators where domain = ? group by 1",
        [domain],
    )
    places = {r["indicator_id"]: places_for(r["v"]) for r in all_values}
    shown = next(
        r for r in rows if r["ethnicity_level"] in LEVELS and r["value"] is not None and not r["value_symbol"]
    )
    fmt = formatter(shown["unit"], places[shown["indicator_id"]])
    table = table_rows(
        html, f"table-{slug(slug(shown['authority_code']), shown['indicator_id'], shown['ethnicity_level'])}"
    )
    assert table[group_label(shown)][0] == fmt(shown["value"])
    assert table[group_label(shown)][1] == f"{fmt(shown['lower_ci'])} to {fmt(shown['upper_ci'])}"

    withheld = [r for r in rows if r["ethnicity_level"] in LEVELS and r["value_symbol"] == "c"]
    assert withheld, "the demo snapshot withholds some cells"
    r = withheld[0]
    table = table_rows(
        html, f"table-{slug(slug(r['authority_code']), r['indicator_id'], r['ethnicity_level'])}"
    )
    cells = table[group_label(r)]
    assert cells[0].startswith("[c]") and not re.search(r"\d", cells[0])
    assert "confidential" in cells[0]  # what a screen reader hears
    assert "<dt>[c]</dt><dd>confidential: withheld so that no one can be identified" in html


@pytest.mark.parametrize("domain", sorted(PAGES))
def test_summary_names_a_significantly_different_group(demo_run, domain):
    snapshot, site = _paths(demo_run)
    html = (site / PAGES[domain]).read_text(encoding="utf-8")
    rows = [
        r
        for r in _latest_level_rows(snapshot, domain)
        if r["indicator_id"] in _page_indicators(domain) and r["ethnicity_level"] in LEVELS
    ]
    higher = [r for r in rows if r["is_rri_significant"] and not r["rri_symbol"] and r["rri"] > 1]
    assert higher, "the demo snapshot has significant differences"
    top = max(higher, key=lambda r: (r["rri"], r["ethnicity_code"]))
    view_id = slug(slug(top["authority_code"]), top["indicator_id"], top["ethnicity_level"])
    start = html.index(f'<h4 id="{view_id}">')
    summary = re.search(r'<p class="summary">(.*?)</p>', html[start:], re.S).group(1)
    text = summary.replace("&#39;", "'").replace("&amp;", "&")
    assert "significantly higher for " + group_label(top) in text
    assert f"{top['rri']:.2f}"[:3] in text  # its RRI, to two places, in words


def test_youth_justice_funnel_counts_and_stage_rris(demo_run):
    snapshot, site = _paths(demo_run)
    html = (site / "youth-justice.html").read_text(encoding="utf-8")
    stage_ids = [s[0] for s in STAGES]
    latest = _snapshot_rows(
        snapshot,
        "select authority_code, max_by(period, period_end_year) p from publish.outcome_indicators "
        "where indicator_id = ? group by 1 order by 1",
        [stage_ids[0]],
    )
    code, period = latest[0]["authority_code"], latest[0]["p"]
    totals = {
        r["indicator_id"]: r
        for r in _snapshot_rows(
            snapshot,
            "select * from publish.outcome_indicators where authority_code = ? and period = ?"
            " and breakdown = 'total'",
            [code, period],
        )
        if r["indicator_id"] in stage_ids
    }
    funnel = table_rows(html, f"table-{slug(code)}-funnel")
    for sid, label, *_ in STAGES:
        r = totals[sid]
        expected = "[c]" if r["value_symbol"] == "c" else f"{r['numerator']:,.0f}"
        assert funnel[label][0].startswith(expected), (label, funnel[label])
    stages_svg = [s for s in svgs(html) if "Children at each stage" in s["title"]]
    assert len(stages_svg) == 1 and stages_svg[0]["marks"] >= 1
    order = [
        html.index(label + "</tspan>", html.index(f'id="{slug(code)}-funnel-title"'))
        for _, label, *_ in STAGES
    ]
    assert order == sorted(order)  # stages drawn in funnel order

    # the RRI at each stage, as the snapshot has it, for a group with a computed RRI
    rows = _snapshot_rows(
        snapshot,
        "select * from publish.outcome_indicators where authority_code = ? and period = ?"
        " and breakdown = 'ethnicity' and ethnicity_level = 'major' and rri is not null"
        " and rri_symbol is null order by indicator_id, display_order",
        [code, period],
    )
    rows = [r for r in rows if r["indicator_id"] in stage_ids]
    assert rows
    r = rows[0]
    stage_table = table_rows(html, slug("table-stages", slug(code), "funnel", "major"))
    word = ("higher" if r["rri"] > 1 else "lower") if r["is_rri_significant"] else "similar"
    cell = stage_table[group_label(r)][stage_ids.index(r["indicator_id"])]
    assert cell == f"{outcomes.rri_text(r['rri'])} {word}"


def test_outcome_pages_are_deterministic(demo_run):
    from observatory.site.pages import education, social_care, youth_justice
    from observatory.site.snapshot import Snapshot

    snapshot, _ = _paths(demo_run)
    with Snapshot.open(snapshot) as snap:
        for module in (education, youth_justice, social_care):
            assert module.context(snap) == module.context(snap), module.__name__
