"""The site's downloads take the exports' XLSX files when both come from the same snapshot.

Cheap: a hand-made snapshot of one table (no pipeline run). The downloads are the same bytes whether
taken from the exports or written, and each way the exports can differ (another snapshot, another
README, a different CSV, an XLSX not stamped with the publication time) makes the site write its own.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from observatory.exports import SET_INDEX, export_snapshot, write_xlsx
from observatory.site import downloads, filters
from observatory.site.pages import Download
from observatory.site.snapshot import Snapshot

# Declared in an order unlike the exports' old "order by all", so the test fails if the two differ.
DOWNLOAD = Download("awkward", "downloads/awkward.csv", ("label",))


def _snapshot(path: Path, *, published_at: str = "2026-11-23 02:00:00") -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema publish")
        con.execute("create table publish.awkward (row_id integer, label varchar, value double)")
        con.executemany(
            "insert into publish.awkward values (?, ?, ?)",
            [(1, "Somali", 2.5), (2, "=HYPERLINK(1)", -1.0), (3, "Arab", None), (4, "Arab", 7.0)],
        )
        con.execute(
            f"""create table publish.manifest as select 'awkward' as table_name, 4::bigint as row_count,
                timestamp '{published_at}' as published_at, 'test' as code_version"""
        )
    return path


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """A snapshot and its export set; the site declares the table's order (the exports follow it)."""
    monkeypatch.setattr(downloads, "table_orders", lambda: {DOWNLOAD.table: DOWNLOAD.order_by})
    snapshot = _snapshot(tmp_path / "observatory.duckdb")
    exports = tmp_path / "exports"
    export_snapshot(snapshot, exports, demo=True)
    return snapshot, exports


def _build(snapshot: Path, out: Path, exports: Path | None, *, demo: bool = True) -> downloads.Written:
    with Snapshot.open(snapshot) as snap:
        return downloads.write_downloads(snap, out, [DOWNLOAD, DOWNLOAD], demo=demo, exports=exports)


def test_xlsx_is_the_exports_file_and_the_same_bytes_as_writing_it(setup, tmp_path):
    snapshot, exports = setup
    taken = _build(snapshot, tmp_path / "taken", exports)
    written = _build(snapshot, tmp_path / "written", None)
    assert (taken.linked, taken.written) == (["awkward"], [])  # once, though two pages list it
    assert (written.linked, written.written) == ([], ["awkward"])
    for name in (DOWNLOAD.csv, DOWNLOAD.xlsx):  # hard links: no bytes written
        assert os.path.samefile(tmp_path / "taken" / name, exports / Path(name).name)
    for name in (DOWNLOAD.csv, DOWNLOAD.xlsx):
        assert (tmp_path / "taken" / name).read_bytes() == (tmp_path / "written" / name).read_bytes()
    labels = (tmp_path / "taken" / DOWNLOAD.csv).read_text(encoding="utf-8-sig").splitlines()[1:]
    assert [line.split(",")[1] for line in labels] == ["'=HYPERLINK(1)", "Arab", "Arab", "Somali"]


def test_exports_of_another_snapshot_or_readme_are_not_taken(setup, tmp_path):
    snapshot, exports = setup
    later = _snapshot(tmp_path / "later.duckdb", published_at="2026-11-24 02:00:00")
    assert _build(later, tmp_path / "later", exports).linked == []  # another publication
    assert _build(snapshot, tmp_path / "live", exports, demo=False).linked == []  # README differs
    assert _build(snapshot, tmp_path / "none", tmp_path / "missing").linked == []  # no exports
    assert _build(snapshot, tmp_path / "again", exports).linked == ["awkward"]  # the control


def test_without_the_sets_index_the_csv_is_written_and_compared(setup, tmp_path, monkeypatch):
    """A set written by another version of the writers, in another order, or without an index: the
    CSV is written and compared with the set's, and the XLSX still taken when they are the same."""
    snapshot, exports = setup
    index = Path(os.path.realpath(exports)) / SET_INDEX
    recorded = index.read_text()
    for case in ("another writer", "another order", "no index"):
        if case == "another writer":
            monkeypatch.setattr("observatory.exports.writer_version", lambda: "0123456789abcdef")
        elif case == "another order":
            monkeypatch.undo()
            index.write_text(recorded.replace('"label"', '"row_id"'))
        else:
            index.unlink()
        out = tmp_path / case.replace(" ", "-")
        assert _build(snapshot, out, exports).linked == ["awkward"], case  # the XLSX, as before
        assert not os.path.samefile(out / DOWNLOAD.csv, exports / "awkward.csv"), case  # written
        assert os.path.samefile(out / DOWNLOAD.xlsx, exports / "awkward.xlsx"), case


def test_an_export_file_unlike_the_download_is_not_taken(setup, tmp_path):
    snapshot, exports = setup
    export_set = Path(os.path.realpath(exports))
    csv = export_set / "awkward.csv"
    original = csv.read_bytes()
    csv.write_bytes(original.replace(b"Somali", b"Somalo"))  # other rows (an older export's order)
    assert _build(snapshot, tmp_path / "csv", exports).written == ["awkward"]
    csv.write_bytes(original)
    xlsx = export_set / "awkward.xlsx"
    shutil.copyfile(xlsx, tmp_path / "stamped.xlsx")
    xlsx.unlink()
    write_xlsx(xlsx, "awkward", ["row_id"], [(1,)], [])  # stamped with the clock, not the publication
    result = _build(snapshot, tmp_path / "xlsx", exports)
    assert result.written == ["awkward"]
    assert (tmp_path / "xlsx" / DOWNLOAD.xlsx).read_bytes() == (tmp_path / "stamped.xlsx").read_bytes()


def test_authority_control_labels_codes_and_chooses_first_only_when_asked():
    pairs = [("E09000012", "Hackney"), ("E09000030", "Tower Hamlets")]
    (control,) = filters.authority_control(pairs)
    assert (control.name, control.label, control.selected) == ("authority", "Authority", "")
    assert control.options == (("E09000012", "Hackney"), ("E09000030", "Tower Hamlets"))
    assert filters.authority_control(iter(pairs), select_first=True)[0].selected == "E09000012"
    assert filters.authority_control(pairs[:1]) == ()  # one authority: nothing to choose
    assert filters.authority_control([]) == ()


def test_xlsx_stamp_check_reads_what_the_writer_writes(tmp_path):
    stamp = datetime(2026, 11, 23, 2, 0, 0, 123456)
    write_xlsx(tmp_path / "t.xlsx", "t", ["a"], [(1,)], [], stamp=stamp)
    assert downloads._created(tmp_path / "t.xlsx") == downloads._w3c(stamp) == "2026-11-23T02:00:00Z"
