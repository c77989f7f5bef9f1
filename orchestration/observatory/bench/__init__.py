"""`make bench`: how long a full refresh takes at partnership and national scale, and where it goes.

Generates a scale with the demo generator (cached, ``inputs.py``), times the floor (DuckDB reading
every input file once), runs a full refresh in-process exactly as ``observatory refresh`` does while
a thread samples the memory of the process tree (``memory.py``), reads the per-stage figures back
from Dagster's event log (``stages.py``), then changes one source's extract and runs that source's
ingest and everything downstream (what the inbox sensor would run), and writes
``benchmarks/results/<date>-<scale>-<host>.json`` with the table in ``benchmarks/README.md``
(``results.py``). Issue 10; ``benchmarks/README.md`` says how to read it.

It lives in the package (not only in ``benchmarks/``) so the tests import it and the lint covers it;
``benchmarks/run.py`` is the thin script ``make bench`` runs.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click

from observatory import config
from observatory.bench.inputs import cached_inbox, floor_summary, measure_floor, stage_data_dir, touch_extract
from observatory.bench.memory import GIB_BYTES, MemorySampler, rusage_peaks
from observatory.bench.results import (
    judge,
    machine,
    update_readme,
    versions,
    where_the_time_goes,
    write_results,
)
from observatory.bench.stages import MIB, RunEvents, read_events, run_stages, stage

# Bench scale -> (the demo generator's scale, default years). smoke is the CI-sized run.
SCALES: dict[str, tuple[str, int]] = {
    "smoke": ("borough", 1),
    "london": ("london", 5),
    "england": ("england", 5),
}
BENCH_DIR = config.REPO_ROOT / "benchmarks"


@dataclass
class Measured:
    """One in-process refresh: its wall time (definitions loading included), events and memory."""

    seconds: float
    events: RunEvents
    sampler: MemorySampler
    audit_seconds: list[float]
    materialized: int
    failed_steps: list[tuple[str, str]]


@contextmanager
def data_dir_env(data_dir: Path) -> Iterator[None]:
    """Point the Observatory and Dagster at ``data_dir`` for the duration (restored afterwards)."""
    names = (config.DATA_DIR_ENV, "DAGSTER_HOME")
    saved = {n: os.environ.get(n) for n in names}
    os.environ[config.DATA_DIR_ENV] = str(data_dir)
    os.environ["DAGSTER_HOME"] = str(data_dir / "dagster_home")
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def measured_refresh(selection: str | None = None) -> Measured:
    """``run_refresh`` in-process with memory sampling; the disclosure audit's seconds timed apart."""
    import dagster as dg

    from observatory.refresh import ensure_manifest, run_refresh

    ensure_manifest()
    import observatory.defs.publish as publish_defs

    audits: list[float] = []
    original = publish_defs.audit_snapshot

    def timed_audit(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            audits.append(time.perf_counter() - started)

    publish_defs.audit_snapshot = timed_audit
    try:
        with MemorySampler() as sampler:
            started = time.perf_counter()
            result, summary = run_refresh(selection)
            seconds = time.perf_counter() - started
    finally:
        publish_defs.audit_snapshot = original
    with dg.DagsterInstance.get() as instance:
        events = read_events(instance, result.run_id)
    return Measured(seconds, events, sampler, audits, len(summary.materialized), summary.failed_steps)


def _seconds(stages: list[dict], kind: str, name: str | None = None) -> float | None:
    found = [s["seconds"] for s in stages if s["stage"] == kind and (name is None or s["name"] == name)]
    return round(sum(x for x in found if x is not None), 3) if found else None


def summarise(stages: list[dict], floor: dict, full: Measured, incremental: Measured | None) -> dict:
    peaks = [m.sampler.peak() for m in (full, incremental) if m is not None]
    peak = max((p for p in peaks if p is not None), default=None)
    models = [s for s in stages if s["stage"] == "dbt" and s["name"] != "all"]
    slowest = max(models, key=lambda s: s["seconds"] or 0, default=None)
    ingest = next((s for s in stages if s["stage"] == "ingest" and s["name"] == "all"), {})
    publish = next((s for s in stages if s["stage"] == "publish"), {})
    summary = {
        "status": full.events.status,
        "failed_steps": [step for step, _ in full.failed_steps],
        "refresh_seconds": round(full.seconds, 1),
        "run_seconds": None if full.events.wall is None else round(full.events.wall, 1),
        "floor_seconds": floor["seconds"],
        "refresh_over_floor": round(full.seconds / floor["seconds"], 1) if floor["seconds"] else None,
        "generation_seconds": _seconds(stages, "generation"),
        "ingest_seconds": _seconds(stages, "ingest", "all"),
        "dbt_seconds": _seconds(stages, "dbt", "all"),
        "publish_seconds": _seconds(stages, "publish"),
        "audit_seconds": publish.get("audit_seconds"),
        "site_seconds": _seconds(stages, "site"),
        "exports_seconds": _seconds(stages, "exports"),
        "board_pack_seconds": _seconds(stages, "board_pack"),
        "validate_over_read": ingest.get("validate_over_read"),
        "slowest_model": {"name": slowest["name"], "seconds": slowest["seconds"]} if slowest else None,
        "assets_materialized": full.materialized,
        "peak_rss_mib": None if peak is None else round(peak / MIB, 1),
        "peak_rss_gib": None if peak is None else round(peak / GIB_BYTES, 2),
        **rusage_peaks(),
    }
    if incremental is not None:
        summary.update(
            incremental_seconds=round(incremental.seconds, 1),
            incremental_share=round(incremental.seconds / full.seconds, 3),
            incremental_assets=incremental.materialized,
            incremental_status=incremental.events.status,
        )
    return summary


def run_bench(
    scale: str,
    *,
    seed: int = 42,
    years: int | None = None,
    cache_root: Path = BENCH_DIR / ".cache",
    results_dir: Path = BENCH_DIR / "results",
    readme: Path = BENCH_DIR / "README.md",
    incremental_source: str | None = "stop_search",
    log: Callable[[str], None] = click.echo,
) -> tuple[Path, dict]:
    """Generate (or reuse) the scale, measure the floor and a full refresh (and an incremental one);
    write the results file and the README table. Returns the results file and its content."""
    demo_scale, default_years = SCALES[scale]
    years = years or default_years
    started_at = (
        datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    )  # real time, never pinned
    host, installed = machine(), versions()
    cache = cache_root / f"{scale}-seed{seed}-y{years}"
    generation = cached_inbox(cache, scale=demo_scale, seed=seed, years=years, log=log)
    how = "cached" if generation.cached else "generated"
    log(
        f"Inputs: {generation.files} files, {generation.bytes / MIB:,.0f} MiB "
        f"({how}, {generation.seconds:,.1f} s)."
    )
    floor = floor_summary(measure_floor(generation.inbox))
    log(
        f"Floor: {floor['seconds']:.1f} s to read {floor['rows']:,} rows once "
        f"(CSV {floor['csv_seconds']:.1f} s with DuckDB, XLSX {floor['xlsx_seconds']:.1f} s with calamine)."
    )
    data_dir = stage_data_dir(generation.inbox, cache / "data")
    with data_dir_env(data_dir):
        log(f"Full refresh in {data_dir} ...")
        full = measured_refresh()
        stages = [
            stage(
                "generation",
                demo_scale,
                generation.seconds,
                floor["rows"],
                generation.peak_rss_bytes,
                cached=generation.cached,
                files=generation.files,
                bytes=generation.bytes,
                generated_at=generation.generated_at,
            ),
            stage(
                "floor",
                "all",
                floor["seconds"],
                floor["rows"],
                None,
                csv_seconds=floor["csv_seconds"],
                xlsx_seconds=floor["xlsx_seconds"],
            ),
            *run_stages(
                full.events,
                warehouse=data_dir / "warehouse.duckdb",
                sampler=full.sampler,
                floor=floor,
                audit_seconds=full.audit_seconds,
            ),
            stage(
                "refresh",
                "full",
                full.seconds,
                floor["rows"],
                full.sampler.peak(),
                status=full.events.status,
                assets=full.materialized,
            ),
        ]
        incremental = None
        if incremental_source:
            changed = touch_extract(data_dir / "inbox", incremental_source)
            log(f"Incremental refresh: {changed.name} changed; its ingest and everything downstream ...")
            incremental = measured_refresh(f'key:"raw/{incremental_source}"+')
            stages.append(
                stage(
                    "refresh",
                    "incremental",
                    incremental.seconds,
                    None,
                    incremental.sampler.peak(),
                    status=incremental.events.status,
                    assets=incremental.materialized,
                    source=incremental_source,
                    file=changed.name,
                    share_of_full=round(incremental.seconds / full.seconds, 3),
                    # Where the incremental time goes: each step that ran, by its wall seconds.
                    steps={
                        step: round(seconds, 1)
                        for step in incremental.events.steps
                        if (seconds := incremental.events.seconds(step)) is not None
                    },
                )
            )
    summary = summarise(stages, floor, full, incremental)
    results = {
        "schema": 1,
        "scale": scale,
        "demo_scale": demo_scale,
        "authorities": _authorities(demo_scale),
        "years": years,
        "seed": seed,
        "started_at": started_at,
        "machine": {**host, "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "versions": installed,
        "summary": summary,
        "targets": judge(scale, summary),
        "where_the_time_goes": where_the_time_goes(stages, full.seconds),
        "floor": floor,
        "stages": stages,
    }
    path = write_results(results, results_dir)
    update_readme(results_dir, readme)
    return path, results


def _authorities(demo_scale: str) -> int:
    from observatory.demo import SCALES as DEMO_SCALES

    return DEMO_SCALES[demo_scale]


def report(results: dict) -> str:
    """A few lines for the terminal; the file and README hold the rest."""
    s = results["summary"]
    lines = [
        f"{results['scale']}: full refresh {s['refresh_seconds']:,.1f} s ({s['status']}) "
        f"= {s['refresh_over_floor']} x the floor ({s['floor_seconds']:.1f} s); "
        f"peak RSS {s['peak_rss_mib']} MiB",
        f"  ingest {s['ingest_seconds']} s (validate/read {s['validate_over_read']}), "
        f"dbt {s['dbt_seconds']} s (slowest {s['slowest_model']}), "
        f"publish {s['publish_seconds']} s (audit {s['audit_seconds']} s), site {s['site_seconds']} s, "
        f"exports {s['exports_seconds']} s, board pack {s['board_pack_seconds']} s",
    ]
    if "incremental_seconds" in s:
        lines.append(
            f"  incremental {s['incremental_seconds']} s = {s['incremental_share']:.0%} of full "
            f"({s['incremental_assets']} assets)"
        )
    for t in results["targets"]:
        verdict = "not measured" if t["met"] is None else ("met" if t["met"] else "MISSED")
        lines.append(f"  target: {t['target']}: {t['value']} (limit {t['limit']}) {verdict}")
    return "\n".join(lines)


@click.command()
@click.option("--scale", type=click.Choice(list(SCALES)), default="london", show_default=True)
@click.option("--seed", default=42, show_default=True, help="The demo generator's seed.")
@click.option("--years", type=int, default=None, help="Years of data (default: 1 for smoke, 5 otherwise).")
@click.option(
    "--incremental-source",
    default="stop_search",
    show_default=True,
    help="The source whose newest extract changes for the incremental refresh.",
)
@click.option("--no-incremental", is_flag=True, help="Skip the incremental refresh.")
@click.option("--cache-dir", type=click.Path(path_type=Path), default=BENCH_DIR / ".cache", show_default=True)
@click.option(
    "--results-dir", type=click.Path(path_type=Path), default=BENCH_DIR / "results", show_default=True
)
def main(
    scale: str,
    seed: int,
    years: int | None,
    incremental_source: str,
    no_incremental: bool,
    cache_dir: Path,
    results_dir: Path,
) -> None:
    """Benchmark a full refresh at a scale (benchmarks/README.md)."""
    # Synthetic data, so the public demo key is expected: one warning per file would bury the progress.
    warnings.filterwarnings("ignore", message=f"{config.KEY_ENV} is not set")
    path, results = run_bench(
        scale,
        seed=seed,
        years=years,
        cache_root=cache_dir.resolve(),
        results_dir=results_dir.resolve(),
        incremental_source=None if no_incremental else incremental_source,
    )
    click.echo(report(results))
    click.echo(f"Results: {path}")
