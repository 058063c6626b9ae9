"""Landing zone: every downloaded file stored unchanged, with a JSON sidecar that says where it came from."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sources.genesis import SYNTHETIC_HEADER, Download

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class LandedFile:
    """A file in the landing zone and its sidecar; `unchanged` when the same bytes were already there."""

    path: Path
    sidecar_path: Path
    sha256: str
    size: int
    unchanged: bool
    source: str
    table: str
    parameters: dict[str, str]
    fetched_at: datetime
    synthetic: bool = False  # generated offline data (offline/synthetic.py), not an official file


def land(download: Download, *, landing_dir: Path, source: str, table: str, synthetic: bool = False) -> LandedFile:
    """Store the body at <landing_dir>/<source>/<table>/<table>_<params-hash12>.<ext>, plus <that name>.json.

    The file is marked synthetic when asked to or when the answer says so (`X-Imon-Synthetic: true`).
    """
    synthetic = synthetic or is_synthetic(download.headers)
    for label, name in (("source", source), ("table", table)):
        if not _SAFE_NAME.match(name):
            raise ValueError(f"{label} {name!r} cannot be used as a directory name")
    directory = Path(landing_dir) / source / table
    stem = f"{table}_{parameters_hash(download.parameters)}"
    path = directory / f"{stem}.{sniff_extension(download.body)}"
    sidecar_path = path.with_name(path.name + ".json")
    sha256 = hashlib.sha256(download.body).hexdigest()
    content_sha256 = content_hash(download.body)

    if path.is_file() and sidecar_path.is_file():
        stored = json.loads(sidecar_path.read_text(encoding="utf-8"))
        # GENESIS zips name their member after the download time (…_1773175772751_de_flat.csv), so
        # the same table downloaded twice differs in its bytes: compare what is inside the zip.
        if _file_sha256(path) == sha256 or stored.get("content_sha256") == content_sha256:
            return LandedFile(path, sidecar_path, stored["sha256"], int(stored.get("size") or path.stat().st_size), True,
                              source, table, dict(download.parameters), datetime.fromisoformat(stored["fetched_at"]),
                              synthetic or bool(stored.get("synthetic")))

    sidecar = {
        "source": source,
        "table": table,
        "parameters": download.parameters,
        "url": download.url,
        "http_status": download.http_status,
        "headers": download.headers,
        "content_type": download.content_type,
        "filename": download.filename,
        "job_name": download.job_name,
        "fetched_at": download.fetched_at.isoformat(),
        "sha256": sha256,
        "content_sha256": content_sha256,
        "size": download.size,
        "synthetic": synthetic,
    }
    directory.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, download.body)
    _write_atomically(sidecar_path, (json.dumps(sidecar, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    return LandedFile(path, sidecar_path, sha256, download.size, False, source, table,
                      dict(download.parameters), download.fetched_at, synthetic)


def content_hash(body: bytes) -> str:
    """sha256 of what a body holds: the single member of a zip (its bytes, not its name or date), else the body."""
    if body.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                members = archive.infolist()
                if len(members) == 1:
                    return hashlib.sha256(archive.read(members[0])).hexdigest()
        except (zipfile.BadZipFile, OSError, ValueError):
            pass  # a broken zip is compared by its bytes; the parser reports it
    return hashlib.sha256(body).hexdigest()


def is_synthetic(headers: dict[str, str]) -> bool:
    """Does an answer carry `X-Imon-Synthetic: true` (any spelling of the header name)?"""
    return any(key.lower() == SYNTHETIC_HEADER.lower() and str(value).strip().lower() == "true"
               for key, value in (headers or {}).items())


def parameters_hash(parameters: dict[str, str]) -> str:
    """First 12 hex digits of the SHA-256 of the parameters as sorted JSON."""
    canonical = json.dumps(parameters, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def sniff_extension(body: bytes) -> str:
    """zip, json or csv, from the first bytes of the body."""
    if body.startswith(b"PK\x03\x04"):
        return "zip"
    if body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return "json"
    return "csv"


def _file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_atomically(path: Path, content: bytes) -> None:
    """Write to a temporary file in the same directory, then rename it over the target."""
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)
    try:
        with handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def landed_files(landing_dir: Path, *, source: str, table: str) -> list[LandedFile]:
    """The files already in the landing zone for a table (each with its sidecar), as they were landed."""
    directory = Path(landing_dir) / source / table
    files = []
    for sidecar_path in sorted(directory.glob("*.json")):
        path = sidecar_path.with_name(sidecar_path.name.removesuffix(".json"))
        if not path.is_file():
            continue
        stored = json.loads(sidecar_path.read_text(encoding="utf-8"))
        files.append(LandedFile(path, sidecar_path, stored["sha256"], int(stored.get("size") or path.stat().st_size), True,
                                source, table, dict(stored.get("parameters") or {}),
                                datetime.fromisoformat(stored["fetched_at"]), bool(stored.get("synthetic"))))
    return files
