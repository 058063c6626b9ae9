"""The register the quality gate checks regional keys against: which keys exist, and on which days.

A key is checked twice. Is it known at all (any loaded GV100AD edition, the curated change list)?
And was it valid on the row's reference date? Tables keep the territorial status of their
reference date, so Göttingen 03152 carries numbers up to 2015 and `-` afterwards; a number for a
Kreis on a day it did not exist is a wrong key or a table re-based to another Gebietsstand.
Validity comes from the same models the core layer uses (core.region_crosswalk), built here in a
private in-memory database from the reference tables just loaded, so the gate and the core layer
can never disagree about it and the warehouse is not written to before the run's build.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from warehouse.connection import META_DDL, table_exists
from warehouse.models import build_models, discover_models, upstream

REGISTER_TABLE = "municipality_register"
VALIDITY_MODEL = "core.region_crosswalk"
# GENESIS key lengths of the levels the change list names in 8-digit form
SHORT_KEY = {"land": 2, "regierungsbezirk": 3, "kreis": 5, "gemeinde": 8}


class Register:
    """Keys known to the loaded register editions and change list, and their validity in time."""

    def __init__(self, keys: set[str], validity: duckdb.DuckDBPyConnection | None = None):
        self.keys = pd.Index(sorted(keys), dtype=object)  # hashed once for the run, looked up for every table
        self._validity = validity  # an in-memory database holding core.region_crosswalk and the macros

    @classmethod
    def load(cls, connection: duckdb.DuckDBPyConnection, sql_dir: Path) -> "Register":
        """Read the reference tables of the warehouse (empty register if none is loaded yet)."""
        keys: set[str] = set()
        if table_exists(connection, "raw", REGISTER_TABLE):
            keys |= {r[0] for r in connection.execute(
                f"SELECT key FROM raw.{REGISTER_TABLE} UNION SELECT ars FROM raw.{REGISTER_TABLE} WHERE ars IS NOT NULL"
            ).fetchall()}
        if table_exists(connection, "raw", "territorial_changes"):
            for level, old, new in connection.execute(
                    "SELECT level, old_ags, new_ags FROM raw.territorial_changes").fetchall():
                keys |= {old[: SHORT_KEY.get(level, 8)], new[: SHORT_KEY.get(level, 8)]}
        return cls(keys, _validity_database(connection, sql_dir))

    def close(self) -> None:
        if self._validity is not None:
            self._validity.close()

    def invalid_keys(self, keys: pd.DataFrame) -> pd.DataFrame:
        """Of distinct (region_variable, region_key, reference_time), those the register knows but not as valid that day."""
        if self._validity is None or keys.empty:
            return keys.head(0)
        self._validity.register("row_keys", keys)
        try:
            # the same expressions as the staging models and the same test as the core models
            return self._validity.execute("""
                WITH row_keys AS (
                    SELECT region_variable, region_key, reference_time,
                           ags_from_key(region_variable, region_key) AS ags,
                           level_from_key(region_variable, region_key) AS level,
                           fact_day(date_from_time(reference_time), period_from_time(reference_time)) AS day
                    FROM row_keys
                    WHERE region_key IS NOT NULL AND reference_time IS NOT NULL
                )
                SELECT k.region_variable, k.region_key, k.reference_time
                FROM row_keys AS k
                WHERE EXISTS (SELECT 1 FROM core.region_crosswalk AS c WHERE c.ags = k.ags AND c.level = k.level)
                  AND NOT EXISTS (SELECT 1 FROM core.region_crosswalk AS c
                                  WHERE c.ags = k.ags AND c.level = k.level AND valid_on(k.day, c.valid_from, c.valid_to))
            """).df()
        finally:
            self._validity.unregister("row_keys")


def _validity_database(connection: duckdb.DuckDBPyConnection, sql_dir: Path) -> duckdb.DuckDBPyConnection | None:
    """core.region_crosswalk built from the warehouse's reference tables in a private in-memory database."""
    needed = upstream(discover_models(sql_dir), VALIDITY_MODEL)
    raw_tables = sorted(name.split(".", 1)[1] for name in needed if name.startswith("raw."))
    if not all(table_exists(connection, "raw", table) for table in raw_tables):
        return None
    memory = duckdb.connect(":memory:")
    try:
        memory.execute(META_DDL.read_text(encoding="utf-8"))  # the raw and meta schemas build_models records into
        for table in raw_tables:
            rows = connection.execute(f"SELECT * FROM raw.{table}").to_arrow_table()  # noqa: F841 (read by DuckDB)
            memory.execute(f"CREATE TABLE raw.{table} AS SELECT * FROM rows")
        build_models(memory, sql_dir, run_id="register-check", only=needed)
    except BaseException:
        memory.close()
        raise
    return memory
