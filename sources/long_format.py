"""The long format every parser returns (see sources/README.md) and the value rules they share."""

from __future__ import annotations

import pandas as pd

from sources.errors import ParseError

LEADING_COLUMNS = [
    "table_code",
    "line_number",
    "time_code",
    "reference_time",
    "region_variable",
    "region_key",
    "region_label",
]
TRAILING_COLUMNS = [
    "value_variable",
    "value_variable_label",
    "value_unit",
    "value",
    "value_flag",
    "value_quality",
]

# GENESIS special signs (Zeichenerklärung). Only these exact strings: "-0,3" is a number.
# "-" is "nothing there" but GENESIS also uses it for regions that did not exist at the
# reference date, so it is kept as a flag and never turned into 0.
GENESIS_SIGNS = frozenset({"-", ".", "...", "x", "X", "/"})

# A GENESIS number: no thousands separator; decimal comma (language=de) or point (en).
GENESIS_NUMBER = r"-?\d+(?:[.,]\d+)?"

# The classic table download is always German: decimal comma only.
CLASSIC_NUMBER = r"-?\d+(?:,\d+)?"

TOTAL_LABEL = "Insgesamt"


def numbers_and_flags(
    raw: pd.Series,
    line_numbers: pd.Series,
    *,
    number_pattern: str,
    signs: frozenset[str],
    source: str,
    table: str,
    thousands_separator: str | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Split raw value strings into floats (NaN for a sign) and the sign itself (None for a number)."""
    is_sign = raw.isin(signs)
    is_number = raw.str.fullmatch(number_pattern).fillna(False).astype(bool)
    unreadable = ~(is_sign | is_number)
    if unreadable.any():
        position = unreadable.to_numpy().argmax()
        raise ParseError(
            f"unknown special sign or non-numeric value {raw.iloc[position]!r}",
            source=source,
            table=table,
            line=int(line_numbers.iloc[position]),
        )
    digits = raw.where(is_number)
    if thousands_separator:
        digits = digits.str.replace(thousands_separator, "", regex=False)
    values = pd.to_numeric(digits.str.replace(",", ".", regex=False)).astype("float64")
    flags = raw.where(is_sign, None).astype(object)
    return values, flags


def region_variable_for_key(key: str) -> str | None:
    """Regional variable code of a key in a file that has no codes (classic layout, BA export)."""
    if key == "DG":
        return "DINSG"
    # 8-digit keys in Kreis tables are Kreis-equivalents (Berlin Bezirke, Hannover, Aachen, Saarbrücken).
    return {2: "DLAND", 3: "REGBEZ", 5: "KREISE", 8: "KREISE"}.get(len(key)) if key.isdigit() else None


def ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Put the columns in contract order: leading, classifier pairs (sorted), trailing."""
    fixed = set(LEADING_COLUMNS) | set(TRAILING_COLUMNS)
    variables = sorted(column for column in frame.columns if column not in fixed and not column.endswith("_label"))
    classifier_columns = [name for variable in variables for name in (variable, f"{variable}_label")]
    frame = frame[LEADING_COLUMNS + classifier_columns + TRAILING_COLUMNS].reset_index(drop=True)
    for column in frame.columns.difference(["line_number", "value"]):
        text = frame[column].astype(object)
        frame[column] = text.where(text.notna(), None)
    frame["line_number"] = frame["line_number"].astype("int64")
    frame["value"] = frame["value"].astype("float64")
    return frame
