"""Reading the published snapshot from the service: one open connection per snapshot, a cursor per request."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import duckdb

from warehouse.publish import NoSnapshotError, current_snapshot, snapshot_label


@dataclass
class _Open:
    connection: duckdb.DuckDBPyConnection
    label: str
    users: int = 0


class SnapshotReaders:
    """Resolves CURRENT once per request and keeps that snapshot open until the request is done.

    A publish in between only changes which snapshot the next request gets; a snapshot no
    request uses any more is closed.
    """

    def __init__(self, published_dir: Path):
        self.published_dir = Path(published_dir)
        self._lock = threading.Lock()
        self._open: dict[Path, _Open] = {}

    def current(self) -> Path:
        """The current snapshot file; NoSnapshotError if nothing is published."""
        path = current_snapshot(self.published_dir)
        if path is None:
            raise NoSnapshotError(f"nothing is published in {self.published_dir} yet: run `imon run` or `imon publish`")
        return path

    @contextmanager
    def reading(self) -> Iterator[tuple[duckdb.DuckDBPyConnection, str, Path]]:
        """(cursor, snapshot label, snapshot path) of the current snapshot for one request."""
        path = self.current()
        with self._lock:
            entry = self._open.get(path)
            if entry is None:
                connection = duckdb.connect(str(path), read_only=True)
                entry = self._open[path] = _Open(connection, snapshot_label(connection) or path.stem)
            entry.users += 1
        cursor = entry.connection.cursor()
        try:
            yield cursor, entry.label, path
        finally:
            cursor.close()
            self._release(path)

    def _release(self, path: Path) -> None:
        with self._lock:
            entry = self._open[path]
            entry.users -= 1
            if entry.users == 0 and path != current_snapshot(self.published_dir):
                entry.connection.close()
                del self._open[path]

    def close(self) -> None:
        """Close every snapshot connection (at shutdown)."""
        with self._lock:
            for entry in self._open.values():
                entry.connection.close()
            self._open.clear()
