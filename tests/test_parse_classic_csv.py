"""Classic table layout (regionalstatistik.de web download, Windows-1252) → long format."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from sources.errors import ParseError
from sources.parse import parse_table

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "offline" / "sample"
UNEMPLOYED = SAMPLE / "13211-02-05-4.csv"
PUPILS = SAMPLE / "21111-01-03-4.csv"
TABLES = {
    entry["table"]: entry
    for entry in yaml.safe_load((ROOT / "sources" / "tables.yaml").read_text(encoding="utf-8"))["tables"]
}


def parse(body: bytes, table: str, layout_of: str | None = None) -> pd.DataFrame:
    """Parse with the classic_layout declared in sources/tables.yaml."""
    entry = TABLES[layout_of or table]
    return parse_table(body, source="regio", table=table, layout="classic", classic_layout=entry["classic_layout"])


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="cp1252").split("\n")


def body_of(lines: list[str]) -> bytes:
    return "\n".join(lines).encode("cp1252")


def pick(frame: pd.DataFrame, **where) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column].isna() if value is None else frame[column] == value
    return frame[mask]


def assert_names(error: pytest.ExceptionInfo, table: str, line: int) -> None:
    message = str(error.value)
    assert table in message and f"line {line}:" in message, message


def test_unemployed_germany_and_foreigners():
    frame = parse(UNEMPLOYED.read_bytes(), "13211-02-05-4")
    germany = pick(frame, region_key="DG", value_variable="ERWP06")
    assert pick(germany, erwaq7=None)["value"].item() == 2_608_672
    assert pick(germany, erwaq7="ARBEITSLOS08")["value"].item() == 967_226
    total = pick(germany, erwaq7=None).iloc[0]
    described = ["region_variable", "region_label", "time_code", "reference_time", "value_unit", "erwaq7_label"]
    assert total[described].tolist() == ["DINSG", "Deutschland", "JAHR", "2023", "Anzahl", "Insgesamt"]


def test_unemployment_rate_of_foreigners_in_flensburg():
    frame = parse(UNEMPLOYED.read_bytes(), "13211-02-05-4")
    flensburg = pick(frame, region_key="01001", value_variable="ERWP10", erwaq8="ARBEITSQUO07").iloc[0]
    assert flensburg["value"] == pytest.approx(16.0)
    assert flensburg[["value_unit", "erwaq8_label", "region_label", "region_variable", "line_number"]].tolist() == [
        "Prozent", "ausländisch", "Flensburg, kreisfreie Stadt", "KREISE", 12,
    ]
    # ERWAQ7 does not apply to the rates: neither code nor label.
    assert flensburg["erwaq7"] is None and flensburg["erwaq7_label"] is None


def test_every_data_row_and_column_and_nothing_from_the_footer():
    frame = parse(UNEMPLOYED.read_bytes(), "13211-02-05-4")
    assert len(frame) == 539 * 13
    assert frame["line_number"].min() == 10 and frame["line_number"].max() == 548
    assert set(frame["region_variable"]) == {"DINSG", "DLAND", "REGBEZ", "KREISE"}


def test_classic_special_signs_are_flags():
    frame = parse(UNEMPLOYED.read_bytes(), "13211-02-05-4")
    goettingen = pick(frame, region_key="03152")  # dissolved 2016: every cell "-"
    assert len(goettingen) == 13 and set(goettingen["value_flag"]) == {"-"} and goettingen["value"].isna().all()
    braunschweig = pick(frame, region_key="031", value_variable="ERWP09")
    assert braunschweig["value_flag"].item() == "." and pd.isna(braunschweig["value"].item())
    assert (frame["value"].isna() == frame["value_flag"].notna()).all()


def test_windows_1252_labels_are_decoded_and_indentation_stripped():
    frame = parse(UNEMPLOYED.read_bytes(), "13211-02-05-4")
    labels = set(frame["region_label"])
    assert "Lübeck, kreisfreie Stadt, Hansestadt" in labels
    assert "Schleswig-Holstein" in labels
    assert not any(label != label.strip() for label in labels)


def test_the_same_file_in_utf8_reads_the_same():
    body = UNEMPLOYED.read_bytes()
    assert parse(body.decode("cp1252").encode("utf-8"), "13211-02-05-4").equals(parse(body, "13211-02-05-4"))


def test_crlf_line_endings_read_the_same():
    body = UNEMPLOYED.read_bytes()
    assert parse(body.replace(b"\n", b"\r\n"), "13211-02-05-4").equals(parse(body, "13211-02-05-4"))


def test_pupils_by_school_type_with_row_classifier():
    frame = parse(PUPILS.read_bytes(), "21111-01-03-4")
    germany = pick(frame, region_key="DG", value_variable="BIL003", ges=None, nat=None, bilkl2=None)
    assert pick(germany, bilsa8="SCHULE03")["value"].item() == 3_098_664
    assert pick(germany, bilsa8="INSGESAMT1")["value"].item() == 8_819_489
    gymnasien = pick(frame, region_key="DG", bilsa8="SCHULE08")
    assert pick(gymnasien, bilkl2="JGSTUFE7")["value"].item() == 302_096
    assert pick(gymnasien, nat="NATA")["value"].item() == 183_692
    assert pick(gymnasien, value_variable="BIL013")["value"].item() == 3_160
    assert set(frame["time_code"]) == {"STAG"} and set(frame["reference_time"]) == {"2023"}
    assert len(frame) == 6456 * 6


def test_pupils_total_of_schools_is_blocked_not_zero():
    frame = parse(PUPILS.read_bytes(), "21111-01-03-4")
    schools = pick(frame, region_key="DG", bilsa8="INSGESAMT1", value_variable="BIL013")
    assert schools["value_flag"].item() == "x" and pd.isna(schools["value"].item())
    assert schools["bilsa8_label"].item() == "Insgesamt"


def test_changed_header_is_rejected():
    lines = lines_of(UNEMPLOYED)
    lines[7] = lines[7].replace("schwerbehindert", "Schwerbehinderte")
    with pytest.raises(ParseError, match="layout changed") as error:
        parse(body_of(lines), "13211-02-05-4")
    assert_names(error, "13211-02-05-4", 8)


def test_extra_value_column_is_rejected():
    lines = lines_of(UNEMPLOYED)
    for number in (6, 7, 8):
        lines[number] += ";"
    with pytest.raises(ParseError, match="file has 14 value columns, classic_layout declares 13") as error:
        parse(body_of(lines), "13211-02-05-4")
    assert_names(error, "13211-02-05-4", 7)


def test_unknown_row_classifier_label_is_rejected():
    lines = lines_of(PUPILS)
    lines[10] = lines[10].replace(";Grundschulen;", ";Grundschule;")
    with pytest.raises(ParseError, match="unknown bilsa8 label 'Grundschule'") as error:
        parse(body_of(lines), "21111-01-03-4")
    assert_names(error, "21111-01-03-4", 11)


def test_data_row_with_a_missing_field_is_rejected():
    lines = lines_of(UNEMPLOYED)
    lines[11] = lines[11].rsplit(";", 1)[0]
    with pytest.raises(ParseError, match="row has 15 fields, the header has 16") as error:
        parse(body_of(lines), "13211-02-05-4")
    assert_names(error, "13211-02-05-4", 12)


def test_non_numeric_value_is_rejected():
    lines = lines_of(UNEMPLOYED)
    lines[11] = lines[11].replace(";4131;", ";4131a;")
    with pytest.raises(ParseError, match="non-numeric value '4131a'") as error:
        parse(body_of(lines), "13211-02-05-4")
    assert_names(error, "13211-02-05-4", 12)


def test_title_naming_another_table_is_rejected():
    with pytest.raises(ParseError, match="asked for 13211-02-05-4, file contains 21111-01-03-4") as error:
        parse(PUPILS.read_bytes(), "13211-02-05-4", layout_of="21111-01-03-4")
    assert_names(error, "13211-02-05-4", 1)


def test_file_without_data_rows_is_rejected():
    with pytest.raises(ParseError, match="no data rows") as error:
        parse(body_of(lines_of(UNEMPLOYED)[:9]), "13211-02-05-4")
    assert_names(error, "13211-02-05-4", 9)


def test_classic_file_needs_a_layout_declaration():
    with pytest.raises(ParseError, match="needs a classic_layout"):
        parse_table(UNEMPLOYED.read_bytes(), source="regio", table="13211-02-05-4", layout="classic")
