"""What the `imon` sub-command modules share: opening the warehouse for reading."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from flows.settings import load_settings

errors = Console(stderr=True)


def connect_read_only(warehouse: Optional[Path], *, published: bool = True):
    """Readers read the published snapshot; the office's own views (status, validation) the working file."""
    from warehouse.connection import WarehouseBusyError, connect
    from warehouse.publish import open_for_reading

    settings = load_settings(warehouse=warehouse)
    try:
        if published:
            return open_for_reading(settings, note=lambda text: errors.print(text, style="yellow", markup=False))
        return connect(settings.warehouse_path, read_only=True)
    except (FileNotFoundError, WarehouseBusyError) as error:
        errors.print(str(error), style="red", markup=False)
        raise typer.Exit(2)
