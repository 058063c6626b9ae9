"""Bad input through the real flow: a clear error naming source, table and line or check, exit code 1,
and the published data unchanged. Unusual but valid input is covered by the parser tests."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from flows.pipeline import pipeline
from flows.settings import PROJECT_ROOT
from warehouse.publish import current_snapshot

pytestmark = pytest.mark.slow

SAMPLE = PROJECT_ROOT / "offline" / "sample"
POPULATION = (SAMPLE / "12411-01-01-4_1773175772751_de_flat.csv").read_bytes()
LINES = POPULATION.split(b"\n")
HEADER, MANNHEIM = LINES[0], LINES[1]  # line 2: Mannheim, weiblich, 158789


def replace_line2(new: bytes) -> bytes:
    return b"\n".join([HEADER, new, *LINES[2:]])


def drop_column(name: bytes) -> bytes:
    columns = HEADER.lstrip(b"\xef\xbb\xbf").split(b";")
    position = columns.index(name)
    rows = [b";".join(part for i, part in enumerate(line.split(b";")) if i != position) for line in LINES if line]
    return b"\n".join(rows) + b"\n"


BAD_INPUTS = {
    "empty file": (b"", "no data"),
    "header only": (HEADER + b"\n", "no data"),
    "truncated zip": ((SAMPLE / "12411-01-01-4_1773175772751_de_flat.zip").read_bytes()[:12000], "zip"),
    "missing column": (drop_column(b"value_unit"), "value_unit"),
    "extra unknown column": (b"\n".join([HEADER + b";remark", *(line + b";x" for line in LINES[1:] if line)]) + b"\n", "remark"),
    "duplicated rows": (b"\n".join([HEADER, MANNHEIM, MANNHEIM, *LINES[2:]]), "line 3"),
    "non-numeric value": (replace_line2(MANNHEIM.replace(b";158789;", b";158a89;")), "line 2"),
    "unknown special sign": (replace_line2(MANNHEIM.replace(b";158789;", b";(x);")), "line 2"),
    "region key not in the register": (replace_line2(MANNHEIM.replace(b";08222;", b";08299;")), "08299"),
    "negative count": (replace_line2(MANNHEIM.replace(b";158789;", b";-158789;")), "line 2"),
    "JSON status instead of data": ((SAMPLE / "12531-0043_tablefile_response_status98.json").read_bytes(), "98"),
    "HTML page instead of data": (b"<!DOCTYPE html><html><body>Wartungsarbeiten</body></html>", "HTML"),
    "a different table": ((SAMPLE / "13111-01-03-4_1749623409083_de_flat.csv").read_bytes(), "13111"),
}


@pytest.fixture
def copied(built_copy):
    """A copy of the session's built and published warehouse to spoil."""
    return built_copy.parent


def population_rows(snapshot: Path):
    connection = duckdb.connect(str(snapshot), read_only=True)
    try:
        return connection.execute("SELECT * FROM raw.population_by_sex ORDER BY line_number").fetchall()
    finally:
        connection.close()


@pytest.mark.parametrize("case", list(BAD_INPUTS), ids=list(BAD_INPUTS))
def test_bad_input_is_refused_clearly_and_loses_nothing(case, copied, monkeypatch):
    body, expected_in_message = BAD_INPUTS[case]
    published_before = current_snapshot(copied / "published")
    rows_before = population_rows(published_before)

    bad_file = copied / "12411-01-01-4.csv"
    bad_file.write_bytes(body)
    tables = (PROJECT_ROOT / "sources" / "tables.yaml").read_text(encoding="utf-8")
    tables = tables.replace("  - name: population_by_sex\n    source: regio\n",
                            f"  - name: population_by_sex\n    source: file\n    path: {bad_file}\n")
    (copied / "tables.yaml").write_text(tables, encoding="utf-8")
    monkeypatch.setenv("IMON_TABLES_FILE", str(copied / "tables.yaml"))

    summary = pipeline(warehouse=str(copied / "imon.duckdb"), tables=["population_by_sex"])

    assert summary.exit_code == 1
    [outcome] = [t for t in summary.tables if t.name == "population_by_sex"]
    assert outcome.status == "rejected"
    assert outcome.message.startswith("file 12411-01-01-4"), outcome.message
    assert expected_in_message in outcome.message, outcome.message
    assert current_snapshot(copied / "published") == published_before
    assert population_rows(published_before) == rows_before
    working = duckdb.connect(str(copied / "imon.duckdb"), read_only=True)
    assert working.execute("SELECT count(*) FROM raw.population_by_sex").fetchone()[0] == len(rows_before)
    working.close()
