"""The service's snapshot readers: one connection per snapshot, answers kept per snapshot within a byte budget."""

from __future__ import annotations

import time

import duckdb

from service import readers
from service.formats import Answer
from service.readers import SnapshotReaders
from warehouse.publish import publish


def published(tmp_path, marker: int):
    working = tmp_path / "working.duckdb"
    connection = duckdb.connect(str(working))
    connection.execute("CREATE OR REPLACE TABLE main.marker AS SELECT ? AS value", [marker])
    connection.close()
    return publish(working, tmp_path / "published", run_id=f"run-{marker}")


def test_an_answer_is_computed_once_per_snapshot_and_question(tmp_path):
    published(tmp_path, 1)
    served = SnapshotReaders(tmp_path / "published")
    computed = []

    def answer(read):
        computed.append(read.label)
        return Answer(str(read.cursor.execute("SELECT value FROM marker").fetchone()[0]).encode())

    with served.reading() as read:
        first = read.memo("question", lambda: answer(read))
    with served.reading() as read:
        again = read.memo("question", lambda: answer(read))
    published(tmp_path, 2)  # a new snapshot: the same question is asked of it anew
    with served.reading() as read:
        newer = read.memo("question", lambda: answer(read))
    served.close()
    assert (first.body, again.body, newer.body) == (b"1", b"1", b"2")
    assert computed == ["run-1", "run-2"]


def test_the_memo_drops_the_oldest_answers_beyond_its_byte_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MEMO_BYTES", 2500)
    published(tmp_path, 1)
    served = SnapshotReaders(tmp_path / "published")
    with served.reading() as read:
        for number in range(5):
            read.memo(number, lambda: Answer(b"x" * 1000))
        kept = list(read._entry.memo)
        weight = read._entry.memo_bytes
    served.close()
    assert kept == [3, 4] and weight == 2000


def test_a_snapshot_is_warmed_once_in_a_thread_when_first_opened(tmp_path):
    import threading

    published(tmp_path, 1)
    warmed = {"run-1": threading.Event(), "run-2": threading.Event()}
    calls = []

    def warm(read):
        calls.append(read.label)
        read.memo("question", lambda: Answer(b"computed ahead"))
        warmed[read.label].set()

    served = SnapshotReaders(tmp_path / "published", warm=warm)
    for _ in range(3):
        with served.reading():
            pass
    assert warmed["run-1"].wait(10)
    with served.reading() as read:
        answer = read.memo("question", lambda: Answer(b"computed when asked"))
    published(tmp_path, 2)
    for _ in range(3):
        with served.reading():
            pass
    assert warmed["run-2"].wait(10)
    with served.reading():
        pass
    served.close()
    assert answer.body == b"computed ahead"
    assert calls == ["run-1", "run-2"], "each snapshot is warmed exactly once"


def test_a_shutdown_during_a_warm_up_stops_it_quietly(tmp_path, caplog):
    import logging
    import threading

    published(tmp_path, 1)
    started, closed, finished = threading.Event(), threading.Event(), threading.Event()

    def warm(read):
        started.set()
        try:
            closed.wait(10)
            read.cursor.execute("SELECT value FROM main.marker").fetchall()  # the connection is gone by now
        finally:
            finished.set()

    served = SnapshotReaders(tmp_path / "published", warm=warm)
    with caplog.at_level(logging.WARNING, logger="imon.service"):
        with served.reading():
            pass
        assert started.wait(10)
        served.close()
        closed.set()
        assert finished.wait(10)
        time.sleep(0.2)  # the warm-up thread's handler runs after `finished`
    assert [r.getMessage() for r in caplog.records if r.name == "imon.service"] == []


def test_readiness_follows_the_warm_up_of_the_current_snapshot(tmp_path):
    import threading

    release = threading.Event()
    served = SnapshotReaders(tmp_path / "published", warm=lambda read: release.wait(10))
    served.open_current()  # nothing published: nothing opened, no error
    assert served.readiness() == {"snapshot_published": False, "warmed": False}
    published(tmp_path, 1)
    assert served.readiness() == {"snapshot_published": True, "warmed": False}  # published, not opened yet
    served.open_current()
    assert served.readiness() == {"snapshot_published": True, "warmed": False}  # opened, warming
    release.set()
    deadline = time.monotonic() + 10
    while not served.readiness()["warmed"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert served.readiness() == {"snapshot_published": True, "warmed": True}
    published(tmp_path, 2)  # a publish: the new snapshot is warmed at its first request
    assert served.readiness() == {"snapshot_published": True, "warmed": False}
    served.close()


def test_a_kept_answer_is_given_on_the_event_loop_a_new_one_computed_in_a_worker_thread(tmp_path):
    import asyncio
    import threading

    published(tmp_path, 1)
    served = SnapshotReaders(tmp_path / "published")
    threads = []

    def compute():
        threads.append(threading.current_thread())
        return Answer(b"computed")

    async def ask():
        with served.reading() as read:
            first = await read.remembered("question", compute)
            again = await read.remembered("question", compute)
        return first, again, threading.current_thread()

    first, again, loop_thread = asyncio.run(ask())
    served.close()
    assert first is again and first.body == b"computed"
    assert len(threads) == 1 and threads[0] is not loop_thread, "computed once, not on the event loop"
