"""The shared warehouse as a DuckLake: catalog in PostgreSQL, data as Parquet files under a data path.

The local DuckDB file stays the default. With `IMON_LAKE` set, a run still builds in its working
file, and publishing writes every table of that file into the lake in one transaction: the commit
is a DuckLake snapshot whose commit message says `publish` and whose extra info names the run.
Readers attach the lake pinned to the current published snapshot (`SNAPSHOT_VERSION`), so they
never see a run half-written, and keep that snapshot for as long as they like.

A rollback does not rewrite data: it records the withdrawn snapshot in `imon_control.withdrawal`
(one more commit), and the current published snapshot is the newest `publish` snapshot not withdrawn. Old snapshots expire by the keep-count rule (`ducklake_expire_snapshots`), their files are
removed (`ducklake_cleanup_old_files`).

Several writers may commit at once (DuckLake's optimistic concurrency on the PostgreSQL catalog):
writes to different tables both commit; a conflict on the same table is retried, never dropped.

Several state offices may publish into one lake (`Office`: a name and the AGS prefixes it owns). Such a
publish merges instead of replacing the lake: rows of the office's regions are replaced, tables only it
ever published are replaced whole, tables keyed by run are merged per run, other tables get the rows they
lack. Offices and their publishes are recorded in `imon_control.office` and `imon_control.contribution`.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable, Iterator

import duckdb

from warehouse.publish import NoSnapshotError

ALIAS = "lake"
SCHEMAS = ("raw", "staging", "core", "indicators", "marts", "meta")  # what a publish carries into the lake
CONTROL_SCHEMA = "imon_control"  # the lake's own bookkeeping: withdrawn runs
PUBLISH_MESSAGE = "publish"
CONFLICT_RETRIES = 8
REGION_COLUMNS = ("ags", "kreis_ags", "region_key")  # a row's region: the first of these that is set
RUN_COLUMN = "run_id"


# The current published snapshot, as any DuckDB client can ask the lake attached as `lake` (README).
CURRENT_SNAPSHOT_SQL = """\
SELECT max(snapshot_id) FROM lake.snapshots()
WHERE commit_message = 'publish'
  AND snapshot_id NOT IN (SELECT snapshot_id FROM lake.imon_control.withdrawal)"""


class LakeError(RuntimeError):
    """The lake cannot be reached or used as configured."""


@dataclass(frozen=True)
class Lake:
    """Where a lake lives: the DuckLake catalog (e.g. `postgres:dbname=imon host=127.0.0.1`) and its data path."""

    catalog: str
    data_path: str | None = None

    def __post_init__(self):
        if not self.catalog:
            raise LakeError("IMON_LAKE is empty: give the catalog, e.g. 'postgres:dbname=imon host=127.0.0.1'")

    @property
    def label(self) -> str:
        """The catalog for messages: any password in the connection string is masked."""
        return redact(self.catalog)


class OfficeClaimError(LakeError):
    """An office claims region prefixes that overlap another office's claim."""


class ColumnMismatchError(LakeError):
    """A working table's columns differ from the lake's table of that name."""


class RollbackRefusedError(LakeError):
    """An office's rollback would lose data another office published later."""


@dataclass(frozen=True)
class Office:
    """A state office publishing into a shared lake: its name and the AGS prefixes of the regions it owns."""

    name: str
    regions: tuple[str, ...]

    def __post_init__(self):
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", self.name or ""):
            raise LakeError(f"IMON_LAKE_OFFICE {self.name!r} is not a name (letters, digits, '-', '_')")
        regions = tuple(dict.fromkeys(str(r).strip() for r in self.regions if str(r).strip()))
        if not regions:
            raise LakeError(f"the office {self.name} claims no regions: set IMON_LAKE_REGIONS, e.g. '05' or '09,10'")
        wrong = [r for r in regions if not re.fullmatch(r"[0-9]{1,12}", r)]
        if wrong:
            raise LakeError(f"IMON_LAKE_REGIONS of the office {self.name}: {', '.join(wrong)} are not AGS prefixes (digits)")
        object.__setattr__(self, "regions", regions)


@dataclass(frozen=True)
class Contribution:
    """One office's publish into a shared lake."""

    snapshot_id: int
    contribution_id: str
    run_id: str
    office: str
    published_at: str
    tables: tuple[str, ...]  # every table the publish carried
    kinds: dict  # table -> how it was merged: region, run, keyed, whole, new, added
    runs: tuple[str, ...]  # the run ids its run-keyed tables carried
    withdrawn: bool = False


@dataclass(frozen=True)
class LakeSnapshot:
    """One published snapshot of the lake."""

    snapshot_id: int
    run_id: str
    published_at: str
    withdrawn_at: str | None = None


@dataclass(frozen=True)
class PinnedSnapshot:
    """A published lake snapshot as the service holds it: what a snapshot file is for the local warehouse."""

    lake: Lake
    snapshot_id: int

    @property
    def name(self) -> str:
        return f"lake snapshot {self.snapshot_id}"

    @property
    def stem(self) -> str:
        return f"lake-{self.snapshot_id}"

    def __str__(self) -> str:
        return f"ducklake:{self.lake.label}@{self.snapshot_id}"

    def attach(self, connection: duckdb.DuckDBPyConnection, alias: str) -> None:
        """Attach this snapshot read-only as `alias`, and allow DuckDB to read the lake's files (and only those,
        once the caller turns external access off)."""
        attach(connection, self.lake, alias=alias, snapshot_id=self.snapshot_id)
        if self.lake.data_path:
            folder = str(Path(self.lake.data_path).resolve())
            connection.execute(f"SET allowed_directories = [{_literal(folder.rstrip('/') + '/')}]")

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection pinned to this snapshot, `USE`d like a snapshot file."""
        return open_snapshot(self.lake, self.snapshot_id)


class CurrentWatch:
    """The current published snapshot of a lake, polled in a thread (a query to the catalog every `seconds`),
    so a request only reads a field and a publish reaches readers within a poll."""

    def __init__(self, lake: Lake, seconds: float = 1.0):
        self.lake, self.seconds = lake, seconds
        self._connection = connect(lake, read_only=True)
        self._stop = threading.Event()
        self.current: PinnedSnapshot | None = self._poll()
        self._thread = threading.Thread(target=self._run, name="imon-lake-watch", daemon=True)
        self._thread.start()

    def _poll(self) -> PinnedSnapshot | None:
        try:
            row = self._connection.execute(CURRENT_SNAPSHOT_SQL).fetchone()
        except duckdb.CatalogException:  # nothing published yet: no control table
            return None
        return PinnedSnapshot(self.lake, int(row[0])) if row and row[0] is not None else None

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            try:
                self.current = self._poll()
            except duckdb.Error as error:  # the catalog is briefly away: keep serving the snapshot we have
                logging.getLogger("imon.service").warning("polling the lake %s failed: %s", self.lake.label,
                                                          redact(str(error)))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._connection.close()


def redact(text: str) -> str:
    """A connection string without its password."""
    return re.sub(r"(password\s*=\s*)(\S+)", r"\1********", text, flags=re.I)


def load_extensions(connection: duckdb.DuckDBPyConnection) -> None:
    """Install and load the postgres and ducklake extensions from their PyPI wheels (no download at run time)."""
    for name in ("postgres", "ducklake"):
        try:
            folder = resources.files(f"duckdb_extension_{name}") / "extensions" / f"v{duckdb.__version__}"
        except ModuleNotFoundError as error:
            raise LakeError(f"the DuckDB extension {name} is not installed: pip install "
                            f"duckdb-extension-{name}=={duckdb.__version__}") from error
        path = Path(str(folder)) / f"{name}.duckdb_extension"
        if not path.is_file():
            raise LakeError(f"no {name} extension for DuckDB {duckdb.__version__} at {path}")
        connection.execute(f"INSTALL '{path}'")
        connection.execute(f"LOAD {name}")


def attach(connection: duckdb.DuckDBPyConnection, lake: Lake, *, alias: str = ALIAS, snapshot_id: int | None = None,
           read_only: bool = False) -> None:
    """Attach the lake to `connection` as `alias`: at its newest state, or pinned to one snapshot (read-only)."""
    load_extensions(connection)
    options = []
    if lake.data_path and not read_only:
        Path(lake.data_path).mkdir(parents=True, exist_ok=True)
        options.append(f"DATA_PATH {_literal(str(lake.data_path))}")
    if snapshot_id is not None:
        options.append(f"SNAPSHOT_VERSION {int(snapshot_id)}")
    if read_only or snapshot_id is not None:
        options.append("READ_ONLY")
    clause = f" ({', '.join(options)})" if options else ""
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            connection.execute(f"ATTACH {_literal('ducklake:' + lake.catalog)} AS {alias}{clause}")
            return
        except duckdb.Error as error:
            # two first attaches of an empty catalog race to create DuckLake's tables: the loser tries again
            racing = re.search(r"already exists|duplicate key|initialize ducklake|conflict", str(error), re.I)
            if not racing or attempt == CONFLICT_RETRIES:
                raise LakeError(f"cannot attach the lake {lake.label}: {redact(str(error))}") from error
            time.sleep(0.05 * 2 ** attempt)


def connect(lake: Lake, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake attached at its newest state and in use."""
    connection = duckdb.connect()
    attach(connection, lake, read_only=read_only)
    connection.execute(f"USE {ALIAS}")
    return connection


def open_snapshot(lake: Lake, snapshot_id: int | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection pinned to a published snapshot (default: the current one); `USE`d, so
    `SELECT * FROM marts.indicator_value` reads it as it reads a snapshot file."""
    if snapshot_id is None:
        snapshot_id = current(lake).snapshot_id
    connection = duckdb.connect()
    attach(connection, lake, snapshot_id=snapshot_id)
    connection.execute(f"USE {ALIAS}")
    return connection


def publish(working_path: Path | str, lake: Lake, *, run_id: str, keep: int = 5,
            schemas: Iterable[str] = SCHEMAS, office: Office | None = None) -> LakeSnapshot:
    """Write every table of the (closed) working warehouse into the lake in one transaction, then expire
    old snapshots. The commit is the published snapshot; readers pinned to an earlier one are not disturbed.

    With an `office`, the publish merges into what other offices published (`_write_contribution`)."""
    working_path = Path(working_path)
    if not working_path.exists():
        raise FileNotFoundError(f"no working database at {working_path}: run `imon run` first")
    published_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    connection = duckdb.connect()
    try:
        attach(connection, lake)
        connection.execute(f"ATTACH {_literal(str(working_path))} AS working (READ_ONLY)")
        tables = connection.execute(
            "SELECT schema_name, table_name, comment FROM duckdb_tables() WHERE database_name = 'working' "
            f"AND schema_name IN ({', '.join(_literal(s) for s in schemas)}) ORDER BY ALL").fetchall()
        if office is None:
            snapshot_id = _with_retry(lambda: _write_publication(connection, tables, run_id, published_at), lake)
        else:
            snapshot_id = _with_retry(lambda: _write_contribution(connection, tables, run_id, published_at, office), lake)
        expire(connection, keep=keep)
    finally:
        connection.close()
    return LakeSnapshot(snapshot_id=snapshot_id, run_id=run_id, published_at=published_at)


def write_tables(lake: Lake, tables: dict[str, str], *, message: str, author: str = "imon") -> int:
    """Replace `schema.table` with the result of each SELECT, in one transaction (retried on a conflict).

    The building block for writers that are not a whole publish: another Land's tables, a county's area.
    """
    connection = connect(lake)
    try:
        def write() -> int:
            with _transaction(connection):
                for name, select in tables.items():
                    schema = name.split(".")[0]
                    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {ALIAS}.{_identifier(schema)}")
                    connection.execute(f"CREATE OR REPLACE TABLE {ALIAS}.{_qualified(name)} AS {select}")
                connection.execute(f"CALL {ALIAS}.set_commit_message(?, ?)", [author, message])
            return _newest_snapshot(connection)
        return _with_retry(write, lake)
    finally:
        connection.close()


def published(lake: Lake) -> list[LakeSnapshot]:
    """The published snapshots still in the lake, oldest first, with the withdrawn ones marked."""
    connection = connect(lake, read_only=True)
    try:
        return _published(connection)
    finally:
        connection.close()


def current(lake: Lake) -> LakeSnapshot:
    """The current published snapshot: the newest one whose run was not withdrawn."""
    live = [s for s in published(lake) if s.withdrawn_at is None]
    if not live:
        raise NoSnapshotError(f"nothing is published in the lake {lake.label}: run `imon run` or `imon publish`")
    return live[-1]


def rollback(lake: Lake, *, office: Office | None = None) -> LakeSnapshot:
    """Withdraw the current published run; the one published before it becomes current again.

    With an `office`: withdraw that office's newest publish by restoring what it changed (`_withdraw_contribution`);
    the result is a new published snapshot."""
    connection = connect(lake)
    try:
        if office is not None:
            return _with_retry(lambda: _withdraw_contribution(connection, office, lake), lake)

        def withdraw() -> LakeSnapshot:
            offices = _offices(connection)
            if offices:
                raise RollbackRefusedError(f"the lake {lake.label} is shared by the offices {', '.join(offices)}: "
                                           "roll back with IMON_LAKE_OFFICE (and IMON_LAKE_REGIONS) set")
            live = [s for s in _published(connection) if s.withdrawn_at is None]
            if not live:
                raise NoSnapshotError(f"nothing is published in the lake {lake.label}")
            if len(live) == 1:
                raise NoSnapshotError(f"the run {live[0].run_id} is the oldest published snapshot kept in the lake "
                                      f"{lake.label}: nothing to roll back to")
            now = datetime.now(timezone.utc).isoformat(timespec="seconds")
            with _transaction(connection):
                _ensure_control(connection)
                connection.execute(f"INSERT INTO {CONTROL_SCHEMA}.withdrawal VALUES (?, ?, ?::TIMESTAMPTZ)",
                                   [live[-1].snapshot_id, live[-1].run_id, now])
                connection.execute(f"CALL {ALIAS}.set_commit_message('imon', ?)", [f"rollback {live[-1].run_id}"])
            return live[-2]
        return _with_retry(withdraw, lake)
    finally:
        connection.close()


def expire(connection: duckdb.DuckDBPyConnection, *, keep: int) -> int:
    """Expire the snapshots older than the `keep` newest published ones (and never the one a rollback
    would return to), then delete the files no snapshot needs. Returns how many snapshots expired."""
    entries = _published(connection)
    live = [s for s in entries if s.withdrawn_at is None]
    kept = {s.snapshot_id for s in entries[-max(keep, 1):]} | {s.snapshot_id for s in live[-2:]}
    if not kept:
        return 0
    oldest = min(kept)
    bases = _rollback_bases(connection, keep)  # what an office's rollbacks restore from
    versions = [row[0] for row in connection.execute(
        f"SELECT snapshot_id FROM {ALIAS}.snapshots() WHERE snapshot_id < ? ORDER BY snapshot_id", [oldest]).fetchall()
        if row[0] not in bases]
    if versions:
        connection.execute(f"CALL ducklake_expire_snapshots('{ALIAS}', versions => ?)", [versions])
        connection.execute(f"CALL ducklake_cleanup_old_files('{ALIAS}', cleanup_all => true)")
    return len(versions)


def export_file(snapshot_file: Path | str, lake: Lake, *, run_id: str | None = None, keep: int = 5,
                office: Office | None = None) -> LakeSnapshot:
    """Publish a local snapshot file into the lake (a state office moving its published state to a lake)."""
    if run_id is None:
        source = duckdb.connect(str(snapshot_file), read_only=True)
        try:
            run_id = source.execute("SELECT run_id FROM meta.publication").fetchone()[0]
        except duckdb.CatalogException:
            run_id = Path(snapshot_file).stem
        finally:
            source.close()
    return publish(snapshot_file, lake, run_id=run_id, keep=keep, office=office)


def import_file(lake: Lake, target: Path | str, *, snapshot_id: int | None = None,
                schemas: Iterable[str] = SCHEMAS) -> Path:
    """Write the current (or a given) published lake snapshot into a local DuckDB file, table by table."""
    target = Path(target)
    if target.exists():
        raise FileExistsError(f"{target} exists: choose a new file for the import")
    target.parent.mkdir(parents=True, exist_ok=True)
    connection = open_snapshot(lake, snapshot_id)
    try:
        connection.execute(f"ATTACH {_literal(str(target))} AS target")
        tables = connection.execute(
            f"SELECT schema_name, table_name, comment FROM duckdb_tables() WHERE database_name = '{ALIAS}' "
            f"AND schema_name IN ({', '.join(_literal(s) for s in schemas)}) ORDER BY ALL").fetchall()
        for schema, table, comment in tables:
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS target.{_identifier(schema)}")
            connection.execute(f"CREATE TABLE target.{_identifier(schema)}.{_identifier(table)} AS "
                               f"SELECT * FROM {ALIAS}.{_identifier(schema)}.{_identifier(table)}")
            if comment:
                connection.execute(f"COMMENT ON TABLE target.{_identifier(schema)}.{_identifier(table)} IS "
                                   f"{_literal(comment)}")
        connection.execute("DETACH target")
    finally:
        connection.close()
    return target


def reader_role_sql(role: str, database: str) -> list[str]:
    """PostgreSQL statements that give `role` read access to the lake's catalog, and nothing more.

    A county attaches the lake with this role and READ_ONLY; any write is refused by PostgreSQL.
    (The Parquet files under the data path must be readable to it too: a read-only share or bucket policy.)
    """
    role_name = _identifier(role)
    return [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {_literal(role)}) THEN "
        f"CREATE ROLE {role_name} LOGIN; END IF; END $$",
        f"GRANT CONNECT ON DATABASE {_identifier(database)} TO {role_name}",
        f"GRANT USAGE ON SCHEMA public TO {role_name}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role_name}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {role_name}",
        f"REVOKE CREATE ON SCHEMA public FROM {role_name}",
    ]


def catalog_database(lake: Lake) -> str:
    """The PostgreSQL database name in a `postgres:` catalog string."""
    match = re.search(r"(?:^|\s)dbname\s*=\s*(\S+)", lake.catalog.removeprefix("postgres:"))
    if not lake.catalog.startswith("postgres:") or not match:
        raise LakeError(f"the lake catalog {lake.label} is not a PostgreSQL catalog with a dbname")
    return match.group(1)


def run_on_catalog(lake: Lake, statements: Iterable[str]) -> None:
    """Run PostgreSQL statements on the lake's catalog database (through DuckDB's postgres extension)."""
    connection = duckdb.connect()
    try:
        load_extensions(connection)
        connection.execute(f"ATTACH {_literal(lake.catalog.removeprefix('postgres:'))} AS catalog (TYPE postgres)")
        for statement in statements:
            connection.execute("CALL postgres_execute('catalog', ?)", [statement])
    except duckdb.Error as error:
        raise LakeError(f"on the catalog of {lake.label}: {redact(str(error))}") from error
    finally:
        connection.close()


# --- internals -----------------------------------------------------------------------------------


def _write_publication(connection: duckdb.DuckDBPyConnection, tables: list[tuple], run_id: str,
                       published_at: str) -> int:
    """One transaction: every working table replaces its lake copy, retired ones are dropped, meta.publication stamped."""
    wanted = {(schema, table) for schema, table, _ in tables}
    with _transaction(connection):
        offices = _offices(connection)
        if offices:
            raise OfficeClaimError(f"the lake is shared by the offices {', '.join(offices)}: a publish without "
                                   "IMON_LAKE_OFFICE would replace their data; set IMON_LAKE_OFFICE and IMON_LAKE_REGIONS")
        present = connection.execute(
            f"SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = '{ALIAS}' "
            f"AND schema_name IN ({', '.join(_literal(s) for s in SCHEMAS)})").fetchall()
        for schema, table in present:
            if (schema, table) not in wanted and (schema, table) != ("meta", "publication"):
                connection.execute(f"DROP TABLE {ALIAS}.{_identifier(schema)}.{_identifier(table)}")
        for schema in sorted({schema for schema, _, _ in tables} | {"meta"}):
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {ALIAS}.{_identifier(schema)}")
        for schema, table, comment in tables:
            if (schema, table) == ("meta", "publication"):  # stamped anew below
                continue
            name = f"{_identifier(schema)}.{_identifier(table)}"
            _replace_table(connection, f"{ALIAS}.{name}", f"working.{name}", comment)
        _stamp_publication(connection, run_id, published_at)
        _ensure_control(connection)
        extra = json.dumps({"run_id": run_id, "published_at": published_at})
        connection.execute(f"CALL {ALIAS}.set_commit_message('imon', ?, extra_info => ?)", [PUBLISH_MESSAGE, extra])
    return _newest_snapshot(connection)


@contextmanager
def _transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN … COMMIT; on an error ROLLBACK, unless the failed COMMIT (a conflict) has ended the transaction already."""
    connection.execute("BEGIN")
    try:
        yield
        connection.execute("COMMIT")
    except BaseException:
        try:
            connection.execute("ROLLBACK")
        except duckdb.TransactionException:
            pass
        raise


def _ensure_control(connection: duckdb.DuckDBPyConnection, *, offices: bool = False) -> None:
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {ALIAS}.{CONTROL_SCHEMA}")
    connection.execute(f"CREATE TABLE IF NOT EXISTS {ALIAS}.{CONTROL_SCHEMA}.withdrawal "
                       "(snapshot_id BIGINT, run_id VARCHAR, withdrawn_at TIMESTAMPTZ)")
    if offices:
        connection.execute(f"CREATE TABLE IF NOT EXISTS {ALIAS}.{CONTROL_SCHEMA}.office "
                           "(office VARCHAR, prefix VARCHAR, claimed_at TIMESTAMPTZ)")
        connection.execute(f"CREATE TABLE IF NOT EXISTS {ALIAS}.{CONTROL_SCHEMA}.contribution "
                           "(contribution_id VARCHAR, run_id VARCHAR, office VARCHAR, published_at TIMESTAMPTZ, "
                           "tables VARCHAR[], kinds JSON, runs VARCHAR[])")


def _published(connection: duckdb.DuckDBPyConnection) -> list[LakeSnapshot]:
    rows = connection.execute(
        f"SELECT snapshot_id, commit_extra_info FROM {ALIAS}.snapshots() WHERE commit_message = ? "
        "ORDER BY snapshot_id", [PUBLISH_MESSAGE]).fetchall()
    withdrawn: dict[int, str] = {}
    has_control = connection.execute(
        f"SELECT count(*) FROM duckdb_tables() WHERE database_name = '{ALIAS}' AND schema_name = ? "
        "AND table_name = 'withdrawal'", [CONTROL_SCHEMA]).fetchone()[0]
    if has_control:
        withdrawn = {snapshot: str(when) for snapshot, when in connection.execute(
            f"SELECT snapshot_id, min(withdrawn_at) FROM {ALIAS}.{CONTROL_SCHEMA}.withdrawal GROUP BY snapshot_id").fetchall()}
    entries = []
    for snapshot_id, extra in rows:
        info = json.loads(extra or "{}")
        run_id = info.get("run_id", "")
        entries.append(LakeSnapshot(snapshot_id, run_id, info.get("published_at", ""), withdrawn.get(snapshot_id)))
    return entries


def _has_table(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(connection.execute(
        f"SELECT count(*) FROM duckdb_tables() WHERE database_name = '{ALIAS}' AND schema_name = ? AND table_name = ?",
        [schema, table]).fetchone()[0])


def _offices(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The offices that have claimed regions in the lake (none: one pipeline owns it)."""
    if not _has_table(connection, CONTROL_SCHEMA, "office"):
        return []
    return [row[0] for row in connection.execute(
        f"SELECT DISTINCT office FROM {ALIAS}.{CONTROL_SCHEMA}.office ORDER BY office").fetchall()]


def _claims(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str, object]]:
    """(office, prefix, claimed_at) of every office."""
    if not _has_table(connection, CONTROL_SCHEMA, "office"):
        return []
    return connection.execute(f"SELECT office, prefix, claimed_at FROM {ALIAS}.{CONTROL_SCHEMA}.office "
                              "ORDER BY office, prefix").fetchall()


def _contributions(connection: duckdb.DuckDBPyConnection) -> list[Contribution]:
    """The offices' publishes, oldest first, each with the snapshot that committed it (0 once that expired)."""
    if not _has_table(connection, CONTROL_SCHEMA, "contribution"):
        return []
    snapshots = {}
    for snapshot_id, extra in connection.execute(
            f"SELECT snapshot_id, commit_extra_info FROM {ALIAS}.snapshots() WHERE commit_message = ?",
            [PUBLISH_MESSAGE]).fetchall():
        key = json.loads(extra or "{}").get("contribution")
        if key:
            snapshots[key] = snapshot_id
    withdrawn = {row[0] for row in connection.execute(
        f"SELECT snapshot_id FROM {ALIAS}.{CONTROL_SCHEMA}.withdrawal").fetchall()}
    entries = []
    for key, run_id, office, published_at, tables, kinds, runs in connection.execute(
            f"SELECT contribution_id, run_id, office, published_at, tables, kinds, runs "
            f"FROM {ALIAS}.{CONTROL_SCHEMA}.contribution").fetchall():
        snapshot_id = snapshots.get(key, 0)
        entries.append(Contribution(snapshot_id, key, run_id, office, str(published_at), tuple(tables or ()),
                                    json.loads(kinds or "{}"), tuple(runs or ()), snapshot_id in withdrawn))
    return sorted(entries, key=lambda c: (c.snapshot_id, c.published_at))


def contributions(lake: Lake) -> list[Contribution]:
    """The offices' publishes into the lake, oldest first (withdrawn ones marked)."""
    connection = connect(lake, read_only=True)
    try:
        return _contributions(connection)
    finally:
        connection.close()


def offices(lake: Lake) -> dict[str, tuple[str, ...]]:
    """The offices sharing the lake and the region prefixes each one claims."""
    connection = connect(lake, read_only=True)
    try:
        claimed: dict[str, tuple[str, ...]] = {}
        for office, prefix, _ in _claims(connection):
            claimed[office] = claimed.get(office, ()) + (prefix,)
        return claimed
    finally:
        connection.close()


def _rollback_bases(connection: duckdb.DuckDBPyConnection, keep: int) -> set[int]:
    """The snapshots an office's rollbacks restore from: the one before each of its `keep` newest live publishes."""
    live: dict[str, list[int]] = {}
    for entry in _contributions(connection):
        if not entry.withdrawn and entry.snapshot_id:
            live.setdefault(entry.office, []).append(entry.snapshot_id)
    return {snapshot_id - 1 for snapshots in live.values() for snapshot_id in snapshots[-max(keep, 1):]}


def _columns(connection: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> list[tuple[str, str]]:
    return [tuple(row) for row in connection.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? AND schema_name = ? "
        "AND table_name = ? ORDER BY column_index", [database, schema, table]).fetchall()]


def _primary_key(connection: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> list[str]:
    """The columns of a table's declared primary key (the catalogue's indicator_id); empty without one."""
    row = connection.execute(
        "SELECT constraint_column_names FROM duckdb_constraints() WHERE database_name = ? AND schema_name = ? "
        "AND table_name = ? AND constraint_type = 'PRIMARY KEY'", [database, schema, table]).fetchone()
    return list(row[0]) if row else []


def _region_of(columns: Iterable[str]) -> str | None:
    """SQL for a row's region key: the first of ags, kreis_ags, region_key that is set; None without such a column."""
    present = [c for c in REGION_COLUMNS if c in set(columns)]
    if not present:
        return None
    return "coalesce(" + ", ".join(f"nullif(CAST({_identifier(c)} AS VARCHAR), '')" for c in present) + ")"


def _owner_sql(region: str, claims: Iterable[tuple[str, str]]) -> str:
    """SQL for the office owning a row's region: the longest claimed prefix the key starts with wins."""
    cases = [f"WHEN starts_with({region}, {_literal(prefix)}) THEN {_literal(office)}"
             for office, prefix in sorted(claims, key=lambda claim: (-len(claim[1]), claim[1]))]
    return f"(CASE {' '.join(cases)} ELSE NULL END)" if cases else "CAST(NULL AS VARCHAR)"


def _overlaps(office: Office, claims: Iterable[tuple[str, str]]) -> list[str]:
    return [f"{mine} overlaps {prefix} claimed by the office {other}" for mine in office.regions
            for other, prefix in claims if other != office.name and (mine.startswith(prefix) or prefix.startswith(mine))]


def _write_contribution(connection: duckdb.DuckDBPyConnection, tables: list[tuple], run_id: str, published_at: str,
                        office: Office) -> int:
    """One transaction: an office's publish merged into what the other offices published.

    Rows of the office's regions replace the lake's rows of those regions; rows of a region nobody claims
    (Germany, other Länder) replace that region's rows, the newest publish wins; rows without a region key
    are added where missing. Tables this office created and alone published are replaced whole; run-keyed
    tables merge per run; in a table with a declared primary key (the catalogue) the newest publish replaces
    the rows of its keys; other tables get the rows they lack. A table whose columns differ refuses the
    whole publish.
    Every office publish rewrites `imon_control.office`, so two publishes at once conflict and one retries.
    """
    contribution_id = uuid.uuid4().hex
    control = f"{ALIAS}.{CONTROL_SCHEMA}"
    with _transaction(connection):
        _ensure_control(connection, offices=True)
        others = [(o, p, at) for o, p, at in _claims(connection) if o != office.name]
        overlapping = _overlaps(office, [(o, p) for o, p, _ in others])
        if overlapping:
            raise OfficeClaimError(f"the office {office.name} cannot claim the regions {','.join(office.regions)}: "
                                   + "; ".join(overlapping))
        connection.execute(f"DELETE FROM {control}.office")  # every publish rewrites it: concurrent ones serialise
        for other, prefix, claimed_at in others:
            connection.execute(f"INSERT INTO {control}.office VALUES (?, ?, ?)", [other, prefix, claimed_at])
        for prefix in office.regions:
            connection.execute(f"INSERT INTO {control}.office VALUES (?, ?, ?::TIMESTAMPTZ)",
                               [office.name, prefix, published_at])
        claims = [(o, p) for o, p, _ in others] + [(office.name, p) for p in office.regions]
        carriers: dict[str, set[str]] = {}
        creators: dict[str, str] = {}
        for entry in _contributions(connection):
            for table in entry.tables:
                carriers.setdefault(table, set()).add(entry.office)
                if entry.kinds.get(table) == "new":
                    creators[table] = entry.office
        in_lake = {(schema, table) for schema, table in connection.execute(
            f"SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = '{ALIAS}'").fetchall()}
        plan, mismatches = [], []
        keys: dict[tuple[str, str], list[str]] = {}  # the declared primary key of each `keyed` table
        for schema, table, comment in tables:
            if (schema, table) == ("meta", "publication"):  # stamped anew below
                continue
            name = f"{schema}.{table}"
            columns = _columns(connection, "working", schema, table)
            if (schema, table) not in in_lake:
                kind = "new"
            elif creators.get(name) == office.name and carriers.get(name) == {office.name}:
                kind = "whole"
            else:
                present = _columns(connection, ALIAS, schema, table)
                if present != columns:
                    mismatches.append(_mismatch(name, present, columns))
                    continue
                names = [column for column, _ in columns]
                kind = "region" if _region_of(names) else "run" if RUN_COLUMN in names else "added"
                if kind == "added" and (key := _primary_key(connection, "working", schema, table)):
                    kind, keys[schema, table] = "keyed", key
            plan.append((schema, table, comment, kind, [column for column, _ in columns]))
        if mismatches:
            raise ColumnMismatchError(f"the office {office.name} did not publish: " + "; ".join(mismatches))
        runs: set[str] = set()
        for schema, table, comment, kind, names in plan:
            lake_table = f"{ALIAS}.{_identifier(schema)}.{_identifier(table)}"
            working = f"working.{_identifier(schema)}.{_identifier(table)}"
            if kind in ("new", "whole"):
                connection.execute(f"CREATE SCHEMA IF NOT EXISTS {ALIAS}.{_identifier(schema)}")
                _replace_table(connection, lake_table, working, comment)
            elif kind == "region":
                region = _region_of(names)
                owner = _owner_sql(region, claims)
                mine = f"{owner} = {_literal(office.name)}"
                connection.execute(f"DELETE FROM {lake_table} WHERE {mine}")
                connection.execute(f"INSERT INTO {lake_table} SELECT * FROM {working} WHERE {mine}")
                # regions nobody claims (Germany, Länder outside every office): the newest publish replaces a
                # region's rows whole, so two offices with different figures never leave two rows per key
                connection.execute(f"DELETE FROM {lake_table} WHERE {owner} IS NULL AND {region} IN "
                                   f"(SELECT {region} FROM {working} WHERE {owner} IS NULL AND {region} IS NOT NULL)")
                connection.execute(f"INSERT INTO {lake_table} SELECT * FROM {working} WHERE {owner} IS NULL "
                                   f"AND {region} IS NOT NULL")
                connection.execute(f"INSERT INTO {lake_table} SELECT * FROM {working} WHERE {region} IS NULL "
                                   f"EXCEPT SELECT * FROM {lake_table} WHERE {region} IS NULL")
            elif kind == "run":
                runs.update(row[0] for row in connection.execute(
                    f"SELECT DISTINCT {RUN_COLUMN} FROM {working} WHERE {RUN_COLUMN} IS NOT NULL").fetchall())
                connection.execute(f"DELETE FROM {lake_table} WHERE {RUN_COLUMN} IN (SELECT {RUN_COLUMN} FROM {working})")
                connection.execute(f"INSERT INTO {lake_table} SELECT * FROM {working}")
            elif kind == "keyed":  # a declared primary key: the newest publish replaces the rows of its keys
                same_key = " AND ".join(f"mine.{_identifier(c)} = {lake_table}.{_identifier(c)}"
                                        for c in keys[schema, table])
                connection.execute(f"DELETE FROM {lake_table} WHERE EXISTS (SELECT 1 FROM {working} AS mine "
                                   f"WHERE {same_key})")
                connection.execute(f"INSERT INTO {lake_table} SELECT * FROM {working}")
            else:
                connection.execute(f"INSERT INTO {lake_table} SELECT * FROM {working} EXCEPT SELECT * FROM {lake_table}")
        _stamp_publication(connection, run_id, published_at)
        connection.execute(f"INSERT INTO {control}.contribution VALUES (?, ?, ?, ?::TIMESTAMPTZ, ?, ?, ?)",
                           [contribution_id, run_id, office.name, published_at,
                            [f"{schema}.{table}" for schema, table, *_ in plan],
                            json.dumps({f"{schema}.{table}": kind for schema, table, _, kind, _ in plan}), sorted(runs)])
        extra = json.dumps({"run_id": run_id, "published_at": published_at, "office": office.name,
                            "contribution": contribution_id})
        connection.execute(f"CALL {ALIAS}.set_commit_message('imon', ?, extra_info => ?)", [PUBLISH_MESSAGE, extra])
    return next(c.snapshot_id for c in _contributions(connection) if c.contribution_id == contribution_id)


def _mismatch(name: str, lake_columns: list[tuple[str, str]], working_columns: list[tuple[str, str]]) -> str:
    """What differs between the lake's and the working table's columns, for a message."""
    shown = lambda columns: ", ".join(f"{n} {t}" for n, t in columns)  # noqa: E731
    only_lake = [c for c in lake_columns if c not in working_columns]
    only_working = [c for c in working_columns if c not in lake_columns]
    detail = []
    if only_lake:
        detail.append(f"only in the lake: {shown(only_lake)}")
    if only_working:
        detail.append(f"only in the warehouse: {shown(only_working)}")
    if not detail:
        detail.append(f"same columns in another order (lake: {shown(lake_columns)})")
    return f"{name} has other columns than in the lake ({'; '.join(detail)})"


def _replace_table(connection: duckdb.DuckDBPyConnection, target: str, source: str, comment: str | None) -> None:
    """`target` becomes a copy of `source` (both qualified names), with the table's description."""
    connection.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM {source}")
    if comment:
        connection.execute(f"COMMENT ON TABLE {target} IS {_literal(comment)}")


def _stamp_publication(connection: duckdb.DuckDBPyConnection, run_id: str, published_at: str) -> None:
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {ALIAS}.meta")
    connection.execute(f"CREATE OR REPLACE TABLE {ALIAS}.meta.publication AS SELECT ?::VARCHAR AS run_id, "
                       "?::TIMESTAMPTZ AS published_at, 'lake'::VARCHAR AS working_path", [run_id, published_at])


def _withdraw_contribution(connection: duckdb.DuckDBPyConnection, office: Office, lake: Lake) -> LakeSnapshot:
    """One transaction: the office's newest publish is withdrawn by restoring what it changed from the snapshot
    before it. Rows of its regions and rows of its runs are always restored; a table it created or alone
    replaced is restored whole (dropped) unless another office published into it later: then only its own
    regions' or runs' rows are restored, and without a region or run column the rollback is refused. Rows it
    added to or replaced in shared tables go back, unless another office published that table later (then
    they stay)."""
    control = f"{ALIAS}.{CONTROL_SCHEMA}"
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")

    def newest() -> tuple[Contribution, list[Contribution], list[Contribution]]:
        entries = _contributions(connection)
        mine = [e for e in entries if e.office == office.name and not e.withdrawn]
        if not mine:
            raise NoSnapshotError(f"the office {office.name} has no publish in the lake {lake.label} to roll back")
        remaining = [e for e in entries if not e.withdrawn and e != mine[-1]]
        if not remaining:
            raise NoSnapshotError(f"the run {mine[-1].run_id} of the office {office.name} is the only publish kept "
                                  f"in the lake {lake.label}: nothing to roll back to")
        return mine[-1], remaining, entries

    entry, _, _ = newest()
    base = entry.snapshot_id - 1
    kept = {row[0] for row in connection.execute(f"SELECT snapshot_id FROM {ALIAS}.snapshots()").fetchall()}
    if not entry.snapshot_id or base not in kept:
        raise RollbackRefusedError(f"the snapshot before the run {entry.run_id} of the office {office.name} has "
                                   "expired: it cannot be restored")
    # the state before, attached on its own: inside the transaction the lake's own time travel would see its deletes
    connection.execute("DETACH DATABASE IF EXISTS before")
    attach(connection, lake, alias="before", snapshot_id=base)
    try:
        with _transaction(connection):
            entry_now, remaining, entries = newest()
            if entry_now != entry:
                raise duckdb.TransactionException("conflict: the office published again while rolling back")
            later: dict[str, set[str]] = {}
            for other in entries:
                if other.snapshot_id > entry.snapshot_id and other.office != office.name and not other.withdrawn:
                    for table in other.tables:
                        later.setdefault(table, set()).add(other.office)
            kinds, blocked = {}, []
            for table, kind in entry.kinds.items():
                schema, name = table.split(".", 1)
                names = [column for column, _ in _columns(connection, ALIAS, schema, name)]
                if kind in ("new", "whole") and table in later:  # merged into since: restore only its own rows
                    kind = "region" if _region_of(names) else "run" if RUN_COLUMN in names else None
                    if kind is None:
                        blocked.append(table)
                kinds[table] = (kind, names, entry.kinds[table] != "new")
            if blocked:
                by = sorted(set().union(*(later[t] for t in blocked)))
                raise RollbackRefusedError(
                    f"cannot roll back the run {entry.run_id} of the office {office.name}: it is not the newest publish, "
                    f"the office {', '.join(by)} published into {', '.join(blocked)} later, and restoring those tables "
                    f"would lose its rows; roll back the office {', '.join(by)} first")
            claims = _claims(connection)
            connection.execute(f"DELETE FROM {control}.office")  # as in a publish: serialise with concurrent ones
            for row in claims:
                connection.execute(f"INSERT INTO {control}.office VALUES (?, ?, ?)", list(row))
            owners = [(o, p) for o, p, _ in claims]
            for table, (kind, names, existed) in kinds.items():
                schema, name = table.split(".", 1)
                lake_table = f"{ALIAS}.{_identifier(schema)}.{_identifier(name)}"
                before = f"before.{_identifier(schema)}.{_identifier(name)}"
                if kind == "new":
                    connection.execute(f"DROP TABLE IF EXISTS {lake_table}")
                elif kind == "whole" or (kind in ("added", "keyed") and table not in later):
                    comment = connection.execute(
                        f"SELECT comment FROM duckdb_tables() WHERE database_name = '{ALIAS}' AND schema_name = ? "
                        "AND table_name = ?", [schema, name]).fetchone()
                    _replace_table(connection, lake_table, before, comment[0] if comment else None)
                elif kind == "region":
                    owner = _owner_sql(_region_of(names), owners)
                    rows = f"{owner} = {_literal(office.name)}"
                    if table not in later:  # rows of unclaimed regions it added go too
                        rows = f"({rows} OR {owner} IS NULL)"
                    connection.execute(f"DELETE FROM {lake_table} WHERE {rows}")
                    if existed:
                        connection.execute(f"INSERT INTO {lake_table} SELECT * FROM {before} WHERE {rows}")
                elif kind == "run" and entry.runs:
                    runs = ", ".join(_literal(r) for r in entry.runs)
                    connection.execute(f"DELETE FROM {lake_table} WHERE {RUN_COLUMN} IN ({runs})")
                    if existed:
                        connection.execute(f"INSERT INTO {lake_table} SELECT * FROM {before} WHERE {RUN_COLUMN} IN ({runs})")
            current_run = remaining[-1].run_id
            _stamp_publication(connection, current_run, now)
            connection.execute(f"INSERT INTO {control}.withdrawal VALUES (?, ?, ?::TIMESTAMPTZ)",
                               [entry.snapshot_id, entry.run_id, now])
            extra = json.dumps({"run_id": current_run, "published_at": now, "office": office.name,
                                "rollback_of": entry.run_id})
            connection.execute(f"CALL {ALIAS}.set_commit_message('imon', ?, extra_info => ?)", [PUBLISH_MESSAGE, extra])
    finally:
        connection.execute("DETACH DATABASE IF EXISTS before")
    snapshot_id = max(s.snapshot_id for s in _published(connection)
                      if s.run_id == current_run and s.published_at == now)
    return LakeSnapshot(snapshot_id=snapshot_id, run_id=current_run, published_at=now)


def _newest_snapshot(connection: duckdb.DuckDBPyConnection) -> int:
    return connection.execute(f"SELECT max(snapshot_id) FROM {ALIAS}.snapshots()").fetchone()[0]


def _with_retry(write: Callable[[], object], lake: Lake, *, retries: int = CONFLICT_RETRIES):
    """Run a write; when another writer committed a conflicting change first, try again (with a growing pause)."""
    for attempt in range(retries + 1):
        try:
            return write()
        except duckdb.Error as error:
            if "conflict" not in str(error).lower() or attempt == retries:
                raise LakeError(f"writing to the lake {lake.label} failed: {redact(str(error))}") from error
            time.sleep(0.05 * 2 ** attempt)


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _qualified(name: str) -> str:
    return ".".join(_identifier(part) for part in name.split("."))


@contextmanager
def pinned(lake: Lake, snapshot_id: int | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """`open_snapshot` as a context manager."""
    connection = open_snapshot(lake, snapshot_id)
    try:
        yield connection
    finally:
        connection.close()
