"""A local Regionalatlas query service over real HTTP, answering from tests/fixtures/regionalatlas/."""

from .server import FakeRegionalatlas

__all__ = ["FakeRegionalatlas"]
