"""Bundesagentur für Arbeit interactive-statistics CSV export → long format."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sources.errors import ParseError
from sources.parse import parse_table

SAMPLE = Path(__file__).resolve().parent.parent / "offline" / "sample"
EXPORT = SAMPLE / "arbeitslose_auslaender_nachgeschlecht.csv"
TABLE = "arbeitslose_auslaender_nachgeschlecht"


def parse(body: bytes) -> pd.DataFrame:
    return parse_table(body, source="ba_file", table=TABLE, layout="ba_export")


def lines_of() -> list[str]:
    return EXPORT.read_text(encoding="utf-8-sig").split("\n")


def body_of(lines: list[str]) -> bytes:
    return ("\ufeff" + "\n".join(lines)).encode("utf-8")


def assert_names(error: pytest.ExceptionInfo, line: int) -> None:
    message = str(error.value)
    assert TABLE in message and f"line {line}:" in message, message


def test_unemployed_foreigners_by_sex_and_year():
    frame = parse(EXPORT.read_bytes())
    assert len(frame) == 10 * 3
    year_2024 = frame[frame["reference_time"] == "2024"].set_index("ges_label")["value"]
    assert year_2024.to_dict() == {"Frauen": 511_527, "Männer": 529_381, "Insgesamt": 1_040_908}
    assert frame.loc[frame["reference_time"] == "2023", "value"].max() == 967_226


def test_codes_are_constant_where_the_export_says_so():
    frame = parse(EXPORT.read_bytes())
    constant = frame[
        ["region_variable", "region_key", "region_label", "time_code", "value_variable", "value_unit", "nat", "nat_label"]
    ]
    assert constant.drop_duplicates().values.tolist() == [
        ["DINSG", "DG", "Deutschland", "JAHR", "ARBEITSLOSE", "Anzahl", "NATA", "Ausländer"]
    ]
    assert set(frame["ges"]) == {"GESW", "GESM", None}
    assert frame.loc[frame["reference_time"] == "2015", "line_number"].unique().tolist() == [11]


def test_thousands_separator_is_not_a_decimal_point():
    frame = parse(EXPORT.read_bytes())
    assert (frame["value"] > 100_000).all()
    assert (frame["value"] == frame["value"].round()).all()


@pytest.mark.parametrize("sign", ["*", "x", "X"])
def test_ba_signs_are_flags(sign):
    lines = lines_of()
    lines[19] = lines[19].replace('"1.040.908"', f'"{sign}"')
    frame = parse(body_of(lines))
    cell = frame[(frame["reference_time"] == "2024") & frame["ges"].isna()]
    assert cell["value_flag"].item() == sign and pd.isna(cell["value"].item())
    assert frame["value_flag"].notna().sum() == 1


def test_unknown_sign_is_rejected():
    lines = lines_of()
    lines[12] = lines[12].replace('"295.410"', '"?"')
    with pytest.raises(ParseError, match="unknown special sign or non-numeric value '\\?'") as error:
        parse(body_of(lines))
    assert_names(error, 13)


def test_unknown_column_is_rejected():
    lines = lines_of()
    lines[9] = lines[9].replace("Männer Arbeitslose", "Divers Arbeitslose")
    with pytest.raises(ParseError, match="unknown BA column 'Divers Arbeitslose'") as error:
        parse(body_of(lines))
    assert_names(error, 10)


def test_row_with_a_missing_field_is_rejected():
    lines = lines_of()
    lines[14] = lines[14].rsplit(";", 1)[0]
    with pytest.raises(ParseError, match="expected 'year;values…' with 4 fields") as error:
        parse(body_of(lines))
    assert_names(error, 15)


def test_export_of_another_indicator_is_rejected():
    lines = lines_of()
    lines[4] = '"Indikator";"Arbeitsuchende"'
    with pytest.raises(ParseError, match="unknown BA indicator 'Arbeitsuchende'") as error:
        parse(body_of(lines))
    assert_names(error, 5)


def test_header_only_has_no_data_rows():
    with pytest.raises(ParseError, match="no data rows") as error:
        parse(body_of(lines_of()[:10]))
    assert_names(error, 11)


def test_the_ba_suite_accepts_every_ba_sign_as_a_flag():
    import json

    from sources.ba_export import BA_SIGNS

    suite = json.loads((SAMPLE.parents[1] / "expectations" / "ba_unemployed_foreigners_by_sex.json").read_text(encoding="utf-8"))
    flags = next(e for e in suite["expectations"] if e["kwargs"].get("column") == "value_flag")
    assert BA_SIGNS <= set(flags["kwargs"]["value_set"])
