"""ASGI middleware that guards the service before and after the routes: request bodies, answer sizes, browser headers.

- `BodyGate`: a request with a body to `/api` needs a valid key (401) and a declared size within the
  limit (413) before a byte of its body is read; a body sent without a length is counted while it is
  read and refused (413) as soon as it passes the limit.
- `AnswerCap`: no `/api` answer larger than the byte cap leaves the service (413 instead, with the reason).
- `SecurityHeaders`: `X-Content-Type-Options`, `X-Frame-Options`, `Referrer-Policy` and a
  Content-Security-Policy that allows only the service's own scripts, styles and connections.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Callable

from starlette.exceptions import HTTPException

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
DEFAULT_BODY_BYTES = 1024 * 1024  # any /api body but an upload and a statement

PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
               "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def _json(status: int, detail: str, **extra) -> tuple[dict, bytes]:
    body = json.dumps({"detail": detail, **extra}).encode()
    start = {"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]}
    return start, body


async def _answer(send, status: int, detail: str, headers: list[tuple[bytes, bytes]] = (), **extra) -> None:
    start, body = _json(status, detail, **extra)
    start["headers"] += list(headers)
    await send(start)
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(HTTPException):
    """A body that passed its limit while it was read (a Starlette HTTPException, so FastAPI answers it as such)."""

    def __init__(self, limit: int):
        super().__init__(413, f"the request body is larger than the limit of {limit / 1024 / 1024:g} MB")


class BodyGate:
    """Refuse bodies before reading them: no valid key → 401, a county's upload only from a county key (403), too large → 413."""

    def __init__(self, app, *, authenticate: Callable[[str], object | None], limits: Callable[[str], int]):
        self.app, self.authenticate, self.limits = app, authenticate, limits

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS or not scope["path"].startswith("/api/"):
            return await self.app(scope, receive, send)
        headers = {k.lower(): v for k, v in scope["headers"]}
        scheme, _, key = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        caller = self.authenticate(key.strip()) if scheme.lower() == "bearer" and key.strip() else None
        if caller is None:
            return await _answer(send, 401, "send a valid API key as `Authorization: Bearer <key>` "
                                            "(create one with `imon keys create`)",
                                 [(b"www-authenticate", b"Bearer"), (b"connection", b"close")])
        if scope["path"].startswith("/api/uploads/") and (caller.is_state_office or not caller.county):
            return await _answer(send, 403, "uploads go into a county's own area: use that county's key",
                                 [(b"connection", b"close")])
        limit = self.limits(scope["path"])
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                return await _answer(send, 400, "Content-Length is not a number", [(b"connection", b"close")])
            if int(declared) > limit:
                return await _answer(send, 413, f"the request body is larger than the limit of {limit / 1024 / 1024:g} MB",
                                     [(b"connection", b"close")])
        read = 0

        async def counting():
            nonlocal read
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > limit:
                    raise BodyTooLarge(limit)
            return message

        started = False

        async def sending(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, sending)
        except BodyTooLarge as error:  # raised outside a route (e.g. while a form is parsed)
            if started:
                raise
            await _answer(send, 413, error.detail, [(b"connection", b"close")])


class AnswerCap:
    """No answer body over `max_bytes`: a declared larger one becomes a 413; an undeclared one is cut off and aborted."""

    def __init__(self, app, *, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        # answers built from the data (the API, the reports); the service's own pages and assets are not
        if scope["type"] != "http" or not scope["path"].startswith(("/api/", "/report/")):
            return await self.app(scope, receive, send)
        refused = False
        sent = 0

        async def capped(message):
            nonlocal refused, sent
            if refused:
                return
            if message["type"] == "http.response.start":
                length = dict((k.lower(), v) for k, v in message.get("headers", [])).get(b"content-length")
                if length is not None and length.isdigit() and int(length) > self.max_bytes:
                    refused = True
                    return await _answer(send, 413, f"the answer would be {int(length) / 1024 / 1024:.1f} MB, more than "
                                                    f"the limit of {self.max_bytes / 1024 / 1024:g} MB; narrow the "
                                                    "request down (filters, fewer columns or rows)")
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
                if sent > self.max_bytes:
                    raise RuntimeError(f"an answer passed the limit of {self.max_bytes} bytes while it was streamed")
            await send(message)

        await self.app(scope, receive, capped)


class SecurityHeaders:
    """Browser protections on every answer; the API docs page also allows its one inline script (by hash)."""

    def __init__(self, app, *, docs_path: str = "/docs", docs_html: Callable[[], bytes] | None = None):
        self.app, self.docs_path = app, docs_path
        self._docs_html = docs_html
        self._docs_policy: str | None = None

    def policy(self, path: str) -> str:
        if path != self.docs_path or self._docs_html is None:
            return PAGE_POLICY
        if self._docs_policy is None:
            hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
                              for s in re.findall(r"<script>(.*?)</script>", self._docs_html().decode(), re.DOTALL))
            self._docs_policy = PAGE_POLICY.replace("script-src 'self'", f"script-src 'self' {hashes}").replace(
                "style-src 'self'", "style-src 'self' 'unsafe-inline'")  # Swagger UI sets inline styles
        return self._docs_policy

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                         (b"referrer-policy", b"no-referrer"),
                         (b"content-security-policy", self.policy(scope["path"]).encode())]
                if scope["path"].startswith("/api/"):
                    extra.append((b"cache-control", b"no-store"))  # answers may hold a county's data
                message = {**message, "headers": headers + [(k, v) for k, v in extra if k not in present]}
            await send(message)

        await self.app(scope, receive, with_headers)
