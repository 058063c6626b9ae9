"""`imon lake`: the shared warehouse as a DuckLake (catalog in PostgreSQL, Parquet under a data path)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from flows.settings import load_settings

console = Console()
errors = Console(stderr=True)
WarehouseOption = typer.Option(None, "--warehouse", "-w", help="DuckDB file (default: $IMON_WAREHOUSE or warehouse/imon.duckdb).")

app = typer.Typer(help="The lake (IMON_LAKE, IMON_LAKE_DATA_PATH; IMON_LAKE_OFFICE, IMON_LAKE_REGIONS when offices "
                       "share it): list, offices, move published data in and out, reader roles.",
                  no_args_is_help=True)


def _lake(warehouse: Optional[Path]):
    settings = load_settings(warehouse=warehouse)
    target = settings.lake_target()
    if target is None:
        errors.print("IMON_LAKE is not set: give the DuckLake catalog, e.g. "
                     "IMON_LAKE='postgres:dbname=imon host=127.0.0.1' (and IMON_LAKE_DATA_PATH)", style="red", markup=False)
        raise typer.Exit(2)
    return settings, target


@app.command("list")
def list_snapshots(warehouse: Optional[Path] = WarehouseOption) -> None:
    """The published snapshots in the lake, which one is current, which were withdrawn."""
    _, target = _lake(warehouse)
    print_snapshots(target)


def print_snapshots(target) -> None:
    """A table of the lake's published snapshots."""
    from warehouse import lake

    entries = lake.published(target)
    live = [e for e in entries if e.withdrawn_at is None]
    table = Table(title=f"Published snapshots in the lake {target.label}")
    for column in ("snapshot", "run", "published", "withdrawn", "current"):
        table.add_column(column)
    for entry in entries:
        table.add_row(str(entry.snapshot_id), entry.run_id, entry.published_at, entry.withdrawn_at or "",
                      "yes" if live and entry == live[-1] else "")
    console.print(table)


@app.command("offices")
def list_offices(warehouse: Optional[Path] = WarehouseOption) -> None:
    """The offices sharing the lake: the region prefixes each claims and its publishes (IMON_LAKE_OFFICE)."""
    from warehouse import lake

    _, target = _lake(warehouse)
    claims = lake.offices(target)
    table = Table(title=f"Offices publishing into the lake {target.label}")
    for column in ("office", "regions", "snapshot", "run", "published", "withdrawn"):
        table.add_column(column)
    for entry in lake.contributions(target):
        table.add_row(entry.office, ",".join(claims.get(entry.office, ())), str(entry.snapshot_id or "expired"),
                      entry.run_id, entry.published_at, "yes" if entry.withdrawn else "")
    console.print(table)


@app.command("export")
def export(
    snapshot_file: Optional[Path] = typer.Argument(None, help="A published snapshot file (default: the current one)."),
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """Publish a local snapshot file into the lake (switching storage keeps the history you export)."""
    from warehouse import lake
    from warehouse.publish import current_snapshot

    settings, target = _lake(warehouse)
    path = snapshot_file or current_snapshot(settings.published_dir)
    if path is None or not Path(path).is_file():
        errors.print(f"no snapshot file to export (nothing published in {settings.published_dir})", style="red",
                     markup=False)
        raise typer.Exit(1)
    snapshot = lake.export_file(path, target, keep=settings.snapshots_to_keep, office=settings.lake_office_claim())
    console.print(f"exported {path} into the lake {target.label}: snapshot {snapshot.snapshot_id} (run {snapshot.run_id})")


@app.command("import")
def import_(
    target_file: Path = typer.Argument(..., help="A new DuckDB file to write the lake's published snapshot into."),
    snapshot: Optional[int] = typer.Option(None, "--snapshot", help="A published snapshot id (default: the current one)."),
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """Write the lake's current (or a given) published snapshot into a local DuckDB file."""
    from warehouse import lake

    _, target = _lake(warehouse)
    try:
        path = lake.import_file(target, target_file, snapshot_id=snapshot)
    except FileExistsError as error:
        errors.print(str(error), style="red", markup=False)
        raise typer.Exit(1)
    console.print(f"imported the lake {target.label} into {path}")


@app.command("reader-role")
def reader_role(
    role: str = typer.Argument(..., help="PostgreSQL role a county or analyst attaches the lake with."),
    apply: bool = typer.Option(False, "--apply", help="Run the statements on the catalog database (needs an owner)."),
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """Print (or apply) the PostgreSQL grants for a role that can read the lake's catalog and nothing more."""
    from warehouse import lake

    _, target = _lake(warehouse)
    database = lake.catalog_database(target)
    statements = lake.reader_role_sql(role, database)
    if apply:
        lake.run_on_catalog(target, statements)
        console.print(f"role {role} can now read the lake catalog in database {database}")
    else:
        console.print(";\n".join(statements) + ";", markup=False, highlight=False)
