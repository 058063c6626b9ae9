"""`imon map`: choropleth maps of the indicators as SVG, PNG or HTML files (service/maps.py draws them)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

console = Console()
errors = Console(stderr=True)
FORMATS = ("svg", "png", "html")


def map_command(
    indicator: Optional[str] = typer.Argument(None, help="Indicator id, e.g. ARB06 (omit with --all)."),
    period: Optional[int] = typer.Option(None, "--period", "-p", help="Reporting year (default: the latest with values)."),
    level: str = typer.Option("kreis", "--level", "-l", help="kreis (every Kreis) or land (every Land)."),
    fmt: str = typer.Option("svg", "--format", "-f", help="svg, png or html."),
    out: Path = typer.Option(Path("maps"), "--out", "-o", help="Folder for the files (created if missing)."),
    every: bool = typer.Option(False, "--all", help="One map per indicator and period."),
    warehouse: Optional[Path] = typer.Option(None, "--warehouse", "-w",
                                             help="DuckDB file (default: $IMON_WAREHOUSE or warehouse/imon.duckdb)."),
) -> None:
    """Draw the map of an indicator: every Kreis (or Land) coloured by its class, legend, sources."""
    from flows.cli_common import connect_read_only as _connect_read_only
    from service import maps
    from warehouse.publish import snapshot_label

    if level not in maps.LEVELS:
        raise typer.BadParameter(f"--level must be one of {', '.join(maps.LEVELS)}")
    if fmt not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}")
    if not every and not indicator:
        raise typer.BadParameter("name an indicator (e.g. ARB06) or give --all")
    connection = _connect_read_only(warehouse)
    label = snapshot_label(connection)  # None for a working warehouse: the caption says so
    if every:
        wanted = [(row[0], None) for row in connection.execute("SELECT indicator_id FROM marts.indicator_catalog ORDER BY 1").fetchall()]
    else:
        wanted = [(indicator.upper(), period)]
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for indicator_id, one_period in wanted:
        try:
            rows = maps.indicator_rows(connection, indicator_id, level)
            names = maps.region_names(connection, level)
            first = maps.map_data(connection, indicator_id, level=level, period=one_period, snapshot=label, rows=rows, names=names)
        except maps.UnknownIndicator as error:
            if not every:
                errors.print(str(error), style="red", markup=False)
                raise typer.Exit(2)
            errors.print(f"skipped: {error}", style="yellow", markup=False)
            continue
        periods = first.periods if every else [first.period]
        for year in periods:
            data = first if year == first.period else maps.map_data(connection, indicator_id, level=level, period=year,
                                                                   snapshot=label, rows=rows, names=names)
            path = out / f"{indicator_id}_{level}_{year}.{fmt}"
            if fmt == "html":
                path.write_text(maps.html_page(data, maps.render_svg(data).decode()), encoding="utf-8")
            else:
                path.write_bytes(maps.render_svg(data, fmt=fmt))
            written += 1
            if not every:
                _report(data)
            console.print(str(path), markup=False, highlight=False)
    connection.close()
    errors.print(f"{written} map(s) written to {out}", markup=False)


def _report(data) -> None:
    """Regions with a value but no boundary, and boundaries without a value, are named, not dropped silently."""
    if data.without_geometry:
        errors.print("values without a boundary (not on the map): "
                     + ", ".join(f"{r['name']} ({r['key']})" for r in data.without_geometry), style="yellow", markup=False)
    if data.without_value:
        errors.print(f"{len(data.without_value)} boundaries without a value in {data.period} (drawn as 'no value'): "
                     + ", ".join(r["key"] for r in data.without_value[:20])
                     + (" …" if len(data.without_value) > 20 else ""), style="yellow", markup=False)


def register(app: typer.Typer) -> None:
    app.command("map")(map_command)
