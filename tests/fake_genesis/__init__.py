"""A local fake of the GENESIS REST services for tests (see server.py)."""

from .server import FakeGenesis, Fault, RecordedRequest, Reply

__all__ = ["FakeGenesis", "Fault", "RecordedRequest", "Reply"]
