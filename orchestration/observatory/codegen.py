"""Derive the dbt source definitions, the source_contracts seed and the documentation pages from the
contracts.

The contracts in ``sources/`` are the one declaration; these files are generated from them and
committed so dbt and readers of the repository see them. ``observatory contracts sync`` rewrites
them; the test suite runs ``sync(check=True)`` so a contract change without a sync fails CI.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path

import yaml

from observatory.config import DBT_PROJECT_DIR, REPO_ROOT
from observatory.contracts import GSS_SYMBOLS, Column, Contract, load_contracts

HEADER = "# Generated from sources/{names} by `observatory contracts sync`. Do not edit by hand.\n"


def _sql_values(values) -> list[str]:
    """Values for dbt's accepted_values, which pastes each between single quotes: double any
    apostrophe ("Don't know") so the test's SQL stays valid."""
    return [v.replace("'", "''") for v in values]


def dbt_sources(domain: str, contracts: list[Contract]) -> str:
    tables = []
    for contract in contracts:
        columns = []
        for raw in contract.raw_columns:
            c = contract.column(raw.source_column)
            col: dict = {
                "name": raw.name,
                "description": raw.description,
                "data_type": raw.duckdb_type.lower(),
            }
            tests: list = []
            # Not on a _symbol or _note column (null whenever a value is given), nor on a required
            # statistic or word-accepting date (null when a symbol or word is given instead).
            symbol_or_word = raw.name != c.name or c.type == "statistic" or c.has_note
            if c.required and not c.allow_blank and not symbol_or_word:
                tests.append("not_null")  # a required statistic may be a symbol instead, a date a word
            if c.type == "category":
                tests.append({"accepted_values": {"arguments": {"values": _sql_values(c.values)}}})
            if raw.name == f"{c.name}_symbol":
                tests.append({"accepted_values": {"arguments": {"values": list(GSS_SYMBOLS)}}})
            if raw.name == f"{c.name}_note":
                tests.append({"accepted_values": {"arguments": {"values": _sql_values(c.values)}}})
            if tests:
                col["data_tests"] = tests
            columns.append(col)
        tables.append(
            {
                "name": contract.name,
                "description": f"{contract.title}. {contract.description}",
                "config": {"meta": {"dagster": {"asset_key": ["raw", contract.name]}}},
                "columns": columns,
            }
        )
    doc = {
        "version": 2,
        "sources": [
            {
                "name": domain,
                "description": f"Validated, pseudonymised {domain} extracts loaded by the ingest assets.",
                "schema": "raw",
                "tables": tables,
            }
        ],
    }
    names = ", ".join(f"{c.name}.yml" for c in contracts)
    return HEADER.format(names=names) + yaml.safe_dump(doc, sort_keys=False, width=100)


def doc_page(contract: Contract) -> str:
    lines = [
        f"<!-- Generated from sources/{contract.name}.yml by `observatory contracts sync`. -->",
        f"# {contract.title} (`{contract.name}`)",
        "",
        contract.description,
        "",
        f"- Drop files in: `inbox/{contract.name}/` (CSV in UTF-8 or Windows-1252, any common "
        "delimiter, or XLSX; title rows above the header and a totals row are skipped)",
        f"- Period: `{contract.period_column}` ({contract.period_kind})",
        f"- Unique key: {', '.join(f'`{k}`' for k in contract.unique_key) or 'none'}",
        f"- A file is rejected whole when more than {contract.max_quarantine_share:.0%} of its rows "
        "break the rules; otherwise bad rows are quarantined with the reason.",
        f"- Loaded into: `{contract.raw_table}` (private schema)",
        "",
        "| column | type | required | accepted headers | rules | description |",
        "|---|---|---|---|---|---|",
    ]
    for c in contract.columns:
        rules = []
        if c.month_or_quarter:
            rules.append(f"or a month (Mar-23) or quarter (Q4 22/23): its {c.month_or_quarter} day")
        if c.values:
            words = ", ".join(f"{k} ({'/'.join(v)})" for k, v in c.values.items())
            rules.append(f"or one of {words}, kept in `{c.name}_note`" if c.has_note else f"one of {words}")
        if c.min is not None:
            rules.append(f">= {c.min:g}")
        if c.exclusive_min is not None:
            rules.append(f"> {c.exclusive_min:g}")
        if c.max is not None:
            rules.append(f"<= {c.max:g}")
        if c.min_column:
            rules.append(f">= `{c.min_column}` of the same row")
        if c.max_column:
            rules.append(f"<= `{c.max_column}` of the same row")
        if c.pattern:
            escaped = c.pattern.replace("|", "\\|")  # a bare | would split the Markdown table cell
            rules.append(f"matches `{escaped}`")
        if c.default is not None:
            rules.append(f"blank means {c.default}")
        if c.identifier:
            rules.append("pseudonymised (HMAC-SHA256)")
        if c.keep_month_as:
            rules.append(f"**reduced to its month at ingest**, loaded as `{c.keep_month_as}`")
        elif c.direct_identifier:
            rules.append("**dropped at ingest, never loaded**")
        if c.from_title_or_file_name:
            patterns = " or ".join(f"`{p}`" for p in c.from_title_or_file_name)
            rules.append(f"when no such column: the title rows or file name matching {patterns}")
        if c.type == "statistic":
            rules.append(f"or a GSS symbol ({', '.join(GSS_SYMBOLS)}), kept in `{c.name}_symbol`")
        headers = ", ".join([c.name, *c.aliases])
        lines.append(
            f"| `{c.name}` | {c.type} | {_required(c)} | {headers} | {'; '.join(rules)} | {c.description} |"
        )
    return "\n".join(lines) + "\n"


def _required(column: Column) -> str:
    if column.required_with and not column.required:
        return f"when the file has {' or '.join(f'`{c}`' for c in column.required_with)}"
    if not column.required:
        return "no"
    return "yes (cells may be blank)" if column.allow_blank else "yes"


SOURCE_CONTRACTS_SEED = DBT_PROJECT_DIR / "seeds" / "reference" / "source_contracts.csv"
SOURCE_CONTRACTS_COLUMNS = {
    "source_name": ("varchar", "The data contract (sources/<source_name>.yml) and raw table name."),
    "title": ("varchar", "The contract's title."),
    "domain": ("varchar", "The contract's domain (hr, education, care, justice, ...)."),
    "cadence_days": ("integer", "Days between extracts the contract expects (freshness is judged on it)."),
    "period_column": ("varchar", "The column that holds each record's period."),
    "period_kind": ("varchar", "What the period is (snapshot, event, academic year...)."),
    "is_per_authority": (
        "boolean",
        "True when the extract is about one council (it has an authority_code column); false for "
        "publications covering many areas (benchmarks, Fingertips, Census tables).",
    ),
}


def source_contracts_seed(contracts: list[Contract]) -> str:
    """The contracts' metadata as a dbt seed, so models read cadence and titles from the one declaration."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SOURCE_CONTRACTS_COLUMNS)
    for c in sorted(contracts, key=lambda c: c.name):
        per_authority = any(col.name == "authority_code" for col in c.columns)
        cadence = "" if c.cadence_days is None else c.cadence_days
        writer.writerow([c.name, c.title, c.domain, cadence, c.period_column, c.period_kind, per_authority])
    return out.getvalue()


def source_contracts_properties() -> str:
    doc = {
        "version": 2,
        "seeds": [
            {
                "name": SOURCE_CONTRACTS_SEED.stem,
                "description": "One row per data contract in sources/: its title, domain, expected "
                "cadence and period. Generated from the contracts; publish.data_quality lists every "
                "source here, received or not.",
                "config": {
                    "column_types": {name: kind for name, (kind, _) in SOURCE_CONTRACTS_COLUMNS.items()}
                },
                "columns": [
                    {
                        "name": name,
                        "description": text,
                        **({"data_tests": ["unique", "not_null"]} if name == "source_name" else {}),
                    }
                    for name, (_, text) in SOURCE_CONTRACTS_COLUMNS.items()
                ],
            }
        ],
    }
    return HEADER.format(names="*.yml") + yaml.safe_dump(doc, sort_keys=False, width=100)


def generated_files() -> dict[Path, str]:
    contracts = load_contracts()
    by_domain: dict[str, list[Contract]] = defaultdict(list)
    for contract in contracts.values():
        by_domain[contract.domain].append(contract)
    files = {}
    for domain, members in sorted(by_domain.items()):
        path = DBT_PROJECT_DIR / "models" / "staging" / domain / f"_{domain}__sources.yml"
        files[path] = dbt_sources(domain, members)
    for contract in contracts.values():
        files[REPO_ROOT / "docs" / "sources" / f"{contract.name}.md"] = doc_page(contract)
    files[SOURCE_CONTRACTS_SEED] = source_contracts_seed(list(contracts.values()))
    seed_properties = SOURCE_CONTRACTS_SEED.with_name(f"_{SOURCE_CONTRACTS_SEED.stem}.yml")
    files[seed_properties] = source_contracts_properties()
    return files


def sync(*, check: bool = False) -> list[Path]:
    """Write the generated files (or, with check, only list those out of date)."""
    stale = []
    for path, text in generated_files().items():
        if not path.exists() or path.read_text() != text:
            stale.append(path)
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
    return stale
