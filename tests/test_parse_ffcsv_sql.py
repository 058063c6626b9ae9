"""ffcsv read by DuckDB (sources/ffcsv_sql.py): the same rows as the Python reader, or no reading at all."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import duckdb
import pytest

from sources.ffcsv_sql import stage_ffcsv
from sources.parse import parse_table
from tests.parse_support import assert_same_rows

SAMPLE = Path(__file__).resolve().parent.parent / "offline" / "sample"
FILES = {
    "12411-01-01-4": SAMPLE / "12411-01-01-4_1773175772751_de_flat.csv",
    "13111-01-03-4": SAMPLE / "13111-01-03-4_1749623409083_de_flat.csv",
    "1000A-0000": SAMPLE / "1000A-0000_1773175153999_de_flat.csv",  # value_q, two variables in one slot
    "1000A-2022": SAMPLE / "1000A-2022_1773175355216_de_flat.csv",
    "12531-0043": SAMPLE / "12531-0043_175879554_flat.zip",  # zipped, 116,738 values
}
HEADER = ("statistics_code;statistics_label;time_code;time_label;time;1_variable_code;1_variable_label;"
          "1_variable_attribute_code;1_variable_attribute_label;2_variable_code;2_variable_label;"
          "2_variable_attribute_code;2_variable_attribute_label;value;value_unit;value_variable_code;value_variable_label")


def line(key="09162", value="1512491", sex="GESM", label="München, Landeshauptstadt", time="2023-12-31"):
    return (f"12411;Bevölkerung;STAG;Stichtag;{time};KREISE;Kreise;{key};{label};GES;Geschlecht;{sex};"
            f"{'männlich' if sex else 'Insgesamt'};{value};Anzahl;BEVSTD;Bevölkerungsstand")


def both(path: Path, table: str):
    """(Python reader's rows, DuckDB reader's rows or None when it declined)."""
    expected = parse_table(path.read_bytes(), source="regio", table=table).assign(source_file="file", source_sha256="sha")
    connection = duckdb.connect()
    try:
        if not stage_ffcsv(connection, path, table=table, name="incoming", source_file="file", source_sha256="sha"):
            return expected, None
        return expected, connection.execute("SELECT * FROM incoming ORDER BY rowid").df()
    finally:
        connection.close()


@pytest.mark.parametrize("table", FILES)
def test_real_files_give_the_rows_of_the_python_reader(table):
    expected, got = both(FILES[table], table)
    assert got is not None, "a plain GENESIS file must be read by DuckDB"
    assert_same_rows(expected, got)


def test_signs_decimals_german_dates_and_slots_in_any_order(tmp_path):
    swapped = HEADER.replace("1_", "x_").replace("2_", "1_").replace("x_", "2_")
    rows = [line(value="-"), line(value="-0,5", key="DG", label="Deutschland"), line(value="...", sex=""),
            line(value="x", time="31.12.2022"), line(value="2.5", label="   Bayern  ", key="09")]
    # the same rows with the slots swapped in the header: the region is found by its codes
    text = "\n".join([swapped] + [";".join(r.split(";")[:5] + r.split(";")[9:13] + r.split(";")[5:9] + r.split(";")[13:])
                                  for r in rows]) + "\n"
    path = tmp_path / "signs.csv"
    path.write_text(text, encoding="utf-8")
    expected, got = both(path, "12411-01-01-4")
    assert got is not None
    assert_same_rows(expected, got)
    assert [flag if isinstance(flag, str) else None for flag in got["value_flag"]] == ["-", None, "...", "x", None]
    assert got["region_label"].iloc[4] == "Bayern" and got["reference_time"].iloc[3] == "2022-12-31"


def zipped(text: str, members: int = 1) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(members):
            archive.writestr(f"member{number}.csv", text)
    return buffer.getvalue()


@pytest.mark.parametrize("body", [
    pytest.param((HEADER + "\n" + line(label='"München"') + "\n").encode(), id="quotes"),
    pytest.param((HEADER + "\n" + line() + "\n\n" + line() + "\n").encode(), id="blank line"),
    pytest.param((HEADER + "\n" + line() + ";extra\n").encode(), id="extra field"),
    pytest.param((HEADER + "\n" + line(label="München\t") + "\n").encode(), id="tab at a label's end"),
    pytest.param((HEADER + "\n" + line(value="1.234,5") + "\n").encode(), id="thousands separator"),
    pytest.param((HEADER + "\n" + line(value="?") + "\n").encode(), id="unknown sign"),
    pytest.param((HEADER + "\n" + line().replace("12411;", "12521;", 1) + "\n").encode(), id="other statistic"),
    pytest.param((HEADER + "\n" + line(label="München") + "\n").encode("cp1252"), id="not utf-8"),
    pytest.param((HEADER + "\n").encode(), id="header only"),
    pytest.param(zipped(HEADER + "\n" + line() + "\n", members=2), id="two zip members"),
    pytest.param(zipped(HEADER + "\n" + line() + "\n")[:60], id="truncated zip"),
])
def test_anything_but_a_plain_file_is_left_to_the_python_reader(tmp_path, body):
    path = tmp_path / "table.csv"
    path.write_bytes(body)
    connection = duckdb.connect()
    assert not stage_ffcsv(connection, path, table="12411-01-01-4", name="incoming", source_file="f", source_sha256="s")
    tables = connection.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    assert tables == [], "a declined file leaves no table behind"



def test_the_plainness_scan_sees_across_chunk_boundaries(tmp_path, monkeypatch):
    """The file is checked chunk by chunk (not mapped into memory): a blank line or a quote split between two
    chunks is still seen at every chunk size, and line breaks at the end of the file are still no blank line."""
    import sources.ffcsv_sql as ffcsv_sql

    bodies = {
        "trailing line breaks": (HEADER + "\n" + line() + "\r\n\r\n\n").encode(),
        "blank line": (HEADER + "\n" + line() + "\n\n" + line() + "\n").encode(),
        "blank line with a carriage return": (HEADER + "\r\n" + line() + "\n\r\n" + line() + "\r\n").encode(),
        "quote": (HEADER + "\n" + line(label='"München"') + "\n").encode(),
    }
    paths = {}
    for number, (name, body) in enumerate(bodies.items()):
        paths[name] = tmp_path / f"table{number}.csv"
        paths[name].write_bytes(body)
    for chunk in range(len(HEADER) + 2, len(HEADER) + len(line()) + 12):  # every split of the body's first line break
        monkeypatch.setattr(ffcsv_sql, "SCAN_CHUNK", chunk)
        plain = {name: ffcsv_sql._plain_header(path) is not None for name, path in paths.items()}
        assert plain == {"trailing line breaks": True, "blank line": False, "blank line with a carriage return": False,
                         "quote": False}, chunk
    monkeypatch.setattr(ffcsv_sql, "SCAN_CHUNK", 64)  # the header line does not fit the first chunk: not plain
    assert ffcsv_sql._plain_header(paths["trailing line breaks"]) is None
