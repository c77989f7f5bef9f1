"""Privacy scan: prove that no person's identifier left the private ``raw`` schema.

The scan takes the actual identifier values from the extracts in the inbox (every contract column
marked ``identifier`` or ``direct_identifier``: UPNs, employee and case numbers, names, full dates of
birth, postcodes, addresses, e-mails, telephone numbers), then searches for them everywhere the
Observatory writes: every table and view of the warehouse outside ``raw`` (every text, date and
timestamp column), the published snapshot and the previous one, every file of the exports and of
the site (XLSX cell by cell, PDF by its text), Dagster's run storage and logs, and dbt's run
artefacts. Inside ``raw`` it checks that person identifiers are only 64-hex keyed hashes (quarantine
rows included) and that no direct-identifier column exists.

Matching is by whole tokens, case-insensitive, so a UPN inside a sentence or a full name across an
HTML cell is found, while 'White' in 'White British' is not mistaken for a surname. A single word
from a name column (a forename alone) is not searched: it identifies no one and collides with
ordinary words; full names and forename + surname pairs are. A date of birth on the first of a month
is not searched (the month, which is kept, is the same date), nor one on a month end or equal to a
period, as-at or Census date (those are public). Numbers are not text: number cells of XLSX and
bare-number fields of CSV are skipped, and digits-only identifiers (employee numbers) are not looked
for in Dagster's and dbt's storage and logs, which are full of counts. What was and was not searched
is counted in the report. Hits name the place and the kind of identifier, never the value.

``observatory privacy-scan`` runs it on the configured data directory (see docs/privacy.md).
"""

from __future__ import annotations

import csv
import html
import io
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from observatory import config
from observatory.contracts import Contract, load_contracts
from observatory.ingest.parsing import blank, parse_date
from observatory.ingest.readers import ExtractError, read_extract
from observatory.site.publish import BUILDS_DIRNAME as SITE_BUILDS
from observatory.site.snapshot import ident

TOKEN = re.compile(r"[0-9A-Za-z\u00c0-\u024f@.'\u2019/+-]+")
TOKEN_EDGES = ".'\u2019/+-"
HASH = "[0-9a-f]{64}"
TEXT_TYPES = ("VARCHAR", "DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_S")
DATABASE_SUFFIXES = (".duckdb", ".duckdb.wal")
MAX_FILE_BYTES = 512 * 1024 * 1024


def tokens(text: str) -> list[str]:
    """Case-folded words, numbers, codes, e-mails and dates of a text, edge punctuation removed."""
    out = []
    for t in TOKEN.findall(text):
        t = t.strip(TOKEN_EDGES).casefold()
        if t:
            out.append(t)
    return out


@dataclass
class Needles:
    """The identifier values to search for, as token strings, with the kind (column) of each."""

    forms: dict[str, str] = field(default_factory=dict)  # "jane smith" -> "employee_name"
    left_out: set[tuple[str, str]] = field(default_factory=set)  # (reason, form)
    searched: Counter = field(default_factory=Counter)  # kind -> distinct values searched
    not_searched: Counter = field(default_factory=Counter)  # reason -> distinct values left out
    files: int = 0
    unreadable: list[str] = field(default_factory=list)

    def add(self, kind: str, text: str) -> None:
        words = tokens(text)
        if not words:
            return
        if len(words) == 1 and not _distinctive(words[0]):
            reason = f"{kind}: a single short or ordinary word"
            if (reason, words[0]) not in self.left_out:
                self.left_out.add((reason, words[0]))
                self.not_searched[reason] += 1
            return
        form = " ".join(words)
        if form not in self.forms:
            self.forms[form] = kind
            self.searched[kind] += 1


def _distinctive(word: str) -> bool:
    """A single token is searched when it is a code, number or address (a digit or an @) of six or
    more characters: a UPN, an employee number, an e-mail."""
    return len(word) >= 6 and any(ch.isdigit() or ch == "@" for ch in word)


# Public dates no date of birth is searched as: Census days (a model dates population_census by them).
CENSUS_DAYS = {pd.Timestamp("2011-03-27"), pd.Timestamp("2021-03-21")}


def _date_forms(d: pd.Timestamp) -> list[str]:
    return [d.strftime("%Y-%m-%d"), d.strftime("%d/%m/%Y")]


def _why_not_searched(d: pd.Timestamp, public: set[pd.Timestamp]) -> str | None:
    if d.day == 1:
        return "the first of a month (the month is kept)"
    if d.is_month_end:
        return "a month end (the end of a period: quarter, financial, academic or calendar year)"
    if d in public or d in CENSUS_DAYS:
        return "a period or as-at date an extract or census states"
    return None


def collect_identifiers(inbox: Path, contracts: dict[str, Contract] | None = None) -> Needles:
    """Every identifier value the extracts in ``inbox/<source>/`` hold, read with the project's
    own readers and contracts."""
    contracts = contracts if contracts is not None else load_contracts()
    needles = Needles()
    births: set[pd.Timestamp] = set()
    public_dates: set[pd.Timestamp] = set()
    for name, contract in contracts.items():
        folder = inbox / name
        if not folder.is_dir() or not any(c.identifier or c.direct_identifier for c in contract.columns):
            continue
        wanted = [c for c in contract.columns if c.identifier or c.direct_identifier or c.type == "date"]
        for file in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
            try:
                frame = read_extract(file, contract).frame
            except ExtractError as exc:
                needles.unreadable.append(str(exc))
                continue
            needles.files += 1
            for c in wanted:
                text = pd.Series(frame[c.name].dropna().unique(), dtype=object).astype(str).str.strip()
                present = text[~blank(text)]
                if c.type == "date":
                    (births if c.direct_identifier else public_dates).update(parse_date(present).dropna())
                    continue
                for value in present:
                    needles.add(c.name, value)
            if {"forename", "surname"} <= set(frame.columns):
                pairs = frame[["forename", "surname"]].astype(str).drop_duplicates()
                for forename, surname in pairs.itertuples(index=False):
                    if forename.strip() and surname.strip():
                        needles.add("forename surname", f"{forename} {surname}")
                        needles.add("forename surname", f"{surname}, {forename}")
    for d in sorted(births):
        reason = _why_not_searched(d, public_dates)
        if reason:
            needles.not_searched[f"date_of_birth: {reason}"] += 1
            continue
        for form in _date_forms(d):
            needles.forms.setdefault(" ".join(tokens(form)), "date_of_birth")
        needles.searched["date_of_birth"] += 1
    return needles


NUMBER = re.compile(r"[+-]?[0-9][0-9 ,]*(\.[0-9]+)?")


class Matcher:
    """Finds needle forms in text by whole tokens: one set lookup per token, a join only when a
    token starts some needle."""

    def __init__(self, needles: Needles | dict[str, str]):
        forms = needles.forms if isinstance(needles, Needles) else needles
        self.forms = forms
        # For text made of numbers (run logs, metadata: counts, sizes, timings): digits-only
        # identifiers (employee numbers) would match any count of the same value.
        self.words_only = {f: k for f, k in forms.items() if not NUMBER.fullmatch(f)}
        self.starts: dict[int, set[str]] = {}
        for form in forms:
            words = form.split(" ")
            self.starts.setdefault(len(words), set()).add(words[0])

    def without_numbers(self) -> Matcher:
        return Matcher(self.words_only)

    def find(self, text: str) -> list[str]:
        words = tokens(text)
        found = []
        for n, starts in self.starts.items():
            for i in range(len(words) - n + 1):
                if words[i] in starts:
                    form = words[i] if n == 1 else " ".join(words[i : i + n])
                    if form in self.forms:
                        found.append(form)
        return found


@dataclass
class Hit:
    where: str
    kind: str
    sample: str  # masked: never the whole value

    def __str__(self) -> str:
        return f"{self.where}: {self.kind} ({self.sample})"


def mask(form: str) -> str:
    return form[:2] + "*" * max(len(form) - 2, 1)


@dataclass
class Searched:
    place: str
    what: str
    hits: int = 0


@dataclass
class ScanReport:
    needles: Needles
    searched: list[Searched] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    raw_problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.hits and not self.raw_problems

    def lines(self) -> list[str]:
        n = self.needles
        out = [f"Identifiers taken from {n.files} extract file(s) in the inbox:"]
        out += [
            f"  {kind}: {count:,} distinct value(s) searched" for kind, count in sorted(n.searched.items())
        ]
        out += [f"  not searched, {reason}: {count:,}" for reason, count in sorted(n.not_searched.items())]
        out += [f"  unreadable (not used): {problem}" for problem in n.unreadable]
        out.append("Searched:")
        out += [f"  {s.place}: {s.what}: {s.hits} hit(s)" for s in self.searched]
        out += [f"  HIT {hit}" for hit in self.hits[:50]]
        if len(self.hits) > 50:
            out.append(f"  ... and {len(self.hits) - 50} more hit(s)")
        out += [f"  RAW PROBLEM {p}" for p in self.raw_problems]
        out.append(f"Hits: {len(self.hits)}; raw schema problems: {len(self.raw_problems)}")
        return out


def _hits(matcher: Matcher, text: str, where: str) -> list[Hit]:
    return [Hit(where, matcher.forms[f], mask(f)) for f in dict.fromkeys(matcher.find(text))]


def scan_database(
    database: Path,
    matcher: Matcher,
    *,
    label: str,
    schemas: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    skip_columns: Iterable[tuple[str, str, str]] = (),
) -> tuple[Searched, list[Hit]]:
    """Search every text, date and timestamp column of every table and view (read-only), or of
    those in ``schemas``, less those in ``exclude``: one pass over each table."""
    wanted = set(schemas) if schemas is not None else None
    exclude, skip_columns = set(exclude), set(skip_columns)
    hits: list[Hit] = []
    with _connect(database) as con:
        columns = con.execute(
            """select table_schema, table_name, column_name, data_type from information_schema.columns
               where table_catalog = current_database() order by 1, 2, ordinal_position"""
        ).fetchall()
        by_table: dict[tuple[str, str], list[str]] = {}
        for schema, table, column, dtype in columns:
            if schema in exclude or (wanted is not None and schema not in wanted):
                continue
            text = dtype in TEXT_TYPES or dtype.startswith("ENUM")
            listed = by_table.setdefault((schema, table), [])
            if text and (schema, table, column) not in skip_columns:
                listed.append(column)
        for (schema, table), names in by_table.items():
            if not names:
                continue
            lists = ", ".join(f"list(distinct cast({ident(c)} as varchar))" for c in names)
            row = con.execute(f"select {lists} from {ident(schema)}.{ident(table)}").fetchone()
            for column, values in zip(names, row, strict=True):
                where = f"{label} {schema}.{table}.{column}"
                for value in values or ():
                    if value is not None:
                        hits += _hits(matcher, value, where)
    text_columns = sum(len(v) for v in by_table.values())
    return Searched(
        label, f"{len(by_table)} tables and views, {text_columns} text/date columns", len(hits)
    ), hits


def _connect(database: Path) -> duckdb.DuckDBPyConnection:
    """Read-only; in a process that already holds the file open (a test right after an in-process
    refresh), DuckDB refuses a second configuration, so share that one (only selects are run)."""
    try:
        return config.connect(database, read_only=True)
    except duckdb.ConnectionException:
        return config.connect(database)


def _file_text(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=False)
        try:
            # Number cells are numbers (counts, pay), not identifiers, which contracts hold as text.
            cells = (
                v.isoformat() if isinstance(v, date | datetime) else str(v)
                for ws in wb.worksheets
                for row in ws.iter_rows(values_only=True)
                for v in row
                if v is not None and not isinstance(v, int | float)
            )
            return "\n".join(cells)
        finally:
            wb.close()
    if suffix == ".pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)
    if path.stat().st_size > MAX_FILE_BYTES:
        return None
    text = path.read_bytes().decode("utf-8", errors="replace")
    if suffix == ".csv":
        # As in XLSX, a field that is only a number is a number (the same table's XLSX and snapshot
        # hold any text identifier as text, and are searched too).
        rows = csv.reader(io.StringIO(text, newline=""))
        return "\n".join(f for row in rows for f in row if not NUMBER.fullmatch(f.strip()))
    if suffix in {".html", ".htm", ".svg", ".xml"}:
        text = html.unescape(text)
    return text


def scan_files(root: Path, matcher: Matcher, *, label: str) -> tuple[Searched, list[Hit]]:
    """Search every file under ``root`` (links followed) as text; XLSX by cell, PDF by its text.
    DuckDB files are searched by ``scan_database``, not here."""
    hits: list[Hit] = []
    kinds: Counter = Counter()
    if root.exists():
        files = [root] if root.is_file() else sorted(_walk(root))
        for path in files:
            if path.name.endswith(DATABASE_SUFFIXES):
                kinds["duckdb (searched as a database)"] += 1
                continue
            try:
                text = _file_text(path)
            except Exception as exc:  # a file we cannot read is reported, never passed silently
                hits.append(Hit(f"{label} {path}", "unreadable file", type(exc).__name__))
                continue
            if text is None:
                hits.append(
                    Hit(f"{label} {path}", "file too large to search", f"{path.stat().st_size} bytes")
                )
                continue
            kinds[path.suffix.lower() or "(no suffix)"] += 1
            hits += _hits(matcher, text, f"{label} {path}")
    what = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "no files"
    return Searched(label, f"{sum(kinds.values())} files ({what})", len(hits)), hits


def _walk(root: Path) -> Iterator[Path]:
    for folder, _, names in os.walk(root, followlinks=True):
        for name in names:
            path = Path(folder) / name
            if path.is_file():
                yield path


def check_raw(warehouse: Path, contracts: dict[str, Contract] | None = None) -> tuple[Searched, list[str]]:
    """Inside ``raw``: person identifiers are keyed hashes (64 hex), in the source tables and in
    quarantine rows; no column holds a direct identifier that is not loaded."""
    contracts = contracts if contracts is not None else load_contracts()
    problems: list[str] = []
    checked = 0
    with _connect(warehouse) as con:
        present = {
            (t, c)
            for t, c in con.execute(
                "select table_name, column_name from information_schema.columns where table_schema = 'raw'"
            ).fetchall()
        }
        tables = {t for t, _ in present}
        for name, contract in contracts.items():
            if name not in tables:
                continue
            checked += 1
            for c in contract.columns:
                if c.direct_identifier and not c.loaded and (name, c.name) in present:
                    problems.append(f"raw.{name}.{c.name}: a direct identifier column is in the warehouse")
            for column in contract.identifiers:
                if (name, column) not in present:
                    continue
                bad = con.execute(
                    f"select count(*) from raw.{ident(name)} where {ident(column)} <> '' "
                    f"and not regexp_full_match({ident(column)}, '{HASH}')"
                ).fetchone()[0]
                if bad:
                    problems.append(f"raw.{name}.{column}: {bad} value(s) are not 64-hex keyed hashes")
            if "quarantine" in tables and contract.identifiers:
                bad = con.execute(
                    f"""select count(*) from raw.quarantine where source = ? and column_name in
                        (select unnest(?)) and value <> '' and not regexp_full_match(value, '{HASH}')""",
                    [name, contract.identifiers],
                ).fetchone()[0]
                if bad:
                    problems.append(
                        f"raw.quarantine ({name}): {bad} identifier value(s) are not keyed hashes"
                    )
    what = (
        f"{checked} source tables: person identifiers are 64-hex keyed hashes, no direct-identifier columns"
    )
    return Searched("warehouse raw", what, len(problems)), problems


def _raw_identifier_columns(contracts: dict[str, Contract]) -> set[tuple[str, str, str]]:
    return {("raw", name, column) for name, c in contracts.items() for column in c.identifiers}


def latest_run_id() -> str | None:
    """The newest Dagster run of this data directory's DAGSTER_HOME (its dbt artefacts are searched)."""
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs(limit=1)
    return runs[0].run_id if runs else None


def dbt_run_artefacts(run_id: str | None = None) -> list[Path]:
    """dbt's artefacts and logs: the project log and each Dagster dbt run's target directory
    (``<op>-<run id[:7]>-<uuid>``): those of one Dagster run, else the newest."""
    target = config.DBT_PROJECT_DIR / "target"
    runs = sorted((p for p in target.glob("*-*-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    chosen = [p for p in runs if p.name.split("-")[-2] == run_id[:7]] if run_id else runs[-1:]
    top = [p for p in target.glob("*.json") if p.is_file()]
    return [config.DBT_PROJECT_DIR / "logs", *top, *chosen]


def scan(
    paths: config.Paths | None = None,
    *,
    inbox: Path | None = None,
    extra: Iterable[Path] = (),
    needles: Needles | None = None,
) -> ScanReport:
    """Collect identifiers from the inbox and search every place the Observatory writes."""
    paths = paths or config.paths()
    contracts = load_contracts()
    needles = needles or collect_identifiers(inbox or paths.inbox, contracts)
    matcher = Matcher(needles)
    report = ScanReport(needles)

    def add(result: tuple[Searched, list[Hit]]) -> None:
        report.searched.append(result[0])
        report.hits.extend(result[1])

    if paths.warehouse.exists():
        add(scan_database(paths.warehouse, matcher, label="warehouse outside raw", exclude={"raw"}))
        searched, problems = check_raw(paths.warehouse, contracts)
        report.searched.append(searched)
        report.raw_problems += problems
        # raw's other columns too (quarantine values, file names): no name, date of birth, ...
        add(
            scan_database(
                paths.warehouse,
                matcher,
                label="warehouse raw (other columns)",
                schemas={"raw"},
                skip_columns=_raw_identifier_columns(contracts),
            )
        )
    for label, db in (("published snapshot", paths.snapshot), ("previous snapshot", paths.previous_snapshot)):
        if db.exists():
            add(scan_database(db, matcher, label=label))
    # Every export set and site build kept, not only the live ones (a link each).
    add(scan_files(paths.published, matcher, label="exports"))
    builds = paths.data_dir / SITE_BUILDS
    add(scan_files(builds if builds.is_dir() else paths.site, matcher, label="site"))
    known = {paths.inbox, paths.published, paths.site, builds, paths.dagster_home}
    others = [
        p
        for p in (sorted(paths.data_dir.iterdir()) if paths.data_dir.is_dir() else [])
        if p not in known and not p.name.startswith(("warehouse.duckdb", ".synthetic-demo"))
    ]
    for path in others:
        add(scan_files(path, matcher, label=f"data directory {path.name}"))
    # Run storage and logs are full of counts and timings: digits-only identifiers are left out there.
    add(scan_files(paths.dagster_home, matcher.without_numbers(), label="dagster_home"))
    for path in extra:
        add(scan_files(path, matcher.without_numbers(), label=str(path)))
    return report
