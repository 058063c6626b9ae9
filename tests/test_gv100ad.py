"""Destatis municipality register GV100AD (fixed width, UTF-8, Gebietsstand 30.11.2023)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from sources.errors import ParseError
from sources.gv100ad import parse_gv100ad

REGISTER = Path(__file__).resolve().parent.parent / "offline" / "sample" / "GV100AD_301123.txt"


@pytest.fixture(scope="module")
def register():
    return parse_gv100ad(REGISTER)


def record(register, **where):
    rows = register
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, where
    return rows.iloc[0]


def lines_of() -> list[str]:
    return REGISTER.read_text(encoding="utf-8").split("\n")


def test_record_counts_by_type(register):
    assert len(register) == 16_035
    assert register["record_type"].value_counts().to_dict() == {60: 10_981, 50: 4_597, 40: 400, 20: 29, 10: 16, 30: 12}
    assert set(register["level"]) == {"land", "regierungsbezirk", "region", "kreis", "gemeindeverband", "gemeinde"}
    assert set(register["territorial_date"]) == {datetime.date(2023, 11, 30)}


def test_gemeinde_record_is_decoded_field_by_field(register):
    # 6020231130082260135001Eberbach, Stadt … 63    000000081150000001450400000007030    69412*****
    eberbach = record(register, ags="08226013")
    assert eberbach[["record_type", "level", "name", "text_code", "key", "ars"]].tolist() == [
        60, "gemeinde", "Eberbach, Stadt", "63", "08226013", "082265001013",
    ]
    assert eberbach[["land_key", "regierungsbezirk_key", "kreis_key", "gemeindeverband_key"]].tolist() == [
        "08", "082", "08226", "082265001",
    ]
    numbers = ["area_ha", "population", "population_male", "postal_code"]
    assert eberbach[numbers].tolist() == [8115, 14504, 7030, "69412"]
    assert eberbach["seat"] is None


def test_flensburg_population(register):
    flensburg = record(register, record_type=60, key="01001000")
    assert flensburg["population"] == 92_550
    assert flensburg["name"] == "Flensburg, Stadt"


def test_higher_levels_have_padded_keys_and_no_gemeinde_numbers(register):
    bayern = record(register, record_type=10, key="09")
    assert bayern[["ags", "name", "seat"]].tolist() == ["09000000", "Bayern", "München"]
    assert record(register, record_type=20, key="091")["ags"] == "09100000"
    muenchen = record(register, record_type=40, key="09162")
    assert muenchen["ags"] == "09162000" and muenchen["ars"] is None
    verband = record(register, record_type=50, key="082265001")
    assert verband[["ars", "name", "ags"]].tolist() == ["082265001000", "VVG der Stadt Eberbach", None]
    not_gemeinde = register[register["record_type"] != 60]
    assert not_gemeinde[["area_ha", "population", "population_male"]].isna().all().all()
    assert not_gemeinde["postal_code"].isna().all()


def test_region_records_of_baden_wuerttemberg(register):
    stuttgart = record(register, record_type=30, key="0811")
    described = ["level", "name", "regierungsbezirk_key", "ags"]
    assert stuttgart[described].tolist() == ["region", "Region Stuttgart", "081", None]


def test_bytes_and_crlf_give_the_same_register():
    lines = lines_of()[:40]
    frame = parse_gv100ad(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    assert len(frame) == 40
    assert frame.equals(parse_gv100ad(("\n".join(lines)).encode("utf-8")))


def test_record_of_wrong_length_is_rejected():
    lines = lines_of()[:10]
    lines[4] = lines[4][:219]
    with pytest.raises(ParseError, match="record has 219 characters, expected 220") as error:
        parse_gv100ad("\n".join(lines).encode("utf-8"))
    assert "GV100AD, line 5:" in str(error.value)


def test_unknown_record_type_is_rejected():
    lines = lines_of()[:10]
    lines[2] = "70" + lines[2][2:]
    with pytest.raises(ParseError, match="unknown record type '70'") as error:
        parse_gv100ad("\n".join(lines).encode("utf-8"))
    assert "line 3:" in str(error.value)


def test_latin1_edition_is_rejected_not_misread():
    line = next(line for line in lines_of() if "ü" in line)
    with pytest.raises(ParseError, match="not UTF-8"):
        parse_gv100ad(line.encode("latin-1"))
