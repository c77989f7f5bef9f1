"""Run the whole pipeline in-process (what `observatory refresh` and the tests call)."""

from __future__ import annotations

import subprocess

import click
import dagster as dg

from observatory import config
from observatory.progress import RunSummary, progress_logger


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


def run_refresh() -> tuple[dg.ExecuteInProcessResult, RunSummary]:
    """Materialise every asset of the nightly job once, printing one line per asset."""
    config.export_environment()
    ensure_manifest()
    from observatory.definitions import build_defs

    summary = RunSummary()
    defs = build_defs(loggers={"progress": progress_logger(summary)})
    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def("nightly_refresh").execute_in_process(
            instance=instance,
            raise_on_error=False,
            # Loggers are only instantiated when named in the run config.
            run_config={"loggers": {"progress": {}}},
        )
    return result, summary
