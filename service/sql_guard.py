"""Analysts' SQL: exactly one read-only SELECT, on a locked-down DuckDB, within time, memory and row limits.

Two layers. `check_statement` refuses what is not one SELECT/WITH statement, names the refusal
(ATTACH, COPY, PRAGMA, a file-reading table function, another county's area, …) and so gives a
clear 4xx. `run_query` then runs the statement on a fresh in-memory DuckDB that has the published
snapshot (and the caller's county areas) attached read-only, with external access disabled and the
configuration locked before the first byte of user SQL runs: whatever the check misses, DuckDB refuses.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

# Read-only table functions an analyst may call; everything else (read_csv, glob, query, …) is refused.
ALLOWED_TABLE_FUNCTIONS = frozenset({
    "range", "generate_series", "unnest", "json_each", "json_tree",
    "duckdb_tables", "duckdb_columns", "duckdb_views", "duckdb_schemas", "duckdb_constraints",
    "duckdb_functions", "duckdb_types", "duckdb_keywords", "pragma_table_info", "summary",
})
# Statements that read: SELECT in its DuckDB spellings (DESCRIBE, SHOW, SUMMARIZE, FROM-first, VALUES, TABLE).
READING_KEYWORDS = frozenset({"SELECT", "WITH", "FROM", "VALUES", "TABLE", "DESCRIBE", "SHOW", "SUMMARIZE", "(",
                              "PIVOT", "UNPIVOT"})
NAMED_REFUSALS = {
    "ATTACH": "ATTACH would open another database", "DETACH": "DETACH changes the attached databases",
    "INSTALL": "INSTALL would download an extension", "LOAD": "LOAD would load an extension",
    "COPY": "COPY reads or writes files", "EXPORT": "EXPORT writes files", "IMPORT": "IMPORT reads files",
    "SET": "SET changes the configuration", "RESET": "RESET changes the configuration",
    "PRAGMA": "PRAGMA changes or inspects the configuration", "CALL": "CALL runs a table function outside a SELECT",
    "USE": "USE changes the default database", "CHECKPOINT": "CHECKPOINT writes to the database",
}
# Functions and system views that reveal the server (paths, settings, the user it runs as), with or without ().
REVEALING_FUNCTIONS = frozenset({"current_setting", "getenv", "duckdb_settings", "duckdb_databases",
                                 "duckdb_extensions", "duckdb_secrets", "duckdb_temporary_files", "duckdb_memory",
                                 "which_secret", "duckdb_log_contexts", "duckdb_logs"})
SYSTEM_NAME = re.compile(r"(duckdb|pragma|sqlite|test_all|which)_\w+", re.IGNORECASE | re.ASCII)
COUNTY_CATALOG = re.compile(r"county_([0-9]{5})", re.IGNORECASE)
FILE_LIKE = re.compile(r"[/\\:]|\.(csv|tsv|txt|parquet|json|jsonl|ndjson|xlsx|duckdb|db|gz|zst)$", re.IGNORECASE)
COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


class Refusal(Exception):
    """A request the SQL endpoint will not run; `kind` names the rule, `status` is the HTTP status."""

    def __init__(self, kind: str, message: str, status: int = 400):
        super().__init__(message)
        self.kind, self.message, self.status = kind, message, status


@dataclass
class QueryResult:
    """The rows of a query (at most the row limit) and whether more rows were cut off."""

    table: pa.Table
    truncated: bool
    row_limit: int


def check_statement(sql: str, *, county_catalogs: set[str] = frozenset(), every_county: bool = False) -> str:
    """The statement if it is one read-only SELECT touching only allowed tables, else a Refusal naming why."""
    if not sql or not sql.strip():
        raise Refusal("empty", "send one SELECT or WITH statement in the field `sql`")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.OutOfMemoryException:
        raise
    except duckdb.Error as error:
        raise Refusal("syntax", f"the statement does not parse: {_first_line(error)}") from error
    keyword = _first_keyword(sql)
    if keyword in ("PIVOT", "UNPIVOT") and _is_one_pivot(statements):
        statements = statements[-1:]  # DuckDB reads a PIVOT without IN (…) as a type for its columns and a SELECT
    meaningful = [s for s in statements if not s.query or COMMENTS.sub("", s.query).strip(" \t\r\n;")]
    if len(meaningful) != 1:
        raise Refusal("multiple_statements", f"send exactly one statement, not {len(meaningful)}")
    if keyword in NAMED_REFUSALS:
        raise Refusal(keyword.lower(), f"{keyword} is not allowed: {NAMED_REFUSALS[keyword]}; "
                                       "the SQL endpoint runs one read-only SELECT or WITH statement")
    statement = meaningful[0]
    if statement.type != duckdb.StatementType.SELECT or keyword not in READING_KEYWORDS:
        kind = statement.type.name.lower() if statement.type != duckdb.StatementType.SELECT else keyword.lower()
        raise Refusal("not_a_select", f"only one SELECT or WITH statement is allowed, this is {kind.upper()}")
    _check_tables(sql, county_catalogs, every_county)
    return sql


class QueryEngines:
    """Locked-down in-memory DuckDB instances, reused per snapshot and set of attached areas.

    An instance serves one query at a time. Its configuration is locked and the statement check
    lets only SELECTs through, so nothing a query does changes what the next one sees; a snapshot
    file never changes, so neither does the data. Opening one costs ~40 ms, reusing it nothing.
    """

    def __init__(self, *, memory_limit: str = "512MB", threads: int = 2, idle_per_key: int = 4, keys: int = 8):
        self.memory_limit, self.threads = memory_limit, threads
        self.idle_per_key, self.keys = idle_per_key, keys
        self._lock = threading.Lock()
        self._idle: OrderedDict[tuple, list[duckdb.DuckDBPyConnection]] = OrderedDict()

    def run(self, snapshot: Path, sql: str, *, areas: dict[str, Path] | None = None, time_limit_seconds: float = 10,
            row_limit: int = 10_000, byte_limit: int | None = None, identity: str | None = None,
            lake: dict | None = None) -> QueryResult:
        """Run a checked statement on the snapshot with the areas attached; raises Refusal on a limit or an error.

        `identity` names the files when their paths do not (descriptors under /proc are reused).
        """
        key = identity or (str(snapshot), tuple(sorted((name, str(path)) for name, path in (areas or {}).items())))
        connection = self._checkout(key) or _open_engine(snapshot, areas or {}, memory_limit=self.memory_limit,
                                                         threads=self.threads, lake=lake)
        interrupted = threading.Event()
        timer = threading.Timer(time_limit_seconds, lambda: (interrupted.set(), connection.interrupt()))
        reusable = False
        try:
            timer.start()
            table = _execute(connection, sql, time_limit_seconds=time_limit_seconds, memory_limit=self.memory_limit,
                             row_limit=row_limit, byte_limit=byte_limit)
            reusable = True
        finally:
            timer.cancel()
            self._return(key, connection, reusable and not interrupted.is_set())
        truncated = table.num_rows > row_limit
        return QueryResult(table=table.slice(0, row_limit) if truncated else table, truncated=truncated, row_limit=row_limit)

    def close(self) -> None:
        """Close every idle instance."""
        with self._lock:
            for connections in self._idle.values():
                for connection in connections:
                    connection.close()
            self._idle.clear()

    def _checkout(self, key: tuple) -> duckdb.DuckDBPyConnection | None:
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                self._idle.move_to_end(key)
                return idle.pop()
        return None

    def _return(self, key: tuple, connection: duckdb.DuckDBPyConnection, reusable: bool) -> None:
        evicted = []
        with self._lock:
            idle = self._idle.setdefault(key, [])
            self._idle.move_to_end(key)
            if reusable and len(idle) < self.idle_per_key:
                idle.append(connection)
            else:
                evicted.append(connection)
            while len(self._idle) > self.keys:  # snapshots published since, areas uploaded since
                evicted.extend(self._idle.popitem(last=False)[1])
        for stale in evicted:
            stale.close()


def run_query(snapshot: Path, sql: str, *, areas: dict[str, Path] | None = None, time_limit_seconds: float = 10,
              memory_limit: str = "512MB", row_limit: int = 10_000, threads: int = 2) -> QueryResult:
    """Run a checked statement on a fresh locked-down instance (see QueryEngines for the reused ones)."""
    engines = QueryEngines(memory_limit=memory_limit, threads=threads, idle_per_key=0)
    return engines.run(snapshot, sql, areas=areas, time_limit_seconds=time_limit_seconds, row_limit=row_limit)


def _open_engine(snapshot: Path, areas: dict[str, Path], *, memory_limit: str, threads: int,
                 lake: dict | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the snapshot and areas attached read-only, external access off, configuration locked.

    `lake` ({catalog, data_path, snapshot_id}) attaches a pinned DuckLake snapshot instead of the file; only its
    data path stays readable once external access is off."""
    connection = duckdb.connect(":memory:", config={"threads": threads, "memory_limit": memory_limit})
    try:
        if lake:
            from warehouse.lake import Lake, PinnedSnapshot

            PinnedSnapshot(Lake(lake["catalog"], lake["data_path"]), int(lake["snapshot_id"])).attach(connection, "imon")
        else:
            connection.execute(f"ATTACH {_literal(snapshot)} AS imon (READ_ONLY)")
        for name, path in areas.items():
            connection.execute(f"ATTACH {_literal(path)} AS {name} (READ_ONLY)")
        connection.execute("USE imon")
        for setting in ("SET temp_directory = ''", "SET autoinstall_known_extensions = false",
                        "SET autoload_known_extensions = false", "SET enable_external_access = false",
                        "SET lock_configuration = true"):
            connection.execute(setting)
    except BaseException:
        connection.close()
        raise
    return connection


def _execute(connection: duckdb.DuckDBPyConnection, sql: str, *, time_limit_seconds: float, memory_limit: str,
             row_limit: int, byte_limit: int | None = None) -> pa.Table:
    """At most row_limit + 1 rows of the statement, read in batches up to byte_limit; DuckDB's errors become Refusals."""
    try:
        reader = connection.sql(sql).limit(row_limit + 1).to_arrow_reader(512)
        batches, size = [], 0
        for batch in reader:
            size += batch.nbytes
            if byte_limit is not None and size > byte_limit:
                raise Refusal("answer_size", f"the answer is larger than the limit of {byte_limit / 1024 / 1024:g} MB; "
                                             "select fewer columns or rows, or aggregate", status=413)
            batches.append(batch)
        table = pa.Table.from_batches(batches, schema=reader.schema)
    except duckdb.InterruptException as error:
        raise Refusal("time_limit", f"the query ran longer than the time limit of {time_limit_seconds:g} s "
                                    "and was stopped; narrow it down or aggregate", status=408) from error
    except duckdb.OutOfMemoryException as error:
        raise Refusal("memory_limit", f"the query needs more than the memory limit of {memory_limit}; "
                                      "narrow it down or aggregate", status=400) from error
    except duckdb.PermissionException as error:
        raise Refusal("external_access", f"refused by DuckDB: {_first_line(error)}", status=400) from error
    except duckdb.Error as error:
        raise Refusal("query_error", _first_line(error), status=400) from error
    if table is None:  # pragma: no cover - check_statement lets only SELECTs through
        raise Refusal("not_a_select", "the statement returned no result")
    return table


def _check_tables(sql: str, county_catalogs: set[str], every_county: bool) -> None:
    """Walk DuckDB's own parse tree: table functions, file-like table names, other counties' areas."""
    scratch = duckdb.connect(":memory:")
    try:
        serialized = json.loads(scratch.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    finally:
        scratch.close()
    if serialized.get("error"):
        # DESCRIBE, SHOW, SUMMARIZE and PIVOT do not serialise: no revealing name anywhere in the text, then;
        # the locked-down connection still refuses files, and only the caller's areas are attached
        for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", COMMENTS.sub(" ", sql)):
            _check_name(word.lower())
        return
    for node in _nodes(serialized):
        kind = node.get("type")
        if node.get("class") == "FUNCTION" and (node.get("function_name") or "").lower() in REVEALING_FUNCTIONS:
            _check_name(node["function_name"].lower())
        if kind == "TABLE_FUNCTION":
            name = (node.get("function") or {}).get("function_name", "").lower()
            if name not in ALLOWED_TABLE_FUNCTIONS:
                raise Refusal("table_function", f"the table function {name}() is not allowed (it reads files, "
                                                "runs other SQL or inspects the server); allowed: "
                                                + ", ".join(sorted(ALLOWED_TABLE_FUNCTIONS)))
        elif kind == "BASE_TABLE":
            name, catalog = node.get("table_name") or "", node.get("catalog_name") or ""
            if FILE_LIKE.search(name):
                raise Refusal("file_access", f"'{name}' reads a file; the SQL endpoint reads only the warehouse tables")
            _check_name(name.lower())
            for part in (catalog, node.get("schema_name") or ""):
                match = COUNTY_CATALOG.fullmatch(part)
                if match and part.lower() not in county_catalogs:
                    if every_county:
                        raise Refusal("county_area", f"county {match.group(1)} has uploaded nothing", status=404)
                    raise Refusal("county_area", f"{part} is the upload area of county {match.group(1)}; "
                                                 "only that county and the state office may read it", status=403)


def _check_name(name: str) -> None:
    """Refuse a function or system view that reveals the server, written with or without parentheses."""
    if name in REVEALING_FUNCTIONS or (SYSTEM_NAME.fullmatch(name) and name not in ALLOWED_TABLE_FUNCTIONS):
        raise Refusal("server_information", f"{name} is not allowed: it reveals the server's configuration or "
                                            "files; allowed system functions: " + ", ".join(sorted(ALLOWED_TABLE_FUNCTIONS)))


def _is_one_pivot(statements) -> bool:
    """A PIVOT without IN (…): DuckDB extracts it as CREATE TYPE statements for its columns and then one SELECT."""
    return (len(statements) >= 2 and statements[-1].type == duckdb.StatementType.SELECT
            and all(s.type == duckdb.StatementType.CREATE and not s.query for s in statements[:-1]))


def _nodes(tree):
    """Every dict in a JSON tree."""
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _first_keyword(sql: str) -> str:
    text = COMMENTS.sub(" ", sql).strip()
    if text.startswith("("):
        return "("
    match = re.match(r"[A-Za-z_]+", text)
    return match.group(0).upper() if match else ""


def _first_line(error: Exception) -> str:
    """DuckDB's message without the echo of the statement that follows it."""
    return str(error).split("\n\nLINE ")[0].strip() or type(error).__name__


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
