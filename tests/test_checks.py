"""Expectations as SQL (warehouse/checks.py): the counts, examples and misses GX would report, on a small staged table."""

from __future__ import annotations

import duckdb
import pytest

from warehouse.checks import UnsupportedExpectation, check_supported, evaluate


@pytest.fixture()
def table():
    connection = duckdb.connect()
    connection.execute("""
        CREATE TABLE staged AS SELECT * FROM (VALUES
            (2, '01',  'x',  NULL, 1.0),
            (3, '01',  'x',  NULL, -1.0),
            (4, NULL,  'y',  'q',  NULL),
            (5, '02',  NULL, 'r',  5.0)
        ) AS rows(line_number, region_key, a, b, value)
    """)
    yield connection
    connection.close()


def run(connection, *expectations):
    return evaluate(connection, "staged", list(expectations))


def test_column_values_skip_nulls_and_name_the_lines_in_order(table):
    in_set, between, regex = run(
        table,
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "a", "value_set": ["y"]}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "value", "min_value": 0}},
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "region_key", "regex": "^\\d{2}$"}},
    )
    assert not in_set.success
    assert in_set.result["unexpected_count"] == 2 and in_set.result["missing_count"] == 1
    assert in_set.result["unexpected_percent"] == pytest.approx(200 / 3)
    assert in_set.result["partial_unexpected_index_list"] == [
        {"a": "x", "line_number": 2, "region_key": "01"}, {"a": "x", "line_number": 3, "region_key": "01"}]
    assert in_set.result["partial_unexpected_counts"] == [{"value": "x", "count": 2}]
    assert not between.success and between.result["partial_unexpected_index_list"] == [
        {"value": -1.0, "line_number": 3, "region_key": "01"}]
    assert regex.success and regex.result["missing_count"] == 1  # NULL is not a mismatch


def test_not_null_counts_every_row(table):
    [result] = run(table, {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "region_key"}})
    assert not result.success
    assert (result.result["element_count"], result.result["unexpected_count"]) == (4, 1)
    assert result.result["partial_unexpected_index_list"] == [{"region_key": None, "line_number": 4}]
    assert "missing_count" not in result.result


def test_uniqueness_marks_every_row_of_a_repeated_key_and_null_equals_null(table):
    unique, compound, all_missing = run(
        table,
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "a"}},
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["region_key", "b"]}},
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["b", "b"]}},
    )
    assert unique.result["unexpected_count"] == 2 and unique.result["missing_count"] == 1
    # ('01', NULL) twice: a duplicate; (NULL, 'q') is looked at, because not all its key columns are NULL
    assert compound.result["unexpected_count"] == 2 and compound.result["missing_count"] == 0
    assert [e["line_number"] for e in compound.result["partial_unexpected_index_list"]] == [2, 3]
    assert all_missing.success and all_missing.result["missing_count"] == 2


def test_table_level_expectations(table):
    rows, columns, exact = run(
        table,
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 10}},
        {"type": "expect_table_columns_to_match_set", "kwargs": {"column_set": ["line_number", "a"], "exact_match": False}},
        {"type": "expect_table_columns_to_match_set", "kwargs": {"column_set": ["line_number", "a", "zz"]}},
    )
    assert not rows.success and rows.result == {"observed_value": 4}
    assert columns.success and columns.violating_rowids is None
    assert not exact.success
    assert exact.result["details"] == {"mismatched": {"unexpected": ["b", "region_key", "value"], "missing": ["zz"]}}


def test_a_missing_column_fails_with_its_name(table):
    [result] = run(table, {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "zz"}})
    assert not result.success and result.error == "column(s) zz not in the table"


def test_the_violating_rows_can_be_selected_again(table):
    [result] = run(table, {"type": "expect_column_values_to_not_be_in_set", "kwargs": {"column": "b", "value_set": ["q", "r"]}})
    lines = table.execute(f"SELECT line_number FROM staged WHERE rowid IN ({result.violating_rowids}) ORDER BY 1").fetchall()
    assert lines == [(4,), (5,)]


def test_an_expectation_without_sql_is_refused_by_name():
    with pytest.raises(UnsupportedExpectation, match="expect_column_mean_to_be_between"):
        check_supported({"type": "expect_column_mean_to_be_between", "kwargs": {"column": "value"}})
    with pytest.raises(UnsupportedExpectation, match="mostly"):
        check_supported({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "value", "mostly": 0.9}})


def test_text_rules_of_the_county_upload_suite(table):
    not_matching, lengths = run(
        table,
        {"type": "expect_column_values_to_not_match_regex", "kwargs": {"column": "b", "regex": "^[=+\\-@]|[\\x00-\\x08]"}},
        {"type": "expect_column_value_lengths_to_be_between", "kwargs": {"column": "region_key", "min_value": 2, "max_value": 2}},
    )
    assert not_matching.success and lengths.success
    table.execute("UPDATE staged SET b = '=HYPERLINK()' WHERE line_number = 5")
    table.execute("UPDATE staged SET region_key = '091620' WHERE line_number = 2")
    not_matching, lengths = run(
        table,
        {"type": "expect_column_values_to_not_match_regex", "kwargs": {"column": "b", "regex": "^[=+\\-@]"}},
        {"type": "expect_column_value_lengths_to_be_between", "kwargs": {"column": "region_key", "min_value": 2, "max_value": 5}},
    )
    assert [e["line_number"] for e in not_matching.result["partial_unexpected_index_list"]] == [5]
    assert [e["line_number"] for e in lengths.result["partial_unexpected_index_list"]] == [2]


def test_a_suite_is_counted_in_one_scan_and_text_codes_compare_as_text():
    """Every row-wise expectation shares one aggregate query; a flag column DuckDB read as integers
    (every cell empty) is compared with the text codes as text, not cast to a number."""
    connection = duckdb.connect()
    connection.execute("CREATE TABLE staged AS SELECT * FROM (VALUES (2, NULL::INTEGER, 1), (3, NULL, 7)) "
                       "AS rows(line_number, value_flag, value)")
    queries = []
    original = connection.execute

    class Counting:
        def __getattr__(self, name):
            return getattr(connection, name)

        def execute(self, query, *parameters):
            queries.append(query)
            return original(query, *parameters)

    flags, between, not_null = evaluate(Counting(), "staged", [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "value_flag", "value_set": ["-", "x"]}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "value", "min_value": 0, "max_value": 5}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "value"}},
    ])
    assert flags.success and flags.result["missing_count"] == 2
    assert not between.success and between.result["partial_unexpected_index_list"] == [{"value": 7, "line_number": 3}]
    assert not_null.success
    scans = [q for q in queries if q.startswith("SELECT count(*)") and "FROM staged" in q]
    assert len(scans) == 1  # the counts; the other queries read the failing expectation's examples
    connection.execute("INSERT INTO staged VALUES (4, 5, 1)")
    [flags] = evaluate(connection, "staged", [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "value_flag", "value_set": ["-", "x"]}}])
    assert not flags.success and flags.result["partial_unexpected_list"] == [5]
