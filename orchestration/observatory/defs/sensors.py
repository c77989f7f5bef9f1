"""The inbox sensor: a file dropped in inbox/<source>/ starts that source's ingest and everything downstream.

Each tick compares the inbox with the cursor (file name, size and modification time per source
folder). New or changed files start one run of the changed sources' ingest assets and every asset
downstream of them (dbt models and checks, the snapshot, the site). A file the Observatory cannot
read (an unsupported type, or a file dropped loose in the inbox rather than in a source folder) is
moved to ``inbox/_set_aside/`` beside a ``.reason.txt`` saying why and what to do, never ignored.
"""

import hashlib
import json
import shutil
from pathlib import Path

import dagster as dg

from observatory import config
from observatory.contracts import load_contracts
from observatory.defs.ingest import SUPPORTED_SUFFIXES

SET_ASIDE = "_set_aside"
# Written by `observatory demo` beside the source folders: expected, not a stray file.
KNOWN_INBOX_FILES = {"ground_truth.json"}


def set_aside(inbox: Path, file: Path, reason: str) -> Path:
    """Move ``file`` to inbox/_set_aside/<folder>/ with a reason file; return its new path."""
    folder = file.parent.name if file.parent != inbox else "inbox"
    target_dir = inbox / SET_ASIDE / folder
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / file.name
    shutil.move(file, target)
    target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target


def _stray_files(inbox: Path, sources: list[str]) -> list[tuple[Path, str]]:
    """Files the ingest could never read, with the reason a person will see."""
    supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
    strays = []
    if not inbox.exists():
        return strays
    for f in sorted(inbox.iterdir()):
        if f.is_file() and not f.name.startswith(".") and f.name not in KNOWN_INBOX_FILES:
            strays.append(
                (
                    f,
                    f"{f.name} was dropped loose in the inbox. Move it into the folder of the source it is "
                    f"an extract of: inbox/<source>/ (sources: {', '.join(sources)}).",
                )
            )
    for source in sources:
        folder = inbox / source
        if not folder.exists():
            continue
        for f in sorted(folder.iterdir()):
            if f.is_file() and not f.name.startswith(".") and f.suffix.lower() not in SUPPORTED_SUFFIXES:
                strays.append(
                    (
                        f,
                        f"{f.name}: the Observatory cannot read {f.suffix or 'files without an extension'} "
                        f"files. Export the extract as {supported} and drop it in inbox/{source}/ again.",
                    )
                )
    return strays


def inbox_state(inbox: Path, sources: list[str]) -> dict[str, str]:
    """A fingerprint per source folder of the files in it (names, sizes, modification times)."""
    state = {}
    for source in sources:
        folder = inbox / source
        files = (
            sorted(f for f in folder.iterdir() if f.is_file() and not f.name.startswith("."))
            if (folder.exists())
            else []
        )
        listing = "\n".join(f"{f.name}\t{f.stat().st_size}\t{f.stat().st_mtime_ns}" for f in files)
        if listing:
            state[source] = hashlib.sha256(listing.encode()).hexdigest()[:16]
    return state


@dg.sensor(
    name="inbox_sensor",
    target=dg.AssetSelection.all(),
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs a source's ingest and everything downstream when files change in inbox/<source>/.",
)
def inbox_sensor(context: dg.SensorEvaluationContext):
    inbox = config.paths().inbox
    sources = sorted(load_contracts())
    for file, reason in _stray_files(inbox, sources):
        moved = set_aside(inbox, file, reason)
        context.log.warning(f"Set aside {file} -> {moved}: {reason}")

    previous = json.loads(context.cursor) if context.cursor else {}
    state = inbox_state(inbox, sources)
    changed = sorted(s for s, fingerprint in state.items() if previous.get(s) != fingerprint)
    context.update_cursor(json.dumps(state, sort_keys=True))
    if not changed:
        return dg.SkipReason("No new or changed files in the inbox.")
    selection = dg.AssetSelection.assets(*(dg.AssetKey(["raw", s]) for s in changed)).downstream()
    keys = selection.resolve(context.repository_def.asset_graph)
    return dg.RunRequest(
        run_key=json.dumps({s: state[s] for s in changed}, sort_keys=True),
        asset_selection=sorted(keys),
        tags={"observatory/trigger": "inbox", "observatory/sources": ",".join(changed)},
    )


def _report_run(context: dg.RunStatusSensorContext) -> None:
    """Compose the run's report from its event log and record it where people and tools look."""
    from observatory.run_report import build_report, record_in_dagster, write_status

    report = build_report(context.instance, context.dagster_run.run_id)
    record_in_dagster(context.instance, report)
    status_file = write_status(report)
    text = report.markdown()
    if report.failed:
        context.log.error(text)
    else:
        context.log.info(text)
    context.log.info(f"Wrote {status_file} and {status_file.with_suffix('.md')}")


@dg.run_failure_sensor(
    name="run_failure_report",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="When a run fails: one summary (failed steps and checks, the files involved, what to do, "
    "what readers still see) in the run's tags, as an observation on published/snapshot, in this "
    "sensor's log and in data/status/last_run.json and last_run.md.",
)
def run_failure_report(context: dg.RunFailureSensorContext):
    _report_run(context)


@dg.run_status_sensor(
    name="run_success_report",
    run_status=dg.DagsterRunStatus.SUCCESS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="When a run succeeds: its summary (and any warnings) in its tags and in "
    "data/status/last_run.json and last_run.md, so the status file always describes the last run.",
)
def run_success_report(context: dg.RunStatusSensorContext):
    _report_run(context)
