"""The inbox sensor: new or changed files start their source's ingest and everything downstream."""

from __future__ import annotations

import json
import os

import dagster as dg
import pytest
from conftest import hr_row, use_data_dir, write_csv


@pytest.fixture
def tick(tmp_path, monkeypatch):
    """Evaluate the sensor against a fresh data directory, carrying the cursor between ticks."""
    paths = use_data_dir(monkeypatch, tmp_path / "data", authority="X09000001", key="k", demo=False)
    from observatory.definitions import build_defs
    from observatory.defs.sensors import inbox_sensor

    repository = build_defs().get_repository_def()
    state = {"cursor": None}

    def run():
        context = dg.build_sensor_context(cursor=state["cursor"], repository_def=repository)
        result = inbox_sensor.evaluate_tick(context)
        state["cursor"] = result.cursor
        return result

    return paths, run


def test_a_new_file_runs_its_ingest_and_everything_downstream_once(tick):
    paths, run = tick
    assert run().run_requests == []  # empty inbox: nothing to do
    write_csv(paths.inbox_for("hr_payroll") / "payroll.csv", [hr_row("E1", "White British", 15)])
    (request,) = run().run_requests
    keys = {k.to_user_string() for k in request.asset_selection}
    assert {"raw/hr_payroll", "staging/stg_hr__payroll", "publish/pay_gap", "published/board_site"} <= keys
    assert request.tags["observatory/sources"] == "hr_payroll"
    assert run().run_requests == []  # nothing changed since: no second run


def test_a_replaced_file_triggers_again(tick):
    paths, run = tick
    file = paths.inbox_for("hr_payroll") / "payroll.csv"
    write_csv(file, [hr_row("E1", "White British", 15)])
    run()
    write_csv(file, [hr_row("E1", "White British", 15), hr_row("E2", "Indian", 15)])
    os.utime(file, ns=(1, 1))
    assert len(run().run_requests) == 1


def test_unreadable_and_loose_files_are_set_aside_with_a_reason(tick):
    paths, run = tick
    folder = paths.inbox_for("hr_payroll")
    folder.mkdir(parents=True)
    (folder / "payroll.pdf").write_bytes(b"%PDF-1.4")
    (paths.inbox / "staff list.csv").write_text("a,b\n")
    (paths.inbox / "ground_truth.json").write_text(json.dumps({}))
    assert run().run_requests == []
    aside = paths.inbox / "_set_aside"
    assert (aside / "hr_payroll" / "payroll.pdf").exists()
    reason = (aside / "hr_payroll" / "payroll.pdf.reason.txt").read_text()
    assert "cannot read .pdf files" in reason and "inbox/hr_payroll/" in reason
    assert "dropped loose in the inbox" in (aside / "inbox" / "staff list.csv.reason.txt").read_text()
    assert not (folder / "payroll.pdf").exists() and (paths.inbox / "ground_truth.json").exists()
