"""Upgrades: a warehouse built by the previous release (tests/fixtures/prev_release, made by
tests/fixtures/make_prev_release.py from commit f66a25a) is migrated and refreshed by this code
without losing a loaded row or an inbox file; migrations are idempotent; a warehouse from a newer
release is refused; a change that cannot be migrated is rebuilt from the inbox and reconciled.

One pipeline run for the module (the refresh of the old warehouse); every other test works on the
raw schema alone, on its own copy of the fixture (a few seconds each).
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from conftest import use_data_dir
from observatory import migrations, rebuild
from observatory.cli import main as cli
from observatory.contracts import Column, load_contracts
from observatory.ingest.load import load_file, sha256

FIXTURE = Path(__file__).parent / "fixtures" / "prev_release"
META = json.loads((FIXTURE / "fixture.json").read_text())
# Rows raw.hr_payroll holds: 31 from each year's current file (one row of 2023's is quarantined).
HELD = 62
# The row's identity in raw.hr_payroll: every column but the load time (a reload changes only that).
ROW = "* exclude (_loaded_at)"


def unpack(mp: pytest.MonkeyPatch, root: Path):
    """A data directory holding the previous release's warehouse and inbox, set for the test."""
    paths = use_data_dir(
        mp, root, authority=META["authority_code"], key=META["pseudonymisation_key"], demo=False
    )
    shutil.copytree(FIXTURE / "inbox", paths.inbox)
    for name, when in META["file_mtimes"].items():  # git does not keep them; the old loads saw these
        stamp = datetime.fromisoformat(f"{when}+00:00").timestamp()
        os.utime(paths.inbox_for("hr_payroll") / name, (stamp, stamp))
    with gzip.open(FIXTURE / "warehouse.duckdb.gz", "rb") as src, paths.warehouse.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return paths


def raw_state(path: Path) -> dict:
    """Everything the ingest owns, comparable: columns per raw table, the rows of each, the version."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = {
            t: con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'raw' and table_name = ? order by ordinal_position",
                [t],
            ).fetchall()
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' order by 1"
            ).fetchall()
        }
        rows = {
            t: sorted(map(repr, con.execute(f"select * exclude (applied_at) from raw.{t}").fetchall()))
            if t == "schema_version"
            else sorted(map(repr, con.execute(f"select * from raw.{t}").fetchall()))
            for t in tables
        }
        return {"tables": tables, "rows": rows, "version": migrations.schema_version(con)}


def inbox_digests(paths) -> dict[str, str]:
    return {f.name: sha256(f) for f in sorted(paths.inbox_for("hr_payroll").iterdir())}


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory):
    from observatory.refresh import run_refresh

    with pytest.MonkeyPatch.context() as mp:
        paths = unpack(mp, tmp_path_factory.mktemp("upgrade") / "data")
        inbox_before = inbox_digests(paths)
        with duckdb.connect(str(paths.warehouse), read_only=True) as con:
            version_before = migrations.schema_version(con)
            log_before = con.execute("select * from raw.load_log order by loaded_at").fetchall()
            rows_before = set(con.execute(f"select {ROW} from raw.hr_payroll").fetchall())
            quarantine_before = set(
                con.execute("select * exclude (loaded_at) from raw.quarantine").fetchall()
            )
        result, summary = run_refresh()
        yield {
            "paths": paths,
            "result": result,
            "summary": summary,
            "inbox_before": inbox_before,
            "version_before": version_before,
            "log_before": log_before,
            "rows_before": rows_before,
            "quarantine_before": quarantine_before,
        }


def test_the_fixture_is_a_previous_release_warehouse_and_small(tmp_path):
    assert sum(p.stat().st_size for p in FIXTURE.rglob("*") if p.is_file()) < 1_000_000
    assert META["commit"].startswith("f66a25a")
    old = tmp_path / "prev.duckdb"
    with gzip.open(FIXTURE / "warehouse.duckdb.gz", "rb") as src, old.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    with duckdb.connect(str(old), read_only=True) as con:
        log_columns = {r[0] for r in con.execute("describe raw.load_log").fetchall()}
        version = migrations.schema_version(con)
        schemas = {
            r[0] for r in con.execute("select schema_name from information_schema.schemata").fetchall()
        }
    # The old layout: no schema version, no file date in the load log; dbt's schemas as it built them.
    assert version == 0 and "file_modified_at" not in log_columns and "superseded" in log_columns
    assert {"raw", "staging", "marts", "publish"} <= schemas


def test_previous_release_warehouse_is_migrated_and_refreshes(upgraded):
    paths = upgraded["paths"]
    assert upgraded["version_before"] == 0
    assert upgraded["result"].success, upgraded["summary"].failed_steps
    assert "publish/pay_gap" in upgraded["summary"].materialized
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        assert migrations.schema_version(con) == migrations.SCHEMA_VERSION
        versions = con.execute("select version from raw.schema_version order by 1").fetchall()
        rows_after = set(con.execute(f"select {ROW} from raw.hr_payroll").fetchall())
        quarantine_after = set(con.execute("select * exclude (loaded_at) from raw.quarantine").fetchall())
        dates = dict(
            con.execute("select file_name, max(file_modified_at) from raw.load_log group by 1").fetchall()
        )
        old_entries = con.execute(
            "select * exclude (file_modified_at) from raw.load_log order by loaded_at"
        ).fetchall()
    assert [v for (v,) in versions] == list(range(1, migrations.SCHEMA_VERSION + 1))
    # No loaded or quarantined row lost (the refresh may reload a file: only its load time changes).
    assert rows_after == upgraded["rows_before"] and len(rows_after) == HELD
    assert quarantine_after == upgraded["quarantine_before"]
    # The old load log is kept as it was; migration 2 gave each file its date from the inbox.
    before = upgraded["log_before"]
    assert [r[:8] for r in old_entries[: len(before)]] == [r[:8] for r in before]
    assert {k: v.isoformat(" ") for k, v in dates.items()} == META["file_mtimes"]
    # Every inbox file is still there, unchanged.
    assert inbox_digests(paths) == upgraded["inbox_before"]


def test_the_published_snapshot_holds_both_years_of_the_old_warehouse(upgraded):
    with duckdb.connect(str(upgraded["paths"].snapshot), read_only=True) as con:
        periods = con.execute(
            "select source_periods from publish.manifest where table_name = 'pay_gap'"
        ).fetchone()
    assert "hr_payroll: 2023-03-31 to 2024-03-31" in periods[0]


def test_migrations_are_idempotent(tmp_path, monkeypatch):
    paths = unpack(monkeypatch, tmp_path / "data")
    original = raw_state(paths.warehouse)
    with duckdb.connect(str(paths.warehouse)) as con:
        first = migrations.upgrade(con, inbox=paths.inbox)
    once = raw_state(paths.warehouse)
    assert [m.version for m in first.applied] == list(range(1, migrations.SCHEMA_VERSION + 1))
    assert once != original  # a positive control: the comparison sees what a migration changes
    with duckdb.connect(str(paths.warehouse)) as con:
        second = migrations.upgrade(con, inbox=paths.inbox)
        # Each step applied again by hand (as after a crash between a step and its record).
        ctx = migrations.Context(inbox=paths.inbox)
        for migration in migrations.MIGRATIONS:
            migration.apply(con, ctx)
    assert not second.changed and second.from_version == migrations.SCHEMA_VERSION
    assert raw_state(paths.warehouse) == once


def test_a_new_warehouse_starts_at_the_current_version(data_dir):
    report = migrations.upgrade_warehouse(data_dir)
    assert report.from_version == 0 and report.to_version == migrations.SCHEMA_VERSION
    assert set(report.tables_created) == {c.raw_table for c in load_contracts().values()}
    with duckdb.connect(str(data_dir.warehouse), read_only=True) as con:
        assert migrations.schema_version(con) == migrations.SCHEMA_VERSION


def test_a_warehouse_from_a_newer_release_is_refused_and_left_alone(tmp_path, monkeypatch):
    paths = unpack(monkeypatch, tmp_path / "data")
    migrations.upgrade_warehouse(paths)
    future = migrations.SCHEMA_VERSION + 1
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("insert into raw.schema_version values (?, 'from the future', now(), 'v99')", [future])
    before = raw_state(paths.warehouse)
    with pytest.raises(migrations.WarehouseTooNew, match=f"schema version {future}.*newer release"):
        migrations.upgrade_warehouse(paths)
    with duckdb.connect(str(paths.warehouse)) as con, pytest.raises(migrations.WarehouseTooNew):
        load_file(
            con, load_contracts()["hr_payroll"], next(paths.inbox_for("hr_payroll").iterdir()), demo=False
        )
    for args in (["upgrade"], ["refresh"], ["upgrade", "--rebuild"]):
        out = CliRunner().invoke(cli, args)
        assert out.exit_code == 1, (args, out.output)
        assert "newer release" in out.output
    assert raw_state(paths.warehouse) == before


def test_a_column_a_contract_gains_is_added_to_the_old_table(tmp_path, monkeypatch):
    paths = unpack(monkeypatch, tmp_path / "data")
    payroll = load_contracts()["hr_payroll"]
    extra = Column(name="cost_centre", type="string", description="Cost centre code.")
    grown = dataclasses.replace(payroll, columns=(*payroll.columns, extra))
    with duckdb.connect(str(paths.warehouse)) as con:
        report = migrations.upgrade(con, [grown], inbox=paths.inbox)
        rows = con.execute("select count(*), count(cost_centre) from raw.hr_payroll").fetchone()
    assert report.columns_added == ["raw.hr_payroll.cost_centre"]
    assert report.to_version == migrations.SCHEMA_VERSION
    assert rows == (HELD, 0)  # every old row kept, the new column null


def renamed_payroll():
    """hr_payroll with `directorate` renamed `service_area` (same aliases): cannot be migrated in place."""
    contracts = dict(load_contracts())
    payroll = contracts["hr_payroll"]
    columns = tuple(
        dataclasses.replace(c, name="service_area") if c.name == "directorate" else c for c in payroll.columns
    )
    contracts["hr_payroll"] = dataclasses.replace(payroll, columns=columns)
    return contracts


def test_a_change_that_cannot_be_migrated_asks_for_a_rebuild_and_changes_nothing(tmp_path, monkeypatch):
    paths = unpack(monkeypatch, tmp_path / "data")
    before = raw_state(paths.warehouse)
    with duckdb.connect(str(paths.warehouse)) as con, pytest.raises(migrations.RebuildNeeded) as err:
        migrations.upgrade(con, renamed_payroll().values(), inbox=paths.inbox)
    message = str(err.value)
    assert "raw.hr_payroll.directorate (VARCHAR) is no longer in the contract" in message
    assert "observatory upgrade --rebuild" in message
    assert raw_state(paths.warehouse) == before  # all or nothing: still version 0
    # The same change on an empty table is made in place.
    with duckdb.connect() as con:
        migrations.upgrade(con, [load_contracts()["hr_payroll"]], inbox=paths.inbox)
        report = migrations.upgrade(con, [renamed_payroll()["hr_payroll"]], inbox=paths.inbox)
    assert report.tables_recreated == ["raw.hr_payroll"]


def test_rebuild_from_the_inbox_keeps_every_row_and_the_old_warehouse(tmp_path, monkeypatch):
    paths = unpack(monkeypatch, tmp_path / "data")
    contracts = renamed_payroll()
    inbox_before = inbox_digests(paths)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        old_rows = set(con.execute(f"select {ROW} from raw.hr_payroll").fetchall())
    report = rebuild.rebuild(paths, contracts.values())
    assert report.backup.exists() and paths.warehouse.exists()
    assert raw_state(report.backup)["version"] == 0  # the old warehouse, as it was
    assert report.rows_in_before == report.rows_in_after == HELD + 1
    assert report.tables["raw.hr_payroll"] == (HELD, HELD) and report.tables["quarantine"] == (1, 1)
    assert [f.file.name for f in report.files] == [
        "payroll_2023.csv", "corrected_payroll_2024.csv", "payroll_2024.csv",
    ]  # fmt: skip
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        assert migrations.schema_version(con) == migrations.SCHEMA_VERSION
        new_rows = set(con.execute(f"select {ROW} from raw.hr_payroll").fetchall())
        renamed = con.execute("select count(service_area) from raw.hr_payroll").fetchone()[0]
        reconciled = con.execute(
            "select count(*) filter (where rows_in <> rows_loaded + rows_quarantined), count(*) "
            "from raw.load_log"
        ).fetchone()
    # The same rows, the renamed column (same place, same aliases) holding the old column's values.
    assert new_rows == old_rows and renamed == HELD
    assert reconciled == (0, 3)
    assert inbox_digests(paths) == inbox_before
    with duckdb.connect(str(paths.warehouse)) as con:  # and the new contract now migrates as current
        assert not migrations.upgrade(con, contracts.values(), inbox=paths.inbox).changed


def test_rebuild_refuses_when_a_file_with_rows_has_left_the_inbox(tmp_path, monkeypatch):
    paths = unpack(monkeypatch, tmp_path / "data")
    (paths.inbox_for("hr_payroll") / "payroll_2023.csv").unlink()
    before = raw_state(paths.warehouse)
    with pytest.raises(rebuild.RebuildRefused, match=r"payroll_2023\.csv .*32 rows held"):
        rebuild.rebuild(paths, renamed_payroll().values())
    assert raw_state(paths.warehouse) == before
    assert sorted(p.name for p in paths.data_dir.glob("warehouse*")) == ["warehouse.duckdb"]


def test_rebuild_reconciliation_catches_a_wrong_replay_order(tmp_path, monkeypatch):
    # Planted fault: replaying the 2024 files the other way round keeps the wrong file's rows.
    paths = unpack(monkeypatch, tmp_path / "data")
    original = rebuild.replay_order
    monkeypatch.setattr(rebuild, "replay_order", lambda *a: list(reversed(original(*a))))
    before = raw_state(paths.warehouse)
    with pytest.raises(rebuild.RebuildRefused, match="does not reconcile") as err:
        rebuild.rebuild(paths, renamed_payroll().values())
    assert "corrected_payroll_2024.csv: 0 rows loaded held before, 31 after" in str(err.value)
    assert raw_state(paths.warehouse) == before


def test_rebuild_with_another_pseudonymisation_key_is_refused(tmp_path, monkeypatch):
    paths = unpack(monkeypatch, tmp_path / "data")
    monkeypatch.setenv("OBSERVATORY_PSEUDONYMISATION_KEY", "a-different-key")
    with pytest.raises(rebuild.RebuildRefused, match="employee_id: no person hash matches"):
        rebuild.rebuild(paths, renamed_payroll().values())
