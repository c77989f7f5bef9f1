"""The benchmark's inputs: demo extracts generated once per scale and cached, and the floor.

The cache (``benchmarks/.cache/<scale>-seed<seed>-y<years>/inbox``, git-ignored) is keyed on a hash
of the generator's code (every file of ``observatory/demo``): change the generator and the next run
regenerates. Each run gets a fresh data directory whose inbox holds hard links to the cached files
(copies when the cache is on another file system), so a run never changes the cache.

**The floor** is the time DuckDB takes to read every input file once: ``read_csv`` with
``all_varchar`` for CSV into a temporary table. DuckDB's excel extension cannot be downloaded
offline, so XLSX is timed with python-calamine (what the Observatory's own reader uses), every sheet.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from observatory.bench.memory import MemorySampler

DEMO_DIR = Path(__file__).resolve().parents[1] / "demo"
INPUT_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx"}
PER_FILE_LIMIT = 500


def generator_hash() -> str:
    """sha256 over the demo generator's code: a changed generator invalidates the cache."""
    h = hashlib.sha256()
    for path in sorted(DEMO_DIR.rglob("*.py")):
        h.update(path.relative_to(DEMO_DIR).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


@dataclass
class Generation:
    inbox: Path
    cached: bool
    seconds: float  # when cached: the seconds the cached generation took
    peak_rss_bytes: int | None
    files: int
    bytes: int
    generator_sha256: str
    generated_at: str


def input_files(inbox: Path) -> list[Path]:
    """Every extract in inbox/<source>/ (what the ingest reads), sorted."""
    return sorted(
        p
        for p in inbox.glob("*/*")
        if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES and not p.parent.name.startswith("_")
    )


def cached_inbox(
    cache: Path,
    *,
    scale: str,
    seed: int,
    years: int,
    generate: Callable[..., object] | None = None,
    log: Callable[[str], None] = print,
) -> Generation:
    """The cached inbox for (scale, seed, years), generated first when missing or stale."""
    if generate is None:
        from observatory.demo import generate
    key = generator_hash()
    meta_file = cache / "generation.json"
    inbox = cache / "inbox"
    if meta_file.exists() and inbox.is_dir():
        meta = json.loads(meta_file.read_text())
        if meta.get("generator_sha256") == key:
            return Generation(**{**meta, "inbox": inbox, "cached": True})
        log(f"The demo generator changed since {cache.name} was generated: generating it again.")
    shutil.rmtree(cache, ignore_errors=True)
    partial = cache / "inbox.partial"
    partial.mkdir(parents=True)
    log(f"Generating the {scale} scale ({years} year(s), seed {seed}) into {inbox} ...")
    with MemorySampler() as sampler:
        started = time.perf_counter()
        generate(partial, seed=seed, scale=scale, years=years)
        seconds = time.perf_counter() - started
    partial.rename(inbox)
    files = input_files(inbox)
    meta = {
        "seconds": round(seconds, 3),
        "peak_rss_bytes": sampler.peak(),
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
        "generator_sha256": key,
        "generated_at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
    }
    meta_file.write_text(json.dumps(meta, indent=2) + "\n")
    return Generation(**{**meta, "inbox": inbox, "cached": False})


def stage_data_dir(inbox: Path, data_dir: Path) -> Path:
    """A fresh, demo-marked data directory whose inbox links to ``inbox``'s files."""
    shutil.rmtree(data_dir, ignore_errors=True)
    target = data_dir / "inbox"
    for src in inbox.rglob("*"):
        dst = target / src.relative_to(inbox)
        if src.is_dir():
            dst.mkdir(parents=True, exist_ok=True)
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst)
        except OSError:  # another file system: copy
            shutil.copy2(src, dst)
    (data_dir / ".synthetic-demo").write_text("SYNTHETIC benchmark data (make bench).\n")
    return data_dir


def touch_extract(inbox: Path, source: str) -> Path:
    """Re-export the newest CSV of ``source`` with its last record withdrawn: a correction.

    The checksum changes, so the next refresh loads it again (replacing its period's rows) exactly as
    for a corrected extract, and the figures of that period change a little (one stop, one pupil...),
    as a real correction does: work kept from the last run for what did not change must still redo
    what did. The hard link to the cache is replaced by a new file first."""
    candidates = sorted(p for p in (inbox / source).glob("*") if p.suffix.lower() in {".csv", ".txt", ".tsv"})
    if not candidates:
        raise ValueError(f"inbox/{source}/ holds no CSV to change: choose another --incremental-source")
    path = candidates[-1]
    body = path.read_bytes()
    newline = b"\r\n" if b"\r\n" in body[:4096] else b"\n"
    lines = body.rstrip(b"\r\n").split(newline)
    if len(lines) < 3:
        raise ValueError(f"{path} holds fewer than two records: choose another --incremental-source")
    path.unlink()
    path.write_bytes(newline.join(lines[:-1]) + newline)
    return path


@dataclass
class FloorFile:
    source: str
    file: str
    kind: str  # csv (DuckDB) or xlsx (python-calamine)
    bytes: int
    rows: int
    seconds: float
    note: str = ""


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, scratch: Path) -> tuple[int, float, str]:
    """Read every cell as text into a temporary table: (rows, seconds, note).

    DuckDB reads only UTF-8, UTF-16 and latin-1 without its encodings extension (a download), and
    rejects Windows-1252's 0x80-0x9F bytes as latin-1; such a file is transcoded to UTF-8 first, and
    only DuckDB's read of it is timed (the note says so, with the transcoding's seconds)."""
    sql = (
        "create or replace temp table floor_read as select * from read_csv(?, all_varchar = true, "
        "header = false, null_padding = true, strict_mode = false)"
    )
    note = ""
    started = time.perf_counter()
    try:
        con.execute(sql, [str(path)])
    except duckdb.InvalidInputException:
        started = time.perf_counter()
        text = path.read_bytes().decode("cp1252", errors="replace")
        utf8 = scratch / path.name
        utf8.write_text(text, encoding="utf-8")
        note = f"Windows-1252: transcoded to UTF-8 first ({time.perf_counter() - started:.3f} s, not counted)"
        started = time.perf_counter()
        con.execute(sql, [str(utf8)])
        utf8.unlink()
    seconds = time.perf_counter() - started
    return con.execute("select count(*) from floor_read").fetchone()[0], seconds, note


def _read_xlsx(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    return sum(len(workbook.get_sheet_by_name(name).to_python()) for name in workbook.sheet_names)


def measure_floor(inbox: Path) -> list[FloorFile]:
    """Read every input file once: DuckDB for CSV, python-calamine for XLSX. One row per file."""
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as scratch, duckdb.connect() as con:
        for path in input_files(inbox):
            kind = "xlsx" if path.suffix.lower() == ".xlsx" else "csv"
            note = ""
            if kind == "csv":
                rows, seconds, note = _read_csv(con, path, Path(scratch))
            else:
                started = time.perf_counter()
                rows = _read_xlsx(path)
                seconds = time.perf_counter() - started
            out.append(
                FloorFile(
                    path.parent.name, path.name, kind, path.stat().st_size, rows, round(seconds, 4), note
                )
            )
        con.execute("drop table if exists floor_read")
    return out


def floor_summary(files: list[FloorFile]) -> dict:
    by_source: dict[str, dict] = {}
    for f in files:
        s = by_source.setdefault(f.source, {"files": 0, "rows": 0, "bytes": 0, "seconds": 0.0})
        s["files"] += 1
        s["rows"] += f.rows
        s["bytes"] += f.bytes
        s["seconds"] = round(s["seconds"] + f.seconds, 4)
    seconds = {kind: round(sum(f.seconds for f in files if f.kind == kind), 3) for kind in ("csv", "xlsx")}
    return {
        "method": "DuckDB read_csv(all_varchar) into a temporary table for CSV; python-calamine (every "
        "sheet) for XLSX, as DuckDB's excel extension cannot be downloaded offline",
        "seconds": round(sum(seconds.values()), 3),
        "csv_seconds": seconds["csv"],
        "xlsx_seconds": seconds["xlsx"],
        "files": len(files),
        "rows": sum(f.rows for f in files),
        "bytes": sum(f.bytes for f in files),
        "by_source": by_source,
        # Per file only while the file stays readable (England at 5 years is ~15,000 extracts).
        "by_file": [asdict(f) for f in files] if len(files) <= PER_FILE_LIMIT else [],
    }
