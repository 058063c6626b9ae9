"""`imon reconcile`: imon's indicators against the Regionalatlas, where the definitions match."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

console = Console()
errors = Console(stderr=True)


def reconcile(
    code: list[str] = typer.Option(["AI0208", "AI0805", "AI0809"], "--code", "-c",
                                   help="Regionalatlas indicator (repeatable): AI0208 (↔ DEM01), AI0805 (↔ ARB04), AI0809 (↔ ARB06)."),
    year: list[int] = typer.Option([2015, 2016, 2017, 2018, 2019, 2020, 2023, 2024], "--year", "-y", help="Year (repeatable)."),
    level: list[str] = typer.Option(["land", "kreis"], "--level", "-l", help="land, regierungsbezirk or kreis (repeatable)."),
    csv_path: Optional[Path] = typer.Option(None, "--csv", help="Write every comparison to this CSV file."),
    warehouse: Optional[Path] = typer.Option(None, "--warehouse", "-w",
                                             help="DuckDB file (default: the published snapshot of $IMON_WAREHOUSE)."),
) -> None:
    """Fetch the Regionalatlas values and compare them with imon's published indicators.

    Reports, per code, how many values agree within the rounding of the published value, how many
    differ beyond it (with the known causes), and how many are not compared (generated offline
    data, values imon withholds, values not published). Exits 1 when a value differs beyond the
    rounding. The service is $IMON_REGIONALATLAS_URL (default: the public Regionalatlas).
    """
    from flows.cli_common import connect_read_only as _connect_read_only
    from flows.settings import load_settings
    from sources.errors import SourceError
    from sources.regionalatlas import DEFAULT_URL, fetch
    from warehouse.reconcile import PAIRS, as_records, reconcile as compare, refusal, summary

    settings = load_settings(warehouse=warehouse)
    url = settings.regionalatlas_url or DEFAULT_URL
    refused = [refusal(c) for c in code if refusal(c)]
    if refused:  # before any request: a comparison of different definitions would only mislead
        for reason in refused:
            errors.print(reason, style="red", markup=False)
        raise typer.Exit(2)
    unknown = [c for c in code if c.upper() not in PAIRS]
    if unknown:
        errors.print(f"no imon indicator matches {', '.join(unknown)}; known: {', '.join(PAIRS)}", style="red", markup=False)
        raise typer.Exit(2)
    try:
        published = [value for c in code for value in fetch(c.upper(), year, level, url=url)]
    except SourceError as error:
        errors.print(str(error), style="red", markup=False)
        raise typer.Exit(2)
    connection = _connect_read_only(warehouse)
    try:
        comparisons = compare(connection, published)
    finally:
        connection.close()
    counts = summary(comparisons)
    table = Table(title=f"Regionalatlas ({url}) against imon")
    for column in ("code", "imon", "agrees", "differs", "imon synthetic", "imon withheld", "not published", "not in imon"):
        table.add_column(column)
    for c, by_status in counts.items():
        table.add_row(c, PAIRS[c].indicator, *(str(n) for n in by_status.values()))
    console.print(table)
    differing = [c for c in comparisons if c.status == "differs"]
    if differing:
        detail = Table(title="Differences beyond the rounding of the published value")
        for column in ("code", "ags", "level", "year", "Regionalatlas", "imon", "difference"):
            detail.add_column(column)
        for c in differing[:40]:
            detail.add_row(c.code, c.ags, c.level, str(c.period), f"{c.published:.1f}", f"{c.own:.2f}", f"{c.difference:+.2f}")
        console.print(detail)
        for c in sorted({c.code for c in differing}):
            console.print(f"[bold]{c}[/bold] known causes: {PAIRS[c].known_differences}", markup=True, highlight=False)
    if csv_path:
        records = as_records(comparisons)
        with open(csv_path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(records[0]) if records else ["code"])
            writer.writeheader()
            writer.writerows(records)
        console.print(f"{len(records)} comparisons written to {csv_path}")
    if differing:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add reconcile to the `imon` command line."""
    app.command()(reconcile)
