"""Privacy, proven end to end (issue 9 item 5).

1. No identifier the extracts hold (UPNs, employee and case numbers, names, full dates of birth,
   e-mails) exists outside the private raw schema: the demo borough's own values are searched for
   in the warehouse, the snapshots, the exports, the site, Dagster's storage and dbt's artefacts
   (`observatory.privacy_scan`); inside raw, identifiers are keyed hashes. Planted values are found.
2. Outside demo mode a refresh without OBSERVATORY_PSEUDONYMISATION_KEY fails, says what to set, and
   loads and publishes nothing.
3. The key never appears in anything a run leaves (Dagster's run storage and logs, the data
   directory, dbt's logs and artefacts, the console), raw or hex or base64.
4. Formula text planted in an extract's free text comes out neutralised in the CSV and XLSX exports
   and the site's downloads, and escaped on the site's page.

One small non-demo run (hand-built payroll and action plan extracts) serves 2-4; 1 reads `demo_run`.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import os
import re
import sqlite3
import string
import sys
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from conftest import HR_HEADER, use_data_dir, write_csv
from observatory import config
from observatory.contracts import load_contracts
from observatory.exports import FORMULA_TRIGGERS
from observatory.privacy_scan import (
    Matcher,
    check_raw,
    collect_identifiers,
    dbt_run_artefacts,
    scan,
    scan_database,
    scan_files,
)
from observatory.refresh import run_refresh
from openpyxl import load_workbook
from test_pipeline import hand_built_rows

AUTHORITY = "X09000001"
# A distinctive key: 40 characters no run would print by chance (fixed, so a failure reproduces).
KEY = "Pz7Qw2Lk9Vb4Nx8Rt1Ym6Hs3Jd5Fg0CaUeWoIqXs"
ATTACKS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3"]
SCRIPT = '<script>alert("owned")</script>'
NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")


# ---------------------------------------------------------------------------------------------
# Hand-built extracts
# ---------------------------------------------------------------------------------------------

FORENAMES = ["Oluwaseun", "Marguerite", "Siddharth", "Bronwen", "Tendai", "Ignatius", "Rosalind"]
SURNAMES = ["Adebayo-Hart", "Fairweather", "Ramaswamy", "Llewellyn", "Mukanya"]


def payroll_rows() -> list[list]:
    """test_pipeline's payroll (it publishes through the disclosure audit), each person given a
    distinctive employee number, a full name and a date of birth (never the 1st or a month end)."""
    rows = hand_built_rows()
    for i, row in enumerate(rows):
        row[0] = f"E77{i:04d}"
        name = f"{FORENAMES[i % len(FORENAMES)]} {SURNAMES[i % len(SURNAMES)]}"
        rows[i] = [*row, name, f"{i % 26 + 2:02d}/{i % 12 + 1:02d}/{1960 + i}"]
    return rows


OFFICERS = [("Evangeline Thistlewood", "e.thistlewood@northbrook.example")]


def write_payroll(inbox: Path) -> Path:
    header = [*HR_HEADER, "Employee Name", "Date of Birth"]
    rows = payroll_rows()
    return write_csv(inbox / "hr_payroll" / "payroll_2024.csv", rows, header=header)


def write_action_plan(inbox: Path) -> Path:
    header = ["Ref", "Theme", "Action", "Due Date", "Owner", "Status", "RAG", "% Complete",
              "Progress Update", "Officer Name", "Officer Email"]  # fmt: skip
    name, email = OFFICERS[0]
    titles = [*ATTACKS, SCRIPT]
    row = ["Workforce", None, "30/06/2024", "Director of HR", "Off track", "Red", 40, None, name, email]
    rows = []
    for i, title in enumerate(titles):
        cells = [f"1.{i + 1}", *row]
        cells[2], cells[8] = title, f"Update: {title}"
        rows.append(cells)
    rows.append(["2.1", "=1+1", "Publish the pay gap", "31/03/2026", "@owner", "On track", "Green", 50,
                 "", name, email])  # fmt: skip
    return write_csv(inbox / "action_plan" / f"action_plan_{AUTHORITY}_2025-03-31.csv", rows, header=header)


@contextlib.contextmanager
def console_to(path: Path):
    """Everything written to the console, by Python or by child processes (dbt), into `path`."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("w", buffering=1, encoding="utf-8") as fh:
        os.dup2(fh.fileno(), 1)
        os.dup2(fh.fileno(), 2)
        try:
            with contextlib.redirect_stdout(fh), contextlib.redirect_stderr(fh):
                yield
        finally:
            fh.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


@pytest.fixture(scope="module")
def keyed_run(tmp_path_factory):
    """A non-demo data directory, a distinctive key, a payroll and an action plan: one refresh."""
    root = tmp_path_factory.mktemp("privacy") / "data"
    console = root.parent / "console.txt"
    with pytest.MonkeyPatch.context() as mp:
        paths = use_data_dir(mp, root, authority=AUTHORITY, key=KEY, demo=False)
        write_payroll(paths.inbox)
        write_action_plan(paths.inbox)
        with console_to(console):
            result, summary = run_refresh()
        # Scanned while the settings still point here.
        report = scan(paths, extra=dbt_run_artefacts(result.run_id))
        yield {"paths": paths, "result": result, "summary": summary, "console": console, "report": report}


# ---------------------------------------------------------------------------------------------
# 1. Identifier scan
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_needles(demo_run):
    """The demo borough's identifiers, read from its inbox with the project's readers."""
    return collect_identifiers(demo_run["paths"].inbox)


def test_the_scanner_collects_the_demo_identifiers_and_finds_none_outside_raw(demo_run, demo_needles):
    paths, needles = demo_run["paths"], demo_needles
    searched = needles.searched
    # Every kind of identifier the demo holds is collected, in the thousands: the search is real.
    assert searched["upn"] > 10_000 and searched["employee_id"] > 1_000
    assert searched["employee_name"] > 500 and searched["date_of_birth"] > 1_000
    assert searched["child_id"] > 100 and searched["application_id"] > 1_000
    assert not needles.unreadable

    report = scan(paths, needles=needles, extra=dbt_run_artefacts(demo_run["result"].run_id))
    lines = "\n".join(report.lines())
    assert report.hits == [], lines
    assert report.raw_problems == [], lines
    places = {s.place for s in report.searched}
    assert {
        "warehouse outside raw",
        "warehouse raw",
        "published snapshot",
        "exports",
        "site",
        "dagster_home",
    } <= places
    files = {s.place: s.what for s in report.searched}
    assert re.search(r"[1-9]\d* \.xlsx", files["exports"]) and re.search(r"[1-9]\d* \.html", files["site"])
    assert any("observatory_dbt_assets" in p for p in places), "dbt's run artefacts are searched"


def test_the_scanner_finds_planted_identifiers_in_tables_files_and_raw(demo_needles, tmp_path):
    """Positive control: a copy of the snapshot with a leaked table, an XLSX, an HTML page and a
    raw table with a clear identifier are each caught; an ethnicity word is not a surname."""
    needles = demo_needles
    matcher = Matcher(needles)
    upn = next(f for f, k in needles.forms.items() if k == "upn").upper()
    name = next(f for f, k in needles.forms.items() if k == "employee_name").title()
    dob = next(f for f, k in needles.forms.items() if k == "date_of_birth" and "-" in f)

    leaked = tmp_path / "snapshot.duckdb"
    with duckdb.connect(str(leaked)) as con:
        con.execute("create schema publish")
        con.execute("create table publish.leak (note varchar, born date, label varchar)")
        con.execute(
            "insert into publish.leak values (?, ?, 'White British'), (?, null, 'Black Caribbean')",
            [f"pupil {upn} excluded", dob, f"Case worker: {name}."],
        )
    _, hits = scan_database(leaked, matcher, label="copy")
    assert {h.kind for h in hits} == {"upn", "date_of_birth", "employee_name"}
    assert all(upn not in str(h) and name not in str(h) for h in hits), "hits never print the value"

    site = tmp_path / "site"
    site.mkdir()
    (site / "page.html").write_text(f"<td>{name.replace(' ', '&#32;')}</td>")
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["Pupil", upn.lower()])
    wb.save(site / "table.xlsx")
    _, hits = scan_files(site, matcher, label="copy")
    assert sorted(h.kind for h in hits) == ["employee_name", "upn"]

    raw_db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(raw_db)) as con:
        con.execute("create schema raw")
        con.execute("create table raw.ks4 (upn varchar, pupil_name varchar)")
        con.execute("insert into raw.ks4 values (?, 'A Pupil'), (?, null)", [upn, "a" * 64])
    _, problems = check_raw(raw_db, load_contracts())
    assert any("ks4.upn: 1 value" in p for p in problems)
    assert any("ks4.pupil_name: a direct identifier" in p for p in problems)


def test_privacy_scan_command_prints_what_it_searched_and_exits_1_on_a_hit(tmp_path, monkeypatch):
    from click.testing import CliRunner
    from observatory.cli import main

    paths = use_data_dir(monkeypatch, tmp_path / "data", authority=AUTHORITY, key=KEY, demo=False)
    write_payroll(paths.inbox)
    (paths.site).mkdir(parents=True)
    (paths.site / "index.html").write_text("<p>Nothing personal here.</p>")
    clean = CliRunner().invoke(main, ["privacy-scan", "--no-dbt"])
    assert clean.exit_code == 0, clean.output
    n = len(payroll_rows())
    assert f"employee_id: {n} distinct value(s) searched" in clean.output
    assert f"date_of_birth: {n} distinct" in clean.output and "site: 1 files" in clean.output
    assert "Hits: 0" in clean.output

    name = payroll_rows()[2][-2]
    (paths.site / "index.html").write_text(f"<p>{name} joined</p>")
    leaked = CliRunner().invoke(main, ["privacy-scan", "--no-dbt"])
    assert leaked.exit_code == 1 and "Hits: 1" in leaked.output
    assert "employee_name" in leaked.output and name not in leaked.output


def test_no_identifier_of_a_keyed_run_leaves_raw(keyed_run):
    """The small non-demo run too: names, e-mails, employee numbers and dates of birth."""
    report = keyed_run["report"]
    assert keyed_run["result"].success
    n = report.needles.searched
    people = len(payroll_rows())
    assert n["employee_id"] == n["employee_name"] == n["date_of_birth"] == people == 31
    assert n["officer_name"] == 1 and n["officer_email"] == 1
    assert report.clean, "\n".join(report.lines())


# ---------------------------------------------------------------------------------------------
# 2. Key refusal through the real refresh
# ---------------------------------------------------------------------------------------------


def test_refresh_outside_demo_mode_refuses_without_a_key_and_loads_nothing(tmp_path, monkeypatch):
    paths = use_data_dir(monkeypatch, tmp_path / "data", authority=AUTHORITY, key=None, demo=False)
    write_payroll(paths.inbox)
    result, summary = run_refresh()
    assert not result.success
    messages = [m for step, m in summary.failed_steps if "hr_payroll" in step]
    assert messages and f"Set {config.KEY_ENV}" in messages[0], summary.failed_steps
    assert not paths.snapshot.exists() and not paths.site.exists() and not paths.exports.exists()
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        raw = con.execute("select table_name from duckdb_tables() where schema_name = 'raw'").fetchall()
        # Every source's table, the quarantine and the load log (a schema-version table aside).
        tables = {t for (t,) in raw} & {*load_contracts(), "quarantine", "load_log"}
        rows = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in tables}
        schemas = {s for (s,) in con.execute("select schema_name from duckdb_schemas()").fetchall()}
    assert "hr_payroll" in tables and "load_log" in tables and sum(rows.values()) == 0, rows
    assert "publish" not in schemas, "dbt never ran"

    # The same run with the key set loads the file: the refusal was the key, not the extract.
    monkeypatch.setenv(config.KEY_ENV, KEY)
    from observatory.ingest.load import check_file

    _, checked = check_file(
        load_contracts()["hr_payroll"], paths.inbox / "hr_payroll" / "payroll_2024.csv", demo=False
    )
    assert checked.rows_in == len(payroll_rows()) and checked.rows_loaded > 0


# ---------------------------------------------------------------------------------------------
# 3. The key never appears in logs, metadata or artefacts
# ---------------------------------------------------------------------------------------------


def key_forms(key: str) -> dict[str, bytes]:
    raw = key.encode()
    return {
        "raw": raw,
        "hex": raw.hex().encode(),
        "HEX": raw.hex().upper().encode(),
        "base64": base64.b64encode(raw).rstrip(b"="),
        "base64url": base64.urlsafe_b64encode(raw).rstrip(b"="),
        "utf-16": key.encode("utf-16-le"),
    }


def files_holding(roots: list[Path], forms: dict[str, bytes]) -> list[tuple[str, str]]:
    """(file, form) for each file under `roots` (links followed) whose bytes hold a form."""
    found = []
    for root in roots:
        files = (
            [root]
            if root.is_file()
            else [Path(d) / f for d, _, fs in os.walk(root, followlinks=True) for f in fs]
        )
        for path in files:
            if not path.is_file():
                continue
            data = path.read_bytes()
            found += [(str(path), name) for name, form in forms.items() if form in data]
    return found


def test_the_key_appears_in_no_log_metadata_artefact_or_console_output(keyed_run):
    paths, result = keyed_run["paths"], keyed_run["result"]
    assert result.success
    assert set(string.ascii_letters + string.digits) >= set(KEY) and len(KEY) == 40
    roots = [paths.data_dir, paths.dagster_home, keyed_run["console"], *dbt_run_artefacts(result.run_id)]
    dbt_dirs = [p for p in roots if "observatory_dbt_assets" in p.name]
    assert dbt_dirs, "the run's dbt target directory is searched"
    assert (paths.dagster_home / "history").is_dir() and keyed_run["console"].stat().st_size > 1000
    assert files_holding(roots, key_forms(KEY)) == []


def test_the_key_search_finds_a_planted_key_in_each_form(tmp_path):
    """Positive control: the key in a SQLite table (as Dagster stores events), in base64 inside a
    JSON log and in hex in a text file is found."""
    db = tmp_path / "events.db"
    with sqlite3.connect(db) as con:
        con.execute("create table event_logs (event text)")
        con.execute("insert into event_logs values (?)", [f'{{"metadata": {{"env": "{KEY}"}}}}'])
    forms = key_forms(KEY)
    (tmp_path / "dbt.log").write_bytes(b'{"info": {"msg": "' + forms["base64"] + b'"}}')
    (tmp_path / "out.txt").write_bytes(b"key=" + forms["hex"])
    found = files_holding([tmp_path], forms)
    assert {(Path(f).name, form) for f, form in found} >= {
        ("events.db", "raw"),
        ("dbt.log", "base64"),
        ("out.txt", "hex"),
    }


# ---------------------------------------------------------------------------------------------
# 4. Formula injection, from the extract to every download and the page
# ---------------------------------------------------------------------------------------------


def csv_cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


def assert_no_live_formula_text(cells: list[str], where: Path) -> None:
    for cell in cells:
        if cell.startswith(FORMULA_TRIGGERS) and not NUMBER.fullmatch(cell):
            raise AssertionError(f"{where}: {cell!r} would run as a formula")


def downloads(paths: config.Paths) -> list[Path]:
    exports = sorted(paths.exports.resolve().glob("*"))
    site = sorted((paths.site.resolve() / "downloads").glob("*"))
    return [p for p in exports + site if p.suffix in {".csv", ".xlsx"}]


def test_planted_formulas_are_published_and_neutralised_in_every_csv_and_xlsx(keyed_run):
    paths = keyed_run["paths"]
    with duckdb.connect(str(paths.snapshot), read_only=True) as con:
        actions = con.execute("select action_description from publish.action_plan").fetchall()
    published = {a for (a,) in actions}
    assert {*ATTACKS, SCRIPT} <= published, "the attack text reaches a published table as it was written"

    files = downloads(paths)
    assert {p.parent.name for p in files} >= {"downloads"} and len(files) > 10
    carrying = []
    for path in files:
        if path.suffix == ".csv":
            cells = csv_cells(path)
        else:
            wb = load_workbook(path)  # not read-only: cell types and formulas are wanted
            cells = []
            for ws in wb.worksheets:
                for row in ws.iter_rows():
                    for cell in row:
                        assert cell.data_type != "f", f"{path} {ws.title}!{cell.coordinate} is a formula"
                        if isinstance(cell.value, str):
                            cells.append(cell.value)
        assert_no_live_formula_text(cells, path)
        if "'" + ATTACKS[0] in cells:
            carrying.append(path)
            assert {"'" + a for a in ATTACKS} <= set(cells), path
    # The action plan's own export and the site's download of its table, in both formats.
    assert {p.suffix for p in carrying} == {".csv", ".xlsx"}
    assert {p.parent.name == "downloads" for p in carrying} == {True, False}, carrying


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text: list[str] = []

    def handle_data(self, data):
        self.text.append(data)


def test_planted_text_is_escaped_on_the_action_plan_page(keyed_run):
    page = keyed_run["paths"].site / "action-plan.html"
    html = page.read_text(encoding="utf-8")
    parser = _Text()
    parser.feed(html)
    text = "".join(parser.text)
    for attack in [*ATTACKS, SCRIPT]:
        assert attack in text, f"{attack!r} is shown as text"
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert 'href="http://x"' not in html


def test_a_step_that_fails_inside_the_warehouse_block_closes_its_connection(tmp_path):
    """dagster-duckdb's own get_connection closes only when the block ends normally: a failed step
    left the warehouse open (read-write) in the process, and the next read-only connection to it
    failed with "different configuration" (seen on CI, depending on when garbage collection ran)."""
    import gc

    from observatory.defs.resources import WarehouseResource

    warehouse = str(tmp_path / "w.duckdb")
    gc.disable()  # what CI saw: the leaked connection not yet collected
    try:
        with pytest.raises(RuntimeError), WarehouseResource(database=warehouse).get_connection() as con:
            con.execute("create table t as select 1 as x")
            raise RuntimeError("the step failed")
        with duckdb.connect(warehouse, read_only=True) as reader:
            assert reader.execute("select x from t").fetchone() == (1,)
    finally:
        gc.enable()
