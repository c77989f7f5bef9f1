"""A refresh killed at any stage leaves the last publication intact and served; readers never see a
mix; the next refresh gives exactly what an uninterrupted one gives (issue 9, items 2 to 4).

One small council (the demo generator, one year) is refreshed to a first publication, P1. A new
extract (the resident survey) then arrives, and from that same state:
- an uninterrupted refresh gives P2, while readers query the snapshot and fetch every page of the
  served site in a loop;
- a copy is refreshed again and again, each time killed with SIGKILL to its whole process group
  (dbt included, as a power cut or the OOM killer would) at one of ``observatory.crashpoints.POINTS``,
  in pipeline order, and then refreshed to the end, again under the readers' loop.
After every kill the snapshot, site and exports must each be a complete publication (P1's, or P2's
once the swap has happened) and the site must be served; the final refresh must give P2 exactly: the
same published tables row for row in order, the same site and exports byte for byte (the board pack
PDF aside: Chromium numbers its tagged structure differently on each print). ``SOURCE_DATE_EPOCH``
pins every time the Observatory records, so byte equality is a fair test.

Everything is measured once in the module fixture; the tests read what it saw.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from observatory import config
from observatory.crashpoints import CRASH_ENV, POINTS
from observatory.demo import generate
from observatory.site.server import make_server

EPOCH = "1774008000"  # 2026-03-20 12:00 UTC
NEW_SOURCE = "resident_survey"  # arrives after the first publication
PUBLISH_ONLY = "key:published/*"  # the snapshot, site, exports and pack, from the warehouse as it stands
# Points after the dbt build: killed runs there need only rebuild the publication, as a data engineer
# would from the Dagster UI; the final refresh is a whole one.
AFTER_DBT = ("publish.swapped", "site.written", "exports.written")
NOT_BYTE_IDENTICAL = {"board-pack.pdf"}
OBSERVATORY = Path(sys.executable).with_name("observatory")
REPORTS = Path(__file__).parent / "reports"
# Between a reader's rounds: often enough to read every stage many times (the swap itself is a rename,
# so no pause is short enough to matter there), seldom enough to leave the refresh its second core.
READER_PAUSE = 0.25


# --- what a publication is -----------------------------------------------------------------------


def snapshot_fingerprint(snapshot: Path) -> tuple[tuple[str, str], ...]:
    """Every published table's rows, in stored order, hashed; one connection, so one file.

    Hashed inside DuckDB (each row cast to text, joined in rowid order): the readers call this in a
    loop while refreshes run, and a Python-side hash would take the core the refresh needs.
    """
    with duckdb.connect(str(snapshot), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'publish' order by 1"
            ).fetchall()
        ]
        rows_hash = "select md5(coalesce(string_agg(cast(r as varchar), chr(10) order by rowid), '')) from "
        return tuple(
            (t, con.execute(rows_hash + f"(select rowid, r from publish.{t} as r)").fetchone()[0])
            for t in tables
        )


def tree_fingerprint(link: Path) -> str:
    """The files of the build a link points to (board pack PDF aside), hashed."""
    root = Path(os.path.realpath(link))
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name not in NOT_BYTE_IDENTICAL):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class Publication:
    snapshot: tuple
    previous: tuple | None
    site: str
    exports: str

    @classmethod
    def of(cls, root: Path) -> Publication:
        paths = config.Paths(root)
        previous = paths.previous_snapshot
        return cls(
            snapshot_fingerprint(paths.snapshot),
            snapshot_fingerprint(previous) if previous.exists() else None,
            tree_fingerprint(paths.site),
            tree_fingerprint(paths.exports),
        )


def served_pages(site_link: Path) -> dict[str, int]:
    """Serve the live site as `observatory serve` does and fetch every page: path -> HTTP status."""
    server = make_server(site_link, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        pages = sorted(p.name for p in Path(os.path.realpath(site_link)).glob("*.html"))
        return {page: _get(f"http://127.0.0.1:{port}/{page}") for page in pages}
    finally:
        server.shutdown()
        server.server_close()


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# --- readers that run while refreshes do ----------------------------------------------------------


@dataclass
class Readers:
    """A snapshot reader and a site reader looping until stopped; they record what they saw."""

    root: Path
    snapshots_seen: list[tuple] = field(default_factory=list)
    queries: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)

    def __enter__(self) -> Readers:
        self._stop = threading.Event()
        paths = config.Paths(self.root)
        self._server = make_server(paths.site, port=0)
        self._pages = sorted(p.name for p in Path(os.path.realpath(paths.site)).glob("*.html"))
        self._threads = [
            threading.Thread(target=self._server.serve_forever, daemon=True),
            threading.Thread(target=self._read_snapshot, args=(paths.snapshot,), daemon=True),
            threading.Thread(target=self._read_site, daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._threads[1].join(60)
        self._threads[2].join(60)
        self._server.shutdown()
        self._server.server_close()

    def _read_snapshot(self, snapshot: Path) -> None:
        while not self._stop.is_set():
            try:
                # What a BI tool does: open the file, read the manifest and the tables, aggregate.
                seen = snapshot_fingerprint(snapshot)
                with duckdb.connect(str(snapshot), read_only=True) as con:
                    con.execute(
                        "select indicator_id, count(*), avg(value) from publish.outcome_indicators group by 1"
                    ).fetchall()
                    manifest = dict(
                        con.execute("select table_name, row_count from publish.manifest").fetchall()
                    )
                    counted = {
                        t: con.execute(f"select count(*) from publish.{t}").fetchone()[0] for t in manifest
                    }
                self.queries += len(seen) + 2 + len(manifest)
                self.snapshots_seen.append(seen)
                if manifest != counted:
                    self.errors.append(f"manifest row counts {manifest} differ from the tables' {counted}")
            except Exception as error:  # any failure of a reader is what we count
                self.errors.append(f"snapshot: {type(error).__name__}: {error}")
            time.sleep(READER_PAUSE)

    def _read_site(self) -> None:
        port = self._server.server_address[1]
        while not self._stop.is_set():
            for page in self._pages:
                status = _get(f"http://127.0.0.1:{port}/{page}")
                self.requests += 1
                if status != 200:
                    self.errors.append(f"site: {page} answered {status}")
            time.sleep(READER_PAUSE)


# --- running refreshes ----------------------------------------------------------------------------


def refresh(
    root: Path, *, crash: str | None = None, select: str | None = None
) -> subprocess.CompletedProcess:
    """`observatory refresh` as its own process group (so a crash point can kill it with dbt)."""
    env = {k: v for k, v in os.environ.items() if k not in {CRASH_ENV, config.KEY_ENV, config.AUTHORITY_ENV}}
    env |= {
        config.DATA_DIR_ENV: str(root),
        "DAGSTER_HOME": str(root / "dagster_home"),
        config.SOURCE_DATE_EPOCH_ENV: EPOCH,
    }
    if crash:
        env[CRASH_ENV] = crash
    command = [str(OBSERVATORY), "refresh", *(["--select", select] if select else [])]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, start_new_session=True, timeout=3600, check=False
    )


def completed(run: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run


@pytest.fixture(scope="module")
def crashes(tmp_path_factory):
    base = tmp_path_factory.mktemp("crash")
    extracts = base / "extracts"
    generate(extracts, seed=7, years=1)

    first = base / "first"  # P1: everything but the new source
    shutil.copytree(extracts, first / "inbox", ignore=shutil.ignore_patterns(NEW_SOURCE))
    (first / ".synthetic-demo").write_text("synthetic test data\n")
    completed(refresh(first))
    p1 = Publication.of(first)

    def with_new_extract(name: str) -> Path:
        root = base / name
        shutil.copytree(first, root, symlinks=True)
        shutil.copytree(extracts / NEW_SOURCE, root / "inbox" / NEW_SOURCE)  # copy2: same mtimes
        return root

    uninterrupted = with_new_extract("uninterrupted")
    with Readers(uninterrupted) as during_refresh:
        completed(refresh(uninterrupted))
    p2 = Publication.of(uninterrupted)

    crashed = with_new_extract("crashed")
    after: dict[str, dict] = {}
    with Readers(crashed) as during_crashes:
        for point in POINTS:
            before = Publication.of(crashed)
            started = time.monotonic()
            run = refresh(crashed, crash=point, select=PUBLISH_ONLY if point in AFTER_DBT else None)
            after[point] = {
                "seconds": round(time.monotonic() - started),
                "returncode": run.returncode,
                "before": before,
                "publication": Publication.of(crashed),
                "served": served_pages(config.Paths(crashed).site),
                "output": run.stdout[-2000:] + run.stderr[-2000:],
            }
        completed(refresh(crashed))
    final = Publication.of(crashed)
    _record(after, {"uninterrupted refresh": during_refresh, "crash sequence": during_crashes}, final == p2)
    return {
        "p1": p1,
        "p2": p2,
        "after": after,
        "final": final,
        "readers": {"uninterrupted": during_refresh, "crashes": during_crashes},
        "roots": {"first": first, "uninterrupted": uninterrupted, "crashed": crashed},
    }


def _record(after: dict, readers: dict[str, Readers], same_as_uninterrupted: bool) -> None:
    """What was tried and seen, for the test log (conftest prints tests/reports/ at the end)."""
    figures = {
        "crash points": {
            point: {"killed": seen["returncode"] == -signal.SIGKILL, "seconds": seen["seconds"]}
            for point, seen in after.items()
        },
        "readers": {
            name: {
                "snapshot queries": r.queries,
                "page requests": r.requests,
                "errors": len(r.errors),
                "publications seen": len(set(r.snapshots_seen)),
            }
            for name, r in readers.items()
        },
        "final refresh equals the uninterrupted one": same_as_uninterrupted,
    }
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "crash_safety.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")


# --- the tests ------------------------------------------------------------------------------------


def test_the_new_extract_changes_the_publication(crashes):
    """Otherwise 'intact' and 'the same as an uninterrupted run' could not be told apart."""
    p1, p2 = crashes["p1"], crashes["p2"]
    assert p1.snapshot != p2.snapshot and p1.site != p2.site and p1.exports != p2.exports
    changed = {t for (t, h1), (_, h2) in zip(p1.snapshot, p2.snapshot, strict=True) if h1 != h2}
    assert {"outcome_indicators", "data_quality"} <= changed
    assert p2.previous == p1.snapshot


@pytest.mark.parametrize("point", list(POINTS))
def test_a_killed_refresh_leaves_a_whole_publication_served(crashes, point):
    seen = crashes["after"][point]
    assert seen["returncode"] == -signal.SIGKILL, f"the refresh was not killed at {point}: {seen['output']}"
    p1, p2, now, before = crashes["p1"], crashes["p2"], seen["publication"], seen["before"]
    # What each part must be after a kill at each point: P1's, P2's, or either (the site and the
    # exports are built independently after the swap, so a kill in one may follow the other's link),
    # never anything else.
    p1_only, p2_only, either = {p1}, {p2}, {p1, p2}
    expected = {
        "ingest.load": (p1_only, p1_only, p1_only),
        "dbt.build": (p1_only, p1_only, p1_only),
        "publish.copy": (p1_only, p1_only, p1_only),
        "publish.swapped": (p2_only, p1_only, p1_only),
        "site.written": (p2_only, p1_only, either),
        "exports.written": (p2_only, either, either),
    }[point]
    snapshot, site, exports = expected
    assert now.snapshot in {p.snapshot for p in snapshot}
    assert now.previous == (p1.snapshot if snapshot == p2_only else None)
    assert now.site in {p.site for p in site}
    assert now.exports in {p.exports for p in exports}
    # A build killed after writing and before linking leaves the part exactly as it was.
    killed_part = {"site.written": "site", "exports.written": "exports"}.get(point)
    if killed_part:
        assert getattr(now, killed_part) == getattr(before, killed_part)
    assert seen["served"] and set(seen["served"].values()) == {200}, seen["served"]


def test_the_next_refresh_gives_exactly_what_an_uninterrupted_one_gives(crashes):
    final, p2 = crashes["final"], crashes["p2"]
    assert final.snapshot == p2.snapshot  # every published table, row for row, in order
    assert final.previous == p2.previous  # rollback and "what changed" still reach P1
    assert final.site == p2.site
    assert final.exports == p2.exports


def test_no_row_is_lost_across_the_crashes(crashes):
    def load_log(root: Path):
        with duckdb.connect(str(config.Paths(root).warehouse), read_only=True) as con:
            return con.execute(
                """select source, file_name, rows_in, rows_loaded, rows_quarantined from raw.load_log
                   where not superseded order by all"""
            ).fetchall()

    crashed, uninterrupted = (load_log(crashes["roots"][k]) for k in ("crashed", "uninterrupted"))
    assert crashed == uninterrupted
    assert any(source == NEW_SOURCE for source, *_ in crashed)
    assert all(rows_in == loaded + quarantined for _, _, rows_in, loaded, quarantined in crashed)


def test_nothing_is_left_behind_by_the_killed_runs(crashes):
    published = config.Paths(crashes["roots"]["crashed"]).published
    assert sorted(p.name for p in published.glob(".*") if p.name != ".lock") == []


@pytest.mark.parametrize("which", ["uninterrupted", "crashes"])
def test_readers_never_error_and_never_see_a_mix(crashes, which):
    readers = crashes["readers"][which]
    p1, p2 = crashes["p1"], crashes["p2"]
    assert readers.errors == []
    assert readers.queries > 0 and readers.requests > 0
    assert set(readers.snapshots_seen) <= {p1.snapshot, p2.snapshot}
    # The loop spanned the swap: it read the old publication and then the new one.
    assert readers.snapshots_seen[0] == p1.snapshot and readers.snapshots_seen[-1] == p2.snapshot
