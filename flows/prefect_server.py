"""The temporary Prefect API of one `imon run`, started before the pipeline's imports instead of after them.

Without a Prefect server (PREFECT_API_URL), Prefect starts a temporary one when a flow starts:
it first imports its whole server package into the calling process (about 3 s on 2 cores), then
starts the server as a subprocess and waits for it (about 4.5 s). `start()` launches the same
server (Prefect's own app factory under uvicorn, with the settings Prefect gives its temporary
server) at once, so it comes up in its own process while this one imports the pipeline and
Great Expectations, and this process never imports Prefect's server package. `api()` then waits
for it and points Prefect's settings at it for the flow call. Like Prefect's own temporary
server it lives until the process exits (an atexit hook, which runs after Prefect has sent its
last events and logs).

With PREFECT_API_URL set, in the environment or in the active Prefect profile, nothing is started.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

# uvicorn exits with 3 when its port was taken between choosing and binding it
PORT_TAKEN = 3
# the health check goes straight to 127.0.0.1, whatever HTTP_PROXY says
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class TemporaryServer:
    """One Prefect API server process on 127.0.0.1 for this process's flow runs."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.port = 0
        self._launch()
        atexit.register(self.stop)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def _launch(self) -> None:
        with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        app_dir = Path(importlib.util.find_spec("prefect").origin).parent.parent  # without importing Prefect
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(app_dir), "--factory",
             "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "error", "--lifespan", "on"],
            # what Prefect sets for its own temporary server: no UI, no background services
            env={**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"},
        )

    def wait(self, timeout_s: float) -> str:
        """Block until the server answers its health check; its API URL."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code == PORT_TAKEN:
                self._launch()
                continue
            if code is not None:
                self.stop()
                raise RuntimeError(f"the temporary Prefect server exited with code {code} before it answered")
            try:
                with DIRECT.open(f"{self.api_url}/health", timeout=1) as response:
                    if response.status == 200:
                        return self.api_url
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the temporary Prefect server did not answer within {timeout_s:.0f} s "
                           "(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS)")

    def stop(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_server: TemporaryServer | None = None


def start() -> None:
    """Start the temporary server now (once per process) unless a Prefect server is configured by environment."""
    global _server
    if os.environ.get("PREFECT_API_URL") or _server is not None and _server.process is not None:
        return
    _server = TemporaryServer()


@contextlib.contextmanager
def api() -> Iterator[str | None]:
    """Prefect's settings pointed at the started temporary server (waiting for it), or as they are with a server."""
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, temporary_settings

    global _server
    configured = PREFECT_API_URL.value()
    if configured or _server is None or _server.process is None:
        if _server is not None and configured:  # a Prefect profile names a server: the temporary one is not needed
            _server.stop()
            _server = None
        yield configured or None
        return
    url = _server.wait(float(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()))
    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield url
