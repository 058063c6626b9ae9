"""The request log: one JSON line per request with what was actually sent, and never a key.

Keys are redacted by their shape, wherever they appear in the path or the query (`?auth=imon_…`,
`/profile/imon_…`, a bare secret): an imon key keeps its public key id (so the operator knows which
key to revoke) and loses its secret; any long random-looking token is replaced whole. Parameters
named like secrets (`token`, `password`, …) are blanked whatever their value.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

progress = logging.getLogger("imon.service")

KEY_SHAPED = re.compile(r"imon_([0-9a-f]{10})_[A-Za-z0-9_-]*", re.IGNORECASE | re.ASCII)
TOKEN_SHAPED = re.compile(r"[A-Za-z0-9_-]{24,}", re.ASCII)
SECRET_NAMES = ("key", "token", "password", "secret", "authorization", "auth", "bearer", "sig", "credential")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """`text` with every key-shaped or secret-shaped part replaced (key ids kept)."""
    text = KEY_SHAPED.sub(lambda m: f"imon_{m.group(1)}_{REDACTED}", text)
    return TOKEN_SHAPED.sub(lambda m: REDACTED if _random_looking(m.group(0)) else m.group(0), text)


def _random_looking(token: str) -> bool:
    """Upper- and lower-case letters mixed (and digits, if short), as in a generated secret; not a name or a region key."""
    return (token != REDACTED and any(c.isupper() for c in token) and any(c.islower() for c in token)
            and (len(token) >= 32 or any(c.isdigit() for c in token)))


def redacted_query(query_string: str) -> str:
    """The query string, decoded, with secret-named parameters blanked and key-shaped values redacted."""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    return "&".join(f"{redact(k)}={'***' if any(s in k.lower() for s in SECRET_NAMES) else redact(v)}" for k, v in pairs)


def printable(text: str) -> str:
    """Text for one console line: control characters (a `%0A` in a path) escaped."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class RequestLog:
    """JSON lines in `<service dir>/requests.log`: who asked what, what was sent and how long it took; never a key."""

    def __init__(self, path: Path):
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._handle = open(self.path, "a", encoding="utf-8", buffering=1)  # line-buffered: each line lands whole

    def write(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, ensure_ascii=False, default=str)
        with self._lock:
            self._handle.write(line + "\n")
        progress.info("%s %s %s %s %sms", entry["status"], entry["method"], printable(entry["path"]),
                      entry.get("key_id") or "-", entry["ms"])

    def close(self) -> None:
        with self._lock:
            self._handle.close()


class LogRequests:
    """ASGI middleware: log each HTTP request with the status and bytes actually sent (not what a handler meant to send).

    A response the server could not send (an invalid header, a client gone) is logged with
    `"sent": false` and the error, never as a 200.
    """

    def __init__(self, app, log: RequestLog):
        self.app, self.log = app, log

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        outcome: dict[str, Any] = {"status": None, "bytes": 0, "complete": False, "error": None, "written": False,
                                   "length": None}

        async def sending(message):
            body = message.get("body", b"") if message["type"] == "http.response.body" else b""
            last = message["type"] == "http.response.body" and not message.get("more_body", False)
            # a client holds its whole answer when the declared length has arrived, which can be before the last
            # (empty) body message: the line is written before those bytes go out, so the client finds it in the
            # log (if they fail, a second line says so)
            whole = outcome["length"] is not None and outcome["bytes"] + len(body) >= outcome["length"]
            if (last or whole) and outcome["status"] is not None and not outcome["complete"]:
                outcome["bytes"] += len(body)
                outcome["complete"] = True
                self._write(scope, outcome, started)
            elif body:
                outcome["bytes"] += len(body)
            try:
                await send(message)
            except BaseException as error:
                outcome["error"] = f"{type(error).__name__}: {printable(str(error))[:200]}"
                outcome["complete"], outcome["written"] = False, False
                raise
            if message["type"] == "http.response.start":
                outcome["status"] = message["status"]
                declared = dict((k.lower(), v) for k, v in message.get("headers", [])).get(b"content-length")
                outcome["length"] = int(declared) if declared is not None and declared.isdigit() else None

        try:
            await self.app(scope, receive, sending)
        except BaseException as error:
            if outcome["status"] is None and outcome["error"] is None:  # the server answers 500 for it
                outcome["status"], outcome["error"] = 500, type(error).__name__
            raise
        finally:
            if not outcome["written"]:
                self._write(scope, outcome, started)

    def _write(self, scope, outcome: dict[str, Any], started: float) -> None:
        who = (scope.get("state") or {}).get("caller")
        raw_path = scope.get("raw_path") or scope.get("path", "").encode()
        entry = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "method": scope["method"],
            "path": redact(unquote(raw_path.decode("latin-1"), errors="replace")),
            "query": redacted_query(scope.get("query_string", b"").decode("latin-1")),
            "status": outcome["status"],
            "bytes": outcome["bytes"],
            "ms": round((time.perf_counter() - started) * 1000, 1),
            "key_id": who.key_id if who else None, "role": who.role if who else None,
            "county": who.county if who else None,
            "client": scope["client"][0] if scope.get("client") else None,
        }
        if not outcome["complete"] or outcome["error"]:
            entry["sent"] = False
            entry["error"] = outcome["error"] or "the response was not sent completely"
        outcome["written"] = True
        self.log.write(entry)
