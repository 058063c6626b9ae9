"""Classic tables read by DuckDB (sources/classic_sql.py): the same rows as the Python reader, or no reading at all."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sources.catalog import load_table_specs
from sources.classic_sql import stage_classic
from sources.parse import parse_table
from tests.parse_support import assert_same_rows, plain

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "offline" / "sample"
LAYOUTS = {spec.table: spec.classic_layout for spec in load_table_specs(ROOT / "sources" / "tables.yaml")
           if spec.layout == "classic"}
FILES = {  # every time column: a year (with and without a row classifier), a date, none (the title's Stichtag)
    "13211-02-05-4": SAMPLE / "13211-02-05-4.csv",
    "13211-02-05-4 2015-2020": SAMPLE / "13211-02-05-4_2015-2020.csv",  # older header labels (aliases)
    "21111-01-03-4": SAMPLE / "21111-01-03-4.csv",
    "12411-0018": SAMPLE / "12411-0018_2015-2020.csv",
    "13111-07-05-4": SAMPLE / "13111-07-05-4_2017.csv",
}


def both(body: bytes, table: str):
    """(Python reader's rows, DuckDB reader's rows or None when it declined)."""
    layout = LAYOUTS[table]
    expected = parse_table(body, source="regio", table=table, layout="classic", classic_layout=layout)
    connection = duckdb.connect()
    try:
        if not stage_classic(connection, body, table=table, layout=layout, name="incoming", source_file="file",
                             source_sha256="sha"):
            assert connection.execute("SELECT table_name FROM duckdb_tables()").fetchall() == [], \
                "a declined file leaves no table behind"
            return expected, None
        got = connection.execute("SELECT * FROM incoming ORDER BY rowid").df()
        return expected.assign(source_file="file", source_sha256="sha"), got
    finally:
        connection.close()


@pytest.mark.parametrize("name", FILES)
def test_real_files_give_the_rows_of_the_python_reader(name):
    expected, got = both(FILES[name].read_bytes(), name.split()[0])
    assert got is not None, "a plain classic file must be read by DuckDB"
    assert_same_rows(expected, got)


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="cp1252").split("\n")


def changed(path: Path, line: int, old: str, new: str) -> bytes:
    """The file with `old` replaced by `new` in its line `line` (1-based)."""
    lines = lines_of(path)
    assert old in lines[line - 1], (old, lines[line - 1])
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    return "\n".join(lines).encode("cp1252")


def test_signs_crlf_and_a_row_of_empty_fields_are_read_as_python_reads_them():
    lines = lines_of(FILES["13211-02-05-4"])
    lines[10] = lines[10].replace(";87757;", ";-;", 1).replace(";6,0;", ";.;", 1)  # Schleswig-Holstein, 2023
    lines.insert(12, ";" * 15)  # a row of empty fields inside the data
    expected, got = both("\r\n".join(lines).encode("cp1252"), "13211-02-05-4")
    assert got is not None
    assert_same_rows(expected, got)
    assert set(plain(got["value_flag"])) == {None, "-", "."}


@pytest.mark.parametrize("fault", [
    pytest.param(("13211-02-05-4", 11, "Schleswig-Holstein", '"Schleswig-Holstein"'), id="quotes before the footer"),
    pytest.param(("13211-02-05-4", 11, ";87757;", ";87757;1;"), id="a row with one field too many"),
    pytest.param(("13211-02-05-4", 11, "2023;01;", "2023;0X;"), id="unknown regional key"),
    pytest.param(("13211-02-05-4", 11, "2023;01;", "2023;0123;"), id="a key of a length no level has"),
    pytest.param(("13211-02-05-4", 11, "2023;01;", "23;01;"), id="not a year"),
    pytest.param(("13211-02-05-4", 11, ";87757;", ";87.757;"), id="thousands separator"),
    pytest.param(("13211-02-05-4", 11, ";87757;", ";?;"), id="unknown sign"),
    pytest.param(("13211-02-05-4", 11, "  Schleswig-Holstein", "\tSchleswig-Holstein"), id="tab before a label"),
    pytest.param(("13211-02-05-4", 9, "Anzahl;Anzahl", "Anzahl;Prozent;Anzahl"), id="a header of another width"),
    pytest.param(("13211-02-05-4", 1, "13211-02-05-4", "13211-02-04-4"), id="another table in the title"),
])
def test_anything_unusual_is_left_to_the_python_reader(fault):
    table, line, old, new = fault
    body = changed(FILES[table], line, old, new)
    connection = duckdb.connect()
    try:
        assert not stage_classic(connection, body, table=table, layout=LAYOUTS[table], name="incoming",
                                 source_file="f", source_sha256="s")
        assert connection.execute("SELECT table_name FROM duckdb_tables()").fetchall() == []
    finally:
        connection.close()


def test_an_unknown_row_label_is_left_to_the_python_reader():
    body = FILES["21111-01-03-4"].read_bytes().decode("cp1252")
    body = body.replace(";Grundschulen;", ";Grundschulen neu;", 1).encode("cp1252")
    expected_error = None
    try:
        parse_table(body, source="regio", table="21111-01-03-4", layout="classic", classic_layout=LAYOUTS["21111-01-03-4"])
    except Exception as error:  # the Python reader names the label and the line
        expected_error = str(error)
    assert expected_error and "unknown bilsa8 label 'Grundschulen neu'" in expected_error
    connection = duckdb.connect()
    assert not stage_classic(connection, body, table="21111-01-03-4", layout=LAYOUTS["21111-01-03-4"],
                             name="incoming", source_file="f", source_sha256="s")
