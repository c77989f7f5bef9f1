"""A readable report of one extract's problems, for the person who has to fix the file."""

from __future__ import annotations

import click

from observatory.contracts import Contract
from observatory.ingest.load import FileResult

MAX_EXAMPLES = 20


def print_check_report(contract: Contract, result: FileResult) -> None:
    name = result.file.name
    ok = result.rows_quarantined == 0
    click.secho(f"{'✓' if ok else '✗'} {name} checked against the {contract.title} contract", bold=True)
    click.echo(
        f"  rows read: {result.rows_in}; would load: {result.rows_loaded}; "
        f"would quarantine: {result.rows_quarantined}"
    )
    if result.periods:
        click.echo(f"  periods ({contract.period_column}): {', '.join(result.periods)}")
    if result.unknown_columns:
        click.echo(f"  columns not in the contract (kept out): {', '.join(result.unknown_columns)}")
    if result.skipped_rows:
        click.echo(f"  title/totals rows skipped: {result.skipped_rows}")
    if ok:
        return
    click.echo("\n  Problems by rule:")
    for rule, n in sorted(result.rule_counts.items(), key=lambda kv: -kv[1]):
        click.echo(f"    {n:>6} row(s): {rule}")
    q = result.quarantine
    click.echo(f"\n  First {min(MAX_EXAMPLES, len(q))} problems (row = line in the file):")
    for row in q.head(MAX_EXAMPLES).itertuples():
        where = f"column {row.column_name!r}" if row.column_name else "the whole row"
        value = f" value {row.value!r}" if row.value else ""
        click.echo(f"    row {row.source_row}, {where}:{value} — {row.rule}")
    if len(q) > MAX_EXAMPLES:
        click.echo(f"    … and {len(q) - MAX_EXAMPLES} more")
