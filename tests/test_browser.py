"""The board site in a real browser: Debian's Chromium driven headless by Python playwright.

The demo borough's site (the session's ``demo_run``) is served by ``site.server.make_server`` on a
free localhost port. Every page in the nav is visited once (``visits``): with JavaScript, recording
console errors, requests leaving localhost (aborted), load time, a full-page screenshot and an axe-core
WCAG 2.x A/AA check; and without JavaScript, where every chart and table must be complete. The tests
then assert on what was recorded. Screenshots and timings go to tests/screenshots/ (git-ignored).

Chromium is never downloaded: playwright launches /usr/bin/chromium (`make chromium` installs it).
Outside CI the tests skip when Chromium is missing; in CI they fail instead.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from observatory.site import boardpack
from observatory.site.boardpack import CHROMIUM_FLAGS, HTML_NAME, PDF_NAME, find_chromium
from observatory.site.server import make_server

SCREENSHOTS = Path(__file__).parent / "screenshots"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
SHAPES = "rect, circle, ellipse, line, path, polyline, polygon"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
FILTERS_JS = Path(boardpack.__file__).parent / "static" / "filters.js"


def launch_args() -> list[str]:
    """Chromium flags from the stack notes, less the ones playwright sets itself."""
    return [f for f in CHROMIUM_FLAGS if f not in ("--headless", "--no-pdf-header-footer")]


@pytest.fixture(scope="module")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing in CI: `make test` installs it with `make chromium`")
        pytest.skip("Chromium is not installed (run `make chromium`): browser tests skipped")
    return path


@pytest.fixture(scope="module")
def browser(chromium_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, headless=True, args=launch_args())
        yield b
        b.close()


@pytest.fixture(scope="module")
def base_url(demo_run):
    """The demo site served as readers get it: the real server, on a free localhost port."""
    server = make_server(demo_run["paths"].site, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@dataclass
class Visit:
    path: str
    label: str
    seconds: float = 0.0  # navigation start to the load event, from the browser's timing
    console_errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)  # requests that would have left localhost
    charts: list[dict] = field(default_factory=list)  # without JavaScript: every chart shown
    tables: list[dict] = field(default_factory=list)
    visible_charts: list[dict] = field(default_factory=list)  # with JavaScript, after filters
    violations: list[dict] = field(default_factory=list)
    h1: list[str] = field(default_factory=list)
    screenshot: Path | None = None


def _guard(context, visit: Visit) -> None:
    """Record and abort every request that would leave localhost."""

    def handle(route):
        url = route.request.url
        if urlparse(url).hostname in LOCAL_HOSTS or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            visit.external.append(url)
            route.abort()

    context.route("**/*", handle)


CHART_JS = f"""els => els.map(e => {{
  const r = e.getBoundingClientRect();
  return {{id: e.id || e.getAttribute('aria-labelledby') || '', width: r.width, height: r.height,
          shapes: e.querySelectorAll('{SHAPES}').length}};
}})"""
TABLE_JS = """els => els.map(t => ({
  caption: t.caption ? t.caption.textContent.trim() : '',
  rows: t.querySelectorAll('tbody tr').length,
}))"""


def _nav(browser, base_url: str) -> list[tuple[str, str]]:
    page = browser.new_page()
    page.goto(base_url + "index.html")
    links = page.eval_on_selector_all(
        "nav[aria-label='Main'] a", "els => els.map(a => [a.getAttribute('href'), a.textContent.trim()])"
    )
    page.close()
    return [(href, label) for href, label in links]


@pytest.fixture(scope="module")
def visits(browser, base_url) -> list[Visit]:
    from axe_playwright_python.sync_playwright import Axe

    SCREENSHOTS.mkdir(exist_ok=True)
    axe = Axe()
    out = []
    for href, label in _nav(browser, base_url):
        visit = Visit(path=href, label=label)
        url = urljoin(base_url, href)

        # Without JavaScript: the page must be complete (every chart drawn, every table filled).
        plain = browser.new_context(java_script_enabled=False)
        _guard(plain, visit)
        page = plain.new_page()
        page.goto(url, wait_until="load")
        visit.charts = page.eval_on_selector_all("svg.chart, svg[role='img']", CHART_JS)
        visit.tables = page.eval_on_selector_all("table", TABLE_JS)
        plain.close()

        # With JavaScript, as readers see it.
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        _guard(context, visit)
        page = context.new_page()
        page.on("console", lambda m, v=visit: v.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e, v=visit: v.console_errors.append(str(e)))
        page.goto(url, wait_until="load")
        visit.seconds = page.evaluate(
            "() => { const n = performance.getEntriesByType('navigation')[0];"
            " return (n.loadEventEnd - n.startTime) / 1000; }"
        )
        visit.h1 = page.eval_on_selector_all("h1", "els => els.map(e => e.textContent.trim())")
        visit.visible_charts = [
            c for c in page.eval_on_selector_all("svg.chart, svg[role='img']", CHART_JS) if c["width"]
        ]
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
        visit.violations = [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": len(v["nodes"]),
                "targets": [n["target"] for n in v["nodes"][:3]],
            }
            for v in results.response["violations"]
        ]
        name = re.sub(r"[^a-z0-9]+", "-", href.lower().removesuffix(".html")).strip("-") or "index"
        visit.screenshot = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(visit.screenshot), full_page=True)
        context.close()
        out.append(visit)

    (SCREENSHOTS / "timings.json").write_text(
        json.dumps({v.path: round(v.seconds, 3) for v in out}, indent=2, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    (SCREENSHOTS / "accessibility.json").write_text(
        json.dumps({v.path: v.violations for v in out}, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return out


def test_the_nav_lists_the_pages_and_each_has_one_h1(visits):
    paths = [v.path for v in visits]
    assert "index.html" in paths and HTML_NAME in paths, paths
    assert len(paths) == len(set(paths)) >= 5
    for v in visits:
        assert len(v.h1) == 1, (v.path, v.h1)


def test_no_console_errors_and_nothing_leaves_localhost(visits):
    errors = {v.path: v.console_errors for v in visits if v.console_errors}
    external = {v.path: v.external for v in visits if v.external}
    assert not errors, errors
    assert not external, external


def test_charts_render_without_javascript_and_with_it(visits):
    assert any(v.charts for v in visits), "no page has a chart"
    for v in visits:
        for chart in v.charts:
            assert chart["width"] > 0 and chart["height"] > 0, (v.path, chart)
            assert chart["shapes"] > 0, (v.path, chart)
        for chart in v.visible_charts:
            assert chart["height"] > 0 and chart["shapes"] > 0, (v.path, chart)
        if v.charts:  # filters may hide some charts, never all of them
            assert v.visible_charts, v.path


def test_every_table_has_rows(visits):
    assert sum(len(v.tables) for v in visits) > 0
    for v in visits:
        for table in v.tables:
            assert table["caption"], (v.path, table)
            assert table["rows"] > 0, (v.path, table)


def test_no_wcag_a_or_aa_violations(visits):
    """axe-core (bundled in axe-playwright-python, run offline) on every page, WCAG 2.0-2.2 A and AA."""
    found = {v.path: v.violations for v in visits if v.violations}
    assert not found, json.dumps(found, indent=1)


def test_the_accessibility_check_finds_violations_when_there_are_some(browser):
    """The same axe run on a page with known faults reports them (the check is live, and offline)."""
    from axe_playwright_python.sync_playwright import Axe

    page = browser.new_page()
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><h1>t</h1>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        "<label>Period</label><select><option>2024/25</option></select>"
        '<p style="color:#bbb;background:#fff">faint text</p></main></body></html>'
    )
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    page.close()
    found = {v["id"] for v in results.response["violations"]}
    assert {"image-alt", "select-name", "color-contrast"} <= found, found


def test_screenshots_and_timings_are_saved(visits):
    for v in visits:
        assert v.screenshot is not None and v.screenshot.stat().st_size > 1000, v.path
    timings = json.loads((SCREENSHOTS / "timings.json").read_text(encoding="utf-8"))
    assert set(timings) == {v.path for v in visits}
    assert all(t > 0 for t in timings.values())  # recorded, not asserted against a budget


def test_keyboard_reaches_the_skip_link_first_and_focus_is_visible(browser, base_url):
    page = browser.new_page()
    page.goto(base_url + "index.html")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => { const e = document.activeElement; const s = getComputedStyle(e);
        const r = e.getBoundingClientRect();
        return {cls: e.className, href: e.getAttribute('href'), focusVisible: e.matches(':focus-visible'),
                outline: s.outlineStyle, outlineWidth: s.outlineWidth, shadow: s.boxShadow,
                top: r.top, height: r.height}; }"""
    )
    assert focused["href"] == "#main" and "skip-link" in focused["cls"], focused
    assert focused["focusVisible"], focused
    assert focused["outline"] != "none" or focused["shadow"] != "none", focused
    assert focused["top"] >= 0 and focused["height"] > 0, focused  # moved on screen when focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    page.close()


def _visible_count(page) -> int:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('main *')).filter(e =>
             Array.from(e.attributes).some(a => a.name.startsWith('data-') && a.name !== 'data-filter'
               && a.name !== 'data-filters' && a.name !== 'data-filtered-out')
             && e.getClientRects().length > 0).length"""
    )


def test_a_filter_change_changes_what_is_shown(browser, base_url, visits):
    """On every page with filters: the form is shown, and choosing another value changes what is visible
    and what the live region says."""
    checked = 0
    for v in visits:
        page = browser.new_page()
        page.goto(urljoin(base_url, v.path))
        selects = page.locator("form[data-filters] select[data-filter]")
        if selects.count() == 0:
            page.close()
            continue
        assert page.locator("form[data-filters]").first.is_visible(), v.path
        for i in range(selects.count()):
            select = selects.nth(i)
            values = select.evaluate("s => Array.from(s.options).map(o => o.value)")
            current = select.input_value()
            other = next((x for x in values if x != current), None)
            if other is None:
                continue
            status = page.locator(".filter-status").first
            before_count, before_status = _visible_count(page), status.text_content()
            select.select_option(other)
            after_count, after_status = _visible_count(page), status.text_content()
            assert after_status.startswith("Showing "), (v.path, after_status)
            if after_count != before_count or after_status != before_status:
                checked += 1
                break
        page.close()
    if not checked:
        pytest.skip("no page in the nav has a filter with more than one value yet")


def test_filters_js_hides_what_does_not_match(browser):
    """The filter script on a hand-made page: contract of observatory/site/filters.py."""
    page = browser.new_page()
    page.set_content(
        """<form class="filters" id="f" data-filters hidden><fieldset><legend>Filter</legend>
        <label for="f-period">Period</label>
        <select id="f-period" data-filter="period"><option value="">All</option>
          <option value="2023/24">2023/24</option><option value="2024/25" selected>2024/25</option></select>
        <label for="f-authority">Authority</label>
        <select id="f-authority" data-filter="authority"><option value="">All</option>
          <option value="A">A</option><option value="B">B</option></select>
        </fieldset><p class="filter-status" role="status"></p></form>
        <table><tbody>
          <tr id="r1" data-period="2023/24" data-authority="A"><td>1</td></tr>
          <tr id="r2" data-period="2024/25" data-authority="A"><td>2</td></tr>
          <tr id="r3" data-period="2024/25" data-authority="B"><td>3</td></tr>
          <tr id="r4" data-period="2023/24 2024/25"><td>4</td></tr>
          <tr id="r5"><td>5</td></tr>
        </tbody></table>"""
    )
    page.add_script_tag(content=FILTERS_JS.read_text(encoding="utf-8"))

    def shown():
        return page.eval_on_selector_all("tr", "rs => rs.filter(r => !r.hidden).map(r => r.id)")

    assert page.locator("form").is_visible()
    assert shown() == ["r2", "r3", "r4", "r5"]  # the selected period applied on load
    assert page.locator(".filter-status").text_content() == "Showing 3 of 4 items (Period: 2024/25)."
    page.select_option("#f-authority", "A")
    assert shown() == ["r2", "r4", "r5"]
    page.select_option("#f-period", "")
    assert shown() == ["r1", "r2", "r4", "r5"]
    assert "Showing 3 of 4 items (Authority: A)" in page.locator(".filter-status").text_content()
    page.close()


def test_the_board_pack_page_links_its_pdf(base_url, visits):
    pack = next(v for v in visits if v.path == HTML_NAME)
    assert pack.tables, "the board pack has its tables"
    import urllib.request

    with urllib.request.urlopen(base_url + HTML_NAME, timeout=10) as r:
        html = r.read().decode("utf-8")
    assert f'href="{PDF_NAME}"' in html
    with urllib.request.urlopen(base_url + PDF_NAME, timeout=10) as r:
        assert r.headers["Content-Type"] == "application/pdf"
        assert r.read(5) == b"%PDF-"
