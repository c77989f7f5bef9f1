"""What a refresh run did, in one place: what failed, which file, what to do, what readers still see.

Composed from the run's Dagster event log, so every place a person or a monitoring tool looks says the
same thing: the end of `observatory refresh`, the run's tags and an observation on
``published/snapshot`` in the Dagster UI (written by the run-status sensors in ``defs/sensors.py``),
and the status files ``data/status/last_run.json`` and ``last_run.md``.

An ingest step that fails raises ``dg.Failure`` with ``files``, ``problems`` (file, row, columns)
and ``action`` metadata (``defs/ingest.py``); other steps get the action their kind of failure
calls for (``ACTIONS``).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from observatory import config

DBT_STEP = "observatory_dbt_assets"
SNAPSHOT_ASSET = "published/snapshot"
SNAPSHOT_KEY = dg.AssetKey(["published", "snapshot"])
TAG_PREFIX = "observatory/"
# Dagster shows tags in the runs list; keep each one line and short enough to read there.
TAG_LIMIT = 400
MAX_DETAILS = 20

RERUN = "then run the refresh again (`observatory refresh`, or re-execute the run in the Dagster UI)"
ACTIONS = {
    "dbt": (
        "A dbt model or test failed, so nothing was published. The failed checks are listed above; "
        "dbt's own message is in the Dagster UI (this run, step observatory_dbt_assets). A failed test "
        "on a raw/<source> asset means the extract in inbox/<source>/ holds values the contract should "
        f"have caught: fix or remove that file, {RERUN}. A failed model or a test on a model is a "
        "defect: report the run id to whoever maintains the Observatory's models."
    ),
    "disclosure": (
        "The disclosure audit recovered counts below the threshold from the new tables, so they were "
        "NOT published. This is a defect in disclosure control, not in an extract: do not publish by "
        "hand; report the run id and the leaks (Dagster UI: step published__snapshot, its metadata) to "
        "whoever maintains the Observatory."
    ),
    "after_publish": (
        "The new snapshot was published but this output was not rebuilt from it, so it still shows the "
        f"previous figures. Read the step's error in the Dagster UI, fix the cause, {RERUN}: unchanged "
        "extracts are skipped."
    ),
    "other": f"Read the step's error in the Dagster UI (this run, the step named), fix the cause, {RERUN}.",
}


@dataclass
class StepFailure:
    step: str  # the asset key (raw/hr_payroll) for a one-asset step, else Dagster's step key
    message: str
    details: list[str] = field(default_factory=list)  # one line per problem ("leavers.csv: ...")
    files: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)  # "leavers.csv: header row 1; columns a, b"
    action: str = ""


@dataclass
class CheckResult:
    asset: str
    check: str
    severity: str
    blocking: bool
    description: str = ""


@dataclass
class Publication:
    snapshot: str
    exists: bool
    published_at: str | None  # of the snapshot live now
    updated_by_run: bool


@dataclass
class RunReport:
    run_id: str
    job: str
    status: str  # success | failure | canceled | ...
    started_at: str | None
    ended_at: str | None
    materialized: int
    not_built: list[str]
    failures: list[StepFailure]
    failed_checks: list[CheckResult]  # severity ERROR: these stop the publication
    warnings: list[CheckResult]  # severity WARN
    publication: Publication

    @property
    def failed(self) -> bool:
        return self.status != "success"

    @property
    def files(self) -> list[str]:
        seen: dict[str, None] = {}
        for f in self.failures:
            seen.update(dict.fromkeys(f.files))
        for c in self.failed_checks:
            if c.asset.startswith("raw/"):
                seen[f"inbox/{c.asset.removeprefix('raw/')}/"] = None
        return list(seen)

    @property
    def actions(self) -> list[str]:
        return list(dict.fromkeys(f.action for f in self.failures if f.action))

    @property
    def headline(self) -> str:
        if not self.failed:
            warned = f", {len(self.warnings)} warning(s)" if self.warnings else ""
            return f"Refresh succeeded: {self.materialized} assets materialised{warned}."
        steps = ", ".join(f.step for f in self.failures) or self.status
        files = f"; files: {', '.join(self.files)}" if self.files else ""
        return f"Refresh FAILED at {steps}{files}."

    def publication_line(self) -> str:
        p = self.publication
        if p.updated_by_run:
            return f"The new snapshot is live: {p.snapshot} (published {p.published_at})."
        if p.exists:
            return (
                f"The last good publication stays live: {p.snapshot} (published {p.published_at}); "
                "the board site and exports are unchanged."
            )
        return "Nothing has been published yet: no earlier snapshot to keep live."

    def lines(self) -> list[tuple[str, str | None]]:
        """The report as (line, colour) pairs for a terminal; colour is None, red or yellow."""
        out: list[tuple[str, str | None]] = []
        for c in self.warnings:
            out.append((f"  warning {c.asset}:{c.check}: {_one_line(c.description) or 'failed'}", "yellow"))
        if not self.failed:
            return out
        out.append((f"The refresh FAILED (run {self.run_id}). {self.publication_line()}", "red"))
        for i, f in enumerate(self.failures, 1):
            out.append((f"{i}. {f.step}: {f.message}", "red"))
            for detail in f.details:
                out.append((f"   - {detail}", "red"))
            for loc in f.locations:
                out.append((f"   where: {loc}", None))
            if f.action:
                out.append((f"   what to do: {f.action}", None))
        for c in self.failed_checks:
            blocking = ", blocking" if c.blocking else ""
            out.append(
                (f"  check {c.asset}:{c.check} failed (ERROR{blocking}) {_one_line(c.description)}", "red")
            )
        if self.not_built:
            out.append((f"Not built because of the failure: {_not_built_text(self.not_built)}.", None))
        return out

    def markdown(self) -> str:
        when = f"{self.started_at} to {self.ended_at} UTC" if self.started_at else ""
        text = [f"# {self.headline}", "", f"Run `{self.run_id}` of `{self.job}`, {when}.", ""]
        text += [self.publication_line(), ""]
        if self.failures:
            text += ["## What failed", ""]
            for f in self.failures:
                text.append(f"- **{f.step}**: {f.message}")
                text += [f"  - {detail}" for detail in f.details]
                text += [f"  - where: {loc}" for loc in f.locations]
                if f.action:
                    text.append(f"  - **what to do**: {f.action}")
            text.append("")
        if self.failed_checks:
            text += ["## Checks that failed (errors)", ""]
            text += [
                f"- `{c.asset}:{c.check}`: {_one_line(c.description) or 'failed'}" for c in self.failed_checks
            ]
            text.append("")
        if self.not_built:
            text += [f"Not built because of the failure: {_not_built_text(self.not_built)}.", ""]
        if self.warnings:
            text += ["## Warnings", ""]
            text += [
                f"- `{c.asset}:{c.check}`: {_one_line(c.description) or 'failed'}" for c in self.warnings
            ]
            text.append("")
        return "\n".join(text)

    def to_json(self) -> dict:
        data = asdict(self)
        data.update(headline=self.headline, files=self.files, actions=self.actions)
        return data

    def tags(self) -> dict[str, str]:
        """Run tags for the Dagster UI: one line each."""
        tags = {f"{TAG_PREFIX}outcome": "failed" if self.failed else "succeeded"}
        if self.failed:
            tags[f"{TAG_PREFIX}summary"] = self.headline
            tags[f"{TAG_PREFIX}failed_steps"] = ", ".join(f.step for f in self.failures) or self.status
            if self.files:
                tags[f"{TAG_PREFIX}files"] = ", ".join(self.files)
            if self.actions:
                tags[f"{TAG_PREFIX}action"] = " | ".join(self.actions)
            tags[f"{TAG_PREFIX}publication"] = self.publication_line()
        if self.warnings:
            tags[f"{TAG_PREFIX}warnings"] = ", ".join(f"{c.asset}:{c.check}" for c in self.warnings)
        return {k: _clip(v) for k, v in tags.items()}


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _clip(text: str, limit: int = TAG_LIMIT) -> str:
    text = _one_line(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _not_built_text(keys: list[str]) -> str:
    groups: dict[str, int] = {}
    for key in keys:
        groups[key.split("/")[0]] = groups.get(key.split("/")[0], 0) + 1
    return f"{len(keys)} assets (" + ", ".join(f"{n} {g}" for g, n in sorted(groups.items())) + ")"


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _metadata_value(metadata, name: str):
    value = metadata.get(name)
    return None if value is None else getattr(value, "value", value)


def _error_message(error) -> str:
    """The exception's message without Dagster's class prefix for a dg.Failure."""
    if error is None:
        return "unknown error"
    message = error.message.strip()
    for prefix in ("dagster._core.definitions.events.Failure: ",):
        message = message.removeprefix(prefix)
    return message


def _step_failure(
    event: dg.DagsterEvent, failed_checks: list[CheckResult], snapshot_built: bool
) -> StepFailure:
    data = event.event_specific_data
    step = event.step_key or "run"
    user = data.user_failure_data
    if user is not None and user.description:
        text = user.description.split("\n\nWhat to do:")[0].strip()
    else:
        text = _error_message(data.error)
    message, *rest = text.splitlines() or [""]
    details = [line.removeprefix("- ").strip() for line in rest if line.strip()][:MAX_DETAILS]
    metadata = user.metadata if user is not None else {}
    files = list(_metadata_value(metadata, "files") or [])
    problems = _metadata_value(metadata, "problems") or []
    locations = [p["where"] for p in problems if isinstance(p, dict) and p.get("where")]
    action = _metadata_value(metadata, "action")
    if not action:
        if step == DBT_STEP:
            action = ACTIONS["dbt"]
            files += [
                f"inbox/{c.asset.removeprefix('raw/')}/" for c in failed_checks if c.asset.startswith("raw/")
            ]
        elif "disclosure audit failed" in text.lower():
            action = ACTIONS["disclosure"]
        elif snapshot_built and step.startswith("published__"):
            action = ACTIONS["after_publish"]
        else:
            action = ACTIONS["other"]
    return StepFailure(
        step=_display(step),
        message=message.rstrip(":"),
        details=details,
        files=list(dict.fromkeys(files)),
        locations=locations,
        action=action,
    )


def _display(step: str) -> str:
    """raw__hr_payroll -> raw/hr_payroll: a one-asset step is named by its asset, as the UI shows it."""
    return step.replace("__", "/") if "__" in step else step


def _check_result(event: dg.DagsterEvent) -> CheckResult:
    data = event.event_specific_data
    return CheckResult(
        asset=data.asset_key.to_user_string(),
        check=data.check_name,
        severity=data.severity.value if data.severity else "ERROR",
        blocking=bool(data.blocking),
        description=data.description or "",
    )


def live_publication(updated_by_run: bool) -> Publication:
    """The snapshot readers see now, and when it was published (from its manifest)."""
    snapshot = config.paths().snapshot
    published_at = None
    if snapshot.exists():
        try:
            with config.connect(snapshot, read_only=True) as con:
                row = con.execute("select max(published_at) from publish.manifest").fetchone()
            published_at = f"{row[0]:%Y-%m-%d %H:%M} UTC" if row and row[0] else None
        except Exception:  # the report must never fail because the snapshot is odd
            published_at = None
    return Publication(
        snapshot=str(snapshot),
        exists=snapshot.exists(),
        published_at=published_at or "at an unknown time",
        updated_by_run=updated_by_run,
    )


def build_report(instance: dg.DagsterInstance, run_id: str) -> RunReport:
    """Read the run's event log and compose its report."""
    run = instance.get_run_by_id(run_id)
    record = instance.get_run_record_by_id(run_id)
    planned: dict[str, None] = {}
    materialized: dict[str, None] = {}
    step_failures: list[dg.DagsterEvent] = []
    checks: list[CheckResult] = []
    run_failure = ""
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            continue
        kind = event.event_type_value
        if kind == "ASSET_MATERIALIZATION_PLANNED":
            planned[event.asset_key.to_user_string()] = None
        elif kind == "ASSET_MATERIALIZATION":
            materialized[event.asset_key.to_user_string()] = None
        elif kind == "STEP_FAILURE":
            step_failures.append(event)
        elif kind == "ASSET_CHECK_EVALUATION" and not event.event_specific_data.passed:
            checks.append(_check_result(event))
        elif kind in ("PIPELINE_FAILURE", "RUN_FAILURE"):
            run_failure = event.message or ""
    failed_checks = [c for c in checks if c.severity != "WARN"]
    warnings = [c for c in checks if c.severity == "WARN"]
    snapshot_built = SNAPSHOT_ASSET in materialized
    failures = [_step_failure(e, failed_checks, snapshot_built) for e in step_failures]
    failed_assets = {f.step for f in failures}
    status = run.status.value.lower() if run else "unknown"
    if status != "success" and not failures:
        failures = [
            StepFailure(step="run", message=run_failure or f"the run ended {status}", action=ACTIONS["other"])
        ]
    return RunReport(
        run_id=run_id,
        job=run.job_name if run else "",
        status=status,
        started_at=_iso(record.start_time if record else None),
        ended_at=_iso(record.end_time if record else None),
        materialized=len(materialized),
        not_built=[k for k in planned if k not in materialized and k not in failed_assets]
        if status != "success"
        else [],
        failures=failures,
        failed_checks=failed_checks,
        warnings=warnings,
        publication=live_publication(updated_by_run=snapshot_built),
    )


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_status(report: RunReport) -> Path:
    """data/status/last_run.json (for monitoring tools) and last_run.md (for people), atomically."""
    paths = config.paths()
    data = {**report.to_json(), "written_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")}
    _write_atomically(paths.last_run_json, json.dumps(data, indent=2, default=str) + "\n")
    _write_atomically(paths.last_run_md, report.markdown() + "\n")
    return paths.last_run_json


def record_in_dagster(instance: dg.DagsterInstance, report: RunReport) -> None:
    """Tag the run with its summary and, after a failure, note on published/snapshot that the last good
    publication stays live, so both show in the Dagster UI."""
    instance.add_run_tags(report.run_id, report.tags())
    if report.failed:
        instance.report_runless_asset_event(
            dg.AssetObservation(
                asset_key=SNAPSHOT_KEY,
                description=f"{report.headline} {report.publication_line()}",
                metadata={
                    "run_id": dg.MetadataValue.dagster_run(report.run_id),
                    "failed_steps": dg.MetadataValue.json([f.step for f in report.failures]),
                    "files": dg.MetadataValue.json(report.files),
                    "what_to_do": dg.MetadataValue.md("\n".join(f"- {a}" for a in report.actions) or "-"),
                    "summary": dg.MetadataValue.md(report.markdown()),
                    "live_snapshot_published_at": report.publication.published_at or "",
                },
            )
        )
