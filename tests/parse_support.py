"""Helpers for tests that compare two readers of the same file: the same long-format rows, in the same order."""

from __future__ import annotations

import pandas as pd


def plain(column: pd.Series) -> list:
    """The column's values with every missing value as None (NaN, pd.NA and None alike)."""
    return [None if pd.isna(value) else value for value in column.astype(object)]


def assert_same_rows(expected: pd.DataFrame, got: pd.DataFrame, what: str = "") -> None:
    """Same columns in the same order, same row count, same values row by row (values as floats)."""
    assert list(got.columns) == list(expected.columns), what
    assert len(got) == len(expected), what
    for column in expected.columns:
        if column == "value":
            pd.testing.assert_series_equal(expected[column].astype("float64"), got[column].astype("float64"),
                                           check_names=False, obj=f"{what} value")
        else:
            assert plain(expected[column]) == plain(got[column]), (what, column)
