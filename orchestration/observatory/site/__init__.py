"""The board site: a static site built in Python from the published snapshot only.

Board members read plain HTML (no JavaScript, no external requests); it is rebuilt from the
snapshot after each publish and swapped in atomically, so readers never see a half-built site.
"""

from __future__ import annotations

from pathlib import Path

from observatory.site.publish import publish
from observatory.site.render import render_site
from observatory.site.snapshot import Snapshot

__all__ = ["build_site"]


def build_site(snapshot_path: Path, site_link: Path, *, demo: bool) -> Path:
    """Build the static site from the published snapshot; atomically point site_link at it; return the build dir."""  # noqa: E501
    with Snapshot.open(Path(snapshot_path)) as snapshot:
        return publish(Path(site_link), lambda out: render_site(snapshot, out, demo=demo))
