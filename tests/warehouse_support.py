"""Helpers for tests that compare what builds leave in the warehouse: every model table by row count and content."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

MODEL_SCHEMAS = ("staging", "core", "indicators", "marts")


def model_state(path: Path) -> dict[str, tuple[int, int]]:
    """Row count and a content hash of every model table, and of meta.raw_period (which the build writes)."""
    connection = duckdb.connect(str(path), read_only=True)
    try:
        tables = connection.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE schema_name IN "
            f"{MODEL_SCHEMAS} OR (schema_name, table_name) = ('meta', 'raw_period') ORDER BY 1").fetchall()
        return {name: connection.execute(f"SELECT count(*), sum(hash({rounded_row(connection, name)})) FROM {name}").fetchone()
                for (name,) in tables}
    finally:
        connection.close()


def rounded_row(connection, table: str) -> str:
    """The row as a struct, doubles rounded to 9 decimals: a parallel sum may differ in its last bits from run to run."""
    schema, name = table.split(".")
    columns = connection.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, name]).fetchall()
    return "{" + ", ".join(f"'{c}': " + (f'round("{c}", 9)' if t in ("DOUBLE", "FLOAT") else f'"{c}"') for c, t in columns) + "}"


def fresh_build(path: Path, tmp_path: Path) -> tuple[dict[str, tuple[int, int]], int]:
    """What a full build makes of the same raw data: every model rebuilt on a copy of the warehouse."""
    from flows.settings import load_settings
    from warehouse.connection import connect
    from warehouse.models import build_models

    copy = tmp_path / "fresh" / "imon.duckdb"
    copy.parent.mkdir()
    shutil.copy(path, copy)
    settings = load_settings(warehouse=copy)
    connection = connect(copy)
    try:
        built = build_models(connection, settings.sql_dir, run_id="fresh", variables=settings.model_variables())
    finally:
        connection.close()
    return model_state(copy), len(built)

