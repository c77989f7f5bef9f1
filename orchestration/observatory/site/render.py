"""Render every page of the site into a directory.

Pages whose ``publish.*`` tables are missing from the snapshot are skipped, so an older
snapshot still builds. Output is written with explicit encoding and newlines so the same
snapshot gives byte-identical files on any machine.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from observatory.site import formatting as f
from observatory.site.changes import compare
from observatory.site.downloads import write_downloads
from observatory.site.pages import Page, all_pages
from observatory.site.snapshot import Snapshot

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
SITE_NAME = "Race Equality Observatory"


def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,  # a typo in a template fails the build, not the page
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _root(page_path: str) -> str:
    """Relative prefix from a page back to the site root ('' or '../'), so links work offline."""
    return "../" * page_path.count("/")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def render_site(
    snapshot: Snapshot,
    out: Path,
    *,
    demo: bool,
    previous: Snapshot | None = None,
    exports: Path | None = None,
) -> tuple[Page, ...]:
    """Write pages, downloads and static files into ``out``; return the pages built.

    ``previous`` is the snapshot the live one replaced (the overview says what changed); ``exports``
    the ``published/exports`` link, whose XLSX files the downloads take when made from this snapshot."""
    tables = snapshot.tables()
    pages = tuple(p for p in all_pages() if set(p.requires) <= tables)
    for skipped in sorted({p.path for p in all_pages()} - {p.path for p in pages}):
        log.warning("site page %s skipped: its publish tables are not in the snapshot", skipped)

    manifest = snapshot.manifest()
    shared: dict[str, Any] = {
        "site_name": SITE_NAME,
        "demo": demo,
        "published_at": f.long_datetime(manifest.published_at) if manifest.published_at else None,
        "code_versions": manifest.code_versions,
        "legend": f.LEGEND,
        "symbol_words": f.SYMBOL_WORDS,
        "snapshot_changes": compare(snapshot, previous),
    }
    env = environment()
    for page in pages:
        root = _root(page.path)
        nav = [{"href": root + p.path, "label": p.nav_label, "current": p.path == page.path} for p in pages]
        html = env.get_template(page.template).render(
            **shared, **page.context(snapshot), page=page, root=root, nav=nav
        )
        _write(out / page.path, html)
    write_downloads(snapshot, out, (d for p in pages for d in p.downloads), demo=demo, exports=exports)

    for src in sorted(STATIC.rglob("*")):
        if src.is_file():
            dest = out / "static" / src.relative_to(STATIC)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
    return pages
