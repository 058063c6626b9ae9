"""API keys: one per county and for the state office, stored hashed in the service's own SQLite store.

A key reads `imon_<key id>_<secret>`. The key id is public (it names the key in `imon keys list`,
in `imon keys revoke` and in the request log); only a salted SHA-256 of the secret is stored. The
secret is 32 random bytes, so a slow password hash would add nothing but latency to every request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

STATE_OFFICE = "state_office"
COUNTY = "county"
KEY_PATTERN = re.compile(r"^imon_([0-9a-f]{10})_([A-Za-z0-9_-]{20,})$")
COUNTY_PATTERN = re.compile(r"^\d{5}$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_key (
    key_id     TEXT PRIMARY KEY,
    role       TEXT NOT NULL CHECK (role IN ('state_office', 'county')),
    county     TEXT,               -- 5-digit Kreis key for role county
    label      TEXT,
    salt       BLOB NOT NULL,
    key_hash   BLOB NOT NULL,      -- sha256(salt || secret)
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
"""


@dataclass(frozen=True)
class Caller:
    """Who sent a request: the key id, the role and, for a county, its 5-digit Kreis key."""

    key_id: str
    role: str
    county: str | None = None

    @property
    def is_state_office(self) -> bool:
        return self.role == STATE_OFFICE

    def may_read_county(self, county: str) -> bool:
        """The state office reads every county area; a county only its own."""
        return self.is_state_office or self.county == county


@dataclass(frozen=True)
class KeyRecord:
    """A key as `imon keys list` shows it (never the secret)."""

    key_id: str
    role: str
    county: str | None
    label: str | None
    created_at: str
    revoked_at: str | None


class KeyStore:
    """The hashed API keys in `<service dir>/access.sqlite3`."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as connection, connection:
            connection.executescript(SCHEMA)
        self._reader: sqlite3.Connection | None = None  # authenticate's, opened at the first request
        self._reader_lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=10)
        connection.execute("PRAGMA journal_mode=WAL")  # the CLI writes keys while the service reads them
        return connection

    def create(self, *, role: str, county: str | None = None, label: str | None = None) -> tuple[str, str]:
        """A new key: returns (key id, the key itself); the key is not stored and cannot be shown again."""
        if role not in (STATE_OFFICE, COUNTY):
            raise ValueError(f"role must be {STATE_OFFICE} or {COUNTY}")
        if role == COUNTY and not (county and COUNTY_PATTERN.match(county)):
            raise ValueError("a county key needs the 5-digit Kreis key, e.g. 09162")
        if role == STATE_OFFICE:
            county = None
        key_id, secret, salt = secrets.token_hex(5), secrets.token_urlsafe(32), secrets.token_bytes(16)
        with closing(self._connect()) as connection, connection:
            connection.execute(
                "INSERT INTO api_key (key_id, role, county, label, salt, key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [key_id, role, county, label, salt, _digest(salt, secret), _now()],
            )
        return key_id, f"imon_{key_id}_{secret}"

    def revoke(self, key_id: str) -> bool:
        """Revoke a key; False if there is no such active key."""
        with closing(self._connect()) as connection, connection:
            cursor = connection.execute("UPDATE api_key SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                                        [_now(), key_id])
            return cursor.rowcount == 1

    def close(self) -> None:
        """Close authenticate's connection (at shutdown)."""
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    def list(self) -> list[KeyRecord]:
        """Every key, active and revoked, oldest first."""
        with closing(self._connect()) as connection:
            rows = connection.execute(
                "SELECT key_id, role, county, label, created_at, revoked_at FROM api_key ORDER BY created_at, key_id"
            ).fetchall()
        return [KeyRecord(*row) for row in rows]

    def authenticate(self, key: str) -> Caller | None:
        """The caller a presented key belongs to, or None if it is unknown, wrong or revoked."""
        match = KEY_PATTERN.match(key.strip())
        if not match:
            return None
        key_id, secret = match.groups()
        with self._reader_lock:  # one connection for every request: opening one per request cost more than the query
            if self._reader is None:
                self._reader = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
            row = self._reader.execute(
                "SELECT role, county, salt, key_hash FROM api_key WHERE key_id = ? AND revoked_at IS NULL", [key_id]
            ).fetchone()
        if row is None or not hmac.compare_digest(_digest(row[2], secret), row[3]):
            return None
        return Caller(key_id=key_id, role=row[0], county=row[1])


def _digest(salt: bytes, secret: str) -> bytes:
    return hashlib.sha256(salt + secret.encode("utf-8")).digest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
