"""Errors raised by the sources layer. Each names the source, the table and, where known, the line."""

from __future__ import annotations


class SourceError(Exception):
    """A source could not deliver or parse a table.

    The message always starts with where the problem is, so a statistician reading a log
    line knows which file to look at: ``regio 13211-02-05-4, line 17: …``.
    """

    def __init__(self, message: str, *, source: str = "", table: str = "", line: int | None = None):
        self.source = source
        self.table = table
        self.line = line
        self.reason = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = " ".join(part for part in (self.source, self.table) if part)
        if self.line is not None:
            where = f"{where}, line {self.line}" if where else f"line {self.line}"
        return f"{where}: {self.reason}" if where else self.reason


class ParseError(SourceError):
    """The bytes of a table are not in a layout we can read, or contain a value we cannot trust."""


class FetchError(SourceError):
    """The service did not deliver the table (network, HTTP, or a GENESIS status that is not success)."""


class GenesisStatusError(FetchError):
    """GENESIS answered with a status code other than success; carries the code and the text."""

    def __init__(self, message: str, *, code: int, status_text: str, **where):
        self.code = code
        self.status_text = status_text
        super().__init__(message, **where)


class NetworkError(FetchError):
    """The service stayed unreachable or kept failing (connection, timeout, HTTP 5xx) after the client's retries.

    Worth retrying later; every other FetchError is an answer that retrying will not change.
    """


class NotDelivered(FetchError):
    """A county or the state office has not delivered an optional file (yet): no error, nothing to load."""
