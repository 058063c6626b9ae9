"""`imon report`: printable integration reports from the published snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from flows.settings import load_settings

console = Console()
errors = Console(stderr=True)


def report(
    regions: Optional[list[str]] = typer.Argument(None, help="Region keys: DG (Germany), 01 (Land), 01001 (Kreis), 01001000 (Gemeinde)."),
    all_: bool = typer.Option(False, "--all", help="Every region of --level that has indicator values."),
    level: str = typer.Option("kreis", "--level", help="With --all: deutschland, land, kreis or gemeinde."),
    land: Optional[str] = typer.Option(None, "--land", help="With --all: only the regions of this Land, e.g. 01."),
    format_: list[str] = typer.Option(["html"], "--format", "-f", help="html or pdf (repeatable; pdf needs Chromium)."),
    lang: str = typer.Option("de", "--lang", help="de (default) or en."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for the reports (default: reports/<snapshot> beside the snapshots)."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Worker processes (default: the number of cores)."),
    warehouse: Optional[Path] = typer.Option(None, "--warehouse", "-w", help="DuckDB file whose published snapshots are read (default: $IMON_WAREHOUSE)."),
) -> None:
    """Write a report per region (HTML and/or PDF, named by region key) and an index page, from the current snapshot."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from service.profile import UnknownRegion, parse_region
    from service.reports import regions_of_level, write_reports
    from service.reports.batch import FORMATS, reports_dir
    from warehouse.publish import current_snapshot

    settings = load_settings(warehouse=warehouse)
    snapshot = current_snapshot(settings.published_dir)
    if snapshot is None:
        errors.print(f"nothing is published in {settings.published_dir}: run `imon run` or `imon publish` first", style="red")
        raise typer.Exit(2)
    bad = [f for f in format_ if f not in FORMATS]
    if bad or lang not in ("de", "en") or (not all_ and not regions) or (all_ and regions):
        errors.print("give region keys or --all [--level kreis]; --format html|pdf; --lang de|en", style="red")
        raise typer.Exit(2)
    try:
        if all_:
            chosen = [r for r in regions_of_level(snapshot, level) if land is None or r[0][:2] == land.zfill(2)]
        else:
            chosen = [parse_region(key) for key in regions]
            known = set(regions_of_level(snapshot, "deutschland") + regions_of_level(snapshot, "land")) | {
                r for lv in {lv for _, lv in chosen} for r in regions_of_level(snapshot, lv)}
            missing = [key for key, region in zip(regions, chosen) if region not in known]
            if missing:
                raise UnknownRegion(f"no indicator values for {', '.join(missing)} in {snapshot.name}")
    except (UnknownRegion, ValueError) as error:
        errors.print(str(error), style="red", markup=False)
        raise typer.Exit(2)
    out_dir = out or reports_dir(settings.published_dir, snapshot)
    failures: list[str] = []
    with Progress(TextColumn("[bold]reports"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=errors) as progress:
        task = progress.add_task("", total=len(chosen))

        def done(key: str, error: str | None) -> None:
            progress.update(task, advance=1, description=key)
            if error:
                failures.append(f"{key}: {error}")

        written = write_reports(snapshot, chosen, out_dir, formats=format_, lang=lang, workers=workers, on_done=done)
    for failure in failures:
        errors.print(failure, style="red", markup=False)
    console.print(f"{len(chosen) - len(written.failures)} reports ({', '.join(dict.fromkeys(format_))}) from {snapshot.name} "
                  f"in {out_dir}; index: {written.index}")
    raise typer.Exit(1 if written.failures else 0)


def register(app: typer.Typer) -> None:
    app.command(name="report")(report)
