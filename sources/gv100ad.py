"""Destatis municipality register GV100AD (Gemeindeverzeichnis, administrative part) → one row per record."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sources.errors import ParseError

SOURCE = "gv100ad"
RECORD_LENGTH = 220
LEVELS = {
    "10": "land",
    "20": "regierungsbezirk",
    "30": "region",  # only Baden-Württemberg
    "40": "kreis",
    "50": "gemeindeverband",
    "60": "gemeinde",
}

# Fixed-width layout: 0-based character offsets (not bytes: the file is UTF-8), end exclusive.
# The Region digit (record 30) and the first Kreis digit share offset 13.
FIELDS = {
    "record_type": (0, 2),
    "territorial_date": (2, 10),
    "land": (10, 12),
    "regierungsbezirk": (12, 13),
    "region": (13, 14),
    "kreis": (13, 15),
    "gemeinde": (15, 18),
    "gemeindeverband": (18, 22),
    "name": (22, 72),
    "seat": (72, 122),
    "text_code": (122, 124),
    "area_ha": (128, 139),
    "population": (139, 150),
    "population_male": (150, 161),
    "postal_code": (165, 170),
}
GEMEINDE_NUMBERS = ("area_ha", "population", "population_male")


def parse_gv100ad(path_or_bytes: str | Path | bytes, *, source: str = SOURCE, table: str | None = None) -> pd.DataFrame:
    """Parse a GV100AD_DDMMYYYY.txt file (path or its bytes) into one row per record."""
    body, name = read_body(path_or_bytes)
    where = {"source": source, "table": table or name}
    records = record_lines(body, **where)
    check_records(records, **where)
    raw = {field: records.str.slice(start, end) for field, (start, end) in FIELDS.items()}
    return register_frame(raw, records.index, **where)


def read_body(path_or_bytes: str | Path | bytes) -> tuple[bytes, str]:
    """The file's bytes and a name for error messages."""
    if isinstance(path_or_bytes, bytes):
        return path_or_bytes, "GV100AD"
    path = Path(path_or_bytes)
    return path.read_bytes(), path.name


def record_lines(body: bytes, *, source: str, table: str) -> pd.Series:
    """The non-empty lines, indexed by their 1-based line number."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = body[: error.start].count(b"\n") + 1
        raise ParseError(
            "not UTF-8 (editions before about 2019 are ISO-8859-1)", source=source, table=table, line=line
        ) from error
    lines = pd.Series(text.split("\n"), index=range(1, text.count("\n") + 2)).str.removesuffix("\r")
    lines = lines[lines != ""]
    if lines.empty:
        raise ParseError("empty file: no records", source=source, table=table, line=1)
    return lines


def check_records(records: pd.Series, *, source: str, table: str) -> None:
    """Every record is 220 characters long and of a known record type."""
    lengths = records.str.len()
    wrong_length = lengths != RECORD_LENGTH
    if wrong_length.any():
        line = wrong_length.idxmax()
        raise ParseError(
            f"record has {lengths[line]} characters, expected {RECORD_LENGTH}", source=source, table=table, line=line
        )
    record_types = records.str.slice(0, 2)
    unknown = ~record_types.isin(list(LEVELS))
    if unknown.any():
        line = unknown.idxmax()
        raise ParseError(f"unknown record type {record_types[line]!r}", source=source, table=table, line=line)


def register_frame(raw: dict[str, pd.Series], index: pd.Index, *, source: str, table: str) -> pd.DataFrame:
    """Decode the raw fields into keys, names and Gemeinde numbers."""
    record_type = raw["record_type"]
    land = raw["land"]
    regierungsbezirk = land + raw["regierungsbezirk"]
    kreis = regierungsbezirk + raw["kreis"]
    gemeindeverband = kreis + raw["gemeindeverband"]
    gemeinde = kreis + raw["gemeinde"]
    frame = pd.DataFrame({
        "line_number": index,
        "record_type": record_type.astype(int),
        "level": record_type.map(LEVELS),
        "territorial_date": territorial_dates(raw["territorial_date"], source=source, table=table),
        "ags": by_record_type(record_type, {
            "10": land + "000000", "20": regierungsbezirk + "00000", "40": kreis + "000", "60": gemeinde,
        }),
        "ars": by_record_type(record_type, {
            "50": gemeindeverband + "000", "60": gemeindeverband + raw["gemeinde"],
        }),
        "key": by_record_type(record_type, {
            "10": land, "20": regierungsbezirk, "30": regierungsbezirk + raw["region"],
            "40": kreis, "50": gemeindeverband, "60": gemeinde,
        }),
        "name": raw["name"].str.strip(),
        "seat": blank_to_none(raw["seat"]),
        "text_code": blank_to_none(raw["text_code"]),
        "land_key": land,
        "regierungsbezirk_key": by_record_type(
            record_type, dict.fromkeys(("20", "30", "40", "50", "60"), regierungsbezirk)
        ),
        "kreis_key": by_record_type(record_type, dict.fromkeys(("40", "50", "60"), kreis)),
        "gemeindeverband_key": by_record_type(record_type, dict.fromkeys(("50", "60"), gemeindeverband)),
    }, index=index)
    for field in GEMEINDE_NUMBERS:
        frame[field] = gemeinde_number(raw[field], record_type, field, source=source, table=table)
    frame["postal_code"] = by_record_type(record_type, {"60": blank_to_none(raw["postal_code"])})
    return frame.reset_index(drop=True)


def territorial_dates(raw: pd.Series, *, source: str, table: str) -> pd.Series:
    """Gebietsstand `YYYYMMDD` as dates."""
    dates = pd.to_datetime(raw, format="%Y%m%d", errors="coerce")
    if dates.isna().any():
        line = dates.isna().idxmax()
        raise ParseError(f"bad Gebietsstand {raw[line]!r}, expected YYYYMMDD", source=source, table=table, line=line)
    return dates.dt.date


def gemeinde_number(raw: pd.Series, record_type: pd.Series, field: str, *, source: str, table: str) -> pd.Series:
    """A zero-padded number of a Gemeinde record (area, population); None for other records."""
    is_gemeinde = record_type == "60"
    not_digits = is_gemeinde & ~raw.str.fullmatch(r"\d+")
    if not_digits.any():
        line = not_digits.idxmax()
        raise ParseError(f"{field} {raw[line]!r} is not a number", source=source, table=table, line=line)
    return pd.to_numeric(raw.where(is_gemeinde)).astype("Int64")


def by_record_type(record_type: pd.Series, values: dict[str, pd.Series]) -> pd.Series:
    """Pick per record type from `values`; None for record types not listed."""
    conditions = [(record_type == kind).to_numpy() for kind in values]
    choices = [chosen.to_numpy(dtype=object) for chosen in values.values()]
    return pd.Series(np.select(conditions, choices, default=None), index=record_type.index, dtype=object)


def blank_to_none(raw: pd.Series) -> pd.Series:
    """Stripped text, None where the field is blank."""
    stripped = raw.str.strip().astype(object)
    return stripped.where(stripped != "", None)
