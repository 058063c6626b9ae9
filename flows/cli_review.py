"""`imon diff` and the review step of `imon publish`: what a publish would change, per indicator."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from flows.settings import load_settings

console = Console()
errors = Console(stderr=True)
WarehouseOption = typer.Option(None, "--warehouse", "-w", help="DuckDB file (default: $IMON_WAREHOUSE or warehouse/imon.duckdb).")
STYLES = {"added": "green", "retired": "red", "changed definition": "magenta", "changed values": "yellow", "unchanged": "dim"}


class DiffFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


def diff(
    warehouse: Optional[Path] = WarehouseOption,
    format_: DiffFormat = typer.Option(DiffFormat.table, "--format", "-f", help="table (terminal), json or markdown."),
    threshold: float = typer.Option(1.0, "--threshold", help="Count the Kreise whose value moves by more than this, in the indicator's unit (pct: percentage points)."),
    fail_on_change: bool = typer.Option(False, "--fail-on-change", help="Exit 3 when any indicator is added, retired or changed (for CI)."),
    all_: bool = typer.Option(False, "--all", help="List unchanged indicators in the table too."),
) -> None:
    """Compare the working warehouse with the published snapshot, per indicator, before publishing.

    Exit 1 when a formula changed without a version bump, 3 with --fail-on-change when anything changed.
    """
    result = compute_diff(warehouse, threshold)
    if format_ == DiffFormat.json:
        print(result.to_json())
    elif format_ == DiffFormat.markdown:
        print(diff_markdown_text(result))
    else:
        print_diff(result, show_unchanged=all_)
    if result.errors:
        raise typer.Exit(1)
    if fail_on_change and result.has_changes:
        raise typer.Exit(3)


def compute_diff(warehouse: Optional[Path], threshold: float = 1.0):
    """The diff of the working warehouse against the current snapshot; exit 2 when there is no warehouse."""
    from warehouse.connection import WarehouseBusyError
    from warehouse.review import diff_files

    settings = load_settings(warehouse=warehouse)
    try:
        return diff_files(settings.warehouse_path, settings.published_dir, threshold=threshold)
    except (FileNotFoundError, WarehouseBusyError) as error:
        errors.print(str(error), style="red", markup=False)
        raise typer.Exit(2)


def diff_markdown_text(result) -> str:
    from warehouse.review import diff_markdown

    return diff_markdown(result)


def print_diff(result, *, show_unchanged: bool = False) -> None:
    """The diff as a Rich table: one row per indicator that changes, then the summary and the errors."""
    from warehouse.review import UNCHANGED, describe_change, rows_text, version_text

    table = Table(title=f"Working warehouse against {result.published or 'nothing published'}")
    for column in ("indicator", "status", "version", "rows (+ − ~)", "largest change", "largest relative change",
                   f"Kreise > {result.threshold:g}", "header fields"):
        table.add_column(column)
    for i in result.indicators:
        if i.status == UNCHANGED and not show_unchanged:
            continue
        style = STYLES[i.status]
        table.add_row(f"{i.indicator_id}", f"[{style}]{i.status}[/{style}]", version_text(i), rows_text(i),
                      describe_change(i.largest_absolute, i.unit), describe_change(i.largest_relative, i.unit, relative=True),
                      "" if i.status in ("added", "retired") else str(i.kreise_beyond_threshold),
                      ", ".join(i.changed_fields))
    if table.row_count:
        console.print(table)
    console.print(f"indicators: {result.summary().split('; ')[0]}", markup=False, highlight=False)
    for error in result.errors:
        errors.print(f"error: {error}: bump `version` in its SQL header (and add a changelog line)",
                     style="red", markup=False, highlight=False)
    untold = [i.indicator_id for i in result.indicators if i.notes]
    if untold:
        errors.print(f"note: cannot tell whether the definition changed for {', '.join(untold)}: no definition_sha256 "
                     "to compare (a snapshot published before definitions were hashed); see the notes of --format json",
                     style="yellow", markup=False, highlight=False)


def review_for_publish(warehouse: Optional[Path], *, yes: bool) -> object:
    """`imon publish`: show the diff summary, refuse errors, ask when a person is at the terminal (not with --yes)."""
    result = compute_diff(warehouse)
    print_diff(result)
    if result.errors:
        errors.print("not published: resolve the errors above, rebuild (`imon build`) and publish again",
                     style="red", markup=False)
        raise typer.Exit(1)
    if not yes and sys.stdin.isatty() and not typer.confirm("Publish these changes?", default=False):
        errors.print("not published")
        raise typer.Exit(1)
    return result
