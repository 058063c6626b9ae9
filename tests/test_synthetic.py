"""Synthetic offline data: generated GENESIS files in the real format, consistent, marked synthetic everywhere."""

import io
import json
import re
import time
import zipfile
from datetime import datetime, timezone

import pandas as pd
import pytest

from sources.catalog import TableSpec, load_table_specs
from sources.genesis import Download, GenesisClient, check_table, instance_from_env
from sources.landing import land, landed_files
from sources.parse import parse_table
from offline.replay import SAMPLE_DIR, replay_session
from offline.synthetic import MARK, generate_declared_file, generate_table, load_register

VARIABLES = ["ges", "nat", "altx3"]
KEYS = ["region_variable", "region_key", "reference_time", "value_variable"]


def _spec(**synthetic) -> TableSpec:
    """A small test table: population and employees by sex, nationality and three age groups."""
    return TableSpec(
        name="synthetic_test_table", source="regio", table="99910-01-01-5", title="Testtabelle nach Alter",
        variables=("ges", "nat", "altx3"), value_variables=("BEVSTD", "ERW032"),
        categories={"ges": ["GESM", "GESW"], "nat": ["NATD", "NATA"], "altx3": ["ALT000B18", "ALT018B65", "ALT065UM"]},
        offline="synthetic",
        synthetic={"years": [2022, 2024], "levels": ["gemeinde", "kreis", "land", "deutschland"],
                   "time": {"code": "STAG", "day": "12-31"},
                   "rates": {"BEVSTD": 1.0, "ERW032": [0.35, 0.45]},
                   "shares": {"nat": {"NATA": [0.05, 0.30]}, "altx3": {"ALT000B18": 0.17, "ALT018B65": 0.62, "ALT065UM": 0.21}},
                   "suppress": 0.0, **synthetic},
    )


@pytest.fixture(scope="module")
def register():
    return load_register()


@pytest.fixture(scope="module")
def small_register(register):
    """Bremen (2 Kreise, 2 Gemeinden) and Saarland (6 Kreise, 52 Gemeinden)."""
    return register[register["land_key"].isin(["04", "10"])].reset_index(drop=True)


@pytest.fixture(scope="module")
def frame(small_register):
    spec = _spec()
    return _parse(generate_table(spec, small_register, seed=7), spec)


def _parse(body: bytes, spec: TableSpec) -> pd.DataFrame:
    frame = parse_table(body, source=spec.source, table=spec.table)
    # a `-` is exactly nothing: 0 for the sums
    return frame.assign(number=frame["value"].where(frame["value_flag"] != "-", 0.0))


def _assert_same(left: pd.Series, right: pd.Series) -> None:
    """Two series with the same keys and exactly the same numbers."""
    pd.testing.assert_series_equal(left.sort_index(), right.sort_index(), check_names=False, check_index_type=False)


def test_same_spec_register_and_seed_give_the_same_bytes(small_register):
    first = generate_table(_spec(), small_register, seed=7)

    assert generate_table(_spec(), small_register, seed=7) == first
    assert generate_table(_spec(), small_register, seed=8) != first


def test_the_file_is_a_genesis_ffcsv_marked_synthetic(small_register):
    body = generate_table(_spec(), small_register, seed=7)
    text = body.decode("utf-8")
    header, *lines = text.removeprefix("\ufeff").split("\n")

    assert body.startswith(b"\xef\xbb\xbfstatistics_code;statistics_label;time_code;time_label;time;")
    assert b"\r" not in body and text.endswith("\n") and lines[-1] == ""
    assert header == ("statistics_code;statistics_label;time_code;time_label;time;"
                      + ";".join(f"{n}_variable_code;{n}_variable_label;{n}_variable_attribute_code;{n}_variable_attribute_label"
                                 for n in range(1, 5))
                      + ";value;value_unit;value_variable_code;value_variable_label")
    rows = [line.split(";") for line in lines[:-1]]
    assert all(len(row) == 25 for row in rows)
    assert {row[0] for row in rows} == {"99910"}  # the real statistics code: the parser's table check passes
    assert all(row[1] == MARK + "Testtabelle nach Alter" for row in rows)
    assert {row[5] for row in rows} == {"DINSG", "DLAND", "KREISE", "GEMEIN"}


def test_it_parses_into_the_long_format_with_the_spec_variables(frame):
    assert {"ges", "ges_label", "nat", "nat_label", "altx3", "altx3_label"} <= set(frame.columns)
    assert set(frame["ges"].dropna()) == {"GESM", "GESW"} and set(frame["altx3"].dropna()) == {"ALT000B18", "ALT018B65", "ALT065UM"}
    assert set(frame["value_variable"]) == {"BEVSTD", "ERW032"}
    assert set(frame["reference_time"]) == {"2022-12-31", "2023-12-31", "2024-12-31"}
    assert frame.loc[frame["ges"].isna(), "ges_label"].eq("Insgesamt").all()
    # every region × year × value variable has every combination of codes and totals: 3 × 3 × 4
    assert frame.groupby(KEYS).size().eq(36).all()
    assert not frame.duplicated(KEYS + VARIABLES).any()


def test_parts_add_up_to_their_totals_exactly(frame):
    filled = frame.fillna({v: "(total)" for v in VARIABLES})
    for variable in VARIABLES:
        others = [v for v in VARIABLES if v != variable]
        parts = filled[filled[variable] != "(total)"].groupby(KEYS + others)["number"].sum()
        totals = filled[filled[variable] == "(total)"].set_index(KEYS + others)["number"]
        _assert_same(parts, totals)


def test_gemeinden_add_up_to_kreise_kreise_to_laender_and_laender_to_germany(frame):
    filled = frame.fillna({v: "(total)" for v in VARIABLES})
    cells = ["reference_time", "value_variable", *VARIABLES]
    for parts, total, length in (("GEMEIN", "KREISE", 5), ("KREISE", "DLAND", 2), ("DLAND", "DINSG", 0)):
        part_rows = filled[filled["region_variable"] == parts]
        summed = part_rows.assign(parent=part_rows["region_key"].str.slice(0, length) if length else "DG") \
            .groupby(["parent", *cells])["number"].sum()
        total_rows = filled[filled["region_variable"] == total].set_index(["region_key", *cells])["number"]
        _assert_same(summed, total_rows)


def test_signs_only_on_small_cells_and_never_on_a_land_or_germany(small_register):
    rare = {"BEVSTD": 0.002, "ERW032": [0.0005, 0.001]}  # small counts, as of a rare group
    spec, hidden_spec = _spec(rates=rare), _spec(rates=rare, suppress=0.5)
    clear = _parse(generate_table(spec, small_register, seed=7), spec)
    hidden = _parse(generate_table(hidden_spec, small_register, seed=7), hidden_spec)

    assert (hidden["line_number"].to_numpy() == clear["line_number"].to_numpy()).all()
    dots = hidden["value_flag"] == "."
    assert dots.sum() > 0
    assert clear.loc[dots, "value"].between(1, 4).all()  # the values behind the dots are small
    assert set(hidden.loc[dots, "region_variable"]) <= {"KREISE", "GEMEIN"}
    dashes = hidden["value_flag"] == "-"
    assert (clear.loc[dashes, "number"] == 0).all() and hidden.loc[dashes, "value"].isna().all()
    assert hidden.loc[hidden["region_variable"].isin(["DLAND", "DINSG"]), "value_flag"].isna().all()
    assert (hidden.loc[~dots, "number"].to_numpy() == clear.loc[~dots, "number"].to_numpy()).all()


def test_every_kreis_land_and_germany_of_the_register_with_plausible_magnitudes(register):
    spec = _spec(levels=["kreis", "land", "deutschland"], years=[2022, 2024])
    frame = _parse(generate_table(spec, register, seed=7), spec)
    kreise = register.loc[register["level"] == "kreis", "key"]
    totals = frame[frame[VARIABLES].isna().all(axis=1)]

    assert set(totals.loc[totals["region_variable"] == "KREISE", "region_key"]) == set(kreise)
    assert {"02000", "11000"} <= set(totals["region_key"])  # the city-states are Kreise too
    assert set(totals.loc[totals["region_variable"] == "DLAND", "region_key"]) == {f"{n:02d}" for n in range(1, 17)}
    population = totals[(totals["value_variable"] == "BEVSTD") & (totals["region_key"] == "DG")].set_index("reference_time")["value"]
    assert population["2022-12-31"] == pytest.approx(register["population"].sum(), rel=0.01)
    assert population["2024-12-31"] == pytest.approx(population["2022-12-31"], rel=0.03)  # small yearly drift
    kreis = frame[frame["region_variable"] == "KREISE"].fillna({v: "(total)" for v in VARIABLES})
    whole = kreis[(kreis["ges"] == "(total)") & (kreis["altx3"] == "(total)")].pivot_table(
        index=["region_key", "reference_time", "value_variable"], columns="nat", values="number")
    foreign_share = whole["NATA"] / whole["(total)"]
    assert foreign_share.between(0.03, 0.33).all() and foreign_share.std() > 0.03  # regions differ
    employees = whole["(total)"].unstack("value_variable")
    assert (employees["ERW032"] / employees["BEVSTD"]).between(0.3, 0.5).all()


def test_the_other_features_of_the_synthetic_block(small_register):
    spec = TableSpec(
        name="synthetic_feature_table", source="zensus", table="99920-0001", variables=("kind", "grp", "sub"),
        value_variables=("CNT001", "CNT002", "RATE01"),
        categories={"kind": ["ALL", "A", "B", "A1"], "grp": ["G1", "G2"], "sub": ["S1", "S2"]},
        offline="synthetic",
        synthetic={"years": 2022, "levels": ["gemeinde", "land", "deutschland"], "time": {"code": "JAHR"},
                   "rates": {"CNT001": [0.1, 0.2], "CNT002": 0.05, "RATE01": [3, 9]}, "units": {"RATE01": "Prozent"},
                   "shares": {"kind": {"ALL": 1.0, "A": 0.7, "B": 0.3, "A1": {"share": 0.4, "within": "A"}},
                              "grp": {"G1": 0.2, "G2": 0.5}, "sub": {"S1": 0.6, "S2": 0.7}},
                   "subsets": ["sub"], "not_by": {"CNT002": ["grp"]}, "round_to": 5, "suppress": 0,
                   "value_variable_by_level": {"deutschland": ["CNT001", "RATE01"], "land": ["CNT001", "RATE01"],
                                               "gemeinde": ["CNT001", "CNT002", "RATE01"]}},
    )
    body = generate_table(spec, small_register, seed=3)
    frame = _parse(body, spec)
    counts = frame[frame["value_variable"] != "RATE01"].fillna({"grp": "(total)", "sub": "(total)"})

    assert frame["kind"].notna().all()  # ALL is the total's own code: no row without a code
    assert set(frame["region_variable"]) == {"GEODL1", "GEOBL1", "GEOGM4"}
    assert frame.loc[frame["region_variable"] == "GEOGM4", "region_key"].str.fullmatch(r"\d{12}").all()
    assert set(frame.loc[frame["region_variable"] != "GEOGM4", "value_variable"]) == {"CNT001", "RATE01"}
    assert (counts["number"] % 5 == 0).all()
    assert counts.loc[counts["value_variable"] == "CNT002", "grp"].eq("(total)").all()
    wide = counts.pivot_table(index=[*KEYS, "grp", "sub"], columns="kind", values="number")
    assert (wide["A1"] <= wide["A"]).all() and (wide["A"] + wide["B"] == wide["ALL"]).all()
    groups = counts.pivot_table(index=[*KEYS, "kind", "sub"], columns="grp", values="number").dropna()
    assert (groups["G1"] + groups["G2"] <= groups["(total)"]).all() and (groups["(total)"] > groups["G1"] + groups["G2"]).any()
    subsets = counts.pivot_table(index=[*KEYS, "kind", "grp"], columns="sub", values="number")
    assert (subsets["S1"] <= subsets["(total)"]).all() and (subsets["S1"] + subsets["S2"] > subsets["(total)"]).any()
    assert re.search(rb";\d+,\d;Prozent;RATE01;", body)  # one decimal, decimal comma
    rates = frame[(frame["value_variable"] == "RATE01") & frame[["grp", "sub"]].isna().all(axis=1) & (frame["kind"] == "ALL")]
    saarland = rates[rates["region_key"] == "10"]["value"].iloc[0]
    gemeinden = rates[rates["region_key"].str.startswith("10") & (rates["region_variable"] == "GEOGM4")]["value"]
    assert gemeinden.min() <= saarland <= gemeinden.max()


def test_two_tables_agree_on_each_region(small_register):
    """A Kreis that is very foreign in one table is in every table (employees never outnumber the population)."""
    population = _spec(levels=["kreis"])
    employees = TableSpec(name="synthetic_test_employees", source="regio", table="99912-01-01-4", variables=("nat",),
                          value_variables=("ERW033",), categories={"nat": ["NATA"]}, offline="synthetic",
                          synthetic={"years": [2022, 2024], "levels": ["kreis"], "time": {"code": "STAG", "day": "12-31"},
                                     "rates": {"ERW033": 0.4}, "shares": {"nat": {"NATA": [0.05, 0.30]}}, "suppress": 0})
    people = _parse(generate_table(population, small_register, seed=7), population)
    workers = _parse(generate_table(employees, small_register, seed=7), employees)

    people = people[(people["value_variable"] == "BEVSTD") & people[["ges", "altx3"]].isna().all(axis=1)]
    share = lambda f: (f[f["nat"] == "NATA"].set_index(["region_key", "reference_time"])["value"]
                       / f[f["nat"].isna()].set_index(["region_key", "reference_time"])["value"])
    assert (share(workers) - share(people)).abs().max() < 0.002
    assert share(people).max() - share(people).min() > 0.05


def test_one_classifier_per_cell(small_register):
    spec = _spec(one_classifier_per_cell=True, levels=["kreis"])
    frame = _parse(generate_table(spec, small_register, seed=7), spec)

    assert frame[VARIABLES].notna().sum(axis=1).max() == 1
    assert frame.groupby(KEYS).size().eq(1 + 2 + 2 + 3).all()


def test_a_base_of_another_table(small_register):
    employees = _spec()
    unemployed = TableSpec(name="synthetic_test_unemployed", source="regio", table="99911-01-01-4", variables=(),
                           value_variables=("ERW006",), offline="synthetic",
                           synthetic={"years": [2022, 2024], "time": {"code": "STAG", "day": "12-31"},
                                      "base": "synthetic_test_table.ERW032", "rates": {"ERW006": 0.1}})
    employed = _parse(generate_table(employees, small_register, seed=7), employees)
    jobless = _parse(generate_table(unemployed, small_register, seed=7, specs=[employees, unemployed]), unemployed)

    employed_kreise = employed[(employed["region_variable"] == "KREISE") & employed[VARIABLES].isna().all(axis=1)
                               & (employed["value_variable"] == "ERW032")].set_index(["region_key", "reference_time"])["value"]
    ratio = jobless[jobless["region_variable"] == "KREISE"].set_index(["region_key", "reference_time"])["value"] / employed_kreise
    assert ratio.between(0.095, 0.105).all()


def test_a_county_file_in_its_declared_layout(small_register):
    spec = TableSpec(
        name="synthetic_county_file", source="county_file", table="abh-test", path="abh_test.csv", layout="declared",
        variables=("nat",), value_variables=("AUSL01", "AUSL02"), categories={"nat": ["NATA"]}, offline="synthetic",
        classic_layout={"format": "csv", "region": {"column": "AGS", "key": "ags", "label_column": "Kreis"},
                        "period": {"column": "Stichtag", "type": "date"},
                        "values": [{"column": "Einwohner", "value_variable": "AUSL01", "unit": "Anzahl", "classifiers": {"nat": None}},
                                   {"column": "Anteil", "value_variable": "AUSL02", "unit": "Prozent"},
                                   {"column": "Ausländer", "value_variable": "AUSL01", "unit": "Anzahl",
                                    "classifiers": {"nat": {"code": "NATA", "label": "ausländisch"}}}],
                        "signs": ["-", "."]},
        synthetic={"years": [2023, 2024], "levels": ["kreis"], "time": {"code": "STAG", "day": "12-31"}, "suppress": 0},
    )
    body = generate_declared_file(spec, small_register, seed=1)
    frame = parse_table(body, source=spec.source, table=spec.table, layout="declared", classic_layout=spec.classic_layout)

    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0] == "AGS;Kreis;Stichtag;Einwohner;Anteil;Ausländer"
    assert re.fullmatch(r"04011;Bremen, Stadt;31\.12\.2023;\d{5,};\d+,\d;\d+", lines[1])  # columns in the declared order
    assert len(frame) == 8 * 2 * 3 and set(frame["reference_time"]) == {"2023-12-31", "2024-12-31"}
    counts = frame[frame["value_variable"] == "AUSL01"]
    foreigners = counts[counts["nat"] == "NATA"].set_index(["region_key", "reference_time"])["value"]
    everyone = counts[counts["nat"].isna()].set_index(["region_key", "reference_time"])["value"]
    assert (foreigners < everyone).all()


def test_the_replay_serves_a_synthetic_table_through_the_real_client(tmp_path):
    spec = _spec(levels=["kreis", "land", "deutschland"], years=[2024, 2024])
    instance = instance_from_env("regio", {})
    client = GenesisClient(instance, session=replay_session(instance, specs=[spec]), sleep=lambda seconds: None)

    download = client.tablefile(spec.table)

    assert download.content_type == "application/zip" and download.headers["X-Imon-Synthetic"] == "true"
    assert re.fullmatch(r"99910-01-01-5_\d{13}_de_flat\.zip", download.filename)
    assert "generated" in download.headers["X-Imon-Replay"]
    with zipfile.ZipFile(io.BytesIO(download.body)) as archive:
        assert archive.namelist() == [download.filename.replace(".zip", ".csv")]
    assert client.tablefile(spec.table).body == download.body  # the same bytes again: the landing zone sees "unchanged"
    frame = parse_table(download.body, source="regio", table=spec.table)
    assert frame["region_key"].nunique() == 400 + 16 + 1
    checked = check_table(client, spec.table)  # no metadata is made up for a generated table
    assert checked["offline"] is True and checked["exists"] is None and "not in the offline sample" in checked["message"]
    real = client.tablefile("12411-01-01-4")  # a real table still comes from the sample
    assert "X-Imon-Synthetic" not in real.headers
    assert real.body == (SAMPLE_DIR / "12411-01-01-4_1773175772751_de_flat.zip").read_bytes()


def _download(headers: dict, body: bytes = b"\xef\xbb\xbfstatistics_code;value\n99910;1\n") -> Download:
    return Download(body=body, content_type="application/zip", filename="x.zip", parameters={"name": "99910-01-01-5"},
                    http_status=200, headers=headers, fetched_at=datetime(2026, 11, 26, tzinfo=timezone.utc))


def test_land_marks_the_sidecar_synthetic_when_the_answer_says_so(tmp_path):
    landed = land(_download({"x-imon-synthetic": "true"}), landing_dir=tmp_path, source="regio", table="99910-01-01-5")
    again = land(_download({"X-Imon-Synthetic": "true"}), landing_dir=tmp_path, source="regio", table="99910-01-01-5")
    official = land(_download({"Content-Type": "text/csv"}, b"other"), landing_dir=tmp_path / "b", source="regio", table="t")

    assert landed.synthetic is True and json.loads(landed.sidecar_path.read_text())["synthetic"] is True
    assert again.unchanged is True and again.synthetic is True
    assert official.synthetic is False and json.loads(official.sidecar_path.read_text())["synthetic"] is False
    assert [f.synthetic for f in landed_files(tmp_path, source="regio", table="99910-01-01-5")] == [True]


def test_the_raw_file_record_carries_the_mark(tmp_path):
    from flows.pipeline import _raw_files
    from flows.settings import load_settings

    settings = load_settings({"IMON_LANDING_DIR": str(tmp_path)}, warehouse=tmp_path / "imon.duckdb")
    landed = land(_download({"X-Imon-Synthetic": "true"}), landing_dir=tmp_path, source="regio", table="99910-01-01-5")

    assert [f.synthetic for f in _raw_files([landed], settings)] == [True]


def test_a_tiny_workload_writes_landing_files_that_parse(tmp_path):
    from tests.bench.workload import workload_spec, write_workload

    specs = [s for s in load_table_specs(SAMPLE_DIR.parents[1] / "sources" / "tables.yaml") if s.defined_in == "tables.yaml"] + [_spec()]
    summary = write_workload(tmp_path, seed=1, years=25, scale="tiny", specs=specs)

    assert summary["files"] == len(specs) and summary["years"] == [2023, 2024]
    assert summary["rows"] > 0 and summary["bytes"] > 0
    for spec in specs:
        files = landed_files(tmp_path, source=spec.source, table=spec.table)
        assert len(files) == 1, spec.name
        sidecar = json.loads(files[0].sidecar_path.read_text())
        generated = spec.source not in ("file", "ba_file")
        assert files[0].synthetic is generated and sidecar["synthetic"] is generated, spec.name
        shaped = workload_spec(spec)
        frame = parse_table(files[0].path.read_bytes(), source=spec.source, table=spec.table, layout=shaped.layout,
                            classic_layout=shaped.classic_layout)
        assert len(frame) > 0, spec.name
        if generated and spec.source != "zensus":
            assert frame["region_key"].str.startswith(("10", "DG")).all(), spec.name  # Saarland only
            assert set(frame["reference_time"].str.slice(0, 4)) == {"2023", "2024"}, spec.name
    assert summary["per_table"]["synthetic_test_table"]["rows"] == len(parse_table(
        landed_files(tmp_path, source="regio", table="99910-01-01-5")[0].path.read_bytes(), source="regio", table="99910-01-01-5"))


@pytest.mark.slow
def test_federal_scale_generates_in_seconds(register):
    ages = [f"ALT{n:03d}" for n in range(21)]
    spec = TableSpec(name="federal", source="regio", table="12411-03-03-4", variables=("ges", "nat", "altx21"),
                     value_variables=("BEVSTD",), categories={"ges": ["GESM", "GESW"], "nat": ["NATD", "NATA", "NATX"],
                                                              "altx21": ages}, offline="synthetic", synthetic={})
    started = time.perf_counter()
    body = generate_table(spec, register, seed=1, years=list(range(2000, 2025)))
    seconds = time.perf_counter() - started

    assert body.count(b"\n") - 1 == (400 + 16 + 1) * 25 * 3 * 4 * 22  # 2.75 M rows with all totals
    assert seconds < 60  # about 3 s on a quiet 2-core machine


# --- Kreise as they were (KreisHistory): each year of a long series with the Kreise of its day ----

def test_kreis_history_gives_the_kreise_of_a_day_by_the_change_list():
    from datetime import date

    from offline.synthetic import KreisHistory

    history = KreisHistory.from_csv(SAMPLE_DIR.parent.parent / "sources" / "curated" / "territorial_changes.csv")
    # a formation: the new key from its day on, before that the Kreise it was formed from
    assert history.keys_on("03241", date(2000, 12, 31)) == ["03201", "03253"]  # Region Hannover, 1 Nov 2001
    assert history.keys_on("03241", date(2001, 12, 31)) == ["03241"]
    assert history.keys_on("03159", date(2016, 10, 31)) == ["03152", "03156"]  # Göttingen, 1 Nov 2016
    # a merger into a Kreis that goes on is not undone (the merged city's Gemeinde keys are in no register here)
    assert history.keys_on("16063", date(2020, 12, 31)) == ["16063"]  # Eisenach joined the Wartburgkreis 2021
    assert history.keys_on("09162", date(2000, 12, 31)) == ["09162"]  # München: never changed


def test_a_kreis_row_divided_among_its_former_kreise_keeps_its_sum():
    from offline.synthetic import KreisHistory

    rows = KreisHistory.split([b"1001", b"7", b"0", b"-", b".", b"12,5"], ["15153", "15367", "15101"])
    assert len(rows) == 3
    counts = [[int(value) if value.isdigit() else 0 for value in row[:3]] for row in rows]
    assert [sum(column) for column in zip(*counts)] == [1001, 7, 0]  # counts divided: the parts sum to the whole
    assert all(row[3:] == [b"-", b".", b"12,5"] for row in rows)  # signs and rates repeated
    assert all(row[2] == b"-" for row in rows)  # a part of 0 is written as GENESIS writes 0
