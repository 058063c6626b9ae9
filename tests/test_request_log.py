"""The request log middleware on its own: when the line is written, and what it says of an answer that failed."""

from __future__ import annotations

import asyncio
import json

import pytest

from service.request_log import LogRequests, RequestLog, redact

SCOPE = {"type": "http", "method": "GET", "path": "/api/values", "raw_path": b"/api/values",
         "query_string": b"region=09162&key=imon_0123456789_SECRETsecret123", "client": ("127.0.0.1", 5000)}


def body_in_two_messages(body: bytes):
    """An app that sends its whole declared body, then the closing empty message (as a streamed answer does)."""
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    return app


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_line_is_written_before_the_client_holds_its_whole_answer(tmp_path):
    log = RequestLog(tmp_path / "requests.log")
    lines_when_sent = []

    async def send(message):
        if message["type"] == "http.response.body" and message["body"]:
            lines_when_sent.append(len(lines(log.path)))

    asyncio.run(LogRequests(body_in_two_messages(b'{"data": []}'), log)(SCOPE, None, send))
    log.close()
    assert lines_when_sent == [1]
    [entry] = lines(log.path)
    assert (entry["status"], entry["bytes"], "sent" in entry) == (200, 12, False)
    assert entry["query"] == "region=09162&key=***" and "SECRET" not in log.path.read_text()


def test_an_answer_the_client_did_not_get_is_logged_as_not_sent(tmp_path):
    log = RequestLog(tmp_path / "requests.log")

    async def send(message):
        if message["type"] == "http.response.body" and message["body"]:
            raise ConnectionResetError("client gone")

    with pytest.raises(ConnectionResetError):
        asyncio.run(LogRequests(body_in_two_messages(b"0123456789"), log)(SCOPE, None, send))
    log.close()
    first, second = lines(log.path)
    assert first["status"] == second["status"] == 200
    assert "sent" not in first and second["sent"] is False and "client gone" in second["error"]


def test_a_key_in_the_path_keeps_its_id_and_loses_its_secret():
    assert redact("/profile/imon_0123456789_SECRETsecret123") == "/profile/imon_0123456789_[redacted]"
