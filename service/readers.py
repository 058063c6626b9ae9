"""Reading the published snapshot from the service: one open connection per snapshot, a cursor per request."""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb
from starlette.concurrency import run_in_threadpool

from warehouse.publish import POINTER, NoSnapshotError, current_snapshot, snapshot_label


MISSING = object()  # what recall gives for a key without an answer (None can be an answer)
MEMO_BYTES = 256 * 1024 * 1024  # answers kept per snapshot, by their size (encoded answers, Arrow tables)


@dataclass
class _Open:
    connection: duckdb.DuckDBPyConnection
    label: str
    users: int = 0
    memo: OrderedDict = field(default_factory=OrderedDict)
    memo_bytes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    use: str | None = None  # the catalog a new cursor must USE (a lake snapshot: `lake`; a file is the default)
    warmed: threading.Event = field(default_factory=threading.Event)  # set when the warm-up is over (or there is none)


@dataclass
class Read:
    """One request's view of a snapshot: a cursor, the snapshot's label and file, and its answer cache."""

    label: str
    path: Path
    _entry: _Open
    _cursor: duckdb.DuckDBPyConnection | None = None

    @property
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This request's cursor, made at its first use (an answer from the memo needs none)."""
        if self._cursor is None:
            self._cursor = self._entry.connection.cursor()
            if self._entry.use:  # USE is per connection, and a cursor is a new one
                self._cursor.execute(f"USE {self._entry.use}")
        return self._cursor

    def close(self) -> None:
        """Close the cursor, if one was made."""
        if self._cursor is not None:
            self._cursor.close()

    def recall(self, key: Any) -> Any:
        """The answer kept for `key`, or MISSING."""
        with self._entry.lock:
            if key in self._entry.memo:
                self._entry.memo.move_to_end(key)
                return self._entry.memo[key]
        return MISSING

    async def remembered(self, key: Any, compute: Callable[[], Any]) -> Any:
        """`memo` for an async endpoint: a kept answer on the event loop, a new one computed in a worker thread.

        Most asks of a snapshot are answered from its memo (profiles and maps are computed ahead); on
        the event loop they skip the two hand-overs to worker threads a sync endpoint and its key check
        cost, which on 2 cores under 20 clients were a large share of a request's time.
        """
        found = self.recall(key)
        if found is not MISSING:
            return found
        return await run_in_threadpool(self.memo, key, compute)

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """`compute()` once per snapshot and key: a snapshot never changes, so neither does the answer."""
        found = self.recall(key)
        if found is not MISSING:
            return found
        value = compute()
        with self._entry.lock:
            if key not in self._entry.memo:
                self._entry.memo[key] = value
                self._entry.memo_bytes += _size(value)
            while self._entry.memo_bytes > MEMO_BYTES and len(self._entry.memo) > 1:
                self._entry.memo_bytes -= _size(self._entry.memo.popitem(last=False)[1])
        return value


def _size(value: Any) -> int:
    """What a memoized value weighs: its bytes if it knows them (Answer, Arrow table), else a nominal 1 kB."""
    return int(getattr(value, "nbytes", 1024))


class SnapshotReaders:
    """Resolves CURRENT once per request and keeps that snapshot open until the request is done.

    A publish in between only changes which snapshot the next request gets; a snapshot no
    request uses any more is closed.
    """

    def __init__(self, published_dir: Path, *, warm: Callable[[Read], None] | None = None, lake=None):
        self.published_dir = Path(published_dir)
        self._warm = warm  # run in a thread when a snapshot is first opened, e.g. to compute its frequent answers
        self._lock = threading.Lock()
        self._closed = threading.Event()  # set at shutdown: a warm-up still running then ends without a warning
        self._open: dict[Path, _Open] = {}
        self._pointer: tuple[tuple[int, int, int], Path | None] | None = None
        # with a lake (warehouse.lake.Lake), its current published snapshot replaces CURRENT: a PinnedSnapshot
        # stands where a snapshot file stands, watched in a thread
        self._lake_watch = None
        if lake is not None:
            from warehouse.lake import CurrentWatch

            self._lake_watch = CurrentWatch(lake)

    def current(self) -> Path:
        """The current snapshot file (or pinned lake snapshot); NoSnapshotError if nothing is published."""
        path = self._pointed_to()
        if path is None:
            where = self._lake_watch.lake.label if self._lake_watch else self.published_dir
            raise NoSnapshotError(f"nothing is published in {where} yet: run `imon run` or `imon publish`")
        return path

    def _pointed_to(self) -> Path | None:
        """CURRENT, read again only when the pointer file changed (a publish replaces it: new inode)."""
        if self._lake_watch is not None:
            return self._lake_watch.current
        try:
            stat = os.stat(self.published_dir / POINTER)
        except FileNotFoundError:
            return None
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if self._pointer is None or self._pointer[0] != seen:
            self._pointer = (seen, current_snapshot(self.published_dir))
        return self._pointer[1]

    @contextmanager
    def reading(self) -> Iterator[Read]:
        """The current snapshot for one request: it stays open (and current for this request) until the end."""
        path = self.current()
        with self._lock:
            entry = self._open.get(path)
            if entry is None:
                connection = path.connect() if self._lake_watch else duckdb.connect(str(path), read_only=True)
                entry = self._open[path] = _Open(connection, snapshot_label(connection) or path.stem,
                                                 use="lake" if self._lake_watch else None)
                if self._warm:
                    entry.users += 1  # the warm-up's own use, released when it is done
                    threading.Thread(target=self._warm_up, args=(path, entry), name="imon-warm-up", daemon=True).start()
                else:
                    entry.warmed.set()
            entry.users += 1
        read = Read(entry.label, path, entry)
        try:
            yield read
        finally:
            read.close()
            self._release(path)

    def _warm_up(self, path: Path, entry: _Open) -> None:
        read = Read(entry.label, path, entry)
        try:
            self._warm(read)
        except Exception as error:  # a failed warm-up only leaves answers to be computed when asked
            if not self._closed.is_set():  # at shutdown its connection was closed under it: not a failure
                logging.getLogger("imon.service").warning("warming up %s failed: %s", path.name, error)
        finally:
            entry.warmed.set()
            read.close()
            self._release(path)

    def open_current(self) -> None:
        """Open the current snapshot now (at start-up), so its warm-up runs before the first request; nothing if none."""
        try:
            with self.reading():
                pass
        except NoSnapshotError:
            pass
        except Exception as error:  # e.g. a lake whose catalogue is down: each request tries again and answers 503
            logging.getLogger("imon.service").warning("opening the current snapshot at start-up failed: %s", error)

    def readiness(self) -> dict[str, Any]:
        """Whether a snapshot is published and the current one's frequent answers are computed (`imon serve`'s /health)."""
        try:
            path = self.current()
        except NoSnapshotError:
            return {"snapshot_published": False, "warmed": False}
        with self._lock:
            entry = self._open.get(path)
        return {"snapshot_published": True, "warmed": bool(entry and entry.warmed.is_set())}

    def _release(self, path: Path) -> None:
        with self._lock:
            entry = self._open.get(path)
            if entry is None:  # closed meanwhile (the service shut down during a warm-up)
                return
            entry.users -= 1
            if entry.users == 0 and path != self._pointed_to():
                entry.connection.close()
                del self._open[path]

    def close(self) -> None:
        """Close every snapshot connection (at shutdown)."""
        self._closed.set()
        if self._lake_watch is not None:
            self._lake_watch.close()
        with self._lock:
            for entry in self._open.values():
                entry.connection.close()
            self._open.clear()
