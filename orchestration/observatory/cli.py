"""The `observatory` command line: demo data, refresh, check an extract, serve the site, board pack,
export, roll back."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from observatory import config


@click.group()
def main() -> None:
    """Race Equality Observatory. Data directory: $OBSERVATORY_DATA_DIR (default ./data)."""


@main.command()
@click.option("--seed", default=42, show_default=True, help="Same seed, identical files.")
@click.option(
    "--scale", type=click.Choice(["borough", "london", "england"]), default="borough", show_default=True
)
@click.option(
    "--dirty", is_flag=True, help="Inject the faults real extracts carry (recorded in ground_truth.json)."
)
@click.option(
    "--years", default=5, show_default=True, help="Years of data; 5 gives the Fingertips 5-point trend."
)
def demo(seed: int, scale: str, dirty: bool, years: int) -> None:
    """Write the synthetic demo councils' extracts into the inbox."""
    from tqdm import tqdm

    from observatory.demo import DOMAINS, SCALES, generate

    paths = config.export_environment()
    paths.inbox.mkdir(parents=True, exist_ok=True)
    paths.demo_marker.write_text("This data directory holds SYNTHETIC demo data only.\n")
    started = time.monotonic()
    # One step per domain per authority, on stderr; disable=None hides the bar when not a terminal.
    with tqdm(total=len(DOMAINS) * SCALES[scale], unit="authority", desc="demo", disable=None) as bar:

        def on_progress(domain: str, n: int) -> None:
            bar.set_postfix_str(domain, refresh=False)
            bar.update(n)

        truth = generate(
            paths.inbox, seed=seed, scale=scale, dirty=dirty, years=years, on_progress=on_progress
        )
    files = sorted(p for p in paths.inbox.rglob("*") if p.is_file())
    click.echo(
        f"Wrote {len(files)} synthetic extract files to {paths.inbox} in {time.monotonic() - started:.1f} s"
    )
    if truth:
        click.echo(f"Planted truths: {paths.inbox / 'ground_truth.json'}")


@main.command()
@click.option(
    "--select",
    "selection",
    default=None,
    help="Only these assets, in Dagster's selection syntax: e.g. 'key:published/*' republishes the "
    "snapshot, site and exports from the warehouse as it stands.",
)
def refresh(selection: str | None) -> None:
    """Ingest every inbox, build the models and tests, publish the snapshot and build the site."""
    from observatory.refresh import run_refresh

    paths = config.export_environment()
    click.echo(f"Refreshing the Observatory in {paths.data_dir}")
    from observatory.migrations import UpgradeError

    try:
        result, summary = run_refresh(selection)
    except UpgradeError as exc:  # an older or newer warehouse this release cannot migrate: docs/upgrading.md
        click.secho(f"The refresh did not start. {exc}", fg="red")
        sys.exit(1)
    elapsed = time.monotonic() - summary.started
    click.echo("")
    click.echo(f"{len(summary.materialized)} assets materialised in {elapsed:.0f} s (run {result.run_id}).")
    # What failed, which file, what to do (and each warning): the same report the Dagster UI's run
    # tags and data/status/last_run.json carry.
    for line, colour in summary.report.lines():
        click.secho(line, fg=colour)
    click.echo(f"Status: {paths.last_run_json}")
    if not result.success:
        sys.exit(1)
    click.echo(f"Published snapshot: {paths.snapshot}")
    click.echo(f"Board site: {paths.site / 'index.html'}  (serve it with: observatory serve)")
    _warn_uncontracted(paths)


def _warn_uncontracted(paths: config.Paths) -> None:
    """Say which inbox folders no data contract reads yet, so their files are never silently ignored."""
    from observatory.contracts import folders_without_contract

    waiting = folders_without_contract(paths.inbox)
    if waiting:
        listed = ", ".join(f"{name} ({n} files)" for name, n in waiting.items())
        click.secho(
            f"Not loaded: no data contract in sources/ reads these inbox folders: {listed}", fg="yellow"
        )


@main.command()
@click.option("--source", "source_name", required=True, help="The source the file is an extract of.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check(source_name: str, file: Path) -> None:
    """Validate one extract against its contract and print its problems, without loading it."""
    from observatory.contracts import get_contract
    from observatory.ingest.load import check_file
    from observatory.ingest.readers import ExtractError
    from observatory.report import print_check_report

    contract = get_contract(source_name)
    try:
        _, result = check_file(contract, file, demo=config.paths().is_demo)
    except ExtractError as exc:
        click.secho(f"✗ {file.name} cannot be loaded as {source_name}:", fg="red")
        click.echo(f"  {exc.problem}")
        if exc.expected:
            click.echo(f"  Expected: {exc.expected}")
        click.echo(f"  The contract is described in docs/sources/{source_name}.md")
        sys.exit(2)
    print_check_report(contract, result)
    sys.exit(1 if result.rows_quarantined else 0)


@main.command()
@click.option("--port", default=8000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
def serve(port: int, host: str) -> None:
    """Serve the board site (read-only, from the published build)."""
    from observatory.site.server import serve as serve_site

    paths = config.export_environment()
    if not (paths.site / "index.html").exists():
        click.secho("No site yet: run `observatory refresh` (or `make demo`) first.", fg="red")
        sys.exit(1)
    click.echo(f"Serving {paths.site} on http://{host}:{port}/  (Ctrl+C to stop)")
    serve_site(paths.site, host=host, port=port)


@main.command()
@click.option(
    "--dir",
    "target",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the set is made live (a link swapped atomically). Default: data/published/exports.",
)
def export(target: Path | None) -> None:
    """Write every published table as CSV (UTF-8 with BOM) and XLSX, from the published snapshot."""
    from observatory.exports import export_snapshot

    paths = config.export_environment()
    if not paths.snapshot.exists():
        click.secho("No published snapshot yet: run `observatory refresh` first.", fg="red")
        sys.exit(1)
    target = target or paths.exports
    started = time.monotonic()
    result = export_snapshot(paths.snapshot, target, demo=paths.is_demo)
    for table, rows in result.tables.items():
        click.echo(f"  {table}: {rows} rows ({result.seconds[table]:.1f} s)")
    click.echo(
        f"Exported {len(result.tables)} tables as CSV and XLSX to {target} "
        f"in {time.monotonic() - started:.0f} s"
    )


@main.command()
@click.option(
    "--copy-to",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also copy the PDF to this file (to send with the board papers).",
)
def boardpack(copy_to: Path | None) -> None:
    """Print the board pack (both scorecards and the action plan) to PDF from the published site.

    The printable HTML is part of the site (board-pack.html); the PDF, board-pack.pdf, is printed
    beside it by headless Chromium and served with the site."""
    import shutil

    from observatory.site.boardpack import board_pack_for

    paths = config.export_environment()
    if not paths.snapshot.exists():
        click.secho("No published snapshot yet: run `observatory refresh` first.", fg="red")
        sys.exit(1)
    result = board_pack_for(paths.snapshot, paths.site, demo=paths.is_demo)
    click.echo(f"Board pack (printable HTML): {paths.site / result.html.name}")
    if result.pdf is None:
        click.secho(result.message, fg="yellow")
        sys.exit(1)
    click.echo(f"Board pack (PDF, A4, {result.pages} pages): {paths.site / result.pdf.name}")
    if copy_to is not None:
        shutil.copyfile(result.pdf, copy_to)
        click.echo(f"Copied to {copy_to}")


@main.command()
def rollback() -> None:
    """Put the previous published snapshot back (atomically), then rebuild the site and exports from it.

    The snapshot rolled back becomes the previous one, so running it again undoes it. Do not run it
    while a refresh is publishing."""
    from observatory.exports import export_snapshot
    from observatory.publish import rollback as rollback_snapshot
    from observatory.site import build_site

    paths = config.export_environment()
    try:
        snapshot = rollback_snapshot()
    except FileNotFoundError as exc:
        click.secho(f"Nothing to roll back to: {exc}", fg="red")
        sys.exit(1)
    click.echo(f"Restored the previous snapshot: {snapshot} (published {_published_at(snapshot)})")
    # The overview then says what the rollback undid (the rolled-back snapshot is now the previous).
    build_site(paths.snapshot, paths.site, demo=paths.is_demo, previous=paths.previous_snapshot)
    click.echo(f"Board site rebuilt from it: {paths.site / 'index.html'}")
    from observatory.site.boardpack import board_pack_for

    click.echo(board_pack_for(paths.snapshot, paths.site, demo=paths.is_demo).message)
    export_snapshot(paths.snapshot, paths.exports, demo=paths.is_demo)
    click.echo(f"Exports rewritten from it: {paths.exports}")


@main.command("privacy-scan")
@click.option(
    "--inbox",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Where the extracts are (default: the data directory's inbox/).",
)
@click.option("--no-dbt", is_flag=True, help="Leave out dbt's logs and newest run artefacts.")
def privacy_scan(inbox: Path | None, no_dbt: bool) -> None:
    """Search everything outside the private raw schema for the identifiers the inbox's extracts hold.

    Prints what it searched and the hits (place and kind, never the value); exits 1 on any hit. Run
    it when no refresh is running (it opens the warehouse read-only). docs/privacy.md"""
    from observatory.privacy_scan import dbt_run_artefacts, latest_run_id, scan

    paths = config.export_environment()
    started = time.monotonic()
    report = scan(paths, inbox=inbox, extra=[] if no_dbt else dbt_run_artefacts(latest_run_id()))
    for line in report.lines():
        click.echo(line)
    click.echo(f"Scanned in {time.monotonic() - started:.0f} s")
    if not report.clean:
        sys.exit(1)


@main.command()
@click.option("--rebuild", is_flag=True, help="Rebuild the raw tables from the files kept in the inbox.")
@click.option(
    "--accept-differences",
    is_flag=True,
    help="With --rebuild: accept files the contracts now read differently (their row counts change).",
)
def upgrade(rebuild: bool, accept_differences: bool) -> None:
    """Bring the warehouse and Dagster's run history to this release's schema (docs/upgrading.md).

    Refresh and ingest migrate the warehouse too; when a change cannot be migrated in place they say
    so, and `observatory upgrade --rebuild` re-ingests every file kept in the inbox."""
    import dagster as dg

    from observatory import migrations
    from observatory import rebuild as rebuilding

    paths = config.export_environment()
    try:
        if rebuild:
            for line in rebuilding.describe(rebuilding.rebuild(paths, accept_differences=accept_differences)):
                click.echo(line)
        for line in migrations.describe(migrations.upgrade_warehouse(paths)):
            click.echo(line)
    except migrations.UpgradeError as exc:
        click.secho(str(exc), fg="red")
        sys.exit(1)
    with dg.DagsterInstance.get() as instance:  # what `dagster instance migrate` does
        instance.upgrade()
    click.echo(f"Dagster's run history ({instance.root_directory}): up to date.")


def _published_at(snapshot: Path) -> str:
    with config.connect(snapshot, read_only=True) as con:
        row = con.execute("select max(published_at) from publish.manifest").fetchone()
    return f"{row[0]:%Y-%m-%d %H:%M} UTC" if row and row[0] else "at an unknown time"


@main.group()
def contracts() -> None:
    """Data contracts (sources/*.yml) and what is generated from them."""


@contracts.command("sync")
@click.option("--check", "check_only", is_flag=True, help="Only report files out of date (exit 1).")
def contracts_sync(check_only: bool) -> None:
    """Regenerate the dbt source definitions and docs/sources pages from the contracts."""
    from observatory.codegen import sync

    stale = sync(check=check_only)
    for path in stale:
        click.echo(f"{'out of date' if check_only else 'wrote'}: {path.relative_to(config.REPO_ROOT)}")
    if check_only and stale:
        sys.exit(1)


if __name__ == "__main__":
    main()
