"""Run the whole pipeline in-process (what `observatory refresh` and the tests call)."""

from __future__ import annotations

import subprocess

import click
import dagster as dg

from observatory import config
from observatory.progress import RunSummary, progress_logger
from observatory.run_report import RunReport, build_report, record_in_dagster, write_status


def ensure_manifest() -> None:
    """Parse the dbt project when its manifest is missing or older than any project file."""
    from observatory.defs.resources import dbt_executable

    project = config.DBT_PROJECT_DIR
    manifest = project / "target" / "manifest.json"
    inputs = [
        p
        for p in project.rglob("*")
        if p.suffix in {".sql", ".yml", ".csv", ".py"} and "target" not in p.relative_to(project).parts
    ]
    if manifest.exists() and all(p.stat().st_mtime <= manifest.stat().st_mtime for p in inputs):
        return
    click.echo("Parsing the dbt project…")
    subprocess.run([dbt_executable(), "parse", "--quiet"], cwd=project, check=True)


def run_refresh(selection: str | None = None) -> tuple[dg.ExecuteInProcessResult, RunSummary]:
    """Materialise every asset of the nightly job once, printing one line per asset.

    ``selection`` (Dagster's asset selection syntax, e.g. ``key:published/*``) runs only those assets,
    as a data engineer would from the UI.

    The warehouse is first brought to this release's schema (``observatory.migrations``, one
    transaction); ``UpgradeError`` (too new, or a rebuild needed) is raised before anything runs."""
    from observatory.migrations import upgrade_warehouse

    upgrade_warehouse(config.export_environment())
    ensure_manifest()
    from observatory.definitions import build_defs

    summary = RunSummary()
    defs = build_defs(loggers={"progress": progress_logger(summary)})
    subset = None
    if selection:
        subset = sorted(dg.AssetSelection.from_string(selection).resolve(defs.resolve_asset_graph()))
        if not subset:
            raise click.UsageError(f"--select {selection!r} matches no asset")
    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def("nightly_refresh").execute_in_process(
            asset_selection=subset,
            instance=instance,
            raise_on_error=False,
            # Loggers are only instantiated when named in the run config.
            run_config={"loggers": {"progress": {}}},
        )
        summary.report = report_run(instance, result.run_id)
    return result, summary


def report_run(instance: dg.DagsterInstance, run_id: str) -> RunReport:
    """Compose the run's report; tag the run with it and write data/status/last_run.json and .md.

    The Dagster daemon's run-status sensors do the same for runs it launches (schedule, sensors, UI)."""
    report = build_report(instance, run_id)
    record_in_dagster(instance, report)
    write_status(report)
    return report
