"""A local Regionalatlas query service (ArcGIS MapServer `dynamicLayer/query`) over real HTTP.

It reads the GET parameters the live service reads: `layer` (a JSON query table whose SQL names the
indicator table, `typ` and `jahr`), `outFields`, `returnGeometry`, `where` and `f`, and answers from
tests/fixtures/regionalatlas/answers.json (recorded answers; origin and licence in that file). What
the live service would refuse gets the ArcGIS error envelope (HTTP 200, `{"error": {...}}`), which
is also what a query for a table or year without a recorded answer gets, marked
`X-Imon-Replay: not-recorded`. Every request is kept in `requests` for the tests to inspect.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ANSWERS = Path(__file__).resolve().parents[1] / "fixtures" / "regionalatlas" / "answers.json"
PATH = "/arcgis/rest/services/stba/regionalatlas/MapServer/dynamicLayer/query"
QUERY = re.compile(r"FROM verwaltungsgrenzen_gesamt LEFT OUTER JOIN (\w+) ON ags = ags2 and jahr = jahr2 "
                   r"WHERE typ = '?(\d)'? AND jahr = '?(\d{4})'?")


def _error(code: int, message: str, details: list[str]) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "details": details}}).encode()


class FakeRegionalatlas:
    """Start with `.start()`, point the client at `.url`, stop with `.stop()`."""

    def __init__(self, answers: Path = ANSWERS):
        document = json.loads(Path(answers).read_text(encoding="utf-8"))
        self.answers = {(a["table"], int(a["typ"]), int(a["jahr"])): a for a in document["answers"]}
        self.requests: list[dict[str, list[str]]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{PATH}"

    def start(self) -> "FakeRegionalatlas":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                parts = urlsplit(self.path)
                parameters = parse_qs(parts.query, keep_blank_values=True)
                fake.requests.append(parameters)
                if parts.path != PATH:
                    return self._send(404, b"<html><body>Not Found</body></html>", "text/html")
                status, body, headers = fake.answer(parameters)
                self._send(status, body, "application/geo+json" if b'"FeatureCollection"' in body[:40]
                           else "application/json;charset=UTF-8", headers)

            def do_POST(self):  # noqa: N802
                self._send(405, _error(405, "Method not allowed", []), "application/json")

            def _send(self, status, body, content_type, headers=None):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answer(self, parameters: dict[str, list[str]]) -> tuple[int, bytes, dict[str, str]]:
        """(HTTP status, body, extra headers) for the parameters of one query."""
        one = {name: values[-1] for name, values in parameters.items()}
        try:
            layer = json.loads(one.get("layer", ""))
            sql = layer["source"]["dataSource"]["query"]
        except (ValueError, KeyError, TypeError):
            return 200, _error(400, "Unable to complete operation.", ["'layer' parameter is invalid"]), {}
        match = QUERY.search(sql)
        if not match:
            return 200, _error(400, "Unable to complete operation.", ["Invalid query"]), {}
        if one.get("f") not in ("geojson", "json", "pjson"):
            return 200, _error(400, "Unable to complete operation.", ["Invalid format"]), {}
        table, typ, year = match[1], int(match[2]), int(match[3])
        recorded = self.answers.get((table, typ, year))
        fields = [f.strip().lower() for f in one.get("outFields", "").split(",") if f.strip()]
        if recorded is None:
            return 200, _error(400, "Unable to complete operation.",
                               [f"no recorded answer for {table} typ {typ} jahr {year}"]), {"X-Imon-Replay": "not-recorded"}
        if fields and any(f not in ("*", "ags", recorded["field"]) for f in fields):
            return 200, _error(400, "Unable to complete operation.", ["Invalid field in outFields"]), {}
        return 200, recorded["body"].encode("utf-8"), {"X-Imon-Replay": "tests/fixtures/regionalatlas/answers.json"}
