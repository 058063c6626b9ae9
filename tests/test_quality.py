"""The quality gate on parsed frames: region keys against the register, blocking vs warning."""

from __future__ import annotations

import great_expectations as gx
import pandas as pd

from warehouse.quality import annotate_region_keys, validate_frame


def frame(rows):
    return pd.DataFrame(rows, columns=["line_number", "region_key", "value", "value_flag"])


def test_region_keys_are_checked_against_the_register():
    annotated = annotate_region_keys(frame([
        (2, "09162", 1.0, None),      # a Kreis of the register
        (3, "DG", 5.0, None),         # Germany
        (4, "11001001", 2.0, None),   # a Berlin Bezirk inside KREISE
        (5, "03152", None, "-"),      # Göttingen, dissolved 2016: only '-'
        (6, "03152", None, "-"),
        (7, "99999", 3.0, None),      # unknown and carrying a number: reported
        (8, "160", 4.0, None),        # REGBEZ: Thüringen has no Regierungsbezirk
    ]), {"09162", "16"})
    assert annotated["region_key_status"].tolist() == [
        "in_register", "in_register", "berlin_bezirk", "not_in_register_no_values", "not_in_register_no_values", "not_in_register",
        "land_as_regierungsbezirk",
    ]


def suite(*expectations):
    return gx.ExpectationSuite(name="test", expectations=list(expectations))


def test_a_critical_failure_blocks_and_names_the_lines():
    report = validate_frame(
        frame([(2, "09162", 1.0, None), (3, "09163", -4.0, None)]),
        suite({"type": "expect_column_values_to_be_between", "kwargs": {"column": "value", "min_value": 0}}),
        table_name="t",
    )
    assert not report.passed
    [failure] = report.blocking_failures
    assert failure.unexpected_count == 1
    assert failure.examples == [{"value": -4.0, "line_number": 3, "region_key": "09163"}]
    assert failure.describe() == "column values to be between (value): 1 rows, e.g. line 3 (value -4.0, region_key 09163)"


def test_a_warning_is_reported_but_does_not_block():
    report = validate_frame(
        frame([(2, "09162", 1.0, "?")]),
        suite({"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "value_flag", "value_set": ["-", "."]},
               "severity": "warning"}),
        table_name="t",
    )
    assert report.passed and len(report.warnings) == 1
