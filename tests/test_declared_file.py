"""Counties' own files: a CSV or XLSX read as its declaration (tables.yaml `layout: declared`) says.

All files here are test data built in tmp_path with invented numbers; only the regional keys are real.
"""

from __future__ import annotations

import io
import json
import shutil
from datetime import datetime

import duckdb
import openpyxl
import pandas as pd
import pytest
import yaml

from flows.settings import PROJECT_ROOT
from sources.errors import ParseError
from sources.parse import parse_table

DECLARATION = {
    "format": "csv",
    "encoding": "utf-8",
    "delimiter": ";",
    "decimal": ",",
    "thousands": ".",
    "region": {"column": "AGS", "key": "ags", "label_column": "Kreis"},
    "period": {"column": "Stichtag", "type": "date"},
    "values": [
        {"column": "Ausländer", "value_variable": "AUSL01", "unit": "Anzahl",
         "classifiers": {"nat": {"code": "NATA", "label": "ausländisch"}}},
        {"column": "Einwohner", "value_variable": "AUSL01", "unit": "Anzahl", "classifiers": {"nat": None}},
        {"column": "Anteil", "value_variable": "AUSL02", "unit": "Prozent", "label": "Ausländeranteil"},
    ],
}
# Test data: invented numbers for three real Bavarian Kreise.
CSV = (
    "AGS;Kreis;Stichtag;Ausländer;Einwohner;Anteil\n"
    "09162;München, Landeshauptstadt;31.12.2024;1.234;5.000;24,7\n"
    "9163;Rosenheim;31.12.2024;*;.;x\n"
    "09171;Altötting;2024-12-31;12;100;12,0\n"
)


def parse(body: bytes, declaration: dict | None = None, table: str = "auslaender_test") -> pd.DataFrame:
    return parse_table(body, source="county_file", table=table, layout="declared", declaration=declaration or DECLARATION)


def workbook(rows: list[list], sheet: str = "Daten") -> bytes:
    book = openpyxl.Workbook()
    book.active.title = "Hinweise"
    book.active.append(["Testdaten, erfundene Zahlen"])
    data = book.create_sheet(sheet)
    for row in rows:
        data.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_csv_becomes_the_long_format_with_every_value_numbered():
    frame = parse(CSV.encode())

    assert len(frame) == 3 * 3
    munich = frame[frame["region_key"] == "09162"].set_index("value_variable_label")
    assert munich.loc["Ausländer", "value"] == 1234 and munich.loc["Einwohner", "value"] == 5000
    assert munich.loc["Ausländeranteil", "value"] == pytest.approx(24.7)
    assert munich["line_number"].unique().tolist() == [2]
    assert munich.loc["Ausländer", ["nat", "nat_label"]].tolist() == ["NATA", "ausländisch"]
    assert munich.loc["Einwohner", ["nat", "nat_label"]].tolist() == [None, "Insgesamt"]
    assert munich.loc["Ausländeranteil", ["nat", "nat_label"]].tolist() == [None, None]  # does not apply
    assert set(frame["time_code"]) == {"STAG"} and set(frame["reference_time"]) == {"2024-12-31"}
    assert set(frame["region_variable"]) == {"KREISE"}


def test_special_signs_are_flags_never_zero_and_a_lost_leading_zero_is_restored():
    frame = parse(CSV.encode())

    rosenheim = frame[frame["line_number"] == 3]
    assert rosenheim["region_key"].unique().tolist() == ["09163"]
    assert rosenheim["value_flag"].tolist() == ["*", ".", "x"]
    assert rosenheim["value"].isna().all()
    assert frame.loc[frame["line_number"] != 3, "value_flag"].isna().all()


def test_xlsx_sheet_with_a_title_row_numeric_keys_and_date_cells():
    body = workbook([
        ["Ausländerbehörde, Testdaten"],
        ["AGS", "Kreis", "Stichtag", "Ausländer", "Einwohner", "Anteil"],
        [9162, "München, Landeshauptstadt", datetime(2024, 12, 31), 1234, 5000, 24.7],
        ["09163", "Rosenheim", "31.12.2024", "*", ".", "x"],
        [None, None, None, None, None, None],
    ])
    frame = parse(body, {**DECLARATION, "format": "xlsx", "sheet": "Daten", "header_row": 2})

    assert sorted(frame["region_key"].unique()) == ["09162", "09163"]
    assert set(frame["reference_time"]) == {"2024-12-31"}
    assert frame["line_number"].unique().tolist() == [3, 4]  # sheet rows
    munich = frame[frame["line_number"] == 3].set_index("value_variable_label")["value"]
    assert munich.to_dict() == {"Ausländer": 1234, "Einwohner": 5000, "Ausländeranteil": pytest.approx(24.7)}
    assert frame.loc[frame["line_number"] == 4, "value_flag"].tolist() == ["*", ".", "x"]


def test_year_periods_gemeinde_and_ars_keys_and_declared_signs():
    declaration = {
        "format": "csv", "delimiter": ",", "decimal": ".",
        "region": {"column": "ARS", "key": "ars"}, "period": {"column": "Jahr", "type": "year"},
        "values": [{"column": "Fälle", "value_variable": "FALL01", "unit": "Anzahl"}],
        "signs": ["k.A."],
    }
    frame = parse(b"ARS,Jahr,F\xc3\xa4lle\n091620000000,2023,1.5\n91620000000,2024,k.A.\n", declaration)

    assert frame["region_key"].tolist() == ["091620000000", "091620000000"]
    assert frame["region_variable"].unique().tolist() == ["ARS"]
    assert frame["reference_time"].tolist() == ["2023", "2024"] and set(frame["time_code"]) == {"JAHR"}
    assert frame["value"].iloc[0] == 1.5 and frame["value_flag"].tolist() == [None, "k.A."]
    gemeinden = parse("AGS;Jahr;Fälle\n09162000;2024;3\n".encode(), {**declaration, "delimiter": ";",
                                                                      "region": {"column": "AGS", "key": "ags"}})
    assert gemeinden[["region_variable", "region_key"]].values.tolist() == [["GEMEIN", "09162000"]]


def test_cp1252_file_when_declared():
    body = CSV.encode("cp1252")
    assert parse(body, {**DECLARATION, "encoding": "cp1252"})["region_label"].iloc[-1] == "Altötting"


@pytest.mark.parametrize("replace, line, message", [
    ("09171;Altötting", 4, "regional key '0917' is not an AGS of 2, 5 or 8 digits"),
    ("1.234", 2, "column 'Ausländer': '1.2x4' is neither a number"),
    ("24,7", 2, "column 'Anteil': empty value"),
    ("2024-12-31", 4, "period '2024-13-31' is not a date"),
])
def test_a_bad_value_is_rejected_naming_source_table_and_line(replace, line, message):
    broken = {"09171;Altötting": "0917;Altötting", "1.234": "1.2x4", "24,7": "", "2024-12-31": "2024-13-31"}[replace]

    with pytest.raises(ParseError) as error:
        parse(CSV.replace(replace, broken).encode())

    assert str(error.value).startswith(f"county_file auslaender_test, line {line}: {message}"), str(error.value)


def test_a_missing_column_is_rejected_at_the_header():
    with pytest.raises(ParseError, match=r"line 1: declared column 'Ausländer' is not in the header"):
        parse(CSV.replace("Ausländer;", "Auslaender;").encode())


def test_file_not_in_the_declared_encoding_names_the_line():
    with pytest.raises(ParseError, match=r"line 1: not valid utf-8 \(byte 0xe4\); check encoding in the declaration"):
        parse(CSV.encode("cp1252"))  # the ä of "Ausländer" in the header


def test_unknown_sheet_and_header_only_and_broken_declaration():
    with pytest.raises(ParseError, match=r"no sheet 'Tabelle1'; the workbook has \['Hinweise', 'Daten'\]"):
        parse(workbook([["AGS"]]), {**DECLARATION, "format": "xlsx", "sheet": "Tabelle1"})
    with pytest.raises(ParseError, match="line 2: header only, no data rows"):
        parse(CSV.splitlines()[0].encode())
    with pytest.raises(ParseError, match="declaration in the tables file: value column 2 lacks unit"):
        parse(CSV.encode(), {**DECLARATION, "values": [DECLARATION["values"][0], {"column": "Einwohner", "value_variable": "X"}]})
    with pytest.raises(ParseError, match="format must be one of csv, xlsx"):
        parse(CSV.encode(), {**DECLARATION, "format": "ods"})


# --- through the real flow --------------------------------------------------------------------------

def _suite(name: str, table: str) -> dict:
    """A small suite for a declared county table (what a state office would write for it)."""
    def critical(kind: str, **kwargs) -> dict:
        return {"type": kind, "kwargs": kwargs, "severity": "critical"}

    return {
        "name": name,
        "meta": {"table": table, "source": "county_file", "description": f"Checks on {table} (test data)."},
        "expectations": [
            critical("expect_table_row_count_to_be_between", min_value=1),
            critical("expect_table_columns_to_match_set", column_set=[
                "table_code", "line_number", "time_code", "reference_time", "region_variable", "region_key",
                "region_label", "nat", "nat_label", "value_variable", "value_variable_label", "value_unit", "value",
                "value_flag", "value_quality", "source_file", "source_sha256", "region_key_status"], exact_match=True),
            critical("expect_column_values_to_match_regex", column="region_key", regex=r"^(?:\d{2}|\d{5}|\d{8}|\d{12})$"),
            critical("expect_column_values_to_be_in_set", column="value_flag", value_set=["-", ".", "...", "x", "X", "/", "*"]),
            critical("expect_compound_columns_to_be_unique",
                     column_list=["reference_time", "region_key", "nat", "value_variable"]),
            {"type": "expect_column_values_to_be_in_set", "severity": "warning",
             "kwargs": {"column": "region_key_status", "value_set": ["in_register"]}},
        ],
    }


@pytest.mark.slow
def test_declared_county_files_are_validated_and_loaded_by_the_flow(tmp_path, monkeypatch):
    from flows.pipeline import pipeline

    county = tmp_path / "county"
    county.mkdir()
    (county / "auslaender_2024.csv").write_text(CSV, encoding="utf-8")
    (county / "auslaender_2024.xlsx").write_bytes(workbook([
        ["Testdaten"], ["AGS", "Kreis", "Stichtag", "Ausländer", "Einwohner", "Anteil"],
        [9162, "München, Landeshauptstadt", datetime(2024, 12, 31), 1234, 5000, 24.7],
    ]))
    broken = tmp_path / "elsewhere" / "auslaender_kaputt.csv"
    broken.parent.mkdir()
    broken.write_text(CSV.replace("12;100", "12a;100"), encoding="utf-8")

    default = yaml.safe_load((PROJECT_ROOT / "sources" / "tables.yaml").read_text(encoding="utf-8"))["tables"]
    register = next(entry for entry in default if entry["name"] == "municipality_register")
    entries = [
        ("county_foreigners_csv", "auslaender-csv", "auslaender_2024.csv", DECLARATION),
        ("county_foreigners_xlsx", "auslaender-xlsx", "auslaender_2024.xlsx",
         {**DECLARATION, "format": "xlsx", "sheet": "Daten", "header_row": 2}),
        ("county_foreigners_broken", "auslaender-kaputt", str(broken), DECLARATION),
    ]
    tables = [register] + [{"name": name, "source": "county_file", "table": code, "title": f"{code} (test data)",
                            "path": path, "layout": "declared", "declaration": declaration}
                           for name, code, path, declaration in entries]
    (tmp_path / "tables.yaml").write_text(yaml.safe_dump({"tables": tables}, allow_unicode=True), encoding="utf-8")
    expectations = tmp_path / "expectations"
    expectations.mkdir()
    shutil.copy(PROJECT_ROOT / "expectations" / "municipality_register.json", expectations)
    for name, code, _, _ in entries:
        (expectations / f"{name}.json").write_text(json.dumps(_suite(name, code)), encoding="utf-8")
    for variable in ("IMON_LANDING_DIR", "IMON_REGISTER_FILE", "IMON_WAREHOUSE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("IMON_TABLES_FILE", str(tmp_path / "tables.yaml"))
    monkeypatch.setenv("IMON_EXPECTATIONS_DIR", str(expectations))
    monkeypatch.setenv("IMON_COUNTY_DATA_DIR", str(county))

    summary = pipeline(warehouse=str(tmp_path / "imon.duckdb"), build=False)

    outcomes = {t.name: t for t in summary.tables}
    assert outcomes["county_foreigners_csv"].status == "loaded", outcomes["county_foreigners_csv"].message
    assert outcomes["county_foreigners_xlsx"].status == "loaded", outcomes["county_foreigners_xlsx"].message
    assert outcomes["county_foreigners_broken"].status == "rejected"
    assert outcomes["county_foreigners_broken"].message.startswith(
        "county_file auslaender-kaputt, line 4: column 'Ausländer': '12a' is neither a number")
    assert summary.exit_code == 1
    warehouse = duckdb.connect(str(summary.warehouse_path), read_only=True)
    rows = warehouse.execute(
        "SELECT region_key, line_number, value_variable, nat, value, value_flag, region_key_status, source_file "
        "FROM raw.county_foreigners_csv ORDER BY line_number, value_variable, nat NULLS FIRST").fetchall()
    assert len(rows) == 9 and {r[6] for r in rows} == {"in_register"}
    assert rows[0][:6] == ("09162", 2, "AUSL01", None, 5000.0, None)
    assert [(r[0], r[4], r[5]) for r in rows if r[1] == 3] == [("09163", None, "."), ("09163", None, "*"), ("09163", None, "x")]
    assert rows[0][7].startswith("county_file/auslaender-csv/")
    assert warehouse.execute("SELECT DISTINCT region_key, reference_time, line_number FROM raw.county_foreigners_xlsx").fetchall() \
        == [("09162", "2024-12-31", 3)]
    assert not warehouse.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'county_foreigners_broken' "
                                 "AND schema_name = 'raw'").fetchone()[0]
    warehouse.close()
