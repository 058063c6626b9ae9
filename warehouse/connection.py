"""Opening the DuckDB warehouse: one writing process, or many read-only readers."""

from __future__ import annotations

from pathlib import Path

import duckdb

META_DDL = Path(__file__).with_name("meta.sql")


class WarehouseBusyError(RuntimeError):
    """Another process holds the warehouse file for writing."""


def connect(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse; a writer also makes sure the bookkeeping tables exist."""
    path = Path(path)
    if read_only and not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `imon run` first")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        connection = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise WarehouseBusyError(
                f"the warehouse {path} is open for writing by another process; "
                "wait for that run to finish, or read a published snapshot"
            ) from error
        raise
    if not read_only:
        connection.execute(META_DDL.read_text(encoding="utf-8"))
    return connection
