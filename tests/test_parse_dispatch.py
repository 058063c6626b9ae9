"""parse_table: sniffing the bytes (ZIP, JSON status, HTML, encodings) and dispatching by content."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sources.errors import ParseError
from sources.long_format import LEADING_COLUMNS, TRAILING_COLUMNS
from sources.parse import parse_table

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "offline" / "sample"
TABLES = {
    entry["table"]: entry
    for entry in yaml.safe_load((ROOT / "sources" / "tables.yaml").read_text(encoding="utf-8"))["tables"]
}
POPULATION = SAMPLE / "12411-01-01-4_1773175772751_de_flat.csv"
PROTECTION_SEEKERS = SAMPLE / "12531-0043_175879554_flat.zip"
SAMPLE_FILES = {
    "12411-01-01-4": "12411-01-01-4_1773175772751_de_flat.csv",
    "13111-01-03-4": "13111-01-03-4_1749623409083_de_flat.csv",
    "13211-02-05-4": "13211-02-05-4.csv",
    "21111-01-03-4": "21111-01-03-4.csv",
    "12531-0043": "12531-0043_175879554_flat.zip",
    "1000A-0000": "1000A-0000_1773175153999_de_flat.csv",
    "1000A-2022": "1000A-2022_1773175355216_de_flat.csv",
    "arbeitslose_auslaender_nachgeschlecht": "arbeitslose_auslaender_nachgeschlecht.csv",
}


def parse_as(body: bytes, table: str, **overrides) -> pd.DataFrame:
    """Parse as the tables.yaml entry of `table` declares."""
    entry = TABLES[table]
    options = {"layout": entry.get("layout", "ffcsv"), "classic_layout": entry.get("classic_layout")} | overrides
    return parse_table(body, source=entry["source"], table=table, **options)


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def population_head(lines: int = 4) -> bytes:
    return b"".join(POPULATION.read_bytes().splitlines(keepends=True)[:lines])


def assert_names(error: pytest.ExceptionInfo, table: str, line: int | None) -> None:
    message = str(error.value)
    assert table in message, message
    if line is not None:
        assert f"line {line}:" in message, message


# rows of the long format per sample file: a flat CSV has one value per data line (lines minus the header);
# a classic table one per line and value column; the BA export 10 years × 3 columns
SAMPLE_ROWS = {
    "12411-01-01-4": (1467, 1467),     # 1468 lines
    "13111-01-03-4": (3300, 3300),     # 3301 lines
    "13211-02-05-4": (7007, 539),      # 539 data lines × 13 value columns
    "21111-01-03-4": (38736, 6456),    # 6456 data lines × 6 value columns
    "12531-0043": (116738, 116738),    # the zipped flat CSV of the recorded job
    "1000A-0000": (10787, 10787),      # 10788 lines
    "1000A-2022": (1360, 1360),        # 1361 lines
    "arbeitslose_auslaender_nachgeschlecht": (30, 10),
}


@pytest.mark.parametrize("table", sorted(SAMPLE_FILES))
def test_every_sample_file_parses_into_the_long_format(table):
    frame = parse_as((SAMPLE / SAMPLE_FILES[table]).read_bytes(), table)
    assert (len(frame), frame["line_number"].nunique()) == SAMPLE_ROWS[table]
    assert list(frame.columns[: len(LEADING_COLUMNS)]) == LEADING_COLUMNS
    assert list(frame.columns[-len(TRAILING_COLUMNS):]) == TRAILING_COLUMNS
    assert set(frame["table_code"]) == {table}
    assert frame["region_key"].map(type).eq(str).all()
    for variable in TABLES[table]["variables"]:
        assert {variable, f"{variable}_label"} <= set(frame.columns)
    assert (frame["value"].isna() == frame["value_flag"].notna()).all()


def test_zip_member_is_parsed_and_lines_counted_inside_it():
    frame = parse_as(zipped({"12411-01-01-4_de_flat.csv": population_head()}), "12411-01-01-4")
    assert frame["line_number"].tolist() == [2, 3, 4]


def test_truncated_zip_is_rejected():
    body = PROTECTION_SEEKERS.read_bytes()
    with pytest.raises(ParseError, match="truncated or corrupt ZIP") as error:
        parse_as(body[: len(body) // 2], "12531-0043")
    assert_names(error, "12531-0043", None)


def test_zip_with_two_members_is_rejected():
    body = zipped({"a_flat.csv": population_head(), "b_flat.csv": population_head()})
    with pytest.raises(ParseError, match="ZIP archive has 2 members, expected exactly one"):
        parse_as(body, "12411-01-01-4")


def test_genesis_status_answer_is_not_data():
    body = (SAMPLE / "12531-0043_tablefile_response_status98.json").read_bytes()
    with pytest.raises(ParseError, match="code 98") as error:
        parse_as(body, "12531-0043")
    assert "Die Tabelle ist zu gross" in str(error.value)
    assert_names(error, "12531-0043", 1)


@pytest.mark.parametrize("page", [b"<!DOCTYPE html><html><body>Wartungsarbeiten</body></html>", b"\n  <html><head>"])
def test_html_page_is_not_data(page):
    with pytest.raises(ParseError, match=r"an HTML page instead of data \(maintenance page or wrong URL\?\)") as error:
        parse_as(page, "12411-01-01-4")
    assert_names(error, "12411-01-01-4", 1)


@pytest.mark.parametrize("body", [b"", b"\xef\xbb\xbf", b"\n\n"])
def test_empty_file_has_no_data_rows(body):
    with pytest.raises(ParseError, match="no data rows") as error:
        parse_as(body, "12411-01-01-4")
    assert_names(error, "12411-01-01-4", 1)


@pytest.mark.parametrize(
    ("table", "file", "contains"),
    [
        ("13111-01-03-4", "12411-01-01-4_1773175772751_de_flat.csv", "12411"),
        ("12411-01-01-4", "1000A-0000_1773175153999_de_flat.csv", "1000A"),
        ("1000A-0000", "13111-01-03-4_1749623409083_de_flat.csv", "13111"),
    ],
)
def test_file_of_another_statistic_is_rejected(table, file, contains):
    with pytest.raises(ParseError, match=f"asked for {table}, file contains statistic {contains}") as error:
        parse_as((SAMPLE / file).read_bytes(), table)
    assert_names(error, table, 2)


def test_ffcsv_that_is_not_utf8_is_rejected_not_guessed():
    body = population_head().decode("utf-8-sig").encode("cp1252")
    with pytest.raises(ParseError, match="not valid UTF-8") as error:
        parse_as(body, "12411-01-01-4")
    assert_names(error, "12411-01-01-4", 2)


def test_classic_file_is_cp1252_and_needs_no_declared_encoding():
    body = (SAMPLE / "13211-02-05-4.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "Lübeck, kreisfreie Stadt, Hansestadt" in set(parse_as(body, "13211-02-05-4")["region_label"])


def test_unknown_layout_is_rejected():
    with pytest.raises(ParseError, match="unknown file layout, first line starts 'Tabelle 1: Bevölkerung'") as error:
        parse_as("\n\nTabelle 1: Bevölkerung\n1;2;3\n".encode("utf-8"), "12411-01-01-4")
    assert_names(error, "12411-01-01-4", 3)


def test_genesis_file_declared_as_ba_export_is_rejected():
    with pytest.raises(ParseError, match="declares layout ba_export, the file is ffcsv"):
        parse_as(POPULATION.read_bytes(), "12411-01-01-4", layout="ba_export")


def test_declared_classic_table_delivered_as_ffcsv_is_read_as_ffcsv():
    frame = parse_as(population_head(), "12411-01-01-4", layout="classic")
    assert len(frame) == 3


def test_register_layout_is_dispatched_to_gv100ad():
    frame = parse_as((SAMPLE / "GV100AD_301123.txt").read_bytes(), "GV100AD")
    assert len(frame) == 16_035
    assert {"ags", "ars", "key", "level", "population", "line_number"} <= set(frame.columns)


def test_register_with_a_broken_record_names_the_table_and_line():
    lines = (SAMPLE / "GV100AD_301123.txt").read_bytes().split(b"\n")[:5]
    lines[3] = lines[3][:100]
    with pytest.raises(ParseError, match="record has 100 characters") as error:
        parse_as(b"\n".join(lines), "GV100AD")
    assert_names(error, "GV100AD", 4)
