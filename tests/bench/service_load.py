"""The query service under load: `imon serve` on 127.0.0.1, N concurrent keep-alive clients.

Every client is a thread with its own keep-alive connection (`LightClient`) that asks, in
turn, the profile of a random Kreis (`GET /api/regions/<kreis>/profile`) and an indicator slice
(`GET /api/values?indicator=<id>&level=kreis&period_from=<y>&period_to=<y>`: one indicator for
every Kreis in one year) and the data of an indicator map (`GET /api/maps/<id>?level=kreis&period=<y>`:
what the map page `/map/<id>` asks for when it opens or its period slider moves). The load is bounded: `requests_per_client` requests
per client and `max_seconds` in all, whichever comes first; traffic goes to 127.0.0.1 only.

The service memoizes answers per snapshot, so a Kreis asked for the second time is answered from
memory: latencies are reported for all profile requests and for the first request of each Kreis
(`profile (first ask)`) separately. Before the load, one client asks 10 profiles, 10 slices and 10 maps one
at a time (the latency without concurrency); after it, the service's own time per request is read
from its requests.log (how much of a client's wait is spent inside the service).
"""

from __future__ import annotations

import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IMON = str(Path(sys.executable).with_name("imon"))
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class ServiceUnavailable(RuntimeError):
    """The query service cannot be started here (not built yet, or it did not answer)."""


def service_available() -> str | None:
    """None when `imon serve` exists, else why not."""
    try:
        import service.app  # noqa: F401
    except Exception as error:  # the service is another engineer's work in progress
        return f"service.app cannot be imported: {error}"
    if not Path(IMON).exists():
        return f"no imon command at {IMON}"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Sample:
    kind: str
    seconds: float
    status: int
    first_ask: bool = False


@dataclass
class LoadResult:
    clients: int
    requests_per_client: int
    max_seconds: float
    elapsed_s: float
    samples: list[Sample] = field(default_factory=list)
    server_peak_rss: int | None = None
    start_up_s: float | None = None
    warm_up_s: float | None = None
    errors: list[str] = field(default_factory=list)
    baseline: list[Sample] = field(default_factory=list)  # one client, one request at a time, before the load
    server_ms: dict[str, list[float]] = field(default_factory=dict)  # the service's own timing (requests.log)

    def summary(self) -> dict[str, Any]:
        kinds: dict[str, list[Sample]] = {}
        for sample in self.samples:
            kinds.setdefault(sample.kind, []).append(sample)
            if sample.kind == "profile" and sample.first_ask:
                kinds.setdefault("profile (first ask)", []).append(sample)
        out = {"clients": self.clients, "requests_per_client": self.requests_per_client, "max_seconds": self.max_seconds,
               "elapsed_s": round(self.elapsed_s, 3), "requests": len(self.samples),
               "throughput_rps": round(len(self.samples) / self.elapsed_s, 1) if self.elapsed_s else None,
               "server_peak_rss": self.server_peak_rss, "start_up_s": self.start_up_s, "warm_up_s": self.warm_up_s, "errors": self.errors[:10],
               "kinds": {}}
        for kind in ("profile", "slice", "map"):
            alone = sorted(s.seconds * 1000 for s in self.baseline if s.kind == kind)
            if alone:
                out.setdefault("baseline", {})[kind] = {"requests": len(alone), "p50_ms": round(percentile(alone, 50), 1),
                                                        "max_ms": round(alone[-1], 1)}
            served = sorted(self.server_ms.get(kind) or [])
            if served:
                out.setdefault("server_side", {})[kind] = {"requests": len(served), "p50_ms": round(percentile(served, 50), 1),
                                                           "p95_ms": round(percentile(served, 95), 1)}
        for kind, samples in kinds.items():
            latencies = sorted(s.seconds * 1000 for s in samples)
            out["kinds"][kind] = {
                "requests": len(samples),
                "failed": sum(1 for s in samples if s.status != 200),
                "p50_ms": round(percentile(latencies, 50), 1),
                "p95_ms": round(percentile(latencies, 95), 1),
                "max_ms": round(latencies[-1], 1),
                "mean_ms": round(statistics.fmean(latencies), 1),
                "throughput_rps": round(len(samples) / self.elapsed_s, 1) if kind != "profile (first ask)" else None,
            }
        return out


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not values:
        return float("nan")
    rank = max(1, min(len(values), round(pct / 100 * len(values) + 0.5)))
    return values[rank - 1]


def _environ(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMON_", "PREFECT_API"))}
    return {**env, **extra}


def create_state_office_key(environ: dict[str, str]) -> str:
    """A state-office key from `imon keys create --state-office` (printed once on stdout)."""
    done = subprocess.run([IMON, "keys", "create", "--state-office", "--label", "benchmark"], env=_environ(environ),
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise ServiceUnavailable(f"imon keys create failed: {done.stderr.strip()[-500:]}")
    key = done.stdout.strip().splitlines()[-1].strip() if done.stdout.strip() else ""
    if not key:
        raise ServiceUnavailable(f"imon keys create printed no key: {done.stderr.strip()[-300:]}")
    return key


class Served:
    """`imon serve --host 127.0.0.1 --port N` in its own process, as an operator starts it."""

    def __init__(self, environ: dict[str, str], log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.environ = environ
        self.process: subprocess.Popen | None = None
        self.start_up_s: float | None = None
        self.warm_up_s: float | None = None

    def __enter__(self) -> "Served":
        import httpx

        started = time.perf_counter()
        with open(self.log, "w") as output:  # a file, not a pipe: a full pipe would stall the server
            self.process = subprocess.Popen([IMON, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                                            env=_environ(self.environ), cwd=PROJECT_ROOT, stdout=output,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                raise ServiceUnavailable(f"imon serve exited: {self.log.read_text()[-800:]}")
            try:
                if httpx.get(f"{self.url}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.__exit__()
                raise ServiceUnavailable("imon serve did not answer within 90 s")
            time.sleep(0.1)
        self.start_up_s = round(time.perf_counter() - started, 2)
        # the load measures the service as it serves a snapshot, after the warm-up that follows start or publish;
        # how long that took is reported beside it (`warm_up_s`), and the first ask of each Kreis separately
        while not httpx.get(f"{self.url}/health", timeout=10).json().get("warmed"):
            if time.monotonic() > deadline + 120:
                self.__exit__()
                raise ServiceUnavailable("imon serve did not finish its warm-up within 120 s of answering")
            time.sleep(0.1)
        self.warm_up_s = round(time.perf_counter() - started - self.start_up_s, 2)
        return self

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class LightClient:
    """One keep-alive connection (the standard library's http.client) that reads each answer whole, as sent.

    The clients share the 2 cores with the service, so what a client spends per request is taken from the
    service: httpx spent more CPU per request than the service did (3.4 s against 3.1 s for 1000 requests,
    2026-12-07). This client reads the body as it comes (gzip-compressed if the service sends it so, as
    to a browser) and does not unpack or parse it: the bytes cross the connection, the rest is client work.
    """

    def __init__(self, url: str, headers: dict[str, str], *, timeout: float):
        parts = urllib.parse.urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        self.headers = headers

    def get(self, path: str, params: dict[str, Any] | None = None) -> int:
        """GET path?params; the answer's status, after its whole body was read."""
        self.connection.request("GET", path + ("?" + urllib.parse.urlencode(params) if params else ""),
                                headers=self.headers)
        response = self.connection.getresponse()
        response.read()
        return response.status

    def __enter__(self) -> "LightClient":
        return self

    def __exit__(self, *exc) -> None:
        self.connection.close()


def run_load(url: str, key: str, *, clients: int = 20, requests_per_client: int = 50, max_seconds: float = 60,
             seed: int = 1, server_pid: int | None = None, request_log: Path | None = None) -> LoadResult:
    """N client threads, each with a keep-alive connection, asking profiles and slices until done or out of time."""
    import httpx

    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as probe:
        regions = probe.get("/api/regions", params={"level": "kreis"})
        regions.raise_for_status()
        kreise = sorted({row["ags"][:5] for row in regions.json()["data"]})
        catalog = probe.get("/api/catalog")
        catalog.raise_for_status()
        indicators = sorted({row["indicator_id"] for row in catalog.json()["data"]})
        periods = probe.get("/api/values", params={"indicator": indicators[0], "region": kreise[0]})
        periods.raise_for_status()
        years = sorted({row["period"] for row in periods.json()["data"]}) or [2023]
    if not kreise or not indicators:
        raise ServiceUnavailable("the published snapshot has no Kreise or no indicators")

    result = LoadResult(clients=clients, requests_per_client=requests_per_client, max_seconds=max_seconds, elapsed_s=0.0)
    seen: set[str] = set()
    lock = threading.Lock()
    # the baseline: one client, one request at a time (profiles of Kreise not asked before, slices)
    chooser = random.Random(seed)
    asking = {**headers, "Accept-Encoding": "gzip"}  # as a browser asks
    with LightClient(url, asking, timeout=60) as alone:  # the same client as the load's, so the two compare
        for kreis in chooser.sample(kreise, min(10, len(kreise))):
            seen.add(kreis)
            began = time.perf_counter()
            status = alone.get(f"/api/regions/{kreis}/profile")
            result.baseline.append(Sample("profile", time.perf_counter() - began, status, True))
        for _ in range(10):
            year = chooser.choice(years)
            params = {"indicator": chooser.choice(indicators), "level": "kreis", "period_from": year, "period_to": year}
            began = time.perf_counter()
            status = alone.get("/api/values", params)
            result.baseline.append(Sample("slice", time.perf_counter() - began, status))
        for _ in range(10):
            params = {"level": "kreis", "period": chooser.choice(years)}
            began = time.perf_counter()
            status = alone.get(f"/api/maps/{chooser.choice(indicators)}", params)
            result.baseline.append(Sample("map", time.perf_counter() - began, 200 if status == 404 else status))
    offset = request_log.stat().st_size if request_log and request_log.exists() else 0
    deadline = time.monotonic() + max_seconds
    start = threading.Barrier(clients + 1)

    def client(number: int) -> None:
        chooser = random.Random(seed * 1000 + number)
        samples: list[Sample] = []
        with LightClient(url, asking, timeout=30) as session:
            start.wait()
            for request_number in range(requests_per_client):
                if time.monotonic() > deadline:
                    break
                turn = (request_number + number) % 3
                if turn == 0:
                    kreis = chooser.choice(kreise)
                    with lock:
                        first = kreis not in seen
                        seen.add(kreis)
                    kind, path, params = "profile", f"/api/regions/{kreis}/profile", None
                elif turn == 2:  # an indicator map (a 404 for an indicator without Kreis values in that year is an answer)
                    first = False
                    kind, path = "map", f"/api/maps/{chooser.choice(indicators)}"
                    params = {"level": "kreis", "period": chooser.choice(years)}
                else:
                    first = False
                    year = chooser.choice(years)
                    kind, path = "slice", "/api/values"
                    params = {"indicator": chooser.choice(indicators), "level": "kreis", "period_from": year, "period_to": year}
                began = time.perf_counter()
                try:
                    status = session.get(path, params)
                    status = 200 if kind == "map" and status == 404 else status
                except (OSError, http.client.HTTPException) as error:
                    status = 0
                    with lock:
                        result.errors.append(f"{kind}: {error}")
                samples.append(Sample(kind, time.perf_counter() - began, status, first))
        with lock:
            result.samples.extend(samples)

    peak = [0]
    stop = threading.Event()

    def sample_server() -> None:
        if server_pid is None:
            return
        import psutil

        try:
            process = psutil.Process(server_pid)
            while not stop.is_set():
                rss = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
                peak[0] = max(peak[0], rss)
                stop.wait(0.05)
        except psutil.Error:
            return

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    sampler = threading.Thread(target=sample_server, daemon=True)
    for thread in threads:
        thread.start()
    sampler.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=max_seconds + 60)
    result.elapsed_s = time.perf_counter() - began
    stop.set()
    sampler.join(timeout=5)
    result.server_peak_rss = peak[0] or None
    if request_log:
        time.sleep(0.2)  # the last log lines are written after the answers
        result.server_ms = server_side_ms(request_log, offset)
    return result


def server_side_ms(request_log: Path, offset: int) -> dict[str, list[float]]:
    """The service's own time per request (its requests.log, from `offset` on), by endpoint kind."""
    import json

    kinds: dict[str, list[float]] = {"profile": [], "slice": [], "map": []}
    if not request_log.exists():
        return kinds
    with open(request_log, encoding="utf-8") as handle:
        handle.seek(offset)
        for line in handle:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            path = entry.get("path") or ""
            kind = ("profile" if path.endswith("/profile") else "slice" if path == "/api/values"
                    else "map" if path.startswith("/api/maps/") and path.count("/") == 3 else None)
            if kind and entry.get("ms") is not None:
                kinds[kind].append(float(entry["ms"]))
    return kinds


def measure_service(environ: dict[str, str], log: Path, *, clients: int = 20, requests_per_client: int = 50,
                    max_seconds: float = 60, seed: int = 1) -> dict[str, Any]:
    """Start the service on the published snapshot of `environ`'s warehouse, load it, and summarise; or say why not."""
    missing = service_available()
    if missing:
        return {"available": False, "reason": missing}
    from flows.settings import load_settings

    request_log = load_settings(environ).service_dir / "requests.log"
    try:
        key = create_state_office_key(environ)
        with Served(environ, log) as served:
            result = run_load(served.url, key, clients=clients, requests_per_client=requests_per_client,
                              max_seconds=max_seconds, seed=seed, server_pid=served.process.pid, request_log=request_log)
            result.start_up_s, result.warm_up_s = served.start_up_s, served.warm_up_s
    except ServiceUnavailable as error:
        return {"available": False, "reason": str(error)}
    return {"available": True, **result.summary()}
