"""Shared fixtures: a fresh data directory per test, hand-built HR extracts, one pipeline run helper."""

from __future__ import annotations

import csv
import json
import subprocess
import time
from pathlib import Path

import pytest
from observatory import config

HR_HEADER = [
    "Employee Number", "As At Date", "Ethnic Origin", "Gender", "Pay Grade", "Department",
    "Contracted Hours", "Pay Frequency", "Basic Pay", "Allowances", "Bonus Pay 12 Months",
    "Reduced Pay Due To Leave",
]  # fmt: skip


def hr_row(emp, ethnicity, hourly=None, *, date="31/03/2024", sex="F", hours=35, period="Weekly",
           basic=None, allowances=0, bonus=0, leave="N", grade="SO1"):  # fmt: skip
    """One payroll row; `hourly` sets weekly basic pay = hourly x hours."""
    if basic is None:
        basic = hourly * hours
    return [emp, date, ethnicity, sex, grade, "Adults", hours, period, basic, allowances, bonus, leave]


def write_csv(path: Path, rows, header=HR_HEADER, encoding="utf-8", delimiter=",") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


REPORTS = Path(__file__).parent / "reports"  # figures tests measure (git-ignored), printed at the end
_SESSION_STARTED = time.time()


def pytest_terminal_summary(terminalreporter):
    """Print the figures tests wrote to tests/reports/ in this session, so CI's log carries them."""
    fresh = [p for p in sorted(REPORTS.glob("*.json")) if p.stat().st_mtime >= _SESSION_STARTED]
    for path in fresh:
        terminalreporter.write_sep("-", f"figures: tests/reports/{path.name}")
        try:
            figures = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:
            terminalreporter.write_line(f"unreadable: {error}")
            continue
        for name, value in figures.items():
            terminalreporter.write_line(f"{name}: {json.dumps(value)}")


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest():
    """Parse the dbt project once per session (Dagster loads the manifest at import)."""
    from observatory.refresh import ensure_manifest

    ensure_manifest()


def use_data_dir(
    mp: pytest.MonkeyPatch, root: Path, *, authority: str | None, key: str | None, demo: bool
) -> config.Paths:
    """Point every setting at a fresh data directory under `root` for the duration of `mp`."""
    root.mkdir(parents=True, exist_ok=True)
    mp.setenv(config.DATA_DIR_ENV, str(root))
    mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    for name, value in ((config.AUTHORITY_ENV, authority), (config.KEY_ENV, key)):
        if value is None:
            mp.delenv(name, raising=False)
        else:
            mp.setenv(name, value)
    paths = config.paths()
    if demo:
        paths.demo_marker.write_text("synthetic test data\n")
    return paths


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The bundled demo borough (seed 7, five years) through the whole pipeline, once per session.

    Yields the paths, the ground truth, the refresh result and summary; tests read the published
    snapshot (what boards see) or, read-only, the warehouse."""
    import duckdb  # noqa: F401  (imported here so a session without this fixture does not pay for it)
    from observatory.demo import generate
    from observatory.refresh import run_refresh

    root = tmp_path_factory.mktemp("demo") / "data"
    with pytest.MonkeyPatch.context() as mp:
        paths = use_data_dir(mp, root, authority=None, key=None, demo=True)
        paths.inbox.mkdir(parents=True)
        truth = generate(paths.inbox, seed=7)
        result, summary = run_refresh()
        yield {"paths": paths, "truth": truth, "result": result, "summary": summary}


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> config.Paths:
    """A fresh synthetic-demo data directory, set as OBSERVATORY_DATA_DIR for the test."""
    return use_data_dir(monkeypatch, tmp_path / "data", authority="X09000001", key=None, demo=True)


def git_available() -> bool:
    try:
        subprocess.run(["git", "--version"], capture_output=True, check=True)
        return True
    except OSError:
        return False
