"""A failed night says what failed, which file and what to do; a stale source is flagged.

Real refreshes through the command line (`observatory refresh`, in-process):

- an inbox with three broken HR files in a data directory without the pseudonymisation key: an
  extract that cannot be read, one missing contract columns, and a good file that cannot be
  pseudonymised (dbt never starts, so this run is cheap);
- a council that has published once (the demo's clean justice extracts, the youth justice one dated
  400 days ago), then a night whose disclosure audit finds a (planted) leak, then a night whose dbt
  build fails a source test (a value planted in the warehouse).

Each failure must reach the command line's output, the run's tags, the run-failure sensor's
observation on published/snapshot, and data/status/last_run.json, naming the file and the action.
"""

from __future__ import annotations

import gc
import json
import os
import re
import time
from datetime import UTC, date, datetime

import dagster as dg
import pytest
from click.testing import CliRunner
from conftest import hr_row, use_data_dir, write_csv
from observatory.cli import main
from observatory.defs.resources import WarehouseResource

AUTHORITY = "X09000001"
STALE_DAYS = 400  # youth justice's contract expects an extract every 366 days


def _refresh() -> tuple[str, dict, str]:
    """`observatory refresh` in-process: its output, the status file it left, the run id."""
    from observatory import config

    # A step that failed in this process can leave its warehouse connection in a reference cycle
    # (exception -> traceback -> frame); free it, as a new `observatory refresh` process would start.
    gc.collect()
    result = CliRunner().invoke(main, ["refresh"], catch_exceptions=False)
    status = json.loads(config.paths().last_run_json.read_text())
    assert status["run_id"] in result.output
    return result.output, status, result.exit_code


def _tags(run_id: str) -> dict[str, str]:
    with dg.DagsterInstance.get() as instance:
        return dict(instance.get_run_by_id(run_id).tags)


def _check_evaluations(run_id: str, check_name: str) -> dict[str, dg.AssetCheckEvaluation]:
    with dg.DagsterInstance.get() as instance:
        records = instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=10_000
        ).records
    evaluations = [r.event_log_entry.dagster_event.event_specific_data for r in records]
    return {e.asset_key.to_user_string(): e for e in evaluations if e.check_name == check_name}


def _run_sensor(sensor, run_id: str, event_type: dg.DagsterEventType):
    """Evaluate a run-status sensor on a finished run, as the Dagster daemon does."""
    with dg.DagsterInstance.get() as instance:
        run = instance.get_run_by_id(run_id)
        (record,) = instance.get_records_for_run(run_id, of_type=event_type).records
        context = dg.build_run_status_sensor_context(
            sensor_name=sensor.name,
            dagster_event=record.event_log_entry.dagster_event,
            dagster_instance=instance,
            dagster_run=run,
        )
        sensor(context)


# -- ingest failures: unreadable extract, missing contract columns, no pseudonymisation key ------------


@pytest.fixture(scope="module")
def broken_inbox(tmp_path_factory):
    root = tmp_path_factory.mktemp("broken") / "data"
    with pytest.MonkeyPatch.context() as mp:
        paths = use_data_dir(mp, root, authority=AUTHORITY, key=None, demo=False)
        write_csv(paths.inbox_for("hr_payroll") / "payroll_2024.csv", [hr_row("E1", "White British", 15)])
        leavers_header = ["Employee Number", "Ethnic Origin", "Gender"]  # no year, date or reason
        write_csv(paths.inbox_for("hr_leavers") / "leavers_2024.csv", [["E1", "Indian", "F"]], leavers_header)
        training = paths.inbox_for("hr_training") / "training_2024.xlsx"
        training.parent.mkdir(parents=True)
        training.write_bytes(b"PK\x03\x04 this is not really a workbook")
        output, status, exit_code = _refresh()
        yield {"paths": paths, "output": output, "status": status, "exit_code": exit_code}


def test_a_failed_ingest_exits_non_zero_and_publishes_nothing(broken_inbox):
    assert broken_inbox["exit_code"] == 1
    assert broken_inbox["status"]["status"] == "failure"
    assert not broken_inbox["paths"].snapshot.exists()
    assert "Nothing has been published yet" in broken_inbox["output"]


def test_the_command_line_names_each_file_where_and_what_to_do(broken_inbox):
    out = " ".join(broken_inbox["output"].split())
    # The extract that cannot be read.
    assert "raw/hr_training: 1 file(s) in inbox/hr_training/ could not be loaded" in out
    assert "training_2024.xlsx: not a readable XLSX workbook" in out
    assert "what to do: Export training_2024.xlsx again from the source system" in out
    # The contract columns missing, with the header row and the columns.
    assert "where: leavers_2024.csv; header row 1; missing column(s) financial_year, leaving_date" in out
    assert "Export leavers_2024.csv again with the column(s) financial_year" in out
    assert "docs/sources/hr_leavers.md" in out
    # The pseudonymisation key missing: the file is named and the setting to fix.
    assert "raw/hr_payroll: OBSERVATORY_PSEUDONYMISATION_KEY is not set" in out
    assert "where: payroll_2024.csv (not loaded)" in out
    assert "what to do: Set OBSERVATORY_PSEUDONYMISATION_KEY to the council's secret" in out
    # Each failed source is listed once, and what was not built because of them.
    numbered = re.findall(r"^(\d+)\. (\S+):", broken_inbox["output"], flags=re.M)
    assert numbered == [("1", "raw/hr_leavers"), ("2", "raw/hr_payroll"), ("3", "raw/hr_training")]
    assert "Not built because of the failure:" in out and "publish" in out


def test_the_status_file_carries_the_files_and_actions(broken_inbox):
    status = broken_inbox["status"]
    assert status["files"] == [
        "inbox/hr_leavers/leavers_2024.csv",
        "inbox/hr_payroll/payroll_2024.csv",
        "inbox/hr_training/training_2024.xlsx",
    ]
    by_step = {f["step"]: f for f in status["failures"]}
    assert set(by_step) == {"raw/hr_leavers", "raw/hr_payroll", "raw/hr_training"}
    assert "OBSERVATORY_PSEUDONYMISATION_KEY" in by_step["raw/hr_payroll"]["action"]
    assert len(status["actions"]) == 3
    assert not status["publication"]["exists"]
    md = broken_inbox["paths"].last_run_md.read_text()
    assert md.startswith("# Refresh FAILED at raw/hr_leavers, raw/hr_payroll, raw/hr_training")
    assert "**what to do**: Export training_2024.xlsx again" in md


def test_the_step_failure_in_dagster_carries_file_problem_and_action(broken_inbox):
    run_id = broken_inbox["status"]["run_id"]
    with dg.DagsterInstance.get() as instance:
        records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records
    failures = {
        r.event_log_entry.step_key: r.event_log_entry.dagster_event.event_specific_data for r in records
    }
    leavers = failures["raw__hr_leavers"].user_failure_data
    assert "What to do: Export leavers_2024.csv again" in leavers.description
    assert "The last good publication stays live" in leavers.description
    assert leavers.metadata["files"].value == ["inbox/hr_leavers/leavers_2024.csv"]
    (problem,) = leavers.metadata["problems"].value
    assert problem["where"].startswith("leavers_2024.csv; header row 1; missing column(s) financial_year")
    assert "docs/sources/hr_leavers.md" in leavers.metadata["action"].value
    key = failures["raw__hr_payroll"].user_failure_data
    assert key.metadata["files"].value == ["inbox/hr_payroll/payroll_2024.csv"]
    assert "OBSERVATORY_PSEUDONYMISATION_KEY" in key.metadata["action"].value


def test_the_run_is_tagged_with_its_summary(broken_inbox):
    tags = _tags(broken_inbox["status"]["run_id"])
    assert tags["observatory/outcome"] == "failed"
    assert tags["observatory/failed_steps"] == "raw/hr_leavers, raw/hr_payroll, raw/hr_training"
    assert "inbox/hr_training/training_2024.xlsx" in tags["observatory/files"]
    assert "OBSERVATORY_PSEUDONYMISATION_KEY" in tags["observatory/action"]
    assert all("\n" not in v and len(v) <= 400 for v in tags.values())


def test_the_run_failure_sensor_records_the_summary_in_dagster_and_the_status_file(broken_inbox):
    from observatory.defs.sensors import run_failure_report
    from observatory.run_report import SNAPSHOT_KEY

    paths, run_id = broken_inbox["paths"], broken_inbox["status"]["run_id"]
    # As if the run had been launched by the daemon (schedule, sensor, UI): no summary recorded yet.
    paths.last_run_json.unlink()
    paths.last_run_md.unlink()
    with dg.DagsterInstance.get() as instance:
        instance.add_run_tags(run_id, {"observatory/summary": "-", "observatory/files": "-"})
        before = len(instance.fetch_observations(SNAPSHOT_KEY, limit=100).records)
    _run_sensor(run_failure_report, run_id, dg.DagsterEventType.RUN_FAILURE)

    tags = _tags(run_id)
    assert tags["observatory/summary"].startswith("Refresh FAILED at raw/hr_leavers")
    assert "inbox/hr_leavers/leavers_2024.csv" in tags["observatory/files"]
    status = json.loads(paths.last_run_json.read_text())
    assert status["run_id"] == run_id and status["status"] == "failure"
    assert "inbox/hr_training/training_2024.xlsx" in status["files"]
    with dg.DagsterInstance.get() as instance:
        records = instance.fetch_observations(SNAPSHOT_KEY, limit=100).records
    assert len(records) == before + 1
    observation = records[0].asset_observation
    assert observation.metadata["run_id"].value == run_id
    assert "inbox/hr_payroll/payroll_2024.csv" in observation.metadata["files"].value
    assert "Set OBSERVATORY_PSEUDONYMISATION_KEY" in observation.metadata["what_to_do"].value
    assert "Nothing has been published yet" in observation.description


# -- a council that has published: stale source, disclosure audit failure, dbt test failure ------------


@pytest.fixture(scope="module")
def council(tmp_path_factory):
    from observatory.defs import publish as publish_defs
    from observatory.demo import justice
    from observatory.demo.authorities import authorities_for
    from observatory.demo.context import DemoContext
    from observatory.disclosure import Leak

    root = tmp_path_factory.mktemp("council") / "data"
    with pytest.MonkeyPatch.context() as mp:
        paths = use_data_dir(mp, root, authority=AUTHORITY, key=None, demo=True)
        ctx = DemoContext(
            seed=3,
            scale="borough",
            authorities=authorities_for("borough"),
            snapshot_dates=(date(2025, 3, 31),),
            dirty=None,
        )
        justice.write(paths.inbox, ctx)
        old = time.time() - STALE_DAYS * 86400
        for file in paths.inbox_for("youth_justice").iterdir():
            os.utime(file, (old, old))
        runs = {"published": _refresh()}
        snapshot_bytes = paths.snapshot.read_bytes()

        # The next night the disclosure audit finds a leak (planted) in the new tables.
        real_audit = publish_defs.audit_snapshot

        def leaking_audit(snapshot, con, k=None, memo=None):
            report = real_audit(snapshot, con, k, memo)
            report.leaks.append(Leak("outcome_indicators", {"indicator": "planted"}, "numerator", 2.0, 2.0))
            return report

        mp.setattr(publish_defs, "audit_snapshot", leaking_audit)
        runs["leak"] = _refresh()
        mp.setattr(publish_defs, "audit_snapshot", real_audit)

        # The night after, a value the contract forbids is in the warehouse: a dbt source test fails.
        # Through the pipeline's own resource: an in-process DuckDB instance may still be open.
        with WarehouseResource(database=str(paths.warehouse)).get_connection() as con:
            con.execute(
                'update raw.stop_search set "type" = null '
                "where _source_row = (select min(_source_row) from raw.stop_search)"
            )
        runs["dbt"] = _refresh()
        yield {"paths": paths, "runs": runs, "snapshot_bytes": snapshot_bytes}


def test_the_first_refresh_publishes_and_warns_of_the_stale_source(council):
    output, status, exit_code = council["runs"]["published"]
    assert exit_code == 0 and status["status"] == "success" and status["publication"]["updated_by_run"]
    warned = [(w["asset"], w["check"], w["severity"]) for w in status["warnings"]]
    assert ("raw/youth_justice", "extract_fresh", "WARN") in warned
    assert "warning raw/youth_justice:extract_fresh: youth_justice: the newest extract, dated" in output
    tags = _tags(status["run_id"])
    assert tags["observatory/outcome"] == "succeeded"
    assert "raw/youth_justice:extract_fresh" in tags["observatory/warnings"]


def test_an_old_extract_fails_the_freshness_check_with_date_cadence_and_days_overdue(council):
    _, status, _ = council["runs"]["published"]
    checks = _check_evaluations(status["run_id"], "extract_fresh")
    stale = checks["raw/youth_justice"]
    assert not stale.passed and stale.severity == dg.AssetCheckSeverity.WARN
    (file,) = council["paths"].inbox_for("youth_justice").iterdir()
    file_date = datetime.fromtimestamp(file.stat().st_mtime, UTC).date()
    overdue = STALE_DAYS - 366
    text = stale.description
    assert text.startswith(
        f"youth_justice: the newest extract, dated {file_date} (latest period ending 2025-"
    )
    assert (
        f"is {STALE_DAYS} days old at {date.today()}: {overdue} days overdue against its 366-day cadence"
        in text
    )
    assert "drop it in inbox/youth_justice/" in text
    assert stale.metadata["days_overdue"].value == overdue
    assert stale.metadata["latest_file_date"].value == str(file_date)


def test_a_fresh_extract_passes_and_a_source_never_received_is_not_warned(council):
    _, status, _ = council["runs"]["published"]
    checks = _check_evaluations(status["run_id"], "extract_fresh")
    fresh = checks["raw/stop_search"]
    assert fresh.passed
    assert f"is 0 days old at {date.today()}, within its 366-day cadence" in fresh.description
    assert (
        checks["raw/hr_payroll"].passed and "No extract of hr_payroll" in checks["raw/hr_payroll"].description
    )
    # Every ingest asset has the check; only the stale source warns.
    assert len(checks) == 19
    assert [k for k, e in checks.items() if not e.passed] == ["raw/youth_justice"]


def test_freshness_is_judged_again_on_a_night_with_no_new_file(council):
    _, status, _ = council["runs"]["leak"]
    checks = _check_evaluations(status["run_id"], "extract_fresh")
    assert not checks["raw/youth_justice"].passed and checks["raw/stop_search"].passed


def test_a_disclosure_audit_failure_says_what_to_do_and_that_the_last_publication_stays(council):
    output, status, exit_code = council["runs"]["leak"]
    assert exit_code == 1
    assert council["paths"].snapshot.read_bytes() == council["snapshot_bytes"]
    out = " ".join(output.split())
    assert (
        "The last good publication stays live:" in out and "the board site and exports are unchanged" in out
    )
    assert "published/snapshot: Disclosure audit FAILED" in out
    assert "outcome_indicators: numerator of (indicator=planted)" in out
    assert "NOT published. This is a defect in disclosure control, not in an extract" in out
    (failure,) = status["failures"]
    assert failure["step"] == "published/snapshot" and "report the run id" in failure["action"]
    assert status["publication"]["exists"] and not status["publication"]["updated_by_run"]
    assert _tags(status["run_id"])["observatory/failed_steps"] == "published/snapshot"


def test_a_dbt_test_failure_names_the_test_the_source_folder_and_what_to_do(council):
    output, status, exit_code = council["runs"]["dbt"]
    assert exit_code == 1
    assert council["paths"].snapshot.read_bytes() == council["snapshot_bytes"]
    out = " ".join(output.split())
    assert "observatory_dbt_assets:" in out
    failed = [(c["asset"], c["check"]) for c in status["failed_checks"]]
    assert ("raw/stop_search", "source_not_null_justice_stop_search_type") in failed
    assert "check raw/stop_search:source_not_null_justice_stop_search_type failed (ERROR" in out
    assert "A dbt model or test failed, so nothing was published" in out
    assert status["files"] == ["inbox/stop_search/"]
    assert "The last good publication stays live" in out


def test_the_success_sensor_rewrites_the_status_file_for_a_good_run(council):
    from observatory.defs.sensors import run_success_report

    paths = council["paths"]
    run_id = council["runs"]["published"][1]["run_id"]
    _run_sensor(run_success_report, run_id, dg.DagsterEventType.RUN_SUCCESS)
    status = json.loads(paths.last_run_json.read_text())
    assert status["run_id"] == run_id and status["status"] == "success" and status["failures"] == []
    assert paths.last_run_md.read_text().startswith("# Refresh succeeded:")
