"""Seeds: small CSV tables the state office keeps by hand (sources/curated/), read as they are."""

from __future__ import annotations

import csv
import io

import pandas as pd

from sources.errors import ParseError


def parse_seed(body: bytes, *, source: str, table: str) -> pd.DataFrame:
    """A UTF-8 CSV with a header row → one string column per header field, plus `line_number`."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ParseError(f"a seed must be UTF-8 ({error.reason} at byte {error.start})", source=source, table=table) from None
    reader = csv.reader(io.StringIO(text))
    rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    if not rows:
        raise ParseError("empty file: no header and no rows", source=source, table=table, line=1)
    (_, header), data = rows[0], rows[1:]
    if not data:
        raise ParseError("header only, no rows", source=source, table=table, line=2)
    for line, row in data:
        if len(row) != len(header):
            raise ParseError(f"row has {len(row)} fields, the header has {len(header)}", source=source, table=table, line=line)
    frame = pd.DataFrame([row for _, row in data], columns=header, dtype=object)
    frame = frame.map(lambda cell: cell.strip() or None)
    frame.insert(0, "line_number", [line for line, _ in data])
    return frame
