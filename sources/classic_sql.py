"""A classic GENESIS table file turned into the long format by DuckDB: no Python code splits, checks or converts a row.

The title block and the column headers (a dozen lines) are read and checked in Python with the
functions of sources/classic_csv.py; the data block up to the footer goes to DuckDB as it is, one
Arrow column of lines, where it is split, checked, unpivoted (one row per value column) and typed, with a
special sign as NULL plus `value_flag`. As in sources/ffcsv_sql.py only the happy path is taken: a
file with anything unusual before its footer (quotes, a carriage return without a line feed, a row
of the wrong width or shape, an unknown key or row label, a value that is neither number nor sign,
whitespace other than spaces around a label) returns False, and the caller reads it with
sources/classic_csv.py, which names the fault and its line. Both readers give the same rows.
"""

from __future__ import annotations

import duckdb
import pyarrow

from sources.classic_csv import (
    FOOTER_START,
    TIME_COLUMNS,
    check_header,
    check_title,
    declared_columns,
    header_rows,
    is_data_row,
    reference_date_of,
)
from sources.errors import ParseError
from sources.ffcsv_sql import literal, quoted
from sources.long_format import GENESIS_SIGNS, TOTAL_LABEL
from sources.parse import ZIP_MAGIC, decode, detect_layout

NUMBER = "-?[0-9]+(?:,[0-9]+)?"  # CLASSIC_NUMBER in RE2 (ASCII digits: anything else goes to Python)
TIME = {"year": "[0-9]{4}", "date": "[0-9]{2}\\.[0-9]{2}\\.[0-9]{4}"}


def stage_classic(connection: duckdb.DuckDBPyConnection, body: bytes, *, table: str, layout: dict, name: str,
                  source_file: str, source_sha256: str) -> bool:
    """Create the temporary table `name` from a classic table file; False if it is not plain (Python reads it)."""
    if body.startswith(ZIP_MAGIC):
        return False
    where = {"source": "", "table": table}
    try:
        text, _ = decode(body, **where)
        if detect_layout(text, **where) != "classic":
            return False
        head = _head(text, layout, **where)
    except ParseError:
        return False  # the Python reader says what is wrong, with the same message
    if head is None:
        return False
    first_line, data_lines, units, reference_time = head
    lines = f"{name}_lines"
    connection.register(lines, pyarrow.table({
        "line_number": pyarrow.array(range(first_line, first_line + len(data_lines)), pyarrow.int64()),
        "line": pyarrow.array(data_lines, pyarrow.string()),
    }))
    rows = quoted(f"{name}_rows")
    try:
        # a row of empty fields is skipped, as the Python reader skips it
        connection.execute(f"CREATE OR REPLACE TEMP TABLE {rows} AS SELECT line_number, string_split(line, ';') AS f "
                           f"FROM {quoted(lines)} WHERE NOT regexp_full_match(line, ';*')")
        select = _long_select(connection, rows, table=table, layout=layout, units=units, reference_time=reference_time,
                              source_file=source_file, source_sha256=source_sha256)
        if select is None:
            return False
        connection.execute(f"CREATE OR REPLACE TEMP TABLE {quoted(name)} AS {select}")
        return True
    finally:
        connection.execute(f"DROP TABLE IF EXISTS {rows}")
        connection.unregister(lines)


def _head(text: str, layout: dict, *, source: str, table: str):
    """(first data line number, the data lines up to the footer, units, reference time or None), or None if not plain."""
    columns = declared_columns(layout, source=source, table=table)
    time_column = layout.get("time_column", "year")
    if time_column not in TIME_COLUMNS:
        return None
    lines = text.split("\n")
    footer = next((i for i, line in enumerate(lines) if line.startswith(FOOTER_START)), len(lines))
    block = lines[:footer]
    # the csv module's rows, as long as no field is quoted and a line ends with \n or \r\n only
    if any('"' in line or "\r" in line[:-1] for line in block):
        return None
    block = [line[:-1] if line.endswith("\r") else line for line in block]
    head_rows = []
    for number, line in enumerate(block, start=1):  # up to the first data row, a dozen lines in
        head_rows.append((number, line.split(";") if line else []))
        if is_data_row(head_rows[-1][1], time_column):
            break
    else:
        return None
    first_data = len(head_rows) - 1
    check_title(head_rows, source=source, table=table)
    first_value = (2 if time_column == "none" else 3) + (1 if layout.get("row_classifier") else 0)
    header = header_rows(head_rows, first_data, unit_line=not layout.get("unit"), source=source, table=table)
    check_header(header if layout.get("unit") else header[:-1], header, columns, first_value,
                 layout.get("header_aliases") or {}, source=source, table=table)
    units = ([layout["unit"]] * len(columns) if layout.get("unit")
             else [field.strip() for field in header[-1][1][first_value:]])
    reference_time = reference_date_of(head_rows[:first_data], source=source, table=table) if time_column == "none" else None
    return first_data + 1, block[first_data:], units, reference_time


def _long_select(connection, rows: str, *, table: str, layout: dict, units: list[str], reference_time: str | None,
                 source_file: str, source_sha256: str) -> str | None:
    """The SELECT of the long format over the split data rows, or None when a row breaks a rule."""
    columns = layout["columns"]
    time_column = layout.get("time_column", "year")
    classifier = layout.get("row_classifier")
    offset = 0 if time_column == "none" else 1  # f[offset + 1] is the key (SQL lists count from 1)
    first_value = offset + 3 + (1 if classifier else 0)  # the first value field, 1-based
    width = first_value - 1 + len(columns)
    signs = ", ".join(literal(sign) for sign in sorted(GENESIS_SIGNS))
    key, label, row_label = f"f[{offset + 1}]", f"f[{offset + 2}]", f"f[{offset + 3}]"
    values = [f"f[{first_value + number}]" for number in range(len(columns))]
    if connection.execute(f"SELECT count(*) FROM {rows} WHERE len(f) <> {width}").fetchone()[0]:
        return None  # checked first: the other rules index fields a short row does not have
    # one scan for every other rule; the labels come back to be compared with Python's str.strip()
    # a key region_variable_for_key does not know (not DG, not 2, 3, 5 or 8 digits): Python names it
    rules = [f"count(*) FILTER (WHERE {_region_variable(key)} IS NULL)",
             "0" if time_column == "none" else f"count(*) FILTER (WHERE NOT regexp_full_match(f[1], '{TIME[time_column]}'))",
             "count(*) FILTER (WHERE " + " OR ".join(
                 f"({value} NOT IN ({signs}) AND NOT regexp_full_match({value}, '{NUMBER}'))" for value in values) + ")",
             f"list(DISTINCT {label})",
             f"list(DISTINCT {row_label})" if classifier else "[]"]
    bad_keys, bad_times, bad_values, labels, row_labels = connection.execute(
        f"SELECT {', '.join(rules)} FROM {rows}").fetchone()
    if bad_keys or bad_times or bad_values:
        return None
    codes = (classifier or {}).get("codes") or {}
    for found in (labels or [], row_labels or []):
        if any(text.strip() != text.strip(" ") for text in found):
            return None
    if any(text.strip() not in codes for text in row_labels or []):
        return None

    if time_column == "none":
        time = literal(reference_time)
    elif time_column == "date":
        time = "substr(f[1], 7, 4) || '-' || substr(f[1], 4, 2) || '-' || substr(f[1], 1, 2)"
    else:
        time = "f[1]"
    variables = sorted({variable for column in columns for variable in column.get("classifiers") or {}}
                       | ({classifier["variable"]} if classifier else set()))
    parts = []
    for number, column in enumerate(columns):
        declared = column.get("classifiers") or {}
        pairs = []
        for variable in variables:
            if classifier and variable == classifier["variable"]:
                cases = " ".join(f"WHEN {literal(text)} THEN {literal(code)}" for text, code in codes.items())
                code, text = f"CASE trim({row_label}, ' ') {cases} END", f"trim({row_label}, ' ')"
            else:
                code = literal(declared.get(variable))
                text = literal(None if variable not in declared else
                                (column["header"][-1] if declared[variable] else TOTAL_LABEL))
            pairs += [f"CAST({code} AS VARCHAR) AS {quoted(variable)}",
                      f"CAST({text} AS VARCHAR) AS {quoted(variable + '_label')}"]
        parts.append(f"""
            SELECT {number} AS column_number, line_number, f, {values[number]} AS raw_value,
                   {''.join(pair + ', ' for pair in pairs)}
                   {literal(column['value_variable'])} AS value_variable,
                   {literal(column['header'][0])} AS value_variable_label, {literal(units[number])} AS value_unit
            FROM {rows}""")
    classified = "".join(f"{quoted(name)}, " for variable in variables for name in (variable, f"{variable}_label"))
    # the Python reader puts the value columns one after the other: column by column, each in line order
    return f"""
        WITH long AS ({' UNION ALL '.join(parts)})
        SELECT {literal(table)} AS table_code, CAST(line_number AS BIGINT) AS line_number,
               {literal(layout['time_code'])} AS time_code, {time} AS reference_time,
               {_region_variable(key)} AS region_variable, {key} AS region_key, trim({label}, ' ') AS region_label,
               {classified}value_variable, value_variable_label, value_unit,
               CASE WHEN raw_value IN ({signs}) THEN NULL ELSE CAST(replace(raw_value, ',', '.') AS DOUBLE) END AS value,
               CASE WHEN raw_value IN ({signs}) THEN raw_value END AS value_flag,
               CAST(NULL AS VARCHAR) AS value_quality,
               {literal(source_file)} AS source_file, {literal(source_sha256)} AS source_sha256
        FROM long ORDER BY column_number, line_number"""


def _region_variable(key: str) -> str:
    """sources.long_format.region_variable_for_key in SQL (NULL for a key it does not know)."""
    return (f"CASE WHEN {key} = 'DG' THEN 'DINSG' WHEN NOT regexp_full_match({key}, '[0-9]+') THEN NULL "
            f"WHEN length({key}) = 2 THEN 'DLAND' WHEN length({key}) = 3 THEN 'REGBEZ' "
            f"WHEN length({key}) IN (5, 8) THEN 'KREISE' END")

