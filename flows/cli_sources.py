"""`imon sources`: the configured source tables, checked against the services that publish them."""

from __future__ import annotations

import logging
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from flows.settings import load_settings

app = typer.Typer(
    help="The configured source tables: do they still exist at their source, and which time range do they cover?",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()

EXISTS = {True: "[green]yes[/green]", False: "[red]no[/red]", None: "[yellow]unknown[/yellow]"}


@app.command()
def check(
    table: Optional[list[str]] = typer.Option(None, "--table", "-t", help="Only this table (repeatable); names as in sources/tables.yaml."),
) -> None:
    """Ask each GENESIS instance whether every configured table exists and which time range it covers.

    Live for instances with credentials; otherwise the offline sample answers, and the row says so.
    Exits 1 when a configured table is missing or could not be checked, so a renamed or split
    table shows up here before a run fails.
    """
    from sources.catalog import load_table_specs
    from sources.errors import SourceError
    from offline.replay import client_for
    from sources.genesis import check_table

    settings = load_settings()
    logging.getLogger("offline.replay").setLevel(logging.ERROR)  # "no recorded answer" is a row of the table
    specs = [spec for spec in load_table_specs(settings.tables_file) if not table or spec.name in table]
    offline = sorted({spec.source for spec in specs if not spec.is_file_source} - set(settings.live_instances()))
    if offline:
        console.print(f"No credentials for {', '.join(offline)}: their rows come from the offline sample in "
                      "offline/sample/, not from the live service (see .env.example).", markup=False, highlight=False)

    report = Table(title=f"Source tables ({settings.tables_file.name})", show_lines=False)
    for column in ("table", "instance", "exists", "title", "time range", "note"):
        report.add_column(column)
    failed: list[str] = []
    clients = {}
    for spec in specs:
        if spec.is_file_source:
            report.add_row(escape(spec.table), spec.source, "[dim]–[/dim]", escape(spec.title), "", "file, not checked online")
            continue
        try:
            if spec.source not in clients:
                clients[spec.source] = client_for(spec.source, settings.environ)
            result = check_table(clients[spec.source], spec.table)
        except (SourceError, ValueError) as error:
            failed.append(spec.name)
            report.add_row(escape(spec.table), spec.source, "[red]?[/red]", escape(spec.title), "",
                           f"[red]check failed: {escape(str(error))}[/red]")
            continue
        if result["exists"] is False:
            failed.append(spec.name)
        time_range = " – ".join(part for part in (result["time_from"], result["time_to"]) if part)
        note = result["message"]
        if result["exists"] and not result["offline"] and result["updated"]:
            note = f"ok, updated {result['updated']}"
        title = (result["title"] or spec.title).replace("\n", " ")
        report.add_row(escape(spec.table), spec.source, EXISTS[result["exists"]], escape(title), time_range, escape(note))
    console.print(report)
    if failed:
        console.print(f"[red]not found or not checked: {', '.join(failed)}; update sources/tables.yaml "
                      "(a renamed or split table has a new code) before the next run[/red]")
        raise typer.Exit(1)
