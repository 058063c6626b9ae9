"""Helpers for the query service tests: settings in a temporary folder, the service on a free port, keys."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import uvicorn

from service.app import create_app
from service.auth import COUNTY, STATE_OFFICE, KeyStore
from flows.settings import PROJECT_ROOT, load_settings
from warehouse.publish import publish

IMON = str(Path(sys.executable).with_name("imon"))


def service_environ(directory: Path, warehouse_path: Path, **extra: str) -> dict[str, str]:
    """IMON_* variables that put the published snapshots and the service store into `directory`."""
    return {"IMON_WAREHOUSE": str(warehouse_path), "IMON_PUBLISHED_DIR": str(directory / "published"),
            "IMON_SERVICE_DIR": str(directory / "service"), **extra}


def service_settings(directory: Path, warehouse_path: Path, **extra: str):
    """Settings for a service whose snapshots and store live in `directory` (no GENESIS credentials)."""
    return load_settings(service_environ(directory, warehouse_path, **extra))


def publish_warehouse(settings, run_id: str) -> Path:
    """Publish the settings' working warehouse as a snapshot."""
    return publish(settings.warehouse_path, settings.published_dir, run_id=run_id, keep=settings.snapshots_to_keep)


def create_keys(settings, *counties: str) -> dict[str, str]:
    """A state-office key (`state`) and one key per county (by its 5-digit key)."""
    store = KeyStore(settings.service_dir / "access.sqlite3")
    keys = {"state": store.create(role=STATE_OFFICE)[1]}
    for county in counties:
        keys[county] = store.create(role=COUNTY, county=county)[1]
    return keys


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


class ThreadedService:
    """The service under uvicorn in a thread of the test process, on 127.0.0.1 and a free port."""

    def __init__(self, settings):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port, log_level="warning",
                                access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "ThreadedService":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the service did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


class ServiceProcess:
    """`imon serve` in its own process, as an operator starts it."""

    def __init__(self, environ: dict[str, str], output: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.output = output
        env = {k: v for k, v in os.environ.items() if not k.startswith(("IMON_", "PREFECT_"))}
        with open(output, "w") as log:  # a file, not a pipe: a full pipe would stall the server
            self.process = subprocess.Popen([IMON, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                                            env={**env, **environ}, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)

    def __enter__(self) -> "ServiceProcess":
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"imon serve exited: {self.output.read_text()}")
            try:
                if httpx.get(f"{self.url}/openapi.json", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("imon serve did not answer within 60 s")
            time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class RunningService:
    """A started service with its settings and keys (`state` and one per county)."""

    def __init__(self, url: str, settings, keys: dict[str, str]):
        self.url, self.settings, self.keys = url, settings, keys

    def client(self, who: str | None = None, **options) -> httpx.Client:
        """An HTTP client for the state office (`state`), a county (`09162`) or nobody (None)."""
        return httpx.Client(base_url=self.url, headers=bearer(self.keys[who]) if who else {}, timeout=60, **options)


@contextmanager
def running_service(directory: Path, warehouse_path: Path, run_id: str, counties=("09162", "09163"),
                    **extra: str) -> Iterator[RunningService]:
    """Publish the warehouse into `directory`, create keys and run the service in a thread."""
    settings = service_settings(directory, warehouse_path, **extra)
    publish_warehouse(settings, run_id)
    keys = create_keys(settings, *counties)
    with ThreadedService(settings) as service:
        yield RunningService(service.url, settings, keys)
