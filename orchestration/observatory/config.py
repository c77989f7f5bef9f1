"""One place that says where everything lives.

Dagster, dbt (profiles.yml reads OBSERVATORY_DATA_DIR) and the command line all derive their paths
from the single setting ``OBSERVATORY_DATA_DIR`` (default ``./data``), so they cannot disagree.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
CONTRACTS_DIR = REPO_ROOT / "sources"

DATA_DIR_ENV = "OBSERVATORY_DATA_DIR"
AUTHORITY_ENV = "OBSERVATORY_AUTHORITY_CODE"
KEY_ENV = "OBSERVATORY_PSEUDONYMISATION_KEY"
# The reproducible-builds convention (reproducible-builds.org/specs/source-date-epoch): when set, every
# time the Observatory records (load, build, publish) is this one, so two refreshes of the same inputs
# give byte-identical tables, site and exports. Unset in normal runs.
SOURCE_DATE_EPOCH_ENV = "SOURCE_DATE_EPOCH"
# DuckDB's memory cap, for every connection and dbt's (profiles.yml has the same default): a size
# ("6GiB") or a share of RAM ("25%"). DuckDB's own default is 80% of RAM in each process, and dbt's
# Python models and the process pools hold memory beside it: at England scale the disclosure flags
# reached the machine's limit with it (docs/scaling.md). DuckDB spills what does not fit to disk.
DUCKDB_MEMORY_ENV = "OBSERVATORY_DUCKDB_MEMORY_LIMIT"
DUCKDB_MEMORY_DEFAULT = "25%"
_MEMORY_LIMIT = re.compile(r"\d+(\.\d+)?\s*(%|[KMGT]i?B)", re.IGNORECASE)

# The authority the bundled demo council uses; demo data directories default to it.
DEMO_AUTHORITY_CODE = "X09000001"


@dataclass(frozen=True)
class Paths:
    """Every location under the data directory."""

    data_dir: Path

    @property
    def inbox(self) -> Path:
        return self.data_dir / "inbox"

    @property
    def warehouse(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def audit_memo(self) -> Path:
        """Digests of the partitions that passed the last disclosure audit (of true counts: private,
        beside the warehouse, never published)."""
        return self.data_dir / "disclosure_audit_memo.json"

    @property
    def published(self) -> Path:
        return self.data_dir / "published"

    @property
    def snapshot(self) -> Path:
        return self.published / "observatory.duckdb"

    @property
    def previous_snapshot(self) -> Path:
        return self.published / "observatory.previous.duckdb"

    @property
    def exports(self) -> Path:
        """CSV and XLSX of every published table: a link swapped atomically to a complete set."""
        return self.published / "exports"

    @property
    def site(self) -> Path:
        return self.data_dir / "site"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster_home"

    @property
    def status(self) -> Path:
        """The last run's outcome for people and monitoring tools: last_run.json and last_run.md."""
        return self.data_dir / "status"

    @property
    def last_run_json(self) -> Path:
        return self.status / "last_run.json"

    @property
    def last_run_md(self) -> Path:
        return self.status / "last_run.md"

    @property
    def demo_marker(self) -> Path:
        """Present only in data directories that hold synthetic demo data (written by `observatory demo`)."""
        return self.data_dir / ".synthetic-demo"

    def inbox_for(self, source: str) -> Path:
        return self.inbox / source

    @property
    def is_demo(self) -> bool:
        return self.demo_marker.exists()


def data_dir() -> Path:
    """The data directory as an absolute path (relative settings are resolved against the cwd)."""
    return Path(os.environ.get(DATA_DIR_ENV, "data")).expanduser().resolve()


def paths() -> Paths:
    return Paths(data_dir())


def export_environment() -> Paths:
    """Pin the data directory (absolute) and Dagster's home in the environment for child processes.

    dbt is run as a subprocess and reads OBSERVATORY_DATA_DIR from profiles.yml; making it absolute
    here avoids dbt resolving a relative path from its own working directory.
    """
    p = paths()
    os.environ[DATA_DIR_ENV] = str(p.data_dir)
    os.environ[DUCKDB_MEMORY_ENV] = duckdb_memory_limit()  # dbt's profile reads it
    os.environ.setdefault("DAGSTER_HOME", str(p.dagster_home))
    ensure_dagster_home(Path(os.environ["DAGSTER_HOME"]))
    return p


def ensure_dagster_home(home: Path) -> None:
    """Create DAGSTER_HOME with telemetry off, so nothing leaves the machine."""
    home.mkdir(parents=True, exist_ok=True)
    cfg = home / "dagster.yaml"
    if not cfg.exists():
        cfg.write_text("telemetry:\n  enabled: false\n")


def authority_code() -> str | None:
    """The authority extracts without an authority column belong to."""
    code = os.environ.get(AUTHORITY_ENV)
    if code:
        return code
    return DEMO_AUTHORITY_CODE if paths().is_demo else None


def cores() -> int:
    """The cores this process may run on (its affinity, which a container or `taskset` narrows), so
    process pools size themselves to the machine they are on, not to the host's core count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def duckdb_memory_limit() -> str:
    """DuckDB's memory cap: OBSERVATORY_DUCKDB_MEMORY_LIMIT, or DUCKDB_MEMORY_DEFAULT."""
    limit = os.environ.get(DUCKDB_MEMORY_ENV, "").strip() or DUCKDB_MEMORY_DEFAULT
    if not _MEMORY_LIMIT.fullmatch(limit):
        raise ValueError(
            f"{DUCKDB_MEMORY_ENV}={limit!r} is not a memory size: give a share of RAM (25%) or a size "
            "(6GiB, 4000MB)"
        )
    return limit


def limit_memory(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """`con` with DuckDB's memory cap set (`duckdb_memory_limit`). Set after connecting, not in the
    connect's config: DuckDB refuses a second connection to a file open with another config."""
    con.execute(f"set memory_limit = '{duckdb_memory_limit()}'")
    return con


def connect(
    database: str | os.PathLike = ":memory:", *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the memory cap set (`limit_memory`). The package opens its
    connections here, so a new one cannot forget the cap (the Dagster resource, which connects
    itself, calls `limit_memory`)."""
    return limit_memory(duckdb.connect(str(database), read_only=read_only))


def pinned_now() -> datetime | None:
    """SOURCE_DATE_EPOCH as a naive UTC timestamp, or None when it is not set."""
    epoch = os.environ.get(SOURCE_DATE_EPOCH_ENV, "").strip()
    return datetime.fromtimestamp(int(epoch), UTC).replace(tzinfo=None) if epoch else None


def now() -> datetime:
    """The current UTC time as a naive timestamp (whole seconds), or SOURCE_DATE_EPOCH's when set."""
    return pinned_now() or datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@cache
def code_version() -> str:
    """The package version and git commit (``0.1.0+abc1234-dirty``), as the manifest and the warehouse's
    schema version record it; computed once per process."""
    from observatory import __version__

    try:
        out = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
        return f"{__version__}+{out.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        return __version__
