"""Loading validated tables into raw.<table>, one transaction per table, with their lineage."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import duckdb
import pandas as pd

from warehouse.connection import table_exists
from warehouse.quality import ValidationReport


@dataclass(frozen=True)
class RawFile:
    """A landed raw file that a raw table rests on."""

    path: str  # relative to the landing directory
    sha256: str
    size_bytes: int
    parameters: dict
    fetched_at: datetime | None
    synthetic: bool = False


def files_fingerprint(files: Iterable[RawFile]) -> str:
    """The sorted sha256 list that identifies the content of a table's raw files."""
    return ",".join(sorted(f.sha256 for f in files))


def loaded_fingerprint(connection: duckdb.DuckDBPyConnection, table_name: str) -> str | None:
    """Fingerprint of the raw files the table was last loaded from, or None if never loaded."""
    rows = connection.execute(
        "SELECT sha256 FROM meta.raw_file WHERE table_name = ? ORDER BY sha256", [table_name]
    ).fetchall()
    if not rows or not table_exists(connection, "raw", table_name):
        return None
    return ",".join(r[0] for r in rows)


def files_unchanged(connection: duckdb.DuckDBPyConnection, table_name: str, files: Iterable[RawFile]) -> bool:
    """Was the table last loaded from exactly these raw files?"""
    return loaded_fingerprint(connection, table_name) == files_fingerprint(files)


def load_table(
    connection: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    table_name: str,
    table_code: str,
    source: str,
    title: str,
    staged: str,
    files: list[RawFile],
) -> int:
    """Replace raw.<table_name> with the validated staging table `staged` and record its files, all or nothing."""
    connection.execute("BEGIN TRANSACTION")
    try:
        # a plain scan keeps the rows in their order (DuckDB's preserve_insertion_order): the file's order
        connection.execute(f"CREATE OR REPLACE TABLE raw.{table_name} AS SELECT * FROM {staged}")
        row_count = connection.execute(f"SELECT count(*) FROM raw.{table_name}").fetchone()[0]
        description = f"{title} ({source} {table_code}), as parsed from the raw files; one row per value. Lineage: source_file, line_number."
        connection.execute(f"COMMENT ON TABLE raw.{table_name} IS '{description.replace(chr(39), chr(39) * 2)}'")
        connection.execute("DELETE FROM meta.raw_file WHERE table_name = ?", [table_name])
        connection.executemany(
            "INSERT INTO meta.raw_file (table_name, source, table_code, path, sha256, size_bytes, parameters, "
            "fetched_at, synthetic, loaded_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [table_name, source, table_code, f.path, f.sha256, f.size_bytes, json.dumps(f.parameters),
                 f.fetched_at, f.synthetic, run_id]
                for f in files
            ],
        )
        record_table_load(connection, run_id=run_id, table_name=table_name, table_code=table_code, source=source,
                          status="loaded", row_count=row_count, files=files)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return row_count


def record_table_load(
    connection: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    table_name: str,
    table_code: str,
    source: str,
    status: str,
    row_count: int | None = None,
    files: list[RawFile] = (),
    message: str | None = None,
) -> None:
    """Note what happened to a table in this run (loaded, unchanged, rejected, failed)."""
    connection.execute(
        "INSERT INTO meta.table_load (run_id, table_name, table_code, source, status, row_count, files_sha256, message) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, table_name, table_code, source, status, row_count, files_fingerprint(files) if files else None, message],
    )


def record_validation(connection: duckdb.DuckDBPyConnection, *, run_id: str, report: ValidationReport) -> None:
    """Store every expectation outcome of a table, with examples of failing rows."""
    connection.executemany(
        'INSERT INTO meta.validation_result (run_id, table_name, "check", expectation, column_name, severity, success, '
        "unexpected_count, examples, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [run_id, report.table_name, o.check, o.expectation, o.column, o.severity, o.success, o.unexpected_count,
             json.dumps(o.examples, default=str) if o.examples else None, o.notes]
            for o in report.outcomes
        ],
    )


def record_quarantine(connection: duckdb.DuckDBPyConnection, *, run_id: str, report: ValidationReport) -> None:
    """Keep the rows a blocking expectation rejected, so they can be inspected and corrected."""
    if report.quarantine:
        # one set-based insert: a rejected table can have tens of thousands of rejected rows
        rows = pd.DataFrame(report.quarantine, columns=["check", "expectation", "column", "line_number", "reason", "row"])
        connection.register("quarantined_rows", rows.assign(run_id=run_id, table_name=report.table_name))
        connection.execute(
            'INSERT INTO meta.quarantine (run_id, table_name, "check", expectation, column_name, line_number, reason, "row") '
            'SELECT run_id, table_name, "check", expectation, "column", CAST(line_number AS BIGINT), reason, "row" '
            "FROM quarantined_rows"
        )
        connection.unregister("quarantined_rows")


def previous_row_count(connection: duckdb.DuckDBPyConnection, table_name: str) -> int | None:
    """Rows of the table's last successful load, for the shrink check."""
    row = connection.execute(
        "SELECT row_count FROM meta.table_load WHERE table_name = ? AND status = 'loaded' ORDER BY recorded_at DESC LIMIT 1",
        [table_name],
    ).fetchone()
    return row[0] if row else None


def start_run(connection: duckdb.DuckDBPyConnection, *, run_id: str, mode: str) -> None:
    """Record the start of a run; a run still marked running was killed and is marked so."""
    connection.execute(
        "UPDATE meta.run SET outcome = 'interrupted', message = 'the process ended before the run finished' "
        "WHERE outcome = 'running'"
    )
    connection.execute(
        "INSERT INTO meta.run (run_id, started_at, mode, outcome) VALUES (?, ?, ?, 'running')",
        [run_id, datetime.now(timezone.utc), mode],
    )


def finish_run(connection: duckdb.DuckDBPyConnection, *, run_id: str, outcome: str, message: str | None = None) -> None:
    """Record how a run ended."""
    connection.execute(
        "UPDATE meta.run SET finished_at = ?, outcome = ?, message = ? WHERE run_id = ?",
        [datetime.now(timezone.utc), outcome, message, run_id],
    )


def relative_to(path: Path, root: Path) -> str:
    """A landing path as stored: relative to the landing directory when possible."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
