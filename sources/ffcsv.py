"""GENESIS flat file (ffcsv, current and legacy German header) → long format."""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from sources.errors import ParseError
from sources.long_format import GENESIS_NUMBER, GENESIS_SIGNS, numbers_and_flags, ordered

REQUIRED_COLUMNS = (
    "statistics_code",
    "time_code",
    "time",
    "value",
    "value_unit",
    "value_variable_code",
    "value_variable_label",
)
OPTIONAL_COLUMNS = ("statistics_label", "time_label", "value_q", "line_number")
VARIABLE_COLUMN = re.compile(r"(\d+)_variable_code")
VARIABLE_PARTS = ("variable_code", "variable_label", "variable_attribute_code", "variable_attribute_label")

# Regional variables are recognised by their code, never by position: one table can mix
# DINSG/DLAND/REGBEZ/KREISE in the same column, and Zensus uses GEO* codes (GEODL1, GEOGM4, …).
REGIONAL_VARIABLE = re.compile(
    r"DG|DINSG|DLAND[A-Z]?|REGBEZ|KREISE|GEMEIN|FAMTGEM|F(?:DINSG|DLAND|REGBEZ|KREISE|GEMEIN)"
    r"|GRSTADT|NUTS-?\d|PGEMEIN|PGEM-2DI|GEO[A-Z]{2}\d"
)

# Legacy ("GENESIS v4") flat files: German header, one value column per value variable.
LEGACY_FIXED_NAMES = {
    "Statistik_Code": "statistics_code",
    "Statistik_Label": "statistics_label",
    "Zeit_Code": "time_code",
    "Zeit_Label": "time_label",
    "Zeit": "time",
}
LEGACY_VARIABLE_PARTS = {
    "Merkmal_Code": "variable_code",
    "Merkmal_Label": "variable_label",
    "Auspraegung_Code": "variable_attribute_code",
    "Auspraegung_Label": "variable_attribute_label",
}
LEGACY_VALUE_COLUMN = re.compile(r"(?P<code>[^_]+)__(?P<label>.+)__(?P<unit>[^_]*)")
GERMAN_DATE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})")


def parse_ffcsv(text: str, *, source: str, table: str) -> pd.DataFrame:
    """Parse a current ffcsv file (English header, one row per value)."""
    frame = read_rows(text, source=source, table=table)
    return to_long_format(frame, source=source, table=table)


def parse_legacy_ffcsv(text: str, *, source: str, table: str) -> pd.DataFrame:
    """Parse a legacy flat file (German header, value columns `<CODE>__<Label>__<Unit>`)."""
    frame = read_rows(text, source=source, table=table)
    return to_long_format(legacy_to_current(frame), source=source, table=table)


def read_rows(text: str, *, source: str, table: str) -> pd.DataFrame:
    """Read the semicolon rows into a string frame with a `line_number` column; check the shape.

    A plain file (no quotes, no blank lines inside) is read by Arrow's CSV reader; anything else,
    and any file Arrow refuses, by the line-by-line reader, which names the line of a fault.
    """
    frame = _read_plain_rows(text)
    return frame if frame is not None else _read_rows_line_by_line(text, source=source, table=table)


def _read_plain_rows(text: str) -> pd.DataFrame | None:
    """Arrow's CSV reader on a plain file, or None when the file is not plain or not regular.

    A Python string per cell (the line-by-line reader) costs ~15 times the file's size in memory;
    here each column is dictionary-encoded, so equal cells share one string object.
    """
    end = len(text)  # without the trailing line ends (no copy of the text: it can be hundreds of MB)
    while end and text[end - 1] in "\r\n":
        end -= 1
    first_line_end = text.find("\n", 0, end)
    if (not end or text[0] in "\r\n" or first_line_end < 0 or '"' in text
            or text.find("\n\n", 0, end) >= 0 or text.find("\n\r\n", 0, end) >= 0):
        return None  # empty, header only, quoted, or blank lines inside
    header = text[:first_line_end].rstrip("\r").split(";")
    if len(set(header)) != len(header):
        return None  # repeated names: the line-by-line reader says so
    try:
        table = pa_csv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pa_csv.ReadOptions(column_names=header, skip_rows=1, use_threads=True),
            parse_options=pa_csv.ParseOptions(delimiter=";", quote_char=False),
            convert_options=pa_csv.ConvertOptions(column_types={name: pa.string() for name in header},
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid:
        return None  # e.g. a row with the wrong number of fields
    # object Series (a bare object array would be inferred as pandas' string dtype)
    frame = pd.DataFrame({name: pd.Series(pd.Categorical.from_codes(*_codes(column))).astype(object)
                          for name, column in zip(header, table.columns)})
    frame["line_number"] = range(2, len(frame) + 2)
    return frame


def _codes(column: pa.ChunkedArray) -> tuple:
    """A string column as (codes, distinct values), for a categorical whose cells share their strings."""
    encoded = column.combine_chunks().dictionary_encode()
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()


def _read_rows_line_by_line(text: str, *, source: str, table: str) -> pd.DataFrame:
    """The csv module's reader: every shape fault reported with its line."""
    reader = csv.reader(io.StringIO(text), delimiter=";")
    numbered = [(reader.line_num, row) for row in reader if row]  # empty lines, e.g. trailing ones, dropped
    if not numbered:
        raise ParseError("empty file: no header and no data rows", source=source, table=table, line=1)
    (header_line, header), data = numbered[0], numbered[1:]
    check_unique(header, source=source, table=table, line=header_line)
    wrong = next(((line, row) for line, row in data if len(row) != len(header)), None)
    if wrong:
        raise ParseError(
            f"row has {len(wrong[1])} fields, the header has {len(header)}", source=source, table=table, line=wrong[0]
        )
    if not data:
        raise ParseError("header only, no data rows", source=source, table=table, line=header_line + 1)
    frame = pd.DataFrame([row for _, row in data], columns=header, dtype=object)
    frame["line_number"] = [line for line, _ in data]
    return frame


def check_unique(header: list[str], *, source: str, table: str, line: int) -> None:
    """Reject a header with repeated column names (the broken legacy `language=en` header)."""
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ParseError(f"repeated column names {repeated} in the header", source=source, table=table, line=line)


def legacy_to_current(frame: pd.DataFrame) -> pd.DataFrame:
    """Rename legacy German columns and melt the value columns into current ffcsv rows."""
    frame = frame.rename(columns=legacy_column_name)
    value_columns = [column for column in frame.columns if LEGACY_VALUE_COLUMN.fullmatch(column)]
    keep = [column for column in frame.columns if column not in value_columns]
    parts = []
    for column in value_columns:
        names = LEGACY_VALUE_COLUMN.fullmatch(column)
        part = frame[keep].assign(
            value=frame[column],
            value_unit=names["unit"],
            value_variable_code=names["code"],
            value_variable_label=names["label"],
        )
        parts.append(part)
    if not parts:
        return frame  # no value column: to_long_format reports the missing columns
    return pd.concat(parts).sort_values("line_number", kind="stable").reset_index(drop=True)


def legacy_column_name(name: str) -> str:
    """Current ffcsv name of a legacy column (`1_Merkmal_Code` → `1_variable_code`)."""
    if name in LEGACY_FIXED_NAMES:
        return LEGACY_FIXED_NAMES[name]
    number, _, part = name.partition("_")
    if number.isdigit() and part in LEGACY_VARIABLE_PARTS:
        return f"{number}_{LEGACY_VARIABLE_PARTS[part]}"
    return name


def to_long_format(frame: pd.DataFrame, *, source: str, table: str) -> pd.DataFrame:
    """Turn ffcsv rows (current column names) into the long format of sources/README.md."""
    slots = variable_slots(list(frame.columns), source=source, table=table)
    check_statistics_code(frame, source=source, table=table)
    region_slot = find_region_slot({slot: frame[f"{slot}_variable_code"].unique() for slot in slots},
                                   source=source, table=table)
    values, flags = numbers_and_flags(
        frame["value"], frame["line_number"],
        number_pattern=GENESIS_NUMBER, signs=GENESIS_SIGNS, source=source, table=table,
    )
    long = pd.DataFrame({
        "table_code": table,
        "line_number": frame["line_number"],
        "time_code": frame["time_code"],
        "reference_time": per_distinct_value(frame["time"], iso_date),
        "region_variable": frame[f"{region_slot}_variable_code"],
        "region_key": frame[f"{region_slot}_variable_attribute_code"],
        "region_label": per_distinct_value(frame[f"{region_slot}_variable_attribute_label"], str.strip),
        "value_variable": frame["value_variable_code"],
        "value_variable_label": frame["value_variable_label"],
        "value_unit": frame["value_unit"],
        "value": values,
        "value_flag": flags,
        "value_quality": blank_to_none(frame["value_q"]) if "value_q" in frame else None,
    })
    for slot in slots:
        if slot != region_slot:
            add_classifiers(long, frame, slot)
    return ordered(long)


def variable_slots(columns: list[str], *, source: str, table: str) -> list[str]:
    """Numbers n of the `n_variable_*` column groups of a header; every required column must be there."""
    slots = sorted((match[1] for match in map(VARIABLE_COLUMN.fullmatch, columns) if match), key=int)
    expected = list(REQUIRED_COLUMNS) + [f"{slot}_{part}" for slot in slots for part in VARIABLE_PARTS]
    missing = [column for column in expected if column not in columns]
    if missing:
        raise ParseError(f"missing column(s) {', '.join(missing)}", source=source, table=table, line=1)
    # an unknown column means the layout changed: refuse rather than silently drop it
    known = set(expected) | set(OPTIONAL_COLUMNS)
    unknown = [column for column in columns if column not in known]
    if unknown:
        raise ParseError(f"unknown column(s) {', '.join(unknown)} in the header", source=source, table=table, line=1)
    return slots


def expected_statistics_code(table: str) -> str | None:
    """EVAS number a table code implies (`12411-01-01-4` → 12411, Zensus `1000A-0000` → 1000A)."""
    match = re.match(r"(\d{4}[0-9A-Z])-", table)
    return match[1] if match else None


def check_statistics_code(frame: pd.DataFrame, *, source: str, table: str) -> None:
    """The file must contain the statistic the requested table belongs to."""
    expected = expected_statistics_code(table)
    wrong = frame["statistics_code"] != expected
    if expected and wrong.any():
        first = wrong.to_numpy().argmax()
        raise ParseError(
            f"asked for {table}, file contains statistic {frame['statistics_code'].iloc[first]}",
            source=source, table=table, line=int(frame["line_number"].iloc[first]),
        )


def find_region_slot(codes: dict[str, list[str]], *, source: str, table: str) -> str:
    """The one variable group whose codes (slot → its distinct variable codes) are all regional variables."""
    regional = []
    for slot, found in codes.items():
        is_regional = {code: bool(REGIONAL_VARIABLE.fullmatch(code)) for code in found}
        if any(is_regional.values()) and not all(is_regional.values()):
            raise ParseError(
                f"variable column {slot} mixes regional and other variables: {sorted(found)}",
                source=source, table=table, line=1,
            )
        if all(is_regional.values()):
            regional.append(slot)
    if len(regional) != 1:
        everything = sorted({code for found in codes.values() for code in found})
        raise ParseError(
            f"expected exactly one regional variable, found {len(regional)} among {everything}",
            source=source, table=table, line=1,
        )
    return regional[0]


def add_classifiers(long: pd.DataFrame, frame: pd.DataFrame, slot: str) -> None:
    """Add `<code>`/`<code>_label` for each variable in a slot (one slot can carry several codes)."""
    codes = frame[f"{slot}_variable_code"]
    attribute_codes = blank_to_none(frame[f"{slot}_variable_attribute_code"])
    attribute_labels = per_distinct_value(frame[f"{slot}_variable_attribute_label"], str.strip)
    for variable in codes.unique():
        if not variable:
            continue
        applies = (codes == variable).to_numpy()
        name = variable.lower()
        # Rows the variable does not apply to get None for code and label; a total row
        # ("Insgesamt") has code None but keeps its label.
        code_column = attribute_codes.where(applies, None)
        label_column = attribute_labels.where(applies, None)
        if name in long:
            already = long[f"{name}_label"].notna().to_numpy()
            code_column = long[name].where(already, code_column)
            label_column = long[f"{name}_label"].where(already, label_column)
        long[name] = code_column.astype(object)
        long[f"{name}_label"] = label_column.astype(object)


def blank_to_none(column: pd.Series) -> pd.Series:
    """Empty strings (GENESIS' empty attribute code, empty value_q) become None."""
    return column.where(column != "", None).astype(object)


def iso_date(time: str) -> str:
    """Legacy German dates `31.12.2023` → `2023-12-31`; ISO times stay as they are."""
    german = GERMAN_DATE.fullmatch(time)
    return f"{german[3]}-{german[2]}-{german[1]}" if german else time


def per_distinct_value(column: pd.Series, function) -> pd.Series:
    """Apply `function` once per distinct value (files repeat the same few labels many times)."""
    return column.map({value: function(value) for value in column.unique()}).astype(object)
