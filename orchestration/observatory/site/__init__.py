"""The board site: a static site built in Python from the published snapshot only.

Board members read plain HTML (no external requests; a small local script only adds filters); it
is rebuilt from the snapshot after each publish and swapped in atomically, so readers never see a
half-built site.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb

from observatory.site.publish import publish
from observatory.site.render import render_site
from observatory.site.snapshot import Snapshot

__all__ = ["build_site"]

log = logging.getLogger(__name__)


def build_site(
    snapshot_path: Path,
    site_link: Path,
    *,
    demo: bool,
    previous: Path | None = None,
    exports: Path | None = None,
) -> Path:
    """Build the static site from the published snapshot; atomically point site_link at it; return the build dir.

    ``previous``: the snapshot the live one replaced (``config.paths().previous_snapshot``), for the
    overview's "what changed"; missing or unreadable, the overview says there is nothing to compare with.
    ``exports``: the export set's link (``config.paths().exports``); the downloads take its XLSX files
    instead of writing them again when it was made from this snapshot (site/downloads.py).
    """  # noqa: E501
    with Snapshot.open(Path(snapshot_path)) as snapshot, _open_previous(previous) as before:
        extra = {} if previous is None else {"previous": before}
        if exports is not None:
            extra["exports"] = exports
        return publish(Path(site_link), lambda out: render_site(snapshot, out, demo=demo, **extra))


@contextmanager
def _open_previous(path: Path | None) -> Iterator[Snapshot | None]:
    """The previous snapshot read-only, or None when there is none (first publication)."""
    if path is None or not Path(path).is_file():
        yield None
        return
    with ExitStack() as stack:
        try:
            before = stack.enter_context(Snapshot.open(Path(path)))
        except (ValueError, duckdb.Error) as exc:
            log.warning("previous snapshot %s not compared: %s", path, exc)
            before = None
        yield before
