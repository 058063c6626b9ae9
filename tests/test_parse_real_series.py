"""The real series of the offline sample (issue #16): each new file parsed as declared, checked by hand.

Expected numbers are read off the files (line numbers are those of the file, header included).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sources.catalog import load_table_specs
from sources.errors import ParseError
from sources.parse import parse_table

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "offline" / "sample"
SPECS = {spec.name: spec for spec in load_table_specs(ROOT / "sources" / "tables.yaml")}


def parse(name: str, file: str, body: bytes | None = None) -> pd.DataFrame:
    spec = SPECS[name]
    return parse_table(body if body is not None else (SAMPLE / file).read_bytes(), source=spec.source,
                       table=spec.table, layout=spec.layout, classic_layout=spec.classic_layout)


def pick(frame: pd.DataFrame, **where) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column].isna() if value is None else frame[column] == value
    return frame[mask]


def one(frame: pd.DataFrame, **where) -> pd.Series:
    rows = pick(frame, **where)
    assert len(rows) == 1, (where, len(rows))
    return rows.iloc[0]


# --- 13211-02-05-4, 2015-2020 (older header: "Ausländer") and 2025 -----------------------------------

@pytest.fixture(scope="module")
def unemployed_2015_2020():
    return parse("unemployed_by_group", "13211-02-05-4_2015-2020.csv")


def test_unemployed_2015_2020_rows_per_year(unemployed_2015_2020):
    # 538 regions a year (Germany, Länder, Regierungsbezirke, Kreise incl. dissolved, 8-digit cities) × 13 columns
    assert unemployed_2015_2020.groupby("reference_time").size().to_dict() == {
        str(year): 538 * 13 for year in range(2015, 2021)}


def test_unemployed_flensburg_2020_by_hand(unemployed_2015_2020):
    # line 11: 2020;01001;Flensburg;4722;1144;…;19,4;7,6
    flensburg = pick(unemployed_2015_2020, region_key="01001", reference_time="2020")
    assert one(flensburg, value_variable="ERWP06", erwaq7=None)["value"] == 4722
    foreign = one(flensburg, value_variable="ERWP06", erwaq7="ARBEITSLOS08")
    assert foreign["value"] == 1144 and foreign["line_number"] == 11
    assert foreign["erwaq7_label"] == "ausländisch"  # the file says "Ausländer": read through header_aliases
    assert one(flensburg, value_variable="ERWP10", erwaq8="ARBEITSQUO07")["value"] == pytest.approx(19.4)


def test_unemployed_2017_foreign_rate_is_a_flag_never_a_number(unemployed_2015_2020):
    # line 1625: Flensburg 2017, the foreigners' rate is "." (not published at Kreis level that year)
    rate = one(unemployed_2015_2020, region_key="01001", reference_time="2017", value_variable="ERWP10",
               erwaq8="ARBEITSQUO07")
    assert rate["value_flag"] == "." and pd.isna(rate["value"]) and rate["line_number"] == 1625
    kreis_rates = pick(unemployed_2015_2020, region_variable="KREISE", reference_time="2017",
                       value_variable="ERWP10", erwaq8="ARBEITSQUO07")
    assert kreis_rates["value"].isna().all()
    # the Länder rates were published (line 1624: Schleswig-Holstein 21,5)
    assert one(unemployed_2015_2020, region_key="01", reference_time="2017", value_variable="ERWP10",
               erwaq8="ARBEITSQUO07")["value"] == pytest.approx(21.5)


def test_unemployed_goettingen_reform_keys(unemployed_2015_2020):
    # 2015: the old Kreise 03152 (line 2723) and 03156 (line 2727) carry values, the new 03159 '-'
    old = pick(unemployed_2015_2020, reference_time="2015", value_variable="ERWP06", erwaq7=None)
    assert one(old, region_key="03152")["value"] == 7896 and one(old, region_key="03156")["value"] == 2342
    assert one(old, region_key="03159")["value_flag"] == "-"
    # 2016 (line 2192): 03159 carries the annual average, the old keys '-'
    new = pick(unemployed_2015_2020, reference_time="2016", value_variable="ERWP06", erwaq7=None)
    assert one(new, region_key="03159")["value"] == 10098 and one(new, region_key="03152")["value_flag"] == "-"
    # the 8-digit city keys stay as delivered (Hannover, Aachen)
    assert {"03241001", "05334002"} <= set(unemployed_2015_2020["region_key"])


def test_unemployed_2025_by_hand():
    frame = parse("unemployed_by_group", "13211-02-05-4_2025.csv")
    assert len(frame) == 538 * 13 and set(frame["reference_time"]) == {"2025"}
    flensburg = pick(frame, region_key="01001")  # line 12
    assert one(flensburg, value_variable="ERWP06", erwaq7="ARBEITSLOS08")["value"] == 1408
    assert one(flensburg, value_variable="ERWP10", erwaq8="ARBEITSQUO07")["value"] == pytest.approx(15.5)
    assert one(frame, region_key="DG", value_variable="ERWP06", erwaq7=None)["value"] == 2_948_092  # line 10


# --- 13111-07-05-4: one file per reference date, the date only in the title block -------------------

@pytest.mark.parametrize("year", range(2015, 2021))
def test_employees_by_sector_rows_and_reference_date(year):
    frame = parse("employees_at_workplace_by_sector", f"13111-07-05-4_{year}.csv")
    # 538 regions × 14 section rows (13 sections and groups, Insgesamt) × 6 columns
    assert len(frame) == 538 * 14 * 6
    assert set(frame["reference_time"]) == {f"{year}-06-30"} and set(frame["time_code"]) == {"STAG"}
    assert set(frame["value_unit"]) == {"Anzahl"}


def test_employees_by_sector_2015_by_hand():
    frame = parse("employees_at_workplace_by_sector", "13111-07-05-4_2015.csv")
    germany = pick(frame, region_key="DG", wz08s1=None)  # line 25: Insgesamt
    assert one(germany, nat=None, ges=None)["value"] == 30_771_297
    assert one(germany, nat="NATA", ges=None)["value"] == 2_829_470
    assert one(germany, nat="NATA", ges="GESW")["value"] == 1_076_812
    # line 40: Flensburg, agriculture: 18 employees, the foreigners secret
    farming = pick(frame, region_key="01001", wz08s1="label:a")
    assert one(farming, nat=None, ges=None)["value"] == 18
    secret = one(farming, nat="NATA", ges=None)
    assert secret["value_flag"] == "." and pd.isna(secret["value"]) and secret["line_number"] == 40
    # line 53: Flensburg, all sections
    assert one(frame, region_key="01001", wz08s1=None, nat="NATA", ges=None)["value"] == 2443
    # line 501: the city of Hannover, an 8-digit key inside the Kreis list, secret throughout
    assert pick(frame, region_key="03241001", wz08s1=None)["value_flag"].eq(".").all()


def test_employees_by_sector_without_the_stichtag_line_is_rejected():
    lines = (SAMPLE / "13111-07-05-4_2019.csv").read_bytes().split(b"\n")
    body = b"\n".join(line for line in lines if not line.startswith(b"Stichtag:"))
    with pytest.raises(ParseError, match=r"13111-07-05-4, line \d+: no line 'Stichtag: DD.MM.YYYY'"):
        parse("employees_at_workplace_by_sector", "", body)


def test_employees_by_sector_unknown_section_is_rejected():
    body = (SAMPLE / "13111-07-05-4_2019.csv").read_bytes().replace(b"Baugewerbe (F);", b"Bau (F);", 1)
    with pytest.raises(ParseError, match=r"unknown wz08s1 label 'Bau \(F\)'"):
        parse("employees_at_workplace_by_sector", "", body)


# --- 12411-0018 (GENESIS-Online classic: the date is the first field) ---------------------------------

@pytest.fixture(scope="module")
def population_by_age():
    return parse("population_by_sex_age", "12411-0018_2015-2020.csv")


def test_population_by_age_rows_per_year(population_by_age):
    # 402 Kreise on 31.12.2015 (Göttingen and Osterode still apart), 401 afterwards; 17 age groups × 2 sexes
    counts = population_by_age.groupby("reference_time").size().to_dict()
    assert counts == {"2015-12-31": 402 * 34, **{f"{year}-12-31": 401 * 34 for year in range(2016, 2021)}}
    assert set(population_by_age["region_variable"]) == {"KREISE"}


def test_population_by_age_by_hand(population_by_age):
    # line 7: 31.12.2015;01001;Flensburg;1143 (male, under 3) … 5413 (female, 75 and over)
    flensburg = pick(population_by_age, region_key="01001", reference_time="2015-12-31")
    assert one(flensburg, ges="GESM", altx17="label:0-3")["value"] == 1143
    assert one(flensburg, ges="GESW", altx17="label:75+")["value"] == 5413
    assert flensburg["value"].sum() == 85_942 and pick(flensburg, ges="GESM")["value"].sum() == 42_767
    assert set(flensburg["line_number"]) == {7}
    # line 27: Göttingen before the merger, its label says until when it existed
    goettingen = pick(population_by_age, region_key="03152", reference_time="2015-12-31")
    assert goettingen["value"].sum() == 255_653
    assert set(goettingen["region_label"]) == {"Göttingen, Landkreis (bis 31.10.2016)"}


def test_population_by_age_changed_header_is_rejected():
    body = (SAMPLE / "12411-0018_2015-2020.csv").read_bytes().replace(b";unter 3 Jahre;", b";unter 2 Jahre;", 1)
    with pytest.raises(ParseError, match=r"12411-0018, line 6: value column 1 has header"):
        parse("population_by_sex_age", "", body)


# --- the replay: a real file answers the slices it covers, the rest is generated ----------------------

def test_replay_answers_a_slice_from_a_real_file_and_generates_the_rest():
    from offline.replay import client_for
    from sources.errors import GenesisStatusError
    from sources.genesis import SYNTHETIC_HEADER

    client = client_for("regio", {})
    real = client.tablefile("13111-07-05-4", startyear=2016, endyear=2016)
    assert real.body == (SAMPLE / "13111-07-05-4_2016.csv").read_bytes()
    assert SYNTHETIC_HEADER not in real.headers
    generated = client.tablefile("13111-07-05-4", startyear=2023, endyear=2024)
    assert generated.headers[SYNTHETIC_HEADER] == "true" and generated.body.startswith(b"PK")
    frame = parse("employees_at_workplace_by_sector", "", generated.body)
    assert sorted(frame["reference_time"].unique()) == ["2023-06-30", "2024-06-30"]
    # a table without generated data has no answer for a year no real file covers (no value, not 0)
    with pytest.raises(GenesisStatusError, match="104"):
        client.tablefile("13211-02-05-4", startyear=2021, endyear=2021)
    assert client.tablefile("13211-02-05-4", startyear=2025, endyear=2025).body == (
        SAMPLE / "13211-02-05-4_2025.csv").read_bytes()
