"""CSV export of the Bundesagentur für Arbeit interactive statistics → long format.

Layout (every field quoted, UTF-8 with BOM): a metadata block (`"Region";"Deutschland";
"Regionsschlüssel:";"d"`, `"Indikator";"Arbeitslose"`, `"Staatsangehörigkeit…";"Ausländer"`, …),
a header row starting `"Berichtsjahr "`, one row per year (annual averages), then a footer
after an empty line (export date, copyright, terms).
"""

from __future__ import annotations

import csv
import io

import pandas as pd

from sources.errors import ParseError
from sources.long_format import TOTAL_LABEL, numbers_and_flags, ordered, region_variable_for_key

# BA signs: `*` = anonymised for statistical secrecy, `x`/`X` = "Nachweis nicht möglich".
BA_SIGNS = frozenset({"*", "x", "X"})

# German numbers with `.` as thousands separator: "1.040.908" is 1040908, not 1.04.
BA_NUMBER = r"-?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?"

INDICATORS = {"Arbeitslose": "ARBEITSLOSE"}
NATIONALITIES = {"Ausländer": "NATA", "Deutsche": "NATD", "Insgesamt": None}
SEXES = {"Frauen": "GESW", "Männer": "GESM"}

Row = tuple[int, list[str]]


def parse_ba_export(text: str, *, source: str, table: str) -> pd.DataFrame:
    """Parse a BA export with one column per sex (or total) and one row per year."""
    where = {"source": source, "table": table}
    rows = read_rows(text)
    metadata = metadata_fields(rows)
    header_index = find_header(rows, **where)
    header_line, header = rows[header_index]
    indicator_label, value_variable = indicator(metadata, **where)
    long = pd.concat(
        [
            column_rows(rows, header_index, position, header[position], indicator_label, header_line, **where)
            for position in range(1, len(header))
        ],
        ignore_index=True,
    )
    long["value"], long["value_flag"] = numbers_and_flags(
        long.pop("raw_value"), long["line_number"],
        number_pattern=BA_NUMBER, signs=BA_SIGNS, thousands_separator=".", source=source, table=table,
    )
    long = long.assign(
        table_code=table,
        time_code="JAHR",
        value_variable=value_variable,
        value_variable_label=indicator_label,
        value_unit="Anzahl",
        value_quality=None,
        **region(metadata, **where),
        **nationality(metadata, **where),
    )
    return ordered(long)


def read_rows(text: str) -> list[Row]:
    """All rows with their line numbers (every field is quoted, so use the csv module)."""
    reader = csv.reader(io.StringIO(text), delimiter=";")
    return [(reader.line_num, [field.strip() for field in row]) for row in reader]


def metadata_fields(rows: list[Row]) -> dict[str, tuple[int, list[str]]]:
    """Metadata lines by their first field; the nationality line's name has a note glued to it."""
    metadata = {}
    for line, fields in rows:
        if fields and fields[0]:
            name = "Staatsangehörigkeit" if fields[0].startswith("Staatsangehörigkeit") else fields[0]
            metadata.setdefault(name, (line, fields))
    return metadata


def find_header(rows: list[Row], *, source: str, table: str) -> int:
    """Index of the header row `"Berichtsjahr ";…`."""
    for index, (_, fields) in enumerate(rows):
        if fields and fields[0] == "Berichtsjahr":
            return index
    raise ParseError("no header row starting with 'Berichtsjahr'", source=source, table=table, line=1)


def indicator(metadata: dict, *, source: str, table: str) -> tuple[str, str]:
    """Label and value variable code of the exported indicator."""
    line, fields = metadata.get("Indikator", (1, ["Indikator", ""]))
    label = fields[1] if len(fields) > 1 else ""
    if label not in INDICATORS:
        raise ParseError(f"unknown BA indicator {label!r}", source=source, table=table, line=line)
    return label, INDICATORS[label]


def region(metadata: dict, *, source: str, table: str) -> dict[str, str]:
    """Region columns from the `"Region";<name>;"Regionsschlüssel:";<key>` line."""
    line, fields = metadata.get("Region", (1, ["Region"]))
    name = fields[1] if len(fields) > 1 else ""
    key = fields[3] if len(fields) > 3 else ""
    if name == "Deutschland" or key == "d":
        key = "DG"  # the BA writes "d" for Deutschland
    variable = region_variable_for_key(key)
    if not variable:
        raise ParseError(f"unknown BA region {name!r} with key {key!r}", source=source, table=table, line=line)
    return {"region_variable": variable, "region_key": key, "region_label": name}


def nationality(metadata: dict, *, source: str, table: str) -> dict[str, str | None]:
    """Constant `nat` columns from the Staatsangehörigkeit line."""
    line, fields = metadata.get("Staatsangehörigkeit", (1, ["", "Insgesamt"]))
    label = fields[1] if len(fields) > 1 else ""
    if label not in NATIONALITIES:
        raise ParseError(f"unknown BA nationality {label!r}", source=source, table=table, line=line)
    return {"nat": NATIONALITIES[label], "nat_label": label}


def sex(column_header: str, indicator_label: str, *, source: str, table: str, line: int) -> tuple[str | None, str]:
    """`ges` code and label of a value column: "Frauen Arbeitslose" → GESW, "Arbeitslose" → total."""
    if column_header == indicator_label:
        return None, TOTAL_LABEL
    first_word = column_header.split(" ", 1)[0]
    if first_word in SEXES and column_header == f"{first_word} {indicator_label}":
        return SEXES[first_word], first_word
    raise ParseError(f"unknown BA column {column_header!r}", source=source, table=table, line=line)


def column_rows(
    rows: list[Row], header_index: int, position: int, column_header: str, indicator_label: str, header_line: int,
    *, source: str, table: str,
) -> pd.DataFrame:
    """Long rows of one value column: one per year until the empty line before the footer."""
    code, label = sex(column_header, indicator_label, source=source, table=table, line=header_line)
    width = len(rows[header_index][1])
    years, values, lines = [], [], []
    for line, fields in rows[header_index + 1:]:
        if not any(fields):
            break
        if len(fields) != width or not fields[0].isdigit() or len(fields[0]) != 4:
            raise ParseError(
                f"expected 'year;values…' with {width} fields, got {';'.join(fields)[:60]!r}",
                source=source, table=table, line=line,
            )
        years.append(fields[0])
        values.append(fields[position])
        lines.append(line)
    if not years:
        raise ParseError("header only, no data rows", source=source, table=table, line=header_line + 1)
    return pd.DataFrame({
        "line_number": lines, "reference_time": years, "raw_value": pd.Series(values, dtype=object),
        "ges": code, "ges_label": label,
    })
