"""The site's downloads: each page's tables as CSV and XLSX, taken from the exports where they can be.

A download is publish.<table> whole, in the order its page declares (``Download.order_by``, then every
other column, so that ties never reorder rows), written by the exports' own writers
(observatory.exports). The ``published/exports`` asset writes every table in the same order
(``table_orders``) from the same snapshot, so writing the files again for the site (most of the
site's build time at London scale: outcome_indicators alone) is waste when the live export set was
made from this snapshot. A download is the export's files, hard-linked (copied across file systems),
when the set's ``manifest.csv`` is this snapshot's manifest and its ``README.csv`` the README this
build would write (same publication time, code version, synthetic or not), and then:

- the set's index (``exports.SET_INDEX``) says the files were written by this version of the writers,
  in this download's row order, and their checksums are the files' own: both are taken, nothing is
  written;
- else (an older set, a file changed since) the download's CSV is written, and the XLSX is taken when
  the set's CSV is byte for byte the one just written and its XLSX is stamped with the publication
  time (``write_xlsx(stamp=...)``), as the site's own would be.

So the files a reader downloads are the same bytes either way; only the time to build differs.
"""

from __future__ import annotations

import filecmp
import json
import logging
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from observatory.site.pages import Download, all_pages
from observatory.site.snapshot import Snapshot

log = logging.getLogger(__name__)


def table_orders() -> dict[str, tuple[str, ...]]:
    """Each downloaded table's row order as its page declares it (the exports write theirs the same)."""
    orders: dict[str, tuple[str, ...]] = {}
    for page in all_pages():
        for download in page.downloads:
            if orders.setdefault(download.table, download.order_by) != download.order_by:
                raise ValueError(f"two downloads of publish.{download.table} in different orders")
    return orders


@dataclass
class Written:
    """What ``write_downloads`` did: the tables whose XLSX came from the exports, and those written."""

    linked: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)


def write_downloads(
    snapshot: Snapshot, out: Path, downloads: Iterable[Download], *, demo: bool, exports: Path | None = None
) -> Written:
    """Write each table's download once into the build ``out``, taking XLSX files from ``exports``
    (the ``published/exports`` link) where that set was made from this snapshot."""
    result = Written()
    export_set = matching_export_set(snapshot, exports, demo=demo)
    done: set[str] = set()
    for d in downloads:
        if d.csv in done:  # pages sharing a table share its files (outcome_indicators: three pages)
            continue
        done.add(d.csv)
        linked = write_download(
            snapshot, d.table, d.order_by, out / d.csv, out / d.xlsx, demo=demo, export_set=export_set
        )
        (result.linked if linked else result.written).append(d.table)
    if export_set is not None:
        log.info(
            "site downloads: %d XLSX taken from the exports, %d written%s",
            len(result.linked),
            len(result.written),
            f" ({', '.join(result.written)}: not as the exports have them)" if result.written else "",
        )
    return result


def write_download(
    snapshot: Snapshot,
    table: str,
    order_by: Sequence[str],
    csv_path: Path,
    xlsx_path: Path,
    *,
    demo: bool,
    export_set: Path | None = None,
) -> bool:
    """Write publish.<table> as a CSV and an XLSX download with the exports' own writers (UTF-8 with
    BOM, README sheet of the symbols, formula-like text neutralised); the XLSX is ``export_set``'s
    file when that is the same. True when it was taken from there."""
    from observatory.exports import write_table_file  # not at the top: exports imports the site

    for dest in (csv_path, xlsx_path):
        dest.parent.mkdir(parents=True, exist_ok=True)
    if export_set is not None and _indexed(export_set, table, order_by):
        # The checksums were just read: if a link fails (the set pruned meanwhile), both are written.
        if _link(export_set / f"{table}.csv", csv_path) and _link(export_set / f"{table}.xlsx", xlsx_path):
            return True
        csv_path.unlink(missing_ok=True)
    readme, stamp = snapshot.readme(demo=demo)
    with snapshot.cursor() as con:  # streamed: England's outcome table as Python rows is 10 GiB
        write_table_file(con, table, "csv", csv_path, order_by, readme, stamp)
        taken = export_set is not None and _same_table(export_set, table, csv_path, stamp)
        if taken and _link(export_set / f"{table}.xlsx", xlsx_path):
            return True
        write_table_file(con, table, "xlsx", xlsx_path, order_by, readme, stamp)
    return False


def matching_export_set(snapshot: Snapshot, exports: Path | None, *, demo: bool) -> Path | None:
    """The live export set (the folder the ``exports`` link names) if it was made from this snapshot
    and says what this build's README says; None otherwise (no exports, another snapshot, a rollback)."""
    from observatory.exports import write_csv, write_readme_csv

    if exports is None or not (Path(exports) / "manifest.csv").is_file():
        return None
    export_set = Path(os.path.realpath(exports))  # one set, even if the link is swapped meanwhile
    with tempfile.TemporaryDirectory() as tmp:
        ours = Path(tmp)
        write_csv(ours / "manifest.csv", *snapshot.export("manifest", ()))
        write_readme_csv(ours / "README.csv", snapshot.readme(demo=demo)[0])
        if all(_same_file(ours / name, export_set / name) for name in ("manifest.csv", "README.csv")):
            return export_set
    log.info("site downloads: the exports at %s are not of this snapshot; every XLSX is written", exports)
    return None


def _indexed(export_set: Path, table: str, order_by: Sequence[str]) -> bool:
    """The set's index says its files of ``table`` are what this build would write: the same writer
    version and row order, and each file's checksum is still the one recorded."""
    from observatory.exports import SET_INDEX, file_sha256, writer_version

    try:
        index = json.loads((export_set / SET_INDEX).read_text())
        entry = index["tables"][table]
        if index["writer"] != writer_version() or entry["order_by"] != list(order_by):
            return False
        return all(file_sha256(export_set / f"{table}.{kind}") == entry[kind] for kind in ("csv", "xlsx"))
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _same_table(export_set: Path, table: str, csv_path: Path, stamp: datetime | None) -> bool:
    """The set's CSV of ``table`` is the one just written, and its XLSX is stamped with ``stamp``."""
    xlsx = export_set / f"{table}.xlsx"
    if stamp is None or not xlsx.is_file() or not _same_file(csv_path, export_set / f"{table}.csv"):
        return False
    return _created(xlsx) == _w3c(stamp)


def _same_file(a: Path, b: Path) -> bool:
    return b.is_file() and filecmp.cmp(a, b, shallow=False)


CREATED = re.compile(rb"<dcterms:created[^>]*>([^<]*)</dcterms:created>")


def _created(xlsx: Path) -> str | None:
    """The creation time an XLSX states (docProps/core.xml), as written."""
    try:
        with zipfile.ZipFile(xlsx) as z:
            match = CREATED.search(z.read("docProps/core.xml"))
    except (OSError, KeyError, zipfile.BadZipFile):
        return None
    return match.group(1).decode() if match else None


def _w3c(stamp: datetime) -> str:
    """A publication time as ``exports.write_xlsx(stamp=...)`` writes it into the workbook."""
    stamp = max(stamp.replace(tzinfo=None, microsecond=0), datetime(1980, 1, 1))
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _link(source: Path, dest: Path) -> bool:
    """``dest`` as a hard link to ``source`` (no bytes written), or a copy across file systems; False
    when neither can be made (the set was pruned meanwhile, say): the caller writes the file."""
    try:
        os.link(source, dest)
    except OSError:
        try:
            shutil.copyfile(source, dest)
        except OSError:
            return False
    return True
