"""Tabular answers as JSON, CSV, Parquet or XLSX, from one Arrow table.

Every CSV and XLSX cell (and column name) that a spreadsheet would read as a formula is written as
literal text (OWASP's CSV-injection rules): text starting with `=`, `+`, `-`, `@`, a tab, a carriage
return or a line feed gets a leading `'`, and XLSX cells are written as strings, never formulas. CSV lines
end in CRLF, so a field holding a carriage return is quoted and stays one cell.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import gzip
import io
import math
import re
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from fastapi.responses import Response


class Format(str, enum.Enum):
    """Output formats of the tabular endpoints."""

    json = "json"
    csv = "csv"
    parquet = "parquet"
    xlsx = "xlsx"


MEDIA_TYPES = {
    Format.csv: "text/csv; charset=utf-8",
    Format.parquet: "application/vnd.apache.parquet",
    Format.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and full-width
UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def neutralised(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, as literal text (a leading apostrophe); anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def attachment(name: str, fmt: "Format") -> str:
    """A Content-Disposition that is safe whatever the name: ASCII letters, digits, `_`, `.` and `-` only."""
    return f'attachment; filename="{UNSAFE_IN_FILE_NAME.sub("_", name)[:100] or "answer"}.{fmt.value}"'


def plain(value: Any) -> Any:
    """A value JSON can carry: NaN and infinity become null, decimals numbers, dates ISO strings."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def json_bytes(document: Any) -> bytes:
    """A document as compact UTF-8 JSON (orjson: NaN and infinity null, dates ISO, the rest through `plain`)."""
    return orjson.dumps(document, default=plain)


def json_response(document: Any, *, headers: dict[str, str] | None = None) -> Response:
    """A document as a JSON answer (see json_bytes)."""
    return Response(content=json_bytes(document), media_type="application/json", headers=headers)


@dataclass(frozen=True)
class Answer:
    """An encoded answer, kept per snapshot for the next identical request (a snapshot never changes)."""

    body: bytes
    media_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    gzipped: bool = False  # body holds the answer gzip-compressed (see `compressed`)

    @classmethod
    def compressed(cls, body: bytes, media_type: str = "application/json",
                   headers: dict[str, str] | None = None) -> "Answer":
        """An answer kept gzip-compressed: for large answers of bounded size that many ask (a profile is ~0.6 MB of
        JSON, ~0.09 MB compressed); sent as it is kept to clients that accept gzip, unpacked for the others."""
        return cls(gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0), media_type, dict(headers or {}), gzipped=True)

    @property
    def nbytes(self) -> int:
        return len(self.body)

    def response(self, accept_encoding: str | None = None) -> Response:
        """The answer; a compressed one goes out compressed if `accept_encoding` (the request's header) allows gzip."""
        headers = dict(self.headers)
        if not self.gzipped:
            return Response(content=self.body, media_type=self.media_type, headers=headers)
        headers["Vary"] = "Accept-Encoding"
        if accepts_gzip(accept_encoding):
            headers["Content-Encoding"] = "gzip"
            return Response(content=self.body, media_type=self.media_type, headers=headers)
        return Response(content=gzip.decompress(self.body), media_type=self.media_type, headers=headers)


GZIP_LEVEL = 5  # on the sample's 417 profiles: 36 MB instead of 239 MB, 7.6 ms each (level 1: 46 MB, 4.0 ms)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding header allows gzip (RFC 9110: `gzip` or `*`, unless its q is 0)."""
    allowed: dict[str, bool] = {}
    for part in (accept_encoding or "").split(","):
        name, _, parameters = part.partition(";")
        name = name.strip().lower()
        quality = parameters.strip().lower()
        if name:
            allowed[name] = not re.fullmatch(r"q\s*=\s*0(\.0{0,3})?", quality)
    return allowed.get("gzip", allowed.get("x-gzip", allowed.get("*", False)))


def tabular_answer(table: pa.Table, fmt: Format, *, name: str, document: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> Answer:
    """The table in the requested format; JSON wraps the rows in `document` under `data`."""
    headers = dict(headers or {})
    if fmt == Format.json:
        return Answer(json_bytes({**(document or {}), "row_count": table.num_rows, "data": table.to_pylist()}),
                      headers=headers)
    headers["Content-Disposition"] = attachment(name, fmt)
    return Answer(encode(table, fmt), MEDIA_TYPES[fmt], headers)


def tabular_response(table: pa.Table, fmt: Format, *, name: str, document: dict[str, Any] | None = None,
                     headers: dict[str, str] | None = None) -> Response:
    """The table in the requested format as a response (see tabular_answer)."""
    return tabular_answer(table, fmt, name=name, document=document, headers=headers).response()


def encode(table: pa.Table, fmt: Format) -> bytes:
    """CSV, Parquet or XLSX bytes of an Arrow table."""
    if fmt == Format.parquet:
        buffer = pa.BufferOutputStream()
        pq.write_table(table, buffer)
        return buffer.getvalue().to_pybytes()
    # whole numbers with gaps stay whole numbers (250, not 250.0); names and text cells never become formulas
    import pandas as pd

    integers = {t: pd.Int64Dtype() for t in (pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(),
                                             pa.uint32())}
    frame = table.to_pandas(types_mapper=integers.get)
    frame.columns = [str(neutralised(str(c))) for c in frame.columns]
    for position, column in enumerate(table.schema):
        if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type) or pa.types.is_temporal(column.type)
                or pa.types.is_boolean(column.type) or pa.types.is_decimal(column.type)):
            frame.iloc[:, position] = frame.iloc[:, position].map(neutralised).astype(object)
    if fmt == Format.csv:
        # RFC 4180 line ends: with a bare \n as terminator, a field holding a lone \r went unquoted, and a
        # spreadsheet started a new row at it (the text after it, e.g. `=1+1`, at the start of a cell)
        return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8")
    if fmt == Format.xlsx:
        return _xlsx(frame)
    raise ValueError(f"no encoder for {fmt}")


def _xlsx(frame) -> bytes:
    """The frame as one sheet; every text cell a string cell (openpyxl would turn `=…` into a formula)."""
    import pandas as pd
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import TYPE_STRING

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("data")

    def cell(value):
        if isinstance(value, str):
            text = WriteOnlyCell(sheet, value=value)
            text.data_type = TYPE_STRING
            return text
        if value is None or (isinstance(value, float) and not math.isfinite(value)) or pd.isna(value):
            return None
        if isinstance(value, pd.Timestamp) and value.tzinfo is not None:  # Excel has no time zones
            return value.tz_convert("UTC").tz_localize(None).to_pydatetime()
        if isinstance(value, (int, float, decimal.Decimal, dt.date, dt.datetime, dt.time)):
            return value
        if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # numpy scalars
            return cell(value.item())
        return cell(str(neutralised(str(plain(value)))))

    sheet.append([cell(name) for name in frame.columns])
    for values in frame.itertuples(index=False, name=None):
        sheet.append([cell(value) for value in values])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
