"""Analysts' SQL in worker processes whose memory the kernel caps and whose time the service enforces by killing them.

Parsing and planning a statement run outside DuckDB's own limits (a `UNION ALL` of 30,000 branches
took 12 GB and 50 s before a single row was computed), so the whole request runs in a worker
process: the statement check, the query, and encoding the answer. A worker caps its own address
space with `RLIMIT_AS` before it takes its first job; the service waits for an answer until the
time limit (plus a second's grace) and then kills the worker, answers 408 and starts a fresh one.
A worker that dies (out of memory) costs its own query a 400, never the service. Answers are
capped in bytes inside the worker, before the first byte is sent, and reach the client in chunks.

Protocol, over a socket pair: the service sends a job as JSON; the worker answers with a JSON head
(`{"ok": true, "media_type", "size", "truncated"}` or `{"ok": false, "kind", "message", "status"}`)
and, after a good head, the body in chunks and an empty chunk.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Iterator

CHUNK_BYTES = 1024 * 1024
STARTUP_SECONDS = 60  # a worker imports DuckDB, Arrow and pandas before its first job
GRACE_SECONDS = 1.0  # after the time limit, how long a worker may take to say so itself before it is killed


def parse_bytes(text: str | int) -> int:
    """`512MB`, `2GB`, `100kB`, `1048576` → bytes (powers of 1024, as DuckDB reads its memory limit)."""
    if isinstance(text, int):
        return text
    value = text.strip().upper().replace(" ", "").removesuffix("IB").removesuffix("B")
    units = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}
    if value and value[-1] in units:
        return int(float(value[:-1]) * units[value[-1]])
    return int(value)


def megabytes(count: int) -> str:
    return f"{count / 1024 / 1024:g} MB"


# --- the worker ---------------------------------------------------------------------------------------


def _serve(connection: Connection, memory_bytes: int) -> None:
    """Take jobs until the service closes the socket; exit after a MemoryError (the heap may be in pieces)."""
    import duckdb

    from service.sql_guard import QueryEngines, Refusal

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    engines: dict[tuple[str, int], QueryEngines] = {}
    connection.send_bytes(b'{"ready": true}')
    while True:
        try:
            job = json.loads(connection.recv_bytes())
        except (EOFError, OSError):
            return
        try:
            engine = engines.setdefault((job["memory_limit"], job["threads"]),
                                        QueryEngines(memory_limit=job["memory_limit"], threads=job["threads"],
                                                     idle_per_key=1, keys=2))
            head, body = _answer(job, engine)
        except Refusal as refusal:
            retire = refusal.kind == "time_limit"  # an interrupted engine is not reused: a fresh worker takes over
            connection.send_bytes(json.dumps({"ok": False, "kind": refusal.kind, "message": refusal.message,
                                              "status": refusal.status, "retire": retire}).encode())
            if retire:
                return
            continue
        except (MemoryError, duckdb.OutOfMemoryException):  # the address-space cap, met outside DuckDB's own limit
            connection.send_bytes(json.dumps({**_memory_refusal(job["worker_memory"]), "retire": True}).encode())
            return
        except Exception as error:  # a bug, not the caller's fault: say so, and leave no doubtful state behind
            connection.send_bytes(json.dumps({"ok": False, "kind": "internal", "status": 500, "retire": True,
                                              "message": f"the query failed in the service: {type(error).__name__}"}).encode())
            return
        try:
            connection.send_bytes(json.dumps(head).encode())
            view = memoryview(body)
            for start in range(0, len(view), CHUNK_BYTES):
                connection.send_bytes(view[start:start + CHUNK_BYTES])
            connection.send_bytes(b"")
        except OSError:  # the service went away (or gave up on this answer)
            return


def _answer(job: dict[str, Any], engines) -> tuple[dict[str, Any], bytes]:
    """Check, run and encode one statement; Refusal on anything the caller has to change."""
    from pathlib import Path

    from service.formats import Format, encode, json_bytes
    from service.sql_guard import Refusal, check_statement

    cap = job["answer_max_bytes"]
    sql = check_statement(job["sql"], county_catalogs=set(job["areas"]), every_county=job["every_county"])
    result = engines.run(Path(job["snapshot"]), sql, areas={k: Path(v) for k, v in job["areas"].items()},
                         row_limit=job["row_limit"], time_limit_seconds=job["time_limit_seconds"], byte_limit=cap,
                         identity=job.get("identity"), lake=job.get("lake"))
    fmt = Format(job["format"])
    if fmt == Format.json:
        document = {
            "snapshot": job["label"],
            "columns": result.table.column_names,
            "types": [str(t) for t in result.table.schema.types],
            "rows": [list(row.values()) for row in result.table.to_pylist()] if result.table.num_columns else [],
            "row_count": result.table.num_rows,
            "truncated": result.truncated,
            "row_limit": result.row_limit,
        }
        if result.truncated:
            document["message"] = (f"the result has more than {result.row_limit} rows; "
                                   f"only the first {result.row_limit} are returned")
        body, media_type = json_bytes(document), "application/json"
    else:
        from service.formats import MEDIA_TYPES

        body, media_type = encode(result.table, fmt), MEDIA_TYPES[fmt]
    if len(body) > cap:
        raise Refusal("answer_size", f"the answer would be {megabytes(len(body))}, more than the limit of "
                                     f"{megabytes(cap)}; select fewer columns or rows, or aggregate", status=413)
    return {"ok": True, "media_type": media_type, "size": len(body), "truncated": result.truncated,
            "row_limit": result.row_limit}, body


def _memory_refusal(worker_memory: int) -> dict[str, Any]:
    return {"ok": False, "kind": "memory_limit", "status": 400,
            "message": f"the query needs more than the memory limit of {megabytes(worker_memory)} while it is "
                       "parsed, planned or run, and was stopped; simplify it, narrow it down or aggregate"}


def main() -> None:  # pragma: no cover - runs in the worker process
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C stops the service, which then closes the socket
    descriptor, memory_bytes = int(sys.argv[1]), int(sys.argv[2])
    import duckdb, openpyxl, pandas, pyarrow, pyarrow.parquet  # noqa: E401,F401 - before the address space is capped

    import service.formats, service.sql_guard  # noqa: E401,F401
    duckdb.connect(":memory:").execute("SELECT 1").fetchall()  # so the first query does not pay for the first use
    _serve(Connection(descriptor), memory_bytes)


# --- the service's side -----------------------------------------------------------------------------------


@dataclass
class Answer:
    """A worker's good answer: its head, and its body in chunks (read them all, or close)."""

    media_type: str
    size: int
    truncated: bool
    row_limit: int
    chunks: Iterator[bytes]


class Worker:
    """One worker process and the service's end of its socket."""

    def __init__(self, memory_bytes: int):
        ours, theirs = socket.socketpair()
        try:
            # few malloc arenas: each thread's 64 MB arena reservation would count against the address-space cap
            self.process = subprocess.Popen([sys.executable, "-m", "service.sql_worker", str(theirs.fileno()),
                                             str(memory_bytes)], pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                            env={**os.environ, "MALLOC_ARENA_MAX": "2", "ARROW_DEFAULT_MEMORY_POOL": "system"})
        finally:
            theirs.close()
        self.connection = Connection(ours.detach())
        self.ready = False

    def wait_ready(self) -> None:
        if self.ready:
            return
        if not self.connection.poll(STARTUP_SECONDS):
            raise RuntimeError(f"an SQL worker did not start within {STARTUP_SECONDS} s")
        self.connection.recv_bytes()
        self.ready = True

    def kill(self) -> None:
        """End the worker now (it may be deep inside a plan that no interrupt reaches)."""
        try:
            self.process.kill()
        except ProcessLookupError:  # pragma: no cover - it ended on its own
            pass
        self.process.wait()
        self.connection.close()


class SqlWorkers:
    """A few worker processes; a request takes one (or waits for one) and gives it back when its answer is sent."""

    def __init__(self, *, workers: int = 4, worker_memory: str | int = "2GB"):
        self.size, self.worker_memory = workers, parse_bytes(worker_memory)
        self._slots = threading.BoundedSemaphore(workers)
        self._idle: list[Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def run(self, job: dict[str, Any], *, time_limit_seconds: float, wait_seconds: float) -> Answer:
        """Run a job (see `_answer` for its fields) in a worker; Refusal for a refusal, a limit or a dead worker."""
        from service.sql_guard import Refusal

        # the worker attaches the files through the service's own descriptors, opened first thing: a publish (or
        # an upload) that removes a file meanwhile does not take it away from a request that already resolved it
        pinned: list[int] = []
        try:
            identity = json.dumps([job["snapshot"], sorted(job["areas"].items())])
            # a lake snapshot is pinned by its id (DuckLake keeps it until it expires); a file by a descriptor
            snapshot = job["snapshot"] if job.get("lake") else self._pin(job["snapshot"], pinned)
            areas = {name: self._pin(path, pinned) for name, path in job["areas"].items()}
        except BaseException:
            for descriptor in pinned:
                os.close(descriptor)
            raise
        if not self._slots.acquire(timeout=wait_seconds):
            for descriptor in pinned:
                os.close(descriptor)
            raise Refusal("busy", "too many SQL queries are running; try again in a moment", status=503)
        worker = None
        try:
            worker = self._checkout()
            worker.wait_ready()
            worker.connection.send_bytes(json.dumps({**job, "snapshot": snapshot, "areas": areas, "identity": identity,
                                                     "time_limit_seconds": time_limit_seconds,
                                                     "worker_memory": self.worker_memory}).encode())
            head = self._head(worker, time_limit_seconds)
        except BaseException:
            if worker is not None:
                self._discard(worker)
            self._slots.release()
            raise
        finally:
            for descriptor in pinned:
                os.close(descriptor)
        if not head["ok"]:
            if head.get("retire"):
                self._discard(worker)
            else:
                self._give_back(worker)
            self._slots.release()
            raise Refusal(head["kind"], head["message"], status=head["status"])
        return Answer(head["media_type"], head["size"], head["truncated"], head["row_limit"], self._body(worker))

    def start(self) -> None:
        """Start every worker now (at service start), so the first queries do not wait for one to import DuckDB."""
        with self._lock:
            while len(self._idle) < self.size and not self._closed:
                self._idle.append(Worker(self.worker_memory))

    def close(self) -> None:
        """Stop every idle worker (at shutdown; busy ones end when their socket closes)."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()

    @staticmethod
    def _pin(path: str, pinned: list[int]) -> str:
        from service.sql_guard import Refusal

        try:
            descriptor = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise Refusal("snapshot_changed", "the snapshot changed while the query started; send it again",
                          status=503) from None
        pinned.append(descriptor)
        return f"/proc/{os.getpid()}/fd/{descriptor}"

    def _head(self, worker: Worker, time_limit_seconds: float) -> dict[str, Any]:
        from service.sql_guard import Refusal

        deadline = time.monotonic() + time_limit_seconds + GRACE_SECONDS
        if not worker.connection.poll(max(0.0, deadline - time.monotonic())):
            raise Refusal("time_limit", f"the query ran longer than the time limit of {time_limit_seconds:g} s "
                                        "(parsing and planning count) and was stopped; simplify it, narrow it "
                                        "down or aggregate", status=408)
        try:
            return json.loads(worker.connection.recv_bytes())
        except (EOFError, OSError):  # the worker died: the kernel refused it memory, or it aborted
            worker.process.wait()
            refusal = _memory_refusal(self.worker_memory)
            raise Refusal(refusal["kind"], refusal["message"], status=refusal["status"]) from None

    def _body(self, worker: Worker) -> Iterator[bytes]:
        finished = False
        try:
            while True:
                if not worker.connection.poll(STARTUP_SECONDS):
                    raise RuntimeError("an SQL worker stopped sending its answer")
                chunk = worker.connection.recv_bytes()
                if not chunk:
                    finished = True
                    return
                yield chunk
        finally:
            if finished:
                self._give_back(worker)
            else:  # the client went away, or the worker hung: it may still be sending, so it goes
                self._discard(worker)
            self._slots.release()

    def _checkout(self) -> Worker:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return Worker(self.worker_memory)

    def _give_back(self, worker: Worker) -> None:
        if worker.process.poll() is not None:  # it exited after its answer (a MemoryError)
            worker.kill()
            return
        with self._lock:
            if not self._closed:
                self._idle.append(worker)
                return
        worker.kill()

    def _discard(self, worker: Worker) -> None:
        worker.kill()


if __name__ == "__main__":  # pragma: no cover
    main()
