"""Turn the bytes of a table file into the long format: sniff the container and layout, then dispatch."""

from __future__ import annotations

import io
import json
import re
import zipfile
import zlib

import pandas as pd

from sources.ba_export import parse_ba_export
from sources.classic_csv import parse_classic
from sources.declared_file import parse_declared_file
from sources.errors import ParseError
from sources.ffcsv import parse_ffcsv, parse_legacy_ffcsv
from sources.gv100ad import parse_gv100ad
from sources.seed import parse_seed

ZIP_MAGIC = b"PK\x03\x04"
UTF8_BOM = b"\xef\xbb\xbf"
CLASSIC_TITLE = re.compile(r"(?:GENESIS-)?Tabelle:")
DECLARED_LAYOUTS = ("ffcsv", "classic", "ba_export", "gv100ad", "declared", "seed")
# Only the classic download and the BA export may come as Windows-1252 (the classic download is).
CP1252_LAYOUTS = ("classic", "ba_export")


def parse_table(
    body: bytes,
    *,
    source: str,
    table: str,
    layout: str = "ffcsv",
    classic_layout: dict | None = None,
    declaration: dict | None = None,
) -> pd.DataFrame:
    """Parse one table file (bytes as delivered) into the long format of sources/README.md.

    The municipality register (layout `gv100ad`) is not a statistic: it gives one row per
    register record, see sources/gv100ad.py. Layout `declared` (a county's own CSV or XLSX) is read
    by its `declaration` (sources/declared_file.py); the flow passes it as `classic_layout`, the
    field TableSpec keeps it in.
    """
    where = {"source": source, "table": table}
    if layout not in DECLARED_LAYOUTS:
        raise ParseError(f"unknown layout {layout!r} in sources/tables.yaml", **where)
    if layout == "declared":
        reject_non_data(body, **where)
        declaration = declaration if declaration is not None else classic_layout
        return parse_declared_file(body, declaration=declaration, **where)  # an XLSX is a zip: no unzipping
    body = unzip_single_member(body, **where) if body.startswith(ZIP_MAGIC) else body
    reject_non_data(body, **where)
    if layout == "gv100ad":
        return parse_gv100ad(body, **where)
    if layout == "seed":
        return parse_seed(body, **where)
    text, encoding = decode(body, **where)
    found = detect_layout(text, **where)
    check_layout(found, declared=layout, encoding=encoding, body=body, **where)
    if found == "ffcsv":
        return parse_ffcsv(text, **where)
    if found == "legacy_ffcsv":
        return parse_legacy_ffcsv(text, **where)
    if found == "ba_export":
        return parse_ba_export(text, **where)
    if not classic_layout:
        raise ParseError("a classic table file needs a classic_layout declaration in sources/tables.yaml", **where)
    return parse_classic(text, layout=classic_layout, **where)


def unzip_single_member(body: bytes, *, source: str, table: str) -> bytes:
    """The one file inside a ZIP archive (GENESIS always sends exactly one)."""
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            names = archive.namelist()
            if len(names) != 1:
                raise ParseError(
                    f"ZIP archive has {len(names)} members, expected exactly one: {names}", source=source, table=table
                )
            return archive.read(names[0])
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise ParseError(f"truncated or corrupt ZIP archive ({error})", source=source, table=table) from error


def reject_non_data(body: bytes, *, source: str, table: str) -> None:
    """Refuse empty bodies, GENESIS JSON status answers and HTML pages."""
    start = body.removeprefix(UTF8_BOM).lstrip()
    if not start:
        raise ParseError("empty file: no header and no data rows", source=source, table=table, line=1)
    if start.startswith(b"{"):
        raise ParseError(genesis_status_message(start), source=source, table=table, line=1)
    if start[:20].lower().startswith((b"<!doctype", b"<html")):
        raise ParseError(
            "an HTML page instead of data (maintenance page or wrong URL?)", source=source, table=table, line=1
        )


def genesis_status_message(body: bytes) -> str:
    """Describe a GENESIS JSON answer: its Status Code and Content text."""
    try:
        status = json.loads(body.decode("utf-8", errors="replace")).get("Status") or {}
    except (ValueError, AttributeError):
        return "a JSON body instead of data, and not a GENESIS status answer"
    if not isinstance(status, dict):
        return f"a GENESIS status answer instead of data: {status}"
    code, kind, content = status.get("Code"), status.get("Type"), status.get("Content")
    return f"a GENESIS status answer instead of data: code {code} ({kind}): {content}"


def decode(body: bytes, *, source: str, table: str) -> tuple[str, str]:
    """Text and encoding: UTF-8 (BOM optional), else Windows-1252."""
    try:
        return body.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return body.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as error:
        line = body[: error.start].count(b"\n") + 1
        raise ParseError("neither UTF-8 nor Windows-1252 text", source=source, table=table, line=line) from error


def detect_layout(text: str, *, source: str, table: str) -> str:
    """Which layout the text is in, from its first non-empty line."""
    lines = enumerate(text.splitlines(), start=1)
    number, line = next(((number, line) for number, line in lines if line.strip()), (1, ""))
    if line.startswith("statistics_code;"):
        return "ffcsv"
    if line.startswith("Statistik_Code;"):
        return "legacy_ffcsv"
    if CLASSIC_TITLE.match(line):
        return "classic"
    if line.startswith('"Region";'):
        return "ba_export"
    raise ParseError(f"unknown file layout, first line starts {line[:60]!r}", source=source, table=table, line=number)


def check_layout(found: str, *, declared: str, encoding: str, body: bytes, source: str, table: str) -> None:
    """GENESIS files must not be declared BA exports (and back); only classic and BA files may be cp1252."""
    if (declared == "ba_export") != (found == "ba_export"):
        raise ParseError(
            f"sources/tables.yaml declares layout {declared}, the file is {found}", source=source, table=table, line=1
        )
    if encoding == "cp1252" and found not in CP1252_LAYOUTS:
        position = utf8_error_position(body)
        raise ParseError(
            f"{found} file is not valid UTF-8 (byte 0x{body[position]:02x}); refusing to guess the encoding",
            source=source, table=table, line=body[:position].count(b"\n") + 1,
        )


def utf8_error_position(body: bytes) -> int:
    """Offset of the first byte that is not valid UTF-8."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start
    return 0
