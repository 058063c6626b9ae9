"""The quality gate on parsed frames: region keys against the register, blocking vs warning."""

from __future__ import annotations

import pandas as pd
import pytest

from flows.settings import PROJECT_ROOT
from warehouse.quality import QualityGate, annotate_region_keys, parts_against_totals, year_over_year_changes
from warehouse.register import Register


def frame(rows):
    return pd.DataFrame(rows, columns=["line_number", "region_key", "value", "value_flag"])


def test_region_keys_are_checked_against_the_register():
    annotated = annotate_region_keys(frame([
        (2, "09162", 1.0, None),      # a Kreis of the register
        (3, "DG", 5.0, None),         # Germany
        (4, "11001001", 2.0, None),   # a Berlin Bezirk inside KREISE
        (5, "03152", None, "-"),      # Göttingen, dissolved 2016: only '-'
        (6, "03152", None, "-"),
        (7, "99999", 3.0, None),      # an unknown Kreis carrying a number: an error
        (8, "160", 4.0, None),        # REGBEZ: Thüringen has no Regierungsbezirk
        (9, "010585859107", 7.0, None),  # a Gemeinde merged after the table's reference date: reported
    ]), Register({"09162", "16"}))
    assert annotated["region_key_status"].tolist() == [
        "in_register", "in_register", "berlin_bezirk", "not_in_register_no_values", "not_in_register_no_values", "not_in_register",
        "land_as_regierungsbezirk", "gemeinde_not_in_register",
    ]


def test_a_known_key_with_numbers_on_a_day_it_did_not_exist_is_reported(warehouse):
    """Validity comes from the loaded register and the curated change list (Göttingen 2016, Eisenach 2021)."""
    register = Register.load(warehouse, PROJECT_ROOT / "sql")
    rows = pd.DataFrame([
        (2, "KREISE", "03152", "2015-12-31", 1.0, None),  # old Landkreis Göttingen before the merger
        (3, "KREISE", "03152", "2020-12-31", 2.0, None),  # ... with a number after it was dissolved
        (4, "KREISE", "03152", "2020-12-31", None, "-"),  # ... with '-' after it was dissolved: harmless
        (5, "KREISE", "03159", "2015-12-31", 3.0, None),  # new Landkreis Göttingen before its formation
        (6, "KREISE", "03159", "2020-12-31", 4.0, None),
        (7, "KREISE", "16056", "2020", 5.0, None),        # Eisenach, a year (31.12.) before the merger
        (8, "KREISE", "16056", "2022", 6.0, None),        # ... after the merger into the Wartburgkreis
        (9, "KREISE", "16063", "2022", 7.0, None),        # the Wartburgkreis existed before and after
        (10, "KREISE", "16063", "2015", 8.0, None),
    ], columns=["line_number", "region_variable", "region_key", "reference_time", "value", "value_flag"])
    try:
        statuses = annotate_region_keys(rows, register)["region_key_status"].tolist()
    finally:
        register.close()
    assert statuses == ["in_register", "not_valid_at_reference_date", "in_register", "not_valid_at_reference_date",
                        "in_register", "in_register", "not_valid_at_reference_date", "in_register", "in_register"]


@pytest.fixture(scope="module")
def gate(tmp_path_factory):
    return QualityGate(docs_dir=tmp_path_factory.mktemp("docs"))


def suite(*expectations, checks=None):
    return {"name": "test", "expectations": list(expectations), "meta": {"checks": checks or {}}}


def test_a_critical_failure_blocks_and_names_the_lines(gate):
    report = gate.validate(
        frame([(2, "09162", 1.0, None), (3, "09163", -4.0, None)]),
        suite({"type": "expect_column_values_to_be_between", "kwargs": {"column": "value", "min_value": 0}}),
        table_name="t",
    )
    assert not report.passed
    [failure] = report.blocking_failures
    assert failure.unexpected_count == 1
    assert failure.examples == [{"value": -4.0, "line_number": 3, "region_key": "09163"}]
    assert failure.describe() == "column values to be between (value): 1 rows, e.g. line 3 (value -4.0, region_key 09163)"
    [rejected] = report.quarantine
    assert rejected["line_number"] == 3 and '"value": -4.0' in rejected["row"]
    assert gate.build_docs() == gate.docs_index and gate.docs_index.exists()
    # the result computed in SQL is GX's own in the Data Docs: the suite, the failed rule, the unexpected value
    pages = [page.read_text(encoding="utf-8") for page in (gate.docs_dir / "validations" / "t").rglob("*.html")]
    assert any("values must be greater than or equal to" in text and "-4.0" in text and "Failed" in text for text in pages)


def test_a_warning_is_reported_but_does_not_block(gate):
    report = gate.validate(
        frame([(2, "09162", 1.0, "?")]),
        suite({"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "value_flag", "value_set": ["-", "."]},
               "severity": "warning"}),
        table_name="t",
    )
    assert report.passed and len(report.warnings) == 1


def long(rows):
    return pd.DataFrame(rows, columns=["line_number", "reference_time", "region_key", "nat", "value_variable", "value", "value_flag"])


def test_kreis_parts_must_add_up_to_the_published_land():
    rows = long([
        (2, "2023", "01", None, "ERWP06", 300.0, None),
        (3, "2023", "01001", None, "ERWP06", 100.0, None),
        (4, "2023", "01002", None, "ERWP06", 199.0, None),
        (5, "2023", "02", None, "ERWP06", 50.0, None),
        (6, "2023", "02000", None, "ERWP06", None, "."),   # a suppressed part: no comparison for Land 02
    ])
    derived = parts_against_totals(rows, "kreis", "land", ["ERWP06"])
    assert derived[["region_key", "total", "parts_sum", "parts"]].values.tolist() == [["01", 300.0, 299.0, 2]]
    assert derived["difference_pct"].iloc[0] == pytest.approx(-1 / 3)


def test_a_known_key_outside_its_validity_still_counts_in_the_table_arithmetic():
    # a table re-based to today's Kreise for an earlier year: the Land is still the sum of its Kreise;
    # that the key did not exist then is the separate warning not_valid_at_reference_date
    rows = long([
        (2, "2000", "03", None, "ERWP06", 300.0, None),
        (3, "2000", "03159", None, "ERWP06", 100.0, None),
        (4, "2000", "03241", None, "ERWP06", 200.0, None),
    ]).assign(region_key_status=["in_register", "not_valid_at_reference_date", "in_register"])
    derived = parts_against_totals(rows, "kreis", "land", ["ERWP06"])
    assert derived[["region_key", "total", "parts_sum", "parts"]].values.tolist() == [["03", 300.0, 300.0, 2]]


def test_parts_and_totals_are_compared_within_their_category_and_a_missing_category_is_one_of_them():
    rows = long([
        (2, "2023", "01", None, "ERWP06", 300.0, None),
        (3, "2023", "01", "1", "ERWP06", 50.0, None),
        (4, "2023", "01001", None, "ERWP06", 100.0, None),
        (5, "2023", "01001", "1", "ERWP06", 20.0, None),
        (6, "2023", "01002", None, "ERWP06", 200.0, None),
        (7, "2023", "01002", "1", "ERWP06", 20.0, None),
    ])
    derived = parts_against_totals(rows, "kreis", "land", None)
    assert derived[["line_number", "total", "parts_sum", "parts", "difference_pct"]].values.tolist() == [
        [2, 300.0, 300.0, 2, 0.0], [3, 50.0, 40.0, 2, -20.0]]
    changes = year_over_year_changes(pd.concat([rows, rows.assign(reference_time="2024", line_number=rows["line_number"] + 10,
                                                                  value=rows["value"] * 2)]))
    # sorted by region and category (a missing one last), each against its own previous year
    assert changes[["line_number", "region_key", "previous", "change_pct"]].values.tolist() == [
        [12, "01", 300.0, 100.0], [14, "01001", 100.0, 100.0], [16, "01002", 200.0, 100.0]]


def test_a_shrinking_table_and_a_wrong_sum_are_blocked(gate):
    rows = long([(2, "2023", "01", None, "ERWP06", 300.0, None), (3, "2023", "01001", None, "ERWP06", 100.0, None),
                 (4, "2023", "01002", None, "ERWP06", 150.0, None)])
    report = gate.validate(rows, suite(checks={
        "row_count_may_shrink_pct": 10,
        "parts_sum_to_total": [{"parts": "kreis", "total": "land", "tolerance_pct": 0.5}],
    }), table_name="shrinking", previous_row_count=100)
    failed = {o.check: o for o in report.blocking_failures}
    assert set(failed) == {"suite", "kreis_sum_to_land"}
    assert "shrank by more than 10 %" in failed["suite"].describe()
    assert "line 2" in failed["kreis_sum_to_land"].describe()


def test_a_large_change_against_the_previous_year_is_a_warning(gate):
    rows = long([(2, "2022", "01001", None, "ERWP06", 1000.0, None), (3, "2023", "01001", None, "ERWP06", 1900.0, None),
                 (4, "2022", "01002", None, "ERWP06", 1000.0, None), (5, "2023", "01002", None, "ERWP06", 1100.0, None)])
    assert year_over_year_changes(rows)["change_pct"].tolist() == pytest.approx([90.0, 10.0])
    report = gate.validate(rows, suite(checks={"year_over_year_warning_pct": 50}), table_name="yoy")
    assert report.passed
    [warning] = report.warnings
    assert warning.check == "year_over_year" and "line 3" in warning.describe()


def test_an_indicator_audit_quarantines_the_rows_it_rejects(gate):
    """Indicator rows have no line in a file: the rejected ones are found again by ags, level and period."""
    import duckdb

    from warehouse.quality import audit_indicator

    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA indicators")
    connection.execute("""CREATE TABLE indicators.x AS SELECT * FROM (VALUES
        ('09162000', 'kreis', 2023, 49.0, 19249.0, 39249.0),
        ('09163000', 'kreis', 2023, 149.0, 149.0, 100.0),
        ('09000000', 'land', 2023, 38.7, 1.0, 2.0)) t(ags, level, period, value, numerator, denominator)""")
    report = audit_indicator(gate, connection, "indicators.x", {"unit": "pct", "aggregate": "counts"}, {})
    assert not report.passed
    rejected = sorted((r["expectation"], r["column"], r["line_number"], r["row"]) for r in report.quarantine)
    row = '{"ags": "09163000", "level": "kreis", "period": 2023, "value": 149.0, "numerator": 149.0, "denominator": 100.0, ' \
          '"numerator_share_of_denominator": 1.49, "no_level": null}'
    assert rejected == [("expect_column_values_to_be_between", "numerator_share_of_denominator", None, row),
                        ("expect_column_values_to_be_between", "value", None, row)]


def test_a_published_rate_may_leave_out_a_kreis_whose_area_changed_later_but_a_count_may_not(gate):
    """Before Eisenach joined the Wartburgkreis (2021-07-01), a published rate of the Wartburgkreis stands for
    another area and is left out by design (aggregate: none); counts are re-aggregated, so every Kreis is there."""
    import duckdb

    from flows.settings import PROJECT_ROOT
    from warehouse.quality import audit_indicator

    connection = duckdb.connect()
    connection.execute((PROJECT_ROOT / "sql" / "_macros.sql").read_text(encoding="utf-8"))
    connection.execute("CREATE SCHEMA core; CREATE SCHEMA indicators")
    connection.execute("""CREATE TABLE core.region_area_change AS SELECT * FROM (VALUES
        ('16063000', 'kreis', '16056000', NULL::DATE, DATE '2021-07-01')) t(ags, level, other_ags, valid_from, valid_to)""")
    connection.execute("""CREATE TABLE indicators.rate AS SELECT * FROM (VALUES
        ('09162000', 'kreis', 2020, DATE '2020-12-31', 5.0, NULL::DOUBLE, NULL::DOUBLE),
        ('09163000', 'kreis', 2020, DATE '2020-12-31', 6.0, NULL, NULL),
        ('09162000', 'kreis', 2022, DATE '2022-12-31', 5.5, NULL, NULL),
        ('09163000', 'kreis', 2022, DATE '2022-12-31', 6.5, NULL, NULL),
        ('16063000', 'kreis', 2022, DATE '2022-12-31', 4.5, NULL, NULL)
        ) t(ags, level, period, reference_date, value, numerator, denominator)""")
    kreise = {"kreis": 3}
    assert audit_indicator(gate, connection, "indicators.rate", {"unit": "pct", "aggregate": "none"}, kreise).passed
    counts = audit_indicator(gate, connection, "indicators.rate", {"unit": "pct", "aggregate": "counts"}, kreise)
    assert not counts.passed and "2020" in counts.blocking_failures[0].describe()
    # after the reform the Wartburgkreis has today's area: a missing rate is missing
    connection.execute("DELETE FROM indicators.rate WHERE ags = '16063000'")
    after = audit_indicator(gate, connection, "indicators.rate", {"unit": "pct", "aggregate": "none"}, kreise)
    assert not after.passed and "2022" in after.blocking_failures[0].describe()
