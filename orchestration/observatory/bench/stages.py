"""Per-stage figures of one refresh, read back from Dagster's event log.

Every step's window comes from its STEP_START and STEP_SUCCESS (or STEP_FAILURE) events; the ingest
assets carry their rows and their read/protect/validate/load seconds in their metadata
(``defs/ingest.py``); dagster-dbt gives each model's materialisation an ``Execution Duration`` (dbt's
own timing) and each test's check evaluation one too; the publish, site, exports and board-pack
assets carry their rows, cells and pages. Rows of each dbt model are counted in the warehouse after
the run. Peak memory of a stage is the peak of the memory samples inside its window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from observatory.bench.memory import MemorySampler

MIB = 1024 * 1024
STEP_END = {"STEP_SUCCESS", "STEP_FAILURE"}
PUBLISH_STEPS = {
    "published__snapshot": "publish",
    "published__board_site": "site",
    "published__exports": "exports",
    "published__board_pack": "board_pack",
}


def _value(v: Any) -> Any:
    """A Dagster MetadataValue's plain Python value."""
    if isinstance(v, dg.JsonMetadataValue):
        return v.data
    return getattr(v, "value", v)


def stage(
    kind: str,
    name: str,
    seconds: float | None,
    rows: int | None,
    peak_bytes: int | None,
    **extra: Any,
) -> dict:
    """One row of the report: wall seconds, rows, rows per second, peak RSS (MiB) and details."""
    # The rate is worked from the seconds as reported (to the millisecond), so the row agrees with itself
    # even for a step of a few milliseconds.
    seconds = None if seconds is None else round(seconds, 3)
    rate = round(rows / seconds, 1) if rows is not None and seconds else None
    return {
        "stage": kind,
        "name": name,
        "seconds": seconds,
        "rows": rows,
        "rows_per_second": rate,
        "peak_rss_mib": None if peak_bytes is None else round(peak_bytes / MIB, 1),
        **extra,
    }


@dataclass
class RunEvents:
    run_id: str
    status: str
    started: float | None = None
    ended: float | None = None
    steps: dict[str, list[float]] = field(default_factory=dict)  # step -> [start, end]
    step_status: dict[str, str] = field(default_factory=dict)
    materializations: list[tuple[float, str, tuple[str, ...], dict]] = field(default_factory=list)
    checks: list[tuple[float, str, tuple[str, ...], str, dict]] = field(default_factory=list)

    def window(self, step: str) -> tuple[float | None, float | None]:
        start, end = (self.steps.get(step) or [None, None])[:2]
        return start, end

    def seconds(self, step: str) -> float | None:
        start, end = self.window(step)
        return end - start if start is not None and end is not None else None

    @property
    def wall(self) -> float | None:
        return self.ended - self.started if self.started and self.ended else None


def read_events(instance: dg.DagsterInstance, run_id: str) -> RunEvents:
    run = instance.get_run_by_id(run_id)
    events = RunEvents(run_id=run_id, status=run.status.value if run else "UNKNOWN")
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            continue
        kind, ts = event.event_type_value, entry.timestamp
        if kind in ("PIPELINE_START", "RUN_START"):
            events.started = ts
        elif kind in ("PIPELINE_SUCCESS", "PIPELINE_FAILURE", "RUN_SUCCESS", "RUN_FAILURE"):
            events.ended = ts
        elif kind == "STEP_START":
            events.steps[entry.step_key] = [ts, ts]
        elif kind in STEP_END and entry.step_key in events.steps:
            events.steps[entry.step_key][1] = ts
            events.step_status[entry.step_key] = "success" if kind == "STEP_SUCCESS" else "failure"
        elif kind == "ASSET_MATERIALIZATION":
            m = event.event_specific_data.materialization
            meta = {k: _value(v) for k, v in m.metadata.items()}
            events.materializations.append((ts, entry.step_key, tuple(m.asset_key.path), meta))
        elif kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            meta = {k: _value(v) for k, v in data.metadata.items()}
            events.checks.append((ts, entry.step_key, tuple(data.asset_key.path), data.check_name, meta))
    if events.started is None and events.steps:
        events.started = min(s for s, _ in events.steps.values())
    if events.ended is None and events.steps:
        events.ended = max(e for _, e in events.steps.values())
    return events


def _count_rows(warehouse: Path, relations: list[tuple[str, str]]) -> dict[tuple[str, str], int | None]:
    counts: dict[tuple[str, str], int | None] = {}
    if not warehouse.exists():
        return dict.fromkeys(relations)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for schema, name in relations:
            try:
                counts[(schema, name)] = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[
                    0
                ]
            except duckdb.Error:
                counts[(schema, name)] = None
    return counts


def ingest_stages(events: RunEvents, sampler: MemorySampler | None, floor: dict | None) -> list[dict]:
    """One row per source (rows read, where its seconds went, x its floor) and a total."""
    rows = []
    by_source = (floor or {}).get("by_source", {})
    totals = dict.fromkeys(("read", "protect", "validate", "load", "checksum"), 0.0)
    for _ts, step, key, meta in events.materializations:
        if key[0] != "raw" or not step.startswith("raw__"):
            continue
        start, end = events.window(step)
        seconds = events.seconds(step)
        split = {s: float(meta.get(f"seconds_{s}", 0.0) or 0.0) for s in totals}
        for s, v in split.items():
            totals[s] += v
        source_floor = by_source.get(key[1], {}).get("seconds")
        rows.append(
            stage(
                "ingest",
                key[1],
                seconds,
                int(meta.get("rows_read", 0)),
                sampler.peak(start, end) if sampler else None,
                files_loaded=meta.get("files_loaded"),
                rows_loaded=meta.get("rows_loaded"),
                rows_quarantined=meta.get("rows_quarantined"),
                read_seconds=round(split["read"], 3),
                protect_seconds=round(split["protect"], 3),
                validate_seconds=round(split["validate"], 3),
                load_seconds=round(split["load"], 3),
                checksum_seconds=round(split["checksum"], 3),
                floor_seconds=source_floor,
                over_floor=round(seconds / source_floor, 1) if seconds and source_floor else None,
            )
        )
    rows.sort(key=lambda r: r["name"])
    steps = [f"raw__{r['name']}" for r in rows]
    windows = [events.window(s) for s in steps]
    seconds = sum(events.seconds(s) or 0.0 for s in steps)
    peaks = [sampler.peak(a, b) for a, b in windows] if sampler else []
    rows.append(
        stage(
            "ingest",
            "all",
            seconds,
            sum(r["rows"] or 0 for r in rows),
            max((p for p in peaks if p is not None), default=None),
            **{f"{s}_seconds": round(v, 3) for s, v in totals.items()},
            validate_over_read=round(totals["validate"] / totals["read"], 3) if totals["read"] else None,
        )
    )
    return rows


def dbt_stages(events: RunEvents, sampler: MemorySampler | None, warehouse: Path) -> list[dict]:
    """One row per dbt model and seed (dbt's execution time, rows in the warehouse) and a total."""
    models = []
    for ts, _step, key, meta in events.materializations:
        unique_id = str(meta.get("unique_id", ""))
        if not unique_id.startswith(("model.", "seed.", "snapshot.")):
            continue
        duration = float(meta.get("Execution Duration", 0.0) or 0.0)
        models.append((ts, key, unique_id, duration))
    counts = _count_rows(warehouse, [(k[0], k[-1]) for _, k, _, _ in models])
    rows = [
        stage(
            "dbt",
            "/".join(key),
            duration,
            counts.get((key[0], key[-1])),
            sampler.peak(ts - duration, ts) if sampler else None,
            resource=unique_id.split(".")[0],
        )
        for ts, key, unique_id, duration in models
    ]
    rows.sort(key=lambda r: -(r["seconds"] or 0))
    tests = [
        float(meta["Execution Duration"])
        for _, step, _, _, meta in events.checks
        if "Execution Duration" in meta and str(meta.get("unique_id", "")).startswith("test.")
    ]
    dbt_steps = [s for s in events.steps if s.startswith("observatory_dbt_assets")]
    seconds = sum(events.seconds(s) or 0.0 for s in dbt_steps)
    start = min((events.window(s)[0] for s in dbt_steps), default=None)
    end = max((events.window(s)[1] for s in dbt_steps), default=None)
    model_seconds = sum(r["seconds"] or 0 for r in rows)
    rows.append(
        stage(
            "dbt",
            "all",
            seconds if dbt_steps else None,
            sum(r["rows"] or 0 for r in rows),
            sampler.peak(start, end) if sampler and start else None,
            models=len(rows),
            model_seconds=round(model_seconds, 3),
            tests=len(tests),
            test_seconds=round(sum(tests), 3),
        )
    )
    return rows


def publish_stages(
    events: RunEvents, sampler: MemorySampler | None, audit_seconds: list[float] | None = None
) -> list[dict]:
    """The snapshot (with its disclosure audit), the site, the exports and the board pack."""
    meta_by_step = {step: meta for _, step, key, meta in events.materializations if step in PUBLISH_STEPS}
    snapshot_meta = meta_by_step.get("published__snapshot", {})
    snapshot_rows = sum((snapshot_meta.get("tables") or {}).values()) or None
    audit_meta = next((meta for _, step, _, name, meta in events.checks if name == "disclosure_audit"), {})
    rows = []
    for step, kind in PUBLISH_STEPS.items():
        seconds = events.seconds(step)
        if seconds is None:
            continue
        start, end = events.window(step)
        meta = meta_by_step.get(step, {})
        extra: dict[str, Any] = {"status": events.step_status.get(step)}
        count = snapshot_rows
        if kind == "publish":
            extra["tables"] = len(snapshot_meta.get("tables") or {})
            extra["audit_cells"] = sum((audit_meta.get("cells_attacked") or {}).values()) or None
            if audit_seconds:
                extra["audit_seconds"] = round(sum(audit_seconds), 3)
                extra["copy_seconds"] = round(seconds - sum(audit_seconds), 3)
        elif kind == "site":
            extra["pages"] = meta.get("pages")
        elif kind == "exports":
            count = sum((meta.get("rows") or {}).values()) or snapshot_rows
        elif kind == "board_pack":
            extra["pdf_pages"] = meta.get("pages")
        rows.append(
            stage(
                kind,
                step.removeprefix("published__"),
                seconds,
                count,
                sampler.peak(start, end) if sampler else None,
                **extra,
            )
        )
    return rows


def other_stages(events: RunEvents, sampler: MemorySampler | None) -> list[dict]:
    """Steps the report does not know by name (a new asset, a multi-asset check): listed, not lost."""
    known = set(PUBLISH_STEPS)
    rows = []
    for step in events.steps:
        if step in known or step.startswith(("raw__", "observatory_dbt_assets")):
            continue
        start, end = events.window(step)
        rows.append(
            stage("other", step, events.seconds(step), None, sampler.peak(start, end) if sampler else None)
        )
    return rows


def run_stages(
    events: RunEvents,
    *,
    warehouse: Path,
    sampler: MemorySampler | None = None,
    floor: dict | None = None,
    audit_seconds: list[float] | None = None,
) -> list[dict]:
    return [
        *ingest_stages(events, sampler, floor),
        *dbt_stages(events, sampler, warehouse),
        *publish_stages(events, sampler, audit_seconds),
        *other_stages(events, sampler),
    ]
