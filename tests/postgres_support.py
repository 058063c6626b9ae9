"""A PostgreSQL database of its own for a test: created on the machine's server (127.0.0.1:5432), dropped afterwards."""

from __future__ import annotations

import asyncio
import os
import uuid
from contextlib import contextmanager
from typing import Iterator

import asyncpg

HOST = os.environ.get("IMON_TEST_PGHOST", "127.0.0.1")
PORT = int(os.environ.get("IMON_TEST_PGPORT", "5432"))
USER = os.environ.get("IMON_TEST_PGUSER", "postgres")


async def _execute(*statements: str, database: str = "postgres") -> None:
    connection = await asyncpg.connect(host=HOST, port=PORT, user=USER, database=database, timeout=10)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def execute(*statements: str, database: str = "postgres") -> None:
    """Run statements on the server (outside a transaction block, as CREATE DATABASE needs)."""
    asyncio.run(_execute(*statements, database=database))


def reachable() -> str | None:
    """None when the server answers, else why not (the reason a test states when it cannot run)."""
    try:
        execute("SELECT 1")
    except Exception as error:  # any refusal means: no server for these tests here
        return f"no PostgreSQL server at {HOST}:{PORT} as {USER}: {error}"
    return None


def require() -> None:
    """Fail the calling test (never skip it) when the server does not answer: CI must run these tests."""
    unreachable = reachable()
    if unreachable:
        import pytest

        pytest.fail(f"this test needs PostgreSQL (README, make test): {unreachable}; start it or set "
                    "IMON_TEST_PGHOST, IMON_TEST_PGPORT, IMON_TEST_PGUSER", pytrace=False)


@contextmanager
def database(prefix: str = "imon_test") -> Iterator[str]:
    """A new, empty database; its name is yielded, and it is dropped (connections ended) at the end."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()",
                f'DROP DATABASE IF EXISTS "{name}"')
