"""`imon serve`, `imon publish` and `imon keys`: sharing the warehouse with counties and analysts."""

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

keys_app = typer.Typer(help="API keys of the query service: one per county and for the state office.", no_args_is_help=True)


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """Run the query service (API, analysts' SQL, county uploads, profile pages) on the published snapshot."""
    import logging

    import uvicorn

    from service.app import create_app

    from warehouse.publish import current_snapshot

    settings = load_settings(warehouse=warehouse)
    if current_snapshot(settings.published_dir) is None:
        errors.print(f"nothing is published in {settings.published_dir} yet: the API answers 503 until "
                     "`imon run` passes the quality gate or `imon publish` publishes the working warehouse")
    logging.getLogger("imon.service").setLevel(logging.INFO)
    logging.getLogger("imon.service").addHandler(logging.StreamHandler())
    errors.print(f"serving {settings.published_dir} on http://{host}:{port}/ (API docs: /docs, profiles: /profile, "
                 "readiness: /health); "
                 f"requests are logged to {settings.service_dir / 'requests.log'}")
    uvicorn.run(create_app(settings), host=host, port=port, access_log=False, log_level="warning")


def publish(
    rollback: bool = typer.Option(False, "--rollback", help="Switch back to the snapshot published before the current one. "
                                  "With IMON_LAKE_OFFICE set: withdraw only that office's newest publish from the lake "
                                  "(refused when another office published into the same tables later)."),
    list_: bool = typer.Option(False, "--list", help="Show the snapshots kept and which one is current."),
    force: bool = typer.Option(False, "--force", help="Publish even though the last run did not pass the quality gate."),
    warehouse: Optional[Path] = WarehouseOption,
    yes: bool = typer.Option(False, "--yes", "-y", help="Publish without asking (scripts); the indicator diff is still shown and recorded."),
    by: Optional[str] = typer.Option(None, "--by", help="Who approves this publish (recorded in meta.publish_log; default: your user name)."),
) -> None:
    """Publish the working warehouse as a new read-only snapshot (or roll back, or list the snapshots)."""
    import duckdb

    from warehouse.lake import LakeError
    from warehouse.publish import NoSnapshotError, current_snapshot, snapshots
    from warehouse.publish import rollback as rollback_snapshot

    settings = load_settings(warehouse=warehouse)
    lake_target = settings.lake_target()
    if rollback:
        try:
            if lake_target is not None:
                from warehouse import lake

                office = settings.lake_office_claim()
                snapshot = lake.rollback(lake_target, office=office)
                if office is None:
                    console.print(f"rolled back the lake: snapshot {snapshot.snapshot_id} (run {snapshot.run_id}) is current again")
                else:
                    console.print(f"rolled back the office {office.name}'s newest publish in the lake: snapshot "
                                  f"{snapshot.snapshot_id} is current")
            path = rollback_snapshot(settings.published_dir)
        except (NoSnapshotError, LakeError) as error:  # LakeError: e.g. a refused rollback
            errors.print(str(error), style="red", markup=False)
            raise typer.Exit(1)
        console.print(f"rolled back: {path.name} is current again")
    elif not list_:
        if not settings.warehouse_path.exists():
            errors.print(f"no warehouse at {settings.warehouse_path}: run `imon run` first", style="red", markup=False)
            raise typer.Exit(2)
        try:
            connection = duckdb.connect(str(settings.warehouse_path), read_only=True)
        except duckdb.IOException as error:
            errors.print(f"cannot read {settings.warehouse_path} (a run is writing it?): {error}", style="red", markup=False)
            raise typer.Exit(1)
        try:
            run = connection.execute("SELECT run_id, outcome FROM meta.run ORDER BY started_at DESC LIMIT 1").fetchone()
        finally:
            connection.close()
        if run is None:
            errors.print("the warehouse has no run yet: run `imon run` first", style="red", markup=False)
            raise typer.Exit(2)
        if run[1] != "success" and not force:
            errors.print(f"the last run {run[0]} ended '{run[1]}', so it did not pass the quality gate; "
                         "fix it and run again, or publish anyway with --force", style="red", markup=False)
            raise typer.Exit(1)
        from flows.cli_review import review_for_publish
        from warehouse.review import default_operator, publish_reviewed

        reviewed = review_for_publish(warehouse, yes=yes)
        path = publish_reviewed(settings.warehouse_path, settings.published_dir, reviewed, run_id=run[0],
                                operator=by or default_operator(), via="imon publish", keep=settings.snapshots_to_keep)
        console.print(f"published {path}")
        if lake_target is not None:
            from warehouse import lake

            office = settings.lake_office_claim()
            try:
                snapshot = lake.publish(path, lake_target, run_id=run[0], keep=settings.snapshots_to_keep, office=office)
            except lake.LakeError as error:
                errors.print(f"not published into the lake: {error}", style="red", markup=False)
                raise typer.Exit(1)
            by = f" as the office {office.name}" if office else ""
            console.print(f"published into the lake {lake_target.label}{by}: snapshot {snapshot.snapshot_id}")
    current = current_snapshot(settings.published_dir)
    table = Table(title=f"Snapshots in {settings.published_dir}")
    for column in ("file", "run", "published", "withdrawn", "current"):
        table.add_column(column)
    for snapshot in snapshots(settings.published_dir):
        table.add_row(snapshot.file, snapshot.run_id, snapshot.published_at, snapshot.withdrawn_at or "",
                      "yes" if current and current.name == snapshot.file else "")
    console.print(table)
    if lake_target is not None:
        from flows.cli_lake import print_snapshots

        print_snapshots(lake_target)


@keys_app.command("create")
def create_key(
    county: Optional[str] = typer.Option(None, "--county", help="5-digit Kreis key of the county, e.g. 09162."),
    state_office: bool = typer.Option(False, "--state-office", help="A key of the state office (reads every county's uploads)."),
    label: Optional[str] = typer.Option(None, "--label", help="A note on who holds the key."),
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """Create a key and print it once: it is stored only hashed and cannot be shown again."""
    from service.auth import COUNTY, STATE_OFFICE, KeyStore

    if bool(county) == state_office:
        errors.print("give either --county <5-digit Kreis key> or --state-office", style="red", markup=False)
        raise typer.Exit(2)
    settings = load_settings(warehouse=warehouse)
    if county:
        county = county.strip()[:5] if county.strip().endswith("000") and len(county.strip()) == 8 else county.strip()
        problem = _unknown_county(settings, county)
        if problem:
            errors.print(problem, style="red", markup=False)
            raise typer.Exit(2)
    store = KeyStore(settings.service_dir / "access.sqlite3")
    key_id, key = store.create(role=COUNTY if county else STATE_OFFICE, county=county, label=label)
    errors.print(f"key {key_id} for {'county ' + county if county else 'the state office'} "
                 "(shown once; send it as `Authorization: Bearer <key>`):")
    console.print(key, markup=False, highlight=False, soft_wrap=True)


@keys_app.command("revoke")
def revoke_key(key_id: str = typer.Argument(..., help="The key id `imon keys list` shows."),
               warehouse: Optional[Path] = WarehouseOption) -> None:
    """Revoke a key: the next request with it gets 401."""
    from service.auth import KeyStore

    settings = load_settings(warehouse=warehouse)
    if not KeyStore(settings.service_dir / "access.sqlite3").revoke(key_id):
        errors.print(f"no active key {key_id}", style="red", markup=False)
        raise typer.Exit(1)
    console.print(f"revoked {key_id}")


@keys_app.command("list")
def list_keys(warehouse: Optional[Path] = WarehouseOption) -> None:
    """Every key with its role, county and dates (never the key itself)."""
    from service.auth import KeyStore

    settings = load_settings(warehouse=warehouse)
    table = Table(title="API keys")
    for column in ("key id", "role", "county", "label", "created", "revoked"):
        table.add_column(column)
    for record in KeyStore(settings.service_dir / "access.sqlite3").list():
        table.add_row(record.key_id, record.role, record.county or "", record.label or "", record.created_at,
                      record.revoked_at or "")
    console.print(table)


def _unknown_county(settings, county: str) -> str | None:
    """Why `county` is not a Kreis of the register, or None; unchecked when nothing is built yet."""
    import re

    import duckdb

    if not re.fullmatch(r"\d{5}", county):
        return f"county {county!r}: give the 5-digit Kreis key, e.g. 09162"
    from warehouse.publish import open_for_reading

    try:
        connection = open_for_reading(settings, note=lambda message: None)
    except FileNotFoundError:
        return None
    try:
        found = connection.execute("SELECT name FROM core.region WHERE ags = ? AND level = 'kreis'", [county + "000"]).fetchone()
    except duckdb.CatalogException:  # nothing built yet
        return None
    finally:
        connection.close()
    return None if found else f"{county} is not a Kreis of the register"


def register(app: typer.Typer) -> None:
    """Add serve, publish and keys to the `imon` command line."""
    app.command()(serve)
    app.command()(publish)
    app.add_typer(keys_app, name="keys")
