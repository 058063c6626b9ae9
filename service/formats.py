"""Tabular answers as JSON, CSV, Parquet or XLSX, from one Arrow table."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import io
import math
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

    @property
    def nbytes(self) -> int:
        return len(self.body)

    def response(self) -> Response:
        return Response(content=self.body, media_type=self.media_type, headers=dict(self.headers))


def tabular_answer(table: pa.Table, fmt: Format, *, name: str, document: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> Answer:
    """The table in the requested format; JSON wraps the rows in `document` under `data`."""
    headers = dict(headers or {})
    if fmt == Format.json:
        return Answer(json_bytes({**(document or {}), "row_count": table.num_rows, "data": table.to_pylist()}),
                      headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt.value}"'
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
    frame = table.to_pandas()
    if fmt == Format.csv:
        return frame.to_csv(index=False).encode("utf-8")
    if fmt == Format.xlsx:
        for column in frame.columns:
            series = frame[column]
            if getattr(series.dtype, "tz", None) is not None:  # Excel has no time zones
                frame[column] = series.dt.tz_convert("UTC").dt.tz_localize(None)
            elif series.dtype == object:
                frame[column] = series.map(lambda v: v if v is None or isinstance(v, (str, int, float, decimal.Decimal, dt.date))
                                           else str(plain(v)))
        buffer = io.BytesIO()
        frame.to_excel(buffer, index=False, sheet_name="data", engine="openpyxl")
        return buffer.getvalue()
    raise ValueError(f"no encoder for {fmt}")
