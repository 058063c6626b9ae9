"""flows/prefect_server.py: `imon run`'s temporary Prefect server, started before the pipeline's imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from flows import prefect_server

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_a_flow_runs_against_the_early_server_without_importing_prefects_server(tmp_path):
    script = textwrap.dedent("""
        import json, sys
        from flows import prefect_server
        prefect_server.start()
        from prefect import flow, get_client
        @flow(name="imon-early-server")
        def answer():
            return 42
        with prefect_server.api() as url:
            value = answer()
            with get_client(sync_client=True) as client:
                runs = client.read_flow_runs()
        print(json.dumps({"url": url, "value": value, "states": [r.state_type.value for r in runs],
                          "server_imported": "prefect.server.api.server" in sys.modules}))
    """)
    environment = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    environment["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, env=environment, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["url"].startswith("http://127.0.0.1:") and result["url"].endswith("/api")
    assert result["value"] == 42 and result["states"] == ["COMPLETED"]
    assert result["server_imported"] is False  # Prefect did not start (or import) a temporary server of its own


def test_a_configured_prefect_server_is_used_and_nothing_started(monkeypatch):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # as a state office sets it, before Prefect reads it
    monkeypatch.setattr(prefect_server, "_server", None)
    prefect_server.start()
    assert prefect_server._server is None
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}), prefect_server.api() as url:
        assert url == "http://127.0.0.1:9/api"


def test_a_server_named_by_the_prefect_profile_stops_the_temporary_one(monkeypatch):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setattr(prefect_server, "_server", None)
    prefect_server.start()
    process = prefect_server._server.process
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        with prefect_server.api() as url:
            assert url == "http://127.0.0.1:9/api"
    assert prefect_server._server is None and process.poll() is not None  # stopped, not left running
