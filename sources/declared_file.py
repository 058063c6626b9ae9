"""A table a county or the state office delivers as CSV or XLSX, read as its declaration says → long format.

The declaration (sources/tables.yaml, `layout: declared`) names the columns; the file needs no
GENESIS codes. Example and every key: sources/README.md, "Counties' own files".

    declaration:
      format: csv                      # csv or xlsx
      encoding: utf-8                  # csv: utf-8 (BOM optional) or cp1252
      delimiter: ";"                   # csv
      decimal: ","                     # "," or "."
      thousands: "."                   # optional
      header_row: 1                    # line (csv) or sheet row (xlsx) of the column names
      sheet: Daten                     # xlsx: the sheet, default the first
      region: {column: AGS, key: ags, label_column: Kreis}    # key: ags (2, 5, 8 digits) or ars (12)
      period: {column: Jahr, type: year}                      # type: year or date
      values:
        - {column: Ausländer, value_variable: AUSL01, unit: Anzahl, classifiers: {nat: NATA}}
      signs: ["k.A."]                  # optional special signs besides GENESIS' and the BA's `*`

Every long row carries the line of the file it came from (for XLSX: the sheet row).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime
from typing import Any

import pandas as pd

from sources.errors import ParseError
from sources.long_format import GENESIS_SIGNS, TOTAL_LABEL, ordered

FORMATS = ("csv", "xlsx")
ENCODINGS = ("utf-8", "cp1252")
KEY_LENGTHS = {"ags": (2, 5, 8), "ars": (12,)}
REGION_VARIABLES = {2: "DLAND", 5: "KREISE", 8: "GEMEIN", 12: "ARS"}
PERIOD_TYPES = {"year": "JAHR", "date": "STAG"}
DEFAULT_SIGNS = GENESIS_SIGNS | {"*"}
GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

Row = tuple[int, list[Any]]


def parse_declared_file(body: bytes, *, declaration: dict | None, source: str, table: str) -> pd.DataFrame:
    """Parse a CSV or XLSX file as its declaration says (see the module docstring)."""
    where = {"source": source, "table": table}
    declaration = check_declaration(declaration, **where)
    rows = read_xlsx(body, declaration, **where) if declaration["format"] == "xlsx" else read_csv(body, declaration, **where)
    header_line = int(declaration.get("header_row", 1))
    header = next((cells for line, cells in rows if line == header_line), None)
    if header is None:
        raise ParseError(f"no header at line {header_line} (header_row)", **where, line=header_line)
    positions = column_positions([text(cell) for cell in header], declaration, line=header_line, **where)
    data = [(line, cells) for line, cells in rows if line > header_line and any(text(cell) for cell in cells)]
    if not data:
        raise ParseError("header only, no data rows", **where, line=header_line + 1)
    return to_long_format(data, positions, declaration, **where)


def check_declaration(declaration: dict | None, *, source: str, table: str) -> dict:
    """The declaration with its required keys checked; a ParseError says what is missing or wrong."""
    def refuse(problem: str) -> ParseError:
        return ParseError(f"declaration in the tables file: {problem}", source=source, table=table)

    if not isinstance(declaration, dict):
        raise refuse("missing; a `layout: declared` table needs a `declaration:` block")
    if declaration.get("format") not in FORMATS:
        raise refuse(f"format must be one of {', '.join(FORMATS)}, not {declaration.get('format')!r}")
    region, period, values = declaration.get("region"), declaration.get("period"), declaration.get("values")
    if not isinstance(region, dict) or not region.get("column") or region.get("key") not in KEY_LENGTHS:
        raise refuse("region needs column and key (ags: 2, 5 or 8 digits; ars: 12 digits)")
    if not isinstance(period, dict) or not period.get("column") or period.get("type") not in PERIOD_TYPES:
        raise refuse("period needs column and type (year or date)")
    if not values or not isinstance(values, list):
        raise refuse("values needs at least one value column")
    for number, column in enumerate(values, start=1):
        missing = [key for key in ("column", "value_variable", "unit") if not (isinstance(column, dict) and column.get(key))]
        if missing:
            raise refuse(f"value column {number} lacks {', '.join(missing)}")
    if declaration.get("decimal", ",") not in (",", "."):
        raise refuse("decimal must be ',' or '.'")
    if declaration.get("thousands") and declaration.get("thousands") == declaration.get("decimal", ","):
        raise refuse("thousands and decimal separator must differ")
    if declaration["format"] == "csv" and declaration.get("encoding", "utf-8").lower() not in ENCODINGS:
        raise refuse(f"encoding must be one of {', '.join(ENCODINGS)}")
    return declaration


def read_csv(body: bytes, declaration: dict, *, source: str, table: str) -> list[Row]:
    """Rows of a CSV file with the line each ends on (a quoted field may span lines)."""
    encoding = declaration.get("encoding", "utf-8").lower()
    try:
        content = body.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError as error:
        raise ParseError(f"not valid {encoding} (byte 0x{body[error.start]:02x}); check encoding in the declaration",
                         source=source, table=table, line=body[: error.start].count(b"\n") + 1) from None
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=declaration.get("delimiter", ";"))
    try:
        return [(reader.line_num, row) for row in reader]
    except csv.Error as error:
        raise ParseError(f"unreadable CSV ({error})", source=source, table=table, line=reader.line_num) from None


def read_xlsx(body: bytes, declaration: dict, *, source: str, table: str) -> list[Row]:
    """Rows of one sheet of an XLSX workbook, numbered as the sheet numbers them."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(body), data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ParseError(f"not a readable XLSX workbook ({error})", source=source, table=table) from None
    sheet_name = declaration.get("sheet")
    if sheet_name is not None and sheet_name not in workbook.sheetnames:
        raise ParseError(f"no sheet {sheet_name!r}; the workbook has {workbook.sheetnames}", source=source, table=table)
    sheet = workbook[sheet_name] if sheet_name is not None else workbook.worksheets[0]
    return [(number, list(cells)) for number, cells in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)]


def column_positions(header: list[str], declaration: dict, *, line: int, source: str, table: str) -> dict[str, int]:
    """Position of every declared column in the header; a missing or repeated name is an error."""
    region, period = declaration["region"], declaration["period"]
    wanted = [region["column"], period["column"], *[column["column"] for column in declaration["values"]]]
    if region.get("label_column"):
        wanted.append(region["label_column"])
    positions = {}
    for name in wanted:
        found = [position for position, label in enumerate(header) if label == str(name).strip()]
        if len(found) != 1:
            problem = "is not in the header" if not found else "appears more than once in the header"
            raise ParseError(f"declared column {name!r} {problem}; header: {[label for label in header if label]}",
                             source=source, table=table, line=line)
        positions[name] = found[0]
    return positions


def to_long_format(data: list[Row], positions: dict[str, int], declaration: dict, *, source: str, table: str) -> pd.DataFrame:
    """One long row per data row and declared value column."""
    where = {"source": source, "table": table}
    region, period = declaration["region"], declaration["period"]
    columns = declaration["values"]
    variables = sorted({name for column in columns for name in column.get("classifiers") or {}})
    signs = DEFAULT_SIGNS | {str(sign) for sign in declaration.get("signs") or ()}
    records = []
    for line, cells in data:
        def cell(name: str) -> Any:
            return cells[positions[name]] if positions[name] < len(cells) else None

        key = region_key(cell(region["column"]), region["key"], line=line, **where)
        label = text(cell(region["label_column"])) if region.get("label_column") else ""
        row = {
            "table_code": table,
            "line_number": line,
            "time_code": PERIOD_TYPES[period["type"]],
            "reference_time": reference_time(cell(period["column"]), period["type"], line=line, **where),
            "region_variable": "DINSG" if key == "DG" else REGION_VARIABLES[len(key)],
            "region_key": key,
            "region_label": label or None,
        }
        for column in columns:
            value, flag = number_or_sign(cell(column["column"]), declaration, signs, column=column["column"], line=line, **where)
            records.append({
                **row,
                **classifier_pairs(column, variables),
                "value_variable": str(column["value_variable"]),
                "value_variable_label": str(column.get("label") or column["column"]),
                "value_unit": str(column["unit"]),
                "value": value,
                "value_flag": flag,
                "value_quality": None,
            })
    return ordered(pd.DataFrame.from_records(records))


def region_key(raw: Any, kind: str, *, line: int, source: str, table: str) -> str:
    """The regional key as a string of digits (or DG); a leading zero lost by a spreadsheet is restored."""
    key = text(raw)
    if key.upper() == "DG":
        return "DG"
    lengths = KEY_LENGTHS[kind]
    # Spreadsheets store keys as numbers and drop the leading zero of Länder 01–09 (01001 → 1001):
    # a key one digit short of a valid length that starts with 1–9 lost exactly that zero.
    if key.isdigit() and len(key) + 1 in lengths and not key.startswith("0"):
        key = "0" + key
    if not key.isdigit() or len(key) not in lengths:
        expected = ", ".join(str(length) for length in lengths[:-1]) + (" or " if len(lengths) > 1 else "") + str(lengths[-1])
        raise ParseError(f"regional key {text(raw)!r} is not an {kind.upper()} of {expected} digits",
                         source=source, table=table, line=line)
    return key


def reference_time(raw: Any, kind: str, *, line: int, source: str, table: str) -> str:
    """A year (`2024`) or an ISO date (`2024-12-31`) from a cell or a text (31.12.2024 or 2024-12-31)."""
    if kind == "year":
        year = text(raw)
        if re.fullmatch(r"\d{4}", year):
            return year
        raise ParseError(f"period {year!r} is not a year (YYYY)", source=source, table=table, line=line)
    if isinstance(raw, (datetime, date)):
        return (raw.date() if isinstance(raw, datetime) else raw).isoformat()
    value = text(raw)
    german = GERMAN_DATE.fullmatch(value)
    try:
        if german:
            return date(int(german[3]), int(german[2]), int(german[1])).isoformat()
        if ISO_DATE.fullmatch(value):
            return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise ParseError(f"period {value!r} is not a date (DD.MM.YYYY or YYYY-MM-DD)", source=source, table=table, line=line)


def number_or_sign(raw: Any, declaration: dict, signs: set[str], *, column: str, line: int,
                   source: str, table: str) -> tuple[float | None, str | None]:
    """(value, None) for a number, (None, sign) for a special sign; anything else is an error."""
    if isinstance(raw, bool):
        raise ParseError(f"column {column!r}: {raw!r} is not a number", source=source, table=table, line=line)
    if isinstance(raw, (int, float)):
        return float(raw), None
    value = text(raw)
    if value in signs:
        return None, value
    if not value:
        raise ParseError(f"column {column!r}: empty value; write a special sign ('.' unknown or secret, "
                         "'-' nothing) or declare the file's own sign under signs", source=source, table=table, line=line)
    decimal, thousands = declaration.get("decimal", ","), declaration.get("thousands") or ""
    digits = r"\d+" if not thousands else rf"(?:\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+|\d+)"
    if not re.fullmatch(rf"-?{digits}(?:{re.escape(decimal)}\d+)?", value):
        raise ParseError(f"column {column!r}: {value!r} is neither a number (decimal {decimal!r}"
                         f"{f', thousands {thousands!r}' if thousands else ''}) nor a special sign",
                         source=source, table=table, line=line)
    if thousands:
        value = value.replace(thousands, "")
    return float(value.replace(decimal, ".")), None


def classifier_pairs(column: dict, variables: list[str]) -> dict[str, str | None]:
    """Code and label per classifying variable: declared code (label given or the column name), null = total."""
    declared = column.get("classifiers") or {}
    pairs: dict[str, str | None] = {}
    for variable in variables:
        attribute = declared.get(variable)
        if isinstance(attribute, dict):
            code, label = attribute.get("code"), attribute.get("label")
        else:
            code, label = attribute, None
        pairs[variable] = None if code is None else str(code)
        if variable not in declared:
            pairs[f"{variable}_label"] = None
        else:
            pairs[f"{variable}_label"] = str(label or column["column"]) if code is not None else TOTAL_LABEL
    return pairs


def text(cell: Any) -> str:
    """A cell as trimmed text; whole numbers without `.0` (spreadsheets hand out 2024.0)."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()
