"""GENESIS flat files (ffcsv) from offline/sample → long format."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from sources.errors import ParseError
from sources.parse import parse_table

SAMPLE = Path(__file__).resolve().parent.parent / "offline" / "sample"
POPULATION = SAMPLE / "12411-01-01-4_1773175772751_de_flat.csv"
EMPLOYEES = SAMPLE / "13111-01-03-4_1749623409083_de_flat.csv"
CENSUS = SAMPLE / "1000A-0000_1773175153999_de_flat.csv"
CENSUS_IMMIGRATION = SAMPLE / "1000A-2022_1773175355216_de_flat.csv"
PROTECTION_SEEKERS = SAMPLE / "12531-0043_175879554_flat.zip"

# Verbatim legacy ("GENESIS v4") regionalstatistik.de export, recorded 2024-12-03
# (/work/shared/reference/genesis-and-sources.md §2.4).
LEGACY = (
    "Statistik_Code;Statistik_Label;Zeit_Code;Zeit_Label;Zeit;1_Merkmal_Code;1_Merkmal_Label;1_Auspraegung_Code;"
    "1_Auspraegung_Label;2_Merkmal_Code;2_Merkmal_Label;2_Auspraegung_Code;2_Auspraegung_Label;"
    "BEVSTD__Bevoelkerungsstand__Anzahl\n"
    "12411;Fortschreibung des Bevölkerungsstandes;STAG;Stichtag;31.12.2023;KREISE;Kreise und kreisfreie Städte;DG;"
    "Deutschland;GES;Geschlecht;;Insgesamt;84669326\n"
    "12411;Fortschreibung des Bevölkerungsstandes;STAG;Stichtag;31.12.2023;KREISE;Kreise und kreisfreie Städte;01;"
    "  Schleswig-Holstein;GES;Geschlecht;GESM;männlich;1451443\n"
    "12411;Fortschreibung des Bevölkerungsstandes;STAG;Stichtag;31.12.2023;KREISE;Kreise und kreisfreie Städte;16077;"
    "      Altenburger Land, Landkreis;GES;Geschlecht;GESW;weiblich;45447\n"
)


def parse(body: bytes, table: str = "12411-01-01-4") -> pd.DataFrame:
    return parse_table(body, source="regio", table=table)


def population_lines(count: int = 5) -> list[str]:
    """Header and the first data lines of the real 12411-01-01-4 file (BOM removed)."""
    return POPULATION.read_text(encoding="utf-8-sig").splitlines()[:count]


def with_value(line: str, value: str) -> str:
    """A 12411 data line with its value field (field 14) replaced."""
    fields = line.split(";")
    fields[13] = value
    return ";".join(fields)


def body_of(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def assert_names(error: pytest.ExceptionInfo, table: str, line: int) -> None:
    message = str(error.value)
    assert table in message and f"line {line}:" in message, message


def test_population_by_sex_has_every_row_with_codes_as_strings():
    frame = parse(POPULATION.read_bytes())
    assert len(frame) == 1467
    assert set(frame["region_variable"]) == {"KREISE"}
    assert set(frame["ges"]) == {"GESW", "GESM", None}
    assert set(frame.loc[frame["ges"].isna(), "ges_label"]) == {"Insgesamt"}
    mannheim = frame[(frame["region_key"] == "08222") & (frame["ges"] == "GESW")].iloc[0]
    assert (mannheim["value"], mannheim["reference_time"], mannheim["line_number"]) == (158789, "2024-12-31", 2)
    assert mannheim[["time_code", "value_variable", "value_unit"]].tolist() == ["STAG", "BEVSTD", "Anzahl"]


def test_special_signs_are_flags_and_never_zero():
    frame = parse(POPULATION.read_bytes())
    flagged = frame[frame["value_flag"].notna()]
    assert set(flagged["value_flag"]) == {"-"}
    assert len(flagged) == 222
    assert flagged["value"].isna().all()
    assert frame.loc[frame["value_flag"].isna(), "value"].notna().all()


def test_kreise_of_a_land_add_up_to_the_land_row():
    frame = parse(EMPLOYEES.read_bytes(), table="13111-01-03-4")
    totals = frame[frame["nat"].isna() & frame["ges"].isna()]
    kreise = totals[(totals["region_variable"] == "KREISE") & (totals["region_key"].str.len() == 5)]
    for land, expected in {"01": 1_058_498, "09": 5_959_550}.items():
        land_row = totals[(totals["region_variable"] == "DLAND") & (totals["region_key"] == land)]
        in_land = kreise[kreise["region_key"].str.startswith(land)]
        assert in_land["value_flag"].isna().all()
        assert land_row["value"].item() == in_land["value"].sum() == expected


def test_eight_digit_kreis_keys_keep_their_digits():
    frame = parse(EMPLOYEES.read_bytes(), table="13111-01-03-4")
    keys = set(frame.loc[frame["region_variable"] == "KREISE", "region_key"])
    assert {"11001001", "11012012", "03241001", "05334002", "10041100"} <= keys
    assert set(frame["region_variable"]) == {"DINSG", "DLAND", "REGBEZ", "KREISE"}
    assert frame.loc[frame["region_variable"] == "DINSG", "region_key"].unique().tolist() == ["DG"]


def test_census_germany_and_the_sum_of_gemeinden():
    frame = parse(CENSUS.read_bytes(), table="1000A-0000")
    germany = frame[(frame["region_variable"] == "GEODL1") & (frame["region_key"] == "DG")]
    gemeinden = frame[frame["region_variable"] == "GEOGM4"]
    assert germany["value"].item() == 82_719_540
    assert gemeinden["value"].sum() == 82_711_282
    assert "092760130130" in set(gemeinden["region_key"])
    assert (gemeinden["region_key"].str.len() == 12).all()


def test_census_quality_column_and_alternative_variables_in_one_column():
    frame = parse(CENSUS_IMMIGRATION.read_bytes(), table="1000A-2022")
    germany_60_69 = frame[(frame["region_key"] == "DG") & (frame["altgr2"] == "ALT060B069")]
    total = germany_60_69[germany_60_69["wdgat2_label"] == "Insgesamt"]
    assert total["value"].item() == 11_059_795
    assert total["value_quality"].item() == "e"
    # WDGAT1 and WDGAT2 share column 3: where one applies, the other is None in code and label.
    wdgat1_rows = frame[frame["wdgat1_label"].notna()]
    assert len(wdgat1_rows) == 680
    assert wdgat1_rows["wdgat2"].isna().all() and wdgat1_rows["wdgat2_label"].isna().all()
    assert frame.loc[frame["value_flag"].notna(), "value_quality"].isna().all()


def test_large_zipped_job_result_parses_in_seconds():
    started = time.perf_counter()
    frame = parse(PROTECTION_SEEKERS.read_bytes(), table="12531-0043")
    elapsed = time.perf_counter() - started
    assert len(frame) == 116_738
    assert {"schst2", "ges", "staag5"} <= set(frame.columns)
    assert elapsed < 15, f"12531-0043 took {elapsed:.1f} s"


def test_region_is_found_by_code_not_position():
    lines = population_lines()
    order = [0, 1, 2, 3, 4, 9, 10, 11, 12, 5, 6, 7, 8, 13, 14, 15, 16]  # GES before KREISE
    swapped = [";".join(line.split(";")[i] for i in order) for line in lines]
    frame = parse(body_of(swapped))
    assert frame["region_variable"].unique().tolist() == ["KREISE"]
    assert frame["region_key"].tolist()[:2] == ["08222", "08236"]
    assert frame["ges"].tolist()[:2] == ["GESW", "GESM"]


def test_legacy_german_header_dates_and_indented_labels():
    frame = parse(LEGACY.encode("utf-8"))
    assert frame["reference_time"].unique().tolist() == ["2023-12-31"]
    assert frame["region_label"].tolist() == ["Deutschland", "Schleswig-Holstein", "Altenburger Land, Landkreis"]
    assert frame["region_key"].tolist() == ["DG", "01", "16077"]
    assert frame["value"].tolist() == [84_669_326, 1_451_443, 45_447]
    assert frame[["value_variable", "value_variable_label", "value_unit"]].drop_duplicates().values.tolist() == [
        ["BEVSTD", "Bevoelkerungsstand", "Anzahl"]
    ]
    assert frame["ges"].tolist() == [None, "GESM", "GESW"]


@pytest.mark.parametrize(
    ("raw", "number"), [("-0,3", -0.3), ("32,2", 32.2), ("3226,090", 3226.09), ("11.9", 11.9), ("0", 0.0)]
)
def test_negative_and_decimal_numbers_are_numbers(raw, number):
    header, line = population_lines(2)
    frame = parse(body_of([header, with_value(line, raw)]))
    assert frame["value"].item() == pytest.approx(number)
    assert frame["value_flag"].item() is None


@pytest.mark.parametrize("sign", ["-", ".", "...", "x", "X", "/"])
def test_each_genesis_sign_is_a_flag(sign):
    header, line = population_lines(2)
    frame = parse(body_of([header, with_value(line, sign)]))
    assert pd.isna(frame["value"].item())
    assert frame["value_flag"].item() == sign


@pytest.mark.parametrize("raw", ["abc", "*", "()", "…", "1 234", ""])
def test_unknown_sign_or_text_is_rejected_with_its_line(raw):
    lines = population_lines()
    lines[3] = with_value(lines[3], raw)
    with pytest.raises(ParseError, match="unknown special sign or non-numeric value") as error:
        parse(body_of(lines))
    assert repr(raw) in str(error.value)
    assert_names(error, "12411-01-01-4", 4)


def test_missing_column_is_rejected():
    lines = [";".join(line.split(";")[:14] + line.split(";")[15:]) for line in population_lines()]  # no value_unit
    with pytest.raises(ParseError, match="missing column.*value_unit") as error:
        parse(body_of(lines))
    assert_names(error, "12411-01-01-4", 1)


def test_row_with_an_extra_field_is_rejected():
    lines = population_lines()
    lines[2] += ";surplus"
    with pytest.raises(ParseError, match="row has 18 fields, the header has 17") as error:
        parse(body_of(lines))
    assert_names(error, "12411-01-01-4", 3)


def test_row_with_a_missing_field_is_rejected():
    lines = population_lines()
    lines[4] = lines[4].rsplit(";", 1)[0]
    with pytest.raises(ParseError, match="row has 16 fields") as error:
        parse(body_of(lines))
    assert_names(error, "12411-01-01-4", 5)


def test_header_only_has_no_data_rows():
    with pytest.raises(ParseError, match="no data rows") as error:
        parse(body_of(population_lines(1)))
    assert_names(error, "12411-01-01-4", 2)


def test_crlf_line_endings_and_trailing_empty_lines():
    lines = population_lines()
    body = ("\r\n".join(lines) + "\r\n\r\n\r\n").encode("utf-8")
    frame = parse(body)
    assert frame["line_number"].tolist() == [2, 3, 4, 5]
    assert frame["value_variable_label"].unique().tolist() == ["Bevölkerungsstand"]
    assert frame.equals(parse(body_of(lines)))


def test_bom_present_or_absent_reads_the_same():
    lines = population_lines()
    assert parse(b"\xef\xbb\xbf" + body_of(lines)).equals(parse(body_of(lines)))


def test_quoted_fields_are_read_as_their_content():
    lines = population_lines(2)
    fields = lines[1].split(";")
    fields[8] = '"Mannheim; Stadtkreis"'
    frame = parse(body_of([lines[0], ";".join(fields)]))
    assert frame["region_label"].item() == "Mannheim; Stadtkreis"


@pytest.mark.parametrize("path", [POPULATION, EMPLOYEES, CENSUS, CENSUS_IMMIGRATION])
def test_arrow_and_the_line_by_line_reader_give_the_same_rows(path):
    """Plain files go through Arrow's CSV reader; the result is what the csv module's reader gives."""
    from sources.ffcsv import _read_plain_rows, _read_rows_line_by_line

    text = path.read_bytes().decode("utf-8-sig")
    fast = _read_plain_rows(text)
    assert fast is not None
    pd.testing.assert_frame_equal(fast, _read_rows_line_by_line(text, source="regio", table="t"))


def test_a_blank_line_inside_keeps_the_line_numbers_of_the_file():
    lines = population_lines(4)
    frame = parse(body_of([lines[0], lines[1], lines[2], "", lines[3]]))
    assert frame["line_number"].tolist() == [2, 3, 5]
