"""Opening the DuckDB warehouse: one writing process, or many read-only readers."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

META_DDL = Path(__file__).with_name("meta.sql")


class WarehouseBusyError(RuntimeError):
    """Another process holds the warehouse file for writing."""


def connect(path: Path | str, *, read_only: bool = False, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse; a writer also makes sure the bookkeeping tables exist.

    `memory_limit` (e.g. "1GB") caps DuckDB's own memory: beyond it, the parsed temporary tables, sorts and joins
    spill to `<warehouse>.tmp/` on disk instead of growing the process (DuckDB's default is 80 % of the RAM).
    """
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
    if memory_limit:
        connection.execute("SET memory_limit = ?", [memory_limit])
    if not read_only:
        _ensure_meta(connection)
    return connection


def _ensure_meta(connection: duckdb.DuckDBPyConnection) -> None:
    """Create or update the bookkeeping tables, unless this warehouse already has this version of them.

    Running the DDL is a catalog write (CREATE … IF NOT EXISTS, COMMENT ON); a run opens the
    warehouse once per table, so the check is a read of one row.
    """
    ddl = META_DDL.read_text(encoding="utf-8")
    digest = hashlib.sha256(ddl.encode("utf-8")).hexdigest()
    try:
        if connection.execute("SELECT sha256 FROM meta.ddl_version").fetchone() == (digest,):
            return
    except duckdb.CatalogException:
        pass
    connection.execute(ddl)
    connection.execute("CREATE OR REPLACE TABLE meta.ddl_version AS SELECT ? AS sha256", [digest])
    connection.execute("COMMENT ON TABLE meta.ddl_version IS 'sha256 of warehouse/meta.sql as last applied to this "
                       "warehouse: the bookkeeping tables are only re-created when it changes.'")
    connection.execute("COMMENT ON COLUMN meta.ddl_version.sha256 IS 'sha256 (hex) of warehouse/meta.sql.'")


def table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Does schema.table exist?"""
    return bool(connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?", [schema, table]
    ).fetchone()[0])
