"""Data contracts: one YAML file per source in ``sources/``, declared once.

The contract is the single statement of what an extract must hold. From it we derive the pandera
schema (``ingest.validate``), the dbt source definition and the documentation page
(``observatory contracts sync`` writes both; a test fails when they drift).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import yaml

from observatory.config import CONTRACTS_DIR

COLUMN_TYPES = ("string", "category", "decimal", "integer", "date", "timestamp", "boolean", "statistic")
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "category": "VARCHAR",
    "decimal": "DOUBLE",
    "integer": "BIGINT",
    "date": "DATE",
    "timestamp": "TIMESTAMP",  # local clock time as written; a UTC offset is read and dropped
    "boolean": "BOOLEAN",
    "statistic": "DOUBLE",
}
NUMERIC_TYPES = {"decimal", "integer", "statistic"}
# GSS symbols published statistics use in place of a number (Explore Education Statistics and the
# GSS guidance on symbols). A "statistic" column keeps them in <name>_symbol: never a zero, never a
# silent null. Bracketed forms ("[c]") are accepted.
GSS_SYMBOLS: dict[str, str] = {
    "c": "confidential: suppressed to protect individuals",
    "low": "rounds to zero, but is not zero",
    "x": "not available",
    "z": "not applicable",
    "u": "low reliability",
}


@dataclass(frozen=True)
class RawColumn:
    """A column as it lands in the raw table (a contract column gives none, one or two)."""

    name: str
    duckdb_type: str
    description: str
    source_column: str


def normalise_label(text: Any) -> str:
    """Case-, space- and punctuation-insensitive form used to match headers and coded values."""
    return re.sub(r"[^0-9a-z]+", " ", str(text).lower()).strip()


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    # With required: every file must have the column, but a cell may be blank (not recorded).
    allow_blank: bool = False
    description: str = ""
    aliases: tuple[str, ...] = ()
    identifier: bool = False
    direct_identifier: bool = False
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    min: float | None = None
    max: float | None = None
    exclusive_min: float | None = None  # values must be strictly above this (a weight > 0)
    default: Any = None
    # For a direct-identifier date (date of birth): load only its month under this name.
    keep_month_as: str | None = None
    # For a date: also accept a month ('Mar-23') or a UK financial quarter ('Q4 22/23'), loaded as
    # the period's first ('start') or last ('end') day.
    month_or_quarter: str | None = None
    # A column the file may state once instead of on every row: regexes (first group = the value)
    # tried against the title rows above the header, then the file name ('position as at 30/06/2023').
    from_title_or_file_name: tuple[str, ...] = ()
    # The text a cell must match in full (a regular expression): a code's shape ('[A-Z][0-9]{8}').
    pattern: str | None = None
    # Another numeric column of the same row this one must not exceed (an age band <= all ages, a
    # count <= its denominator) or fall below (a value >= its lower confidence limit).
    max_column: str | None = None
    min_column: str | None = None
    # Optional columns whose presence makes this one required: a file holding any of them must hold
    # this column too (a statistics file's filter value goes with its filter group column).
    required_with: tuple[str, ...] = ()

    @property
    def loaded(self) -> bool:
        """Direct identifiers (names, exact dates of birth) never reach the warehouse."""
        return not self.direct_identifier or self.keep_month_as is not None

    @property
    def outputs(self) -> list[RawColumn]:
        """What this column becomes in the raw table."""
        if not self.loaded:
            return []
        if self.keep_month_as:
            note = "Month only (first day of the month): the exact date never leaves ingest."
            return [RawColumn(self.keep_month_as, "DATE", f"{self.description} {note}".strip(), self.name)]
        main = RawColumn(self.name, self.duckdb_type, self.description, self.name)
        if self.has_note:
            words = ", ".join(self.values)
            note = f"The word given instead of a date ({words}); null when a date is given."
            return [main, RawColumn(f"{self.name}_note", "VARCHAR", note, self.name)]
        if self.type != "statistic":
            return [main]
        symbols = ", ".join(GSS_SYMBOLS)
        note = f"The GSS symbol published instead of {self.name} ({symbols}); null when a number is given."
        return [main, RawColumn(f"{self.name}_symbol", "VARCHAR", note, self.name)]

    @property
    def has_note(self) -> bool:
        """A date column whose ``values`` are words accepted instead of a date ('On-going'): the
        date loads null and the canonical word in ``<name>_note``."""
        return self.type == "date" and bool(self.values)

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]

    def header_forms(self) -> set[str]:
        return {normalise_label(self.name), *(normalise_label(a) for a in self.aliases)}

    def value_lookup(self) -> dict[str, str]:
        """Normalised accepted spelling -> canonical value, for category columns."""
        lookup: dict[str, str] = {}
        for canonical, spellings in self.values.items():
            lookup[normalise_label(canonical)] = canonical
            for s in spellings:
                lookup[normalise_label(s)] = canonical
        return lookup


@dataclass(frozen=True)
class Melt:
    """A wide file (ONS TS021: one column per category) read long: every column whose header starts
    with ``header_prefix`` becomes one record, its header (prefix removed) in ``name_column`` and its
    cell in ``value_column``. Matching is by name, never by position."""

    header_prefix: str
    name_column: str
    value_column: str

    def matches(self, header: str) -> bool:
        return normalise_label(header).startswith(normalise_label(self.header_prefix))

    def category(self, header: str) -> str:
        text = header.strip()
        return text[len(self.header_prefix) :].strip() if self.matches(text) else text


@dataclass(frozen=True)
class Contract:
    name: str
    title: str
    domain: str
    description: str
    columns: tuple[Column, ...]
    period_column: str
    period_kind: str
    unique_key: tuple[str, ...] = ()
    max_quarantine_share: float = 0.2
    cadence_days: int | None = None
    melt: Melt | None = None
    # What a newly loaded file replaces: "period" (default: the rows of the periods it holds, for the
    # authorities it holds) or "file_name" (only rows from an earlier file of the same name: for
    # published statistics, where releases of different publications share periods).
    replaces: str = "period"

    @property
    def raw_table(self) -> str:
        return f"raw.{self.name}"

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def loaded_columns(self) -> list[Column]:
        return [c for c in self.columns if c.loaded]

    @property
    def raw_columns(self) -> list[RawColumn]:
        """The raw table's data columns, in contract order."""
        return [out for c in self.loaded_columns for out in c.outputs]

    @property
    def identifiers(self) -> list[str]:
        return [c.name for c in self.columns if c.identifier]

    @cached_property
    def _header_lookup(self) -> dict[str, str]:
        """Normalised header form -> canonical column (the first column naming a form wins)."""
        lookup: dict[str, str] = {}
        for c in self.columns:
            for form in c.header_forms():
                lookup.setdefault(form, c.name)
        return lookup

    def resolve_header(self, header: str) -> str | None:
        """The canonical column a file's header names, if any (aliases are case/space-insensitive)."""
        return self._header_lookup.get(normalise_label(header))


def _column(spec: dict) -> Column:
    if spec.get("type") not in COLUMN_TYPES:
        raise ValueError(f"column {spec.get('name')!r}: type must be one of {COLUMN_TYPES}")
    if spec.get("keep_month_as") and not (spec.get("direct_identifier") and spec["type"] == "date"):
        raise ValueError(f"column {spec['name']!r}: keep_month_as is for a direct-identifier date")
    if spec.get("month_or_quarter") not in (None, "start", "end") or (
        spec.get("month_or_quarter") and spec["type"] != "date"
    ):
        raise ValueError(f"column {spec['name']!r}: month_or_quarter is 'start' or 'end', for a date")
    if spec.get("allow_blank") and not spec.get("required"):
        raise ValueError(f"column {spec['name']!r}: allow_blank is for a required column")
    values = {str(k): tuple(str(s) for s in (v or ())) for k, v in (spec.get("values") or {}).items()}
    return Column(
        name=spec["name"],
        type=spec["type"],
        required=bool(spec.get("required", False)),
        allow_blank=bool(spec.get("allow_blank", False)),
        description=" ".join(str(spec.get("description", "")).split()),
        aliases=tuple(spec.get("aliases") or ()),
        identifier=bool(spec.get("identifier", False)),
        direct_identifier=bool(spec.get("direct_identifier", False)),
        values=values,
        min=spec.get("min"),
        max=spec.get("max"),
        exclusive_min=spec.get("exclusive_min"),
        default=spec.get("default"),
        keep_month_as=spec.get("keep_month_as"),
        month_or_quarter=spec.get("month_or_quarter"),
        from_title_or_file_name=tuple(spec.get("from_title_or_file_name") or ()),
        pattern=spec.get("pattern"),
        max_column=spec.get("max_column"),
        min_column=spec.get("min_column"),
        required_with=tuple(spec.get("required_with") or ()),
    )


def parse_contract(doc: dict) -> Contract:
    columns = tuple(_column(c) for c in doc["columns"])
    contract = Contract(
        name=doc["name"],
        title=doc.get("title", doc["name"]),
        domain=doc["domain"],
        description=" ".join(str(doc.get("description", "")).split()),
        columns=columns,
        period_column=doc["period"]["column"],
        period_kind=doc["period"].get("kind", "snapshot"),
        unique_key=tuple(doc.get("unique_key") or ()),
        max_quarantine_share=float(doc.get("max_quarantine_share", 0.2)),
        cadence_days=doc.get("cadence_days"),
        melt=Melt(**doc["melt"]) if doc.get("melt") else None,
        replaces=doc.get("replaces", "period"),
    )
    if contract.replaces not in ("period", "file_name"):
        raise ValueError(f"{contract.name}: replaces must be 'period' or 'file_name'")
    contract.column(contract.period_column)  # fail early on a typo
    if contract.melt:
        contract.column(contract.melt.name_column)
        contract.column(contract.melt.value_column)
    for k in contract.unique_key:
        contract.column(k)
    for c in columns:
        for other in c.required_with:
            contract.column(other)  # fail early on a typo
        if c.pattern is not None:
            re.compile(c.pattern)  # fail early on a bad regular expression
        for other in (c.max_column, c.min_column):
            if other is not None and {c.type, contract.column(other).type} - NUMERIC_TYPES:
                raise ValueError(f"column {c.name!r}: max_column and min_column compare two numeric columns")
    return contract


@cache
def load_contracts(directory: Path = CONTRACTS_DIR) -> dict[str, Contract]:
    """Every contract in ``sources/``, by source name."""
    contracts = {}
    for path in sorted(directory.glob("*.yml")):
        contract = parse_contract(yaml.safe_load(path.read_text()))
        if contract.name != path.stem:
            raise ValueError(f"{path}: contract name {contract.name!r} must match the file name")
        contracts[contract.name] = contract
    return contracts


def get_contract(name: str) -> Contract:
    contracts = load_contracts()
    if name not in contracts:
        raise KeyError(f"unknown source {name!r}; known sources: {', '.join(sorted(contracts))}")
    return contracts[name]


def folders_without_contract(inbox: Path, directory: Path = CONTRACTS_DIR) -> dict[str, int]:
    """Inbox folders no contract reads, with how many files each holds (refresh reports them)."""
    if not inbox.exists():
        return {}
    known = set(load_contracts(directory))
    return {
        folder.name: sum(1 for f in folder.iterdir() if f.is_file() and not f.name.startswith("."))
        for folder in sorted(p for p in inbox.iterdir() if p.is_dir())
        if folder.name not in known
    }
