"""Classic GENESIS table layout (regionalstatistik.de web download, `format=csv`) → long format.

The file has no codes: a title block, multi-row column headers, data rows
`year;key;indented label;[row classifier;]values…` and a footer after `__________`.
A `classic_layout` declaration (sources/tables.yaml) says what each value column is:

    classic_layout:
      time_code: JAHR                       # time code the ffcsv of the table carries
      row_classifier:                       # optional: a classifying label in field 4 of each row
        variable: bilsa8
        codes: {Grundschulen: SCHULE03, …}  # row label → attribute code (null = total)
      columns:                              # value columns, left to right
        - header: [Arbeitslose, ausländisch]        # header labels above the unit row
          value_variable: ERWP06
          classifiers: {erwaq7: ARBEITSLOS08}       # null = the total ("Insgesamt")

Variants of the layout (older downloads, GENESIS-Online), declared in the same block:

      time_column: year       # field 1 is the year (default); `date`: field 1 is a date DD.MM.YYYY
                              # (GENESIS-Online, 12411-0018); `none`: the rows have no time field and the
                              # title block has a line `Stichtag: DD.MM.YYYY` (13111-07-05-4, one file per date)
      unit: Anzahl            # the header has no unit line; every value column is in this unit
      header_aliases:         # older header labels → the declared ones (2015-2020: "Ausländer")
        Ausländer: ausländisch
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd

from sources.errors import ParseError
from sources.long_format import (
    CLASSIC_NUMBER,
    GENESIS_SIGNS,
    TOTAL_LABEL,
    numbers_and_flags,
    ordered,
    region_variable_for_key,
)

TITLE = re.compile(r"(?:GENESIS-)?Tabelle:\s*(\S+)")
YEAR = re.compile(r"\d{4}")
DATE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})")
REFERENCE_DATE_LINE = re.compile(r"Stichtag:\s*(\d{2}\.\d{2}\.\d{4})")
TIME_COLUMNS = {"year": YEAR, "date": DATE, "none": None}
REGION_KEY = re.compile(r"DG|\d{2,12}")
FOOTER_START = "_____"

Row = tuple[int, list[str]]


def parse_classic(text: str, *, source: str, table: str, layout: dict) -> pd.DataFrame:
    """Parse a classic table file as declared by `layout` (see the module docstring)."""
    where = {"source": source, "table": table}
    columns = declared_columns(layout, **where)
    rows = read_rows(text)
    check_title(rows, **where)
    time_column = layout.get("time_column", "year")
    first_data = first_data_row(rows, time_column, **where)
    # fields before the values: [time;] key; label; [row classifier]
    first_value = (2 if time_column == "none" else 3) + (1 if layout.get("row_classifier") else 0)
    header = header_rows(rows, first_data, unit_line=not layout.get("unit"), **where)
    aliases = layout.get("header_aliases") or {}
    check_header(header if layout.get("unit") else header[:-1], header, columns, first_value, aliases, **where)
    units = ([layout["unit"]] * len(columns) if layout.get("unit")
             else [field.strip() for field in header[-1][1][first_value:]])
    data = data_rows(rows[first_data:], first_value + len(columns), time_column, **where)
    if time_column == "none":
        reference_time = reference_date_of(rows[:first_data], **where)
        data = [(line, [reference_time, *fields]) for line, fields in data]
    elif time_column == "date":
        data = [(line, [iso_date(fields[0]), *fields[1:]]) for line, fields in data]
    return to_long_format(data, columns, units, layout, 3 + (1 if layout.get("row_classifier") else 0), **where)


def iso_date(text: str) -> str:
    """DD.MM.YYYY → YYYY-MM-DD."""
    day, month, year = DATE.fullmatch(text).groups()
    return f"{year}-{month}-{day}"


def reference_date_of(title_block: list[Row], *, source: str, table: str) -> str:
    """The `Stichtag: DD.MM.YYYY` line of the title block, as an ISO date (files without a time field)."""
    for line, fields in title_block:
        found = REFERENCE_DATE_LINE.fullmatch(fields[0].strip()) if fields else None
        if found:
            return iso_date(found[1])
    raise ParseError("no line 'Stichtag: DD.MM.YYYY' in the title block, and the rows have no time field",
                     source=source, table=table, line=title_block[-1][0] if title_block else 1)


def declared_columns(layout: dict, *, source: str, table: str) -> list[dict]:
    """The value columns of a classic_layout, checked for the keys the parser needs."""
    columns = layout.get("columns") or []
    complete = all(isinstance(column.get("header"), list) and column.get("value_variable") for column in columns)
    if not columns or not complete or not layout.get("time_code"):
        raise ParseError(
            "classic_layout in sources/tables.yaml needs time_code and columns with header and value_variable",
            source=source, table=table,
        )
    return columns


def read_rows(text: str) -> list[Row]:
    """All rows with their line numbers; the csv module copes with the quoted multi-line footer."""
    reader = csv.reader(io.StringIO(text), delimiter=";")
    return [(reader.line_num, row) for row in reader]


def check_title(rows: list[Row], *, source: str, table: str) -> None:
    """The title line `Tabelle: <code>` (older files `GENESIS-Tabelle: <code>`) must name the table."""
    line, fields = next(((line, fields) for line, fields in rows if fields), (1, [""]))
    title = TITLE.fullmatch(fields[0].strip())
    if not title:
        raise ParseError(
            f"no title line 'Tabelle: <code>', found {fields[0][:60]!r}", source=source, table=table, line=line
        )
    if title[1] != table:
        raise ParseError(f"asked for {table}, file contains {title[1]}", source=source, table=table, line=line)


def is_data_row(fields: list[str], time_column: str = "year") -> bool:
    """A data row starts with its time (a year, or a date) and a regional key; or with the key alone."""
    if time_column == "none":
        return len(fields) >= 3 and bool(REGION_KEY.fullmatch(fields[0]))
    time = TIME_COLUMNS[time_column]
    return len(fields) >= 4 and bool(time.fullmatch(fields[0])) and bool(REGION_KEY.fullmatch(fields[1]))


def row_shape(time_column: str) -> str:
    return {"year": "year;key;label;…", "date": "DD.MM.YYYY;key;label;…", "none": "key;label;…"}[time_column]


def first_data_row(rows: list[Row], time_column: str = "year", *, source: str, table: str) -> int:
    """Index of the first data row (the number of title and header lines differs per table)."""
    if time_column not in TIME_COLUMNS:
        raise ParseError(f"classic_layout time_column must be one of {', '.join(TIME_COLUMNS)}, not {time_column!r}",
                         source=source, table=table)
    for index, (_, fields) in enumerate(rows):
        if is_data_row(fields, time_column):
            return index
    last_line = rows[-1][0] if rows else 1
    raise ParseError(f"no data rows ('{row_shape(time_column)}' not found)", source=source, table=table, line=last_line)


def header_rows(rows: list[Row], first_data: int, *, unit_line: bool = True, source: str, table: str) -> list[Row]:
    """The header lines right above the data: they start with an empty field; the last holds the units
    (unless the layout declares the `unit`)."""
    start = first_data
    while start > 0 and rows[start - 1][1] and rows[start - 1][1][0] == "":
        start -= 1
    if first_data - start < (2 if unit_line else 1):
        raise ParseError(
            "expected column header lines and a unit line above the first data row" if unit_line
            else "expected column header lines above the first data row",
            source=source, table=table, line=rows[first_data][0],
        )
    return rows[start:first_data]


def check_header(label_rows: list[Row], header: list[Row], columns: list[dict], first_value: int,
                 aliases: dict[str, str] | None = None, *, source: str, table: str) -> None:
    """The header labels of every value column must be the declared ones, else the layout changed."""
    aliases = aliases or {}
    for line, fields in header:
        if len(fields) != first_value + len(columns):
            raise ParseError(
                f"file has {len(fields) - first_value} value columns, classic_layout declares {len(columns)}",
                source=source, table=table, line=line,
            )
    for number, column in enumerate(columns):
        found = [aliases.get(label, label) for label in (fields[first_value + number].strip() for _, fields in label_rows)]
        if found != column["header"]:
            differing = [
                line for (line, _), label, expected in zip(label_rows, found, column["header"]) if label != expected
            ]
            raise ParseError(
                f"value column {number + 1} has header {found}, classic_layout expects {column['header']}; "
                "the table layout changed, update classic_layout in sources/tables.yaml",
                source=source, table=table, line=(differing or [label_rows[0][0]])[0],
            )


def data_rows(rows: list[Row], width: int, time_column: str = "year", *, source: str, table: str) -> list[Row]:
    """Data rows up to the footer line `__________`; each must have the header's field count."""
    data = []
    for line, fields in rows:
        if fields and fields[0].startswith(FOOTER_START):
            break
        if not any(fields):
            continue
        if len(fields) != width:
            raise ParseError(
                f"row has {len(fields)} fields, the header has {width}", source=source, table=table, line=line
            )
        if not is_data_row(fields, time_column):
            raise ParseError(
                f"expected a data row '{row_shape(time_column)}', got {';'.join(fields)[:60]!r}",
                source=source, table=table, line=line,
            )
        data.append((line, fields))
    return data


def to_long_format(
    data: list[Row], columns: list[dict], units: list[str], layout: dict, first_value: int, *, source: str, table: str
) -> pd.DataFrame:
    """One long-format row per data row and value column."""
    frame = pd.DataFrame([fields for _, fields in data], dtype=object)
    frame["line_number"] = [line for line, _ in data]
    rows = row_columns(frame, layout, source=source, table=table)
    variables = sorted({name for column in columns for name in column.get("classifiers") or {}})
    parts = [
        rows.assign(
            raw_value=frame[first_value + number],
            value_variable=column["value_variable"],
            value_variable_label=column["header"][0],
            value_unit=units[number],
            **column_classifiers(column, variables),
        )
        for number, column in enumerate(columns)
    ]
    long = pd.concat(parts, ignore_index=True)
    long["value"], long["value_flag"] = numbers_and_flags(
        long.pop("raw_value"), long["line_number"],
        number_pattern=CLASSIC_NUMBER, signs=GENESIS_SIGNS, source=source, table=table,
    )
    long["value_quality"] = None
    return ordered(long)


def row_columns(frame: pd.DataFrame, layout: dict, *, source: str, table: str) -> pd.DataFrame:
    """Columns that come from the row: time, region and the optional row classifier."""
    keys = frame[1]
    rows = pd.DataFrame({
        "table_code": table,
        "line_number": frame["line_number"],
        "time_code": layout["time_code"],
        "reference_time": frame[0],
        "region_variable": keys.map(region_variable_for_key).astype(object),
        "region_key": keys,
        "region_label": frame[2].str.strip(),
    })
    unknown = rows["region_variable"].isna()
    if unknown.any():
        position = unknown.to_numpy().argmax()
        raise ParseError(
            f"unknown regional key {keys.iloc[position]!r}",
            source=source, table=table, line=int(rows["line_number"].iloc[position]),
        )
    if layout.get("row_classifier"):
        add_row_classifier(rows, frame[3].str.strip(), layout["row_classifier"], source=source, table=table)
    return rows


def add_row_classifier(rows: pd.DataFrame, labels: pd.Series, declaration: dict, *, source: str, table: str) -> None:
    """Code the row labels (e.g. the Schulart in field 4) with the declared label → code map."""
    codes = declaration.get("codes") or {}
    unknown = ~labels.isin(list(codes))
    if unknown.any():
        position = unknown.to_numpy().argmax()
        raise ParseError(
            f"unknown {declaration['variable']} label {labels.iloc[position]!r}; "
            "add it to classic_layout.row_classifier.codes",
            source=source, table=table, line=int(rows["line_number"].iloc[position]),
        )
    mapped = labels.map(codes).astype(object)
    rows[declaration["variable"]] = mapped.where(mapped.notna(), None)
    rows[f"{declaration['variable']}_label"] = labels


def column_classifiers(column: dict, variables: list[str]) -> dict[str, str | None]:
    """Classifier code/label pairs of one value column; undeclared variables do not apply (None, None)."""
    declared = column.get("classifiers") or {}
    attribute_label = column["header"][-1]
    pairs: dict[str, str | None] = {}
    for variable in variables:
        code = declared.get(variable)
        pairs[variable] = code
        if variable not in declared:
            pairs[f"{variable}_label"] = None
        else:
            pairs[f"{variable}_label"] = attribute_label if code else TOTAL_LABEL
    return pairs
