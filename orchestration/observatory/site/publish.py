"""Atomic publication of a site build.

Each build is written to a hidden staging directory under ``site-builds/``, renamed to its final
name once complete, and only then made live by replacing the ``site`` symlink with
``os.replace`` (a single rename(2)). A server following the link therefore sees either the old
site or the new one, never a half-written one. The previous build is kept for rollback; older
builds are deleted.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from observatory import crashpoints

try:  # POSIX only; without it concurrent builds are merely not serialised.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

BUILDS_DIRNAME = "site-builds"
KEEP = 2  # the live build and the one before it
STAGING_PREFIX = ".building-"
STALE_STAGING_SECONDS = 3600  # staging dirs this old belong to builds that crashed


def builds_dir(site_link: Path) -> Path:
    return Path(os.path.abspath(site_link)).parent / BUILDS_DIRNAME


def publish(
    site_link: Path,
    write: Callable[[Path], None],
    *,
    builds: Path | None = None,
    crash_point: str = "site.written",
) -> Path:
    """Run ``write(staging_dir)``, then make the result live at ``site_link``; return its dir.

    ``builds`` is where builds are kept (default ``site-builds/`` beside the link; the exports use
    their own). ``crash_point`` names the moment after writing for the crash-safety tests."""
    site_link = Path(os.path.abspath(site_link))  # not resolve(): the link itself is replaced
    builds = Path(os.path.abspath(builds)) if builds is not None else builds_dir(site_link)
    builds.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=builds))
    try:
        os.chmod(staging, 0o755)  # mkdtemp makes it private; a web server must read it
        write(staging)
        crashpoints.reached(crash_point)
        with directory_lock(builds):
            final = _unused(builds, f"{_stamp()}-{tree_digest(staging)[:8]}")
            os.rename(staging, final)
            previous = _swap_link(site_link, final, builds)
            _prune(builds, keep={final.name, previous} - {None})
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("site published: %s -> %s", site_link, final)
    return final


def tree_digest(root: Path) -> str:
    """SHA-256 over every file's relative path and bytes: equal digests mean identical builds."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _unused(builds: Path, name: str) -> Path:
    """``name``, or ``name-1``, ``name-2``...: build ids never collide (called under the lock)."""
    candidate, n = builds / name, 0
    while candidate.exists():
        n += 1
        candidate = builds / f"{name}-{n}"
    return candidate


@contextmanager
def directory_lock(directory: Path) -> Iterator[None]:
    """An exclusive lock on ``directory`` (its ``.lock`` file), released when the holder exits or dies.

    Serialises swap + prune so one build cannot delete another's not-yet-linked build; the snapshot
    publication takes it on ``published/`` too."""
    with open(directory / ".lock", "a") as fh:
        if fcntl is not None:
            fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _swap_link(site_link: Path, final: Path, builds: Path) -> str | None:
    """Point ``site_link`` at ``final``; return the name of the build it pointed to before."""
    previous: str | None = None
    if site_link.is_symlink():
        old = Path(os.path.normpath(site_link.parent / os.readlink(site_link)))
        previous = old.name if old.parent == builds else None
    elif site_link.is_dir():
        # Older layout: the site was a real directory. Keep it as a build rather than delete it.
        # (A directory cannot be atomically replaced by a symlink; this one-off migration leaves
        # the path missing for the instant between these two renames.)
        legacy = _unused(builds, f"{_stamp()}-legacy")
        os.rename(site_link, legacy)
        previous = legacy.name
    elif site_link.exists():
        raise FileExistsError(f"{site_link} exists and is neither a symlink nor a directory")

    tmp_link = site_link.with_name(f".{site_link.name}.{secrets.token_hex(4)}.tmp")
    os.symlink(os.path.relpath(final, site_link.parent), tmp_link, target_is_directory=True)
    try:
        os.replace(tmp_link, site_link)
    except BaseException:
        tmp_link.unlink(missing_ok=True)
        raise
    return previous


def _prune(builds: Path, keep: set[str]) -> None:
    """Delete completed builds other than ``keep`` (topped up to KEEP with the newest)."""
    completed = sorted(
        (p for p in builds.iterdir() if p.is_dir() and not p.is_symlink()),
        key=lambda p: p.name,
        reverse=True,
    )
    finished = [p for p in completed if not p.name.startswith(".")]
    for p in finished:
        if len(keep) >= KEEP:
            break
        keep.add(p.name)
    for p in finished:
        if p.name not in keep:
            shutil.rmtree(p, ignore_errors=True)
    now = time.time()
    for p in completed:
        if p.name.startswith(STAGING_PREFIX) and now - p.stat().st_mtime > STALE_STAGING_SECONDS:
            shutil.rmtree(p, ignore_errors=True)
