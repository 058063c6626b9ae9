"""Many readers at once while publishes happen: `imon serve` in its own process, real HTTP clients on 127.0.0.1."""

from __future__ import annotations

import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import duckdb
import httpx
import psutil
import pytest

try:
    from service_support import ServiceProcess, bearer, create_keys, service_environ, service_settings
except ImportError:
    from tests.service_support import ServiceProcess, bearer, create_keys, service_environ, service_settings

from warehouse.publish import publish

CLIENTS = 16
MUNICH_ARB06 = ("SELECT value FROM marts.indicator_value WHERE indicator_id = 'ARB06' AND ags = '09162000' AND level = 'kreis' "
                "AND period = 2023")


def variant(source, target, marker: float):
    """A copy of the warehouse whose München ARB06 value is `marker`: tells which snapshot an answer came from."""
    shutil.copyfile(source, target)
    connection = duckdb.connect(str(target))
    connection.execute("UPDATE marts.indicator_value SET value = ? WHERE indicator_id = 'ARB06' AND ags = '09162000' "
                       "AND level = 'kreis'", [marker])
    connection.close()
    return target


@pytest.fixture(scope="module")
def setup(built, tmp_path_factory):
    summary = built[0]
    directory = tmp_path_factory.mktemp("concurrency")
    working = directory / "working.duckdb"
    shutil.copyfile(summary.warehouse_path, working)
    environ = service_environ(directory, working, IMON_SQL_TIME_LIMIT="120")
    settings = service_settings(directory, working, IMON_SQL_TIME_LIMIT="120")
    publish(working, settings.published_dir, run_id="initial")
    with duckdb.connect(str(working), read_only=True) as connection:
        initial = connection.execute(MUNICH_ARB06).fetchone()[0]
    variants = {f"variant-{n}": variant(working, directory / f"variant-{n}.duckdb", 1000.0 + n) for n in (1, 2, 3)}
    expected = {"initial": initial, **{label: 1000.0 + n for n, label in enumerate(variants, start=1)}}
    keys = create_keys(settings, "09162")
    with ServiceProcess(environ, directory / "serve.log") as service:
        yield service, settings, keys, variants, expected


def test_sixteen_clients_read_consistently_while_three_publishes_happen(setup):
    service, settings, keys, variants, expected = setup
    publishing_done = threading.Event()

    def one_request(client: httpx.Client, number: int) -> tuple[str, float, str]:
        kind = ("values", "profile", "sql")[number % 3]
        if kind == "values":
            response = client.get("/api/values", params={"region": "09162", "indicator": "ARB06", "period_from": 2023,
                                                         "period_to": 2023})
            value = response.json()["data"][0]["value"] if response.status_code == 200 else None
        elif kind == "profile":
            response = client.get("/api/regions/09162/profile")
            value = next(point for point in next(i for i in response.json()["indicators"] if i["indicator_id"] == "ARB06")
                         ["series"] if point["period"] == 2023)["value"] if response.status_code == 200 else None
        else:
            response = client.post("/api/sql", json={"sql": MUNICH_ARB06})
            value = response.json()["rows"][0][0] if response.status_code == 200 else None
        assert response.status_code == 200, f"{kind}: {response.status_code} {response.text[:300]}"
        return response.headers["x-imon-snapshot"], value, kind

    counts = [0] * CLIENTS  # answers per reader so far
    seen: set[str] = set()  # snapshots answers came from so far

    def reader(worker: int) -> list[tuple[str, float, str]]:
        answers = []
        deadline = time.monotonic() + 240
        with httpx.Client(base_url=service.url, headers=bearer(keys["09162"] if worker % 2 else keys["state"]),
                          timeout=60) as client:
            after_done = 0
            while after_done < 3 or len(answers) < 6:
                assert time.monotonic() < deadline, f"reader {worker} still running after 240 s"
                answers.append(one_request(client, worker + len(answers)))
                counts[worker] += 1
                seen.add(answers[-1][0])
                after_done += publishing_done.is_set()
        return answers

    def wait_until(condition, what: str) -> None:
        deadline = time.monotonic() + 120
        while not condition():
            assert time.monotonic() < deadline, f"no {what} within 120 s"
            time.sleep(0.01)

    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(reader, worker) for worker in range(CLIENTS)]
        # every publish happens while all sixteen readers are reading: each has answered before it, and again after it
        wait_until(lambda: min(counts) >= 2, "answer from every reader")
        for label, path in variants.items():
            before = list(counts)
            publish(path, settings.published_dir, run_id=label, keep=2)
            wait_until(lambda: label in seen and all(now > then for now, then in zip(counts, before)),
                       f"answers from {label} and every reader after its publish")
        publishing_done.set()
        answers = [answer for future in futures for answer in future.result(timeout=300)]

    assert len(answers) >= CLIENTS * 6
    for label, value, kind in answers:
        assert value == pytest.approx(expected[label]), f"{kind} answer from snapshot {label} has value {value}"
    assert {label for label, _, _ in answers} == {"initial", "variant-1", "variant-2", "variant-3"}
    log = (settings.service_dir / "requests.log").read_text()
    assert log.count('"status": 200') >= len(answers) and '"status": 500' not in log


def test_a_query_started_before_a_publish_finishes_on_its_snapshot(setup):
    service, settings, keys, variants, expected = setup
    expected = dict(expected)
    server = psutil.Process(service.process.pid)

    def busy_seconds() -> float:
        """CPU of the service and its SQL worker processes (the query runs in a worker)."""
        total = 0.0
        for process in [server, *server.children(recursive=True)]:
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    with httpx.Client(base_url=service.url, headers=bearer(keys["state"]), timeout=150) as client:
        # The query must still run when the publish has switched CURRENT; copying the snapshot takes seconds on a
        # slow machine, so the query grows until it outlasts the publish.
        for attempt, size in enumerate((400_000_000, 2_000_000_000, 8_000_000_000)):
            before = client.get("/api/status").json()["snapshot"]
            slow = {"sql": f"SELECT ({MUNICH_ARB06}) AS value, "
                           f"(SELECT count(*) FROM range({size}) t(i) WHERE i % 7 = 3) AS n"}
            answer = {}

            def run():
                answer["response"] = client.post("/api/sql", json=slow)
                answer["at"] = time.monotonic()

            worker = threading.Thread(target=run)
            idle = busy_seconds()
            worker.start()
            # the service is idle but for this query: once it and its workers have spent half a second of CPU, it runs
            deadline = time.monotonic() + 120
            while busy_seconds() < idle + 0.5 and "response" not in answer:
                assert time.monotonic() < deadline, "the query did not start within 120 s"
                time.sleep(0.01)
            label, source = f"during-the-query-{attempt}", f"variant-{attempt % 3 + 1}"
            publish(variants[source], settings.published_dir, run_id=label)
            expected[label] = expected[source]
            published_at = time.monotonic()
            worker.join(timeout=150)
            if answer["at"] > published_at:
                break
        else:
            pytest.fail("every query finished before its publish switched the snapshot")
        response = answer["response"]
        assert response.status_code == 200, response.text
        assert response.headers["x-imon-snapshot"] == before
        assert response.json()["rows"][0][0] == pytest.approx(expected[before])
        assert client.get("/api/status").json()["snapshot"] == label
