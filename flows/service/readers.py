"""Reading the published snapshot from the service: one open connection per snapshot, a cursor per request."""

from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb

from warehouse.publish import NoSnapshotError, current_snapshot, snapshot_label


MEMO_SIZE = 512


@dataclass
class _Open:
    connection: duckdb.DuckDBPyConnection
    label: str
    users: int = 0
    memo: OrderedDict = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Read:
    """One request's view of a snapshot: a cursor, the snapshot's label and file, and its answer cache."""

    cursor: duckdb.DuckDBPyConnection
    label: str
    path: Path
    _entry: _Open

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """`compute()` once per snapshot and key: a snapshot never changes, so neither does the answer."""
        with self._entry.lock:
            if key in self._entry.memo:
                self._entry.memo.move_to_end(key)
                return self._entry.memo[key]
        value = compute()
        with self._entry.lock:
            self._entry.memo[key] = value
            while len(self._entry.memo) > MEMO_SIZE:
                self._entry.memo.popitem(last=False)
        return value


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
    def reading(self) -> Iterator[Read]:
        """The current snapshot for one request: it stays open (and current for this request) until the end."""
        path = self.current()
        with self._lock:
            entry = self._open.get(path)
            if entry is None:
                connection = duckdb.connect(str(path), read_only=True)
                entry = self._open[path] = _Open(connection, snapshot_label(connection) or path.stem)
            entry.users += 1
        cursor = entry.connection.cursor()
        try:
            yield Read(cursor, entry.label, path, entry)
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
