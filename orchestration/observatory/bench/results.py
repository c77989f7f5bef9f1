"""The results file (machine, versions, figures, targets) and the table in benchmarks/README.md."""

from __future__ import annotations

import json
import os
import platform
import re
import socket
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from observatory import config

PACKAGES = (
    "duckdb",
    "dbt-core",
    "dbt-duckdb",
    "dagster",
    "dagster-dbt",
    "pandas",
    "pandera",
    "pyarrow",
    "python-calamine",
)
README_START = "<!-- bench:results:start (written by make bench; do not edit by hand) -->"
README_END = "<!-- bench:results:end -->"


@dataclass(frozen=True)
class Target:
    """A target from issue 10, judged on one figure of the results' summary at one scale."""

    scale: str
    text: str
    figure: str
    limit: float
    unit: str


GIB = 1024**3
TARGETS = (
    Target("london", "Full refresh under 3 minutes", "refresh_seconds", 180, "s"),
    Target("london", "Full refresh within 4x the floor", "refresh_over_floor", 4, "x"),
    Target("england", "Full refresh under 20 minutes", "refresh_seconds", 1200, "s"),
    Target("england", "Peak memory under 12 GiB", "peak_rss_gib", 12, "GiB"),
    Target(
        "london",
        "Incremental refresh (one source changed) under 25% of a full one",
        "incremental_share",
        0.25,
        "",
    ),
    Target(
        "england",
        "Incremental refresh (one source changed) under 25% of a full one",
        "incremental_share",
        0.25,
        "",
    ),
    Target("london", "Validation adds under 25% to reading", "validate_over_read", 0.25, ""),
    Target("england", "Validation adds under 25% to reading", "validate_over_read", 0.25, ""),
)


# Where a missed target's reason and plan are written (by hand, from the profile the file holds).
PLAN = "benchmarks/README.md#missed-targets-why-and-the-plan"


def judge(scale: str, summary: dict) -> list[dict]:
    """Each target for this scale with its measured figure and met (true/false; null if not measured).
    A missed one points at the profile in the same file and at the written reason and plan."""
    out = []
    for t in TARGETS:
        if t.scale != scale:
            continue
        value = summary.get(t.figure)
        met = None if value is None else value < t.limit
        judged = {"target": t.text, "figure": t.figure, "limit": t.limit, "value": value, "met": met}
        # A refresh that failed stopped early: its time is no measure of the work (a failed incremental
        # refresh is quick because nothing after the failure ran).
        status = summary.get("incremental_status" if t.figure == "incremental_share" else "status")
        if value is not None and status not in (None, "SUCCESS"):
            judged["met"] = met = False
            judged["failed"] = f"the refresh ended {status}: its figures cannot meet a target"
        if met is False:
            judged["profile"] = "where_the_time_goes"
            judged["reason_and_plan"] = PLAN
        out.append(judged)
    return out


def where_the_time_goes(stages: list[dict], refresh_seconds: float, top: int = 12) -> list[dict]:
    """The profile of a full refresh: its largest parts, each with its share of the refresh. Parts
    are one source's ingest, one dbt model, dbt's tests and start-up (the dbt step less its models),
    the disclosure audit, the rest of the snapshot, the site, the exports and the board pack."""
    if not refresh_seconds:
        return []
    parts = []
    for s in stages:
        kind, name, seconds = s["stage"], s["name"], s["seconds"]
        if seconds is None or kind in ("generation", "floor", "refresh"):
            continue
        if kind == "dbt" and name == "all":
            parts.append(("dbt", "tests and start-up", seconds - s.get("model_seconds", 0.0)))
        elif kind == "publish" and s.get("audit_seconds") is not None:
            parts += [
                ("publish", "disclosure audit", s["audit_seconds"]),
                ("publish", name, s["copy_seconds"]),
            ]
        elif name != "all":
            parts.append((kind, name, seconds))
    parts.sort(key=lambda p: -p[2])
    return [
        {"stage": kind, "name": name, "seconds": round(sec, 1), "share": round(sec / refresh_seconds, 3)}
        for kind, name, sec in parts[:top]
    ]


def machine() -> dict:
    info = {
        "host": socket.gethostname(),
        "cores": os.cpu_count(),
        "os": platform.platform(),
        "python": platform.python_version(),
    }
    try:
        meminfo = Path("/proc/meminfo").read_text()
        info["ram_gib"] = round(int(re.search(r"MemTotal:\s+(\d+) kB", meminfo).group(1)) / 1024**2, 1)
        cpuinfo = Path("/proc/cpuinfo").read_text()
        model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
        info["cpu"] = model.group(1).strip() if model else platform.processor()
    except (OSError, AttributeError):
        info["cpu"] = platform.processor()
    # Others' work on a shared machine slows every stage: the load average says how busy it was.
    info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    return info


def versions() -> dict:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    out["git_commit"] = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no")
    out["git_dirty"] = None if status is None else bool(status)
    return out


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=config.REPO_ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def write_results(results: dict, results_dir: Path) -> Path:
    """benchmarks/results/<date>-<scale>-<host>.json (a second run the same day replaces the first)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    date = results["started_at"][:10]
    host = re.sub(r"[^A-Za-z0-9_.-]+", "-", results["machine"]["host"])
    path = results_dir / f"{date}-{results['scale']}-{host}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path


def latest_results(results_dir: Path) -> dict[str, tuple[Path, dict]]:
    """The newest results file per scale."""
    latest: dict[str, tuple[Path, dict]] = {}
    for path in sorted(results_dir.glob("*.json")):
        try:
            results = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        scale = results.get("scale")
        if scale and (scale not in latest or results["started_at"] >= latest[scale][1]["started_at"]):
            latest[scale] = (path, results)
    return latest


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
    else:
        text = f"{value:,}"
    return f"{text} {unit}".strip()


def readme_block(results_dir: Path, readme: Path) -> str:
    latest = latest_results(results_dir)
    rel = os.path.relpath(results_dir, readme.parent)
    lines = [
        README_START,
        "",
        "### Targets (issue 10), latest measured figure",
        "",
        "| target | scale | limit | latest | met? | results |",
        "|---|---|---|---|---|---|",
    ]
    for t in TARGETS:
        path, results = latest.get(t.scale, (None, None))
        summary = (results or {}).get("summary", {})
        value = summary.get(t.figure)
        # Judged as the results file judges it: a figure of a failed refresh meets no target.
        judged = next((j for j in judge(t.scale, summary) if j["figure"] == t.figure), {}) if summary else {}
        failed = " (the refresh failed)" if judged.get("failed") else ""
        met = "not measured" if value is None else ("met" if judged.get("met") else f"**missed**{failed}")
        link = f"[{path.name}]({rel}/{path.name})" if path else "–"
        lines.append(
            f"| {t.text} | {t.scale} | {_fmt(t.limit, t.unit)} | {_fmt(value, t.unit)} | {met} | {link} |"
        )
    lines += [
        "",
        "### Latest run per scale",
        "",
        "| scale | date | authorities x years | input rows | floor | full refresh | x floor | dbt | "
        "slowest model | publish (audit) | peak RSS | incremental | load average |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for scale in ("smoke", "london", "england"):
        if scale not in latest:
            continue
        path, r = latest[scale]
        s = r["summary"]
        slowest = s.get("slowest_model") or {}
        # A refresh that failed (the disclosure audit refusing to publish) says so beside its time.
        failed = (
            ""
            if s.get("status", "SUCCESS") == "SUCCESS"
            else f" ({s['status']}: {', '.join(s.get('failed_steps', []))})"
        )
        lines.append(
            f"| {scale} | {r['started_at'][:10]} | {r['authorities']} x {r['years']} | "
            f"{_fmt(r['floor']['rows'])} | "
            f"{_fmt(s.get('floor_seconds'), 's')} | {_fmt(s.get('refresh_seconds'), 's')}{failed} | "
            f"{_fmt(s.get('refresh_over_floor'), 'x')} | {_fmt(s.get('dbt_seconds'), 's')} | "
            f"{slowest.get('name', '–')} ({_fmt(slowest.get('seconds'), 's')}) | "
            f"{_fmt(s.get('publish_seconds'), 's')} ({_fmt(s.get('audit_seconds'), 's')}) | "
            f"{_fmt(s.get('peak_rss_gib'), 'GiB')} | {_fmt(s.get('incremental_seconds'), 's')} | "
            f"{', '.join(str(x) for x in r['machine'].get('load_average_at_start', []))} |"
        )
    for scale in ("london", "england"):
        if scale not in latest:
            continue
        r = latest[scale][1]
        profile = r.get("where_the_time_goes") or where_the_time_goes(
            r.get("stages", []), r["summary"].get("refresh_seconds") or 0
        )
        if not profile:
            continue
        lines += ["", f"### Where the time goes: {scale}, full refresh", "", "| part | seconds | share |"]
        lines.append("|---|---|---|")
        lines += [
            f"| {p['stage']}: {p['name']} | {_fmt(p['seconds'])} | {p['share']:.0%} |" for p in profile[:8]
        ]
    lines += ["", README_END]
    return "\n".join(lines)


def update_readme(results_dir: Path, readme: Path) -> None:
    """Regenerate the block between the markers in ``readme`` from the newest results per scale."""
    text = readme.read_text() if readme.exists() else f"# Benchmarks\n\n{README_START}\n{README_END}\n"
    if README_START not in text or README_END not in text:
        text = text.rstrip() + f"\n\n{README_START}\n{README_END}\n"
    before, rest = text.split(README_START, 1)
    _, after = rest.split(README_END, 1)
    readme.write_text(before + readme_block(results_dir, readme) + after)
