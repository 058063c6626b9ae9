"""A suite's expectations run as SQL over a DuckDB relation: counts of violations and a few examples.

GX's own SQL engine returns nothing on DuckDB (GX issues 10738, 11579), and its pandas engine
needs the whole table as a frame, so every expectation type the suites use is written here as
one query over the relation. The results have the shape of GX's (`element_count`,
`unexpected_count`, `partial_unexpected_index_list`, `observed_value`, …), so the gate hands them
to GX, which stores them and renders them into Data Docs like its own (warehouse/quality.py).

Semantics follow GX's: column-value expectations skip NULL (except `not_be_null`), uniqueness
counts every row of a repeated value as unexpected, a compound key with NULLs compares NULL as
equal and skips rows whose key columns are all NULL, regular expressions match anywhere unless
anchored. The order of the relation's rows (`rowid`) is the order of the examples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

# expectation type → the keyword arguments this module understands
SUPPORTED = {
    "expect_table_row_count_to_be_between": {"min_value", "max_value"},
    "expect_table_columns_to_match_set": {"column_set", "exact_match"},
    "expect_column_values_to_not_be_null": {"column"},
    "expect_column_values_to_be_in_set": {"column", "value_set"},
    "expect_column_values_to_not_be_in_set": {"column", "value_set"},
    "expect_column_values_to_match_regex": {"column", "regex"},
    "expect_column_values_to_not_match_regex": {"column", "regex"},
    "expect_column_value_lengths_to_be_between": {"column", "min_value", "max_value"},
    "expect_column_values_to_be_between": {"column", "min_value", "max_value", "strict_min", "strict_max"},
    "expect_column_values_to_be_unique": {"column"},
    "expect_compound_columns_to_be_unique": {"column_list"},
}


UNIQUENESS = {"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"}


class UnsupportedExpectation(ValueError):
    """A suite uses an expectation type or argument that has no SQL here."""


@dataclass(frozen=True)
class Evaluated:
    """One expectation's outcome on a relation, with GX's result fields."""

    expectation: dict[str, Any]
    success: bool
    result: dict[str, Any] = field(default_factory=dict)
    # the rowids of the violating rows, as a query over the relation; None for table-level expectations
    violating_rowids: str | None = None
    error: str | None = None


def check_supported(expectation: dict[str, Any]) -> None:
    """Refuse an expectation this module cannot run, naming what to do instead."""
    kind, arguments = expectation.get("type"), set(expectation.get("kwargs") or {})
    if kind not in SUPPORTED:
        raise UnsupportedExpectation(
            f"expectation {kind!r} has no SQL in warehouse/checks.py; supported: {', '.join(sorted(SUPPORTED))}")
    unknown = arguments - SUPPORTED[kind]
    if unknown:
        raise UnsupportedExpectation(f"{kind}: argument(s) {', '.join(sorted(unknown))} not supported in warehouse/checks.py")


def quoted(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A SQL literal for a value of a suite (string, number, boolean)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def relation_columns(connection: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return list(relation_types(connection, relation))


def relation_types(connection: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    """Column name → DuckDB type, in the relation's order."""
    return {row[0]: row[1] for row in connection.execute(f"DESCRIBE {relation}").fetchall()}


def evaluate(connection: duckdb.DuckDBPyConnection, relation: str, expectations: list[dict[str, Any]], *,
             index_columns: tuple[str, ...] = ("line_number", "region_key"), example_count: int = 5) -> list[Evaluated]:
    """Run each expectation over `relation` (a table: its rowid orders the examples).

    The counts of every row-wise expectation come from one aggregate query (one scan of the
    relation); a uniqueness expectation is one GROUP BY each; examples are read only for the
    expectations that fail.
    """
    types = relation_types(connection, relation)
    columns = list(types)
    index = [c for c in index_columns if c in columns]
    aggregates = ["count(*)"]  # the one scan: element count, then (looked at, violating) per row-wise expectation
    plans: list[tuple[str, Any]] = []
    for expectation in expectations:
        check_supported(expectation)
        kind, arguments = expectation["type"], expectation.get("kwargs") or {}
        if kind in ("expect_table_row_count_to_be_between", "expect_table_columns_to_match_set"):
            plans.append((kind, None))
            continue
        named = arguments.get("column_list") or [arguments["column"]]
        missing = [c for c in named if c not in columns]
        if missing:
            plans.append(("error", f"column(s) {', '.join(missing)} not in the table"))
            continue
        domain, violation = _rule(expectation, named, types)
        if kind in UNIQUENESS:
            plans.append(("unique", (named, domain, violation)))
            continue
        plans.append(("counted", (named, domain, violation, len(aggregates))))
        aggregates += [f"count(*) FILTER (WHERE {domain})",
                       f"count(*) FILTER (WHERE ({domain}) AND coalesce({violation}, FALSE))"]
    counts = connection.execute(f"SELECT {', '.join(aggregates)} FROM {relation}").fetchone()
    element_count = counts[0]
    results = []
    for expectation, (plan, detail) in zip(expectations, plans):
        arguments = expectation.get("kwargs") or {}
        if plan == "expect_table_row_count_to_be_between":
            low, high = arguments.get("min_value"), arguments.get("max_value")
            success = (low is None or element_count >= low) and (high is None or element_count <= high)
            results.append(Evaluated(expectation, success, {"observed_value": element_count}))
        elif plan == "expect_table_columns_to_match_set":
            results.append(_columns_match_set(expectation, columns))
        elif plan == "error":
            results.append(Evaluated(expectation, False, error=detail))
        elif plan == "unique":
            named, domain, violation = detail
            keys = ", ".join(quoted(c) for c in named)
            # NULL equals NULL in a GROUP BY, as in the window of the violating rows
            nonmissing, unexpected = connection.execute(
                f"SELECT coalesce(sum(n), 0), coalesce(sum(n) FILTER (WHERE n > 1), 0) "
                f"FROM (SELECT count(*) AS n FROM {relation} WHERE {domain} GROUP BY {keys})").fetchone()
            results.append(_column_values(connection, relation, expectation, named, (domain, violation), index,
                                          element_count, int(nonmissing), int(unexpected), example_count))
        else:
            named, domain, violation, position = detail
            results.append(_column_values(connection, relation, expectation, named, (domain, violation), index,
                                          element_count, counts[position], counts[position + 1], example_count))
    return results


def _columns_match_set(expectation: dict[str, Any], columns: list[str]) -> Evaluated:
    arguments = expectation["kwargs"]
    expected = list(arguments.get("column_set") or [])
    unexpected = sorted(set(columns) - set(expected))
    missing = sorted(set(expected) - set(columns))
    exact = arguments.get("exact_match", True)
    success = not missing and (not exact or not unexpected)
    result: dict[str, Any] = {"observed_value": sorted(columns)}
    if not success:
        result["details"] = {"mismatched": {"unexpected": unexpected, "missing": missing}}
    return Evaluated(expectation, success, result)


def _rule(expectation: dict[str, Any], named: list[str], types: dict[str, str]) -> tuple[str, str]:
    """(the rows an expectation looks at, the rows among them that break it) as SQL over one row."""
    kind, arguments = expectation["type"], expectation["kwargs"]
    column = quoted(named[0])
    present = f"{column} IS NOT NULL"
    if kind == "expect_column_values_to_not_be_null":
        return "TRUE", f"{column} IS NULL"
    if kind in ("expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set"):
        values = arguments.get("value_set") or []
        if any(isinstance(v, str) for v in values) and types.get(named[0]) != "VARCHAR":
            # text codes against a column DuckDB typed otherwise (e.g. an all-empty flag column read as
            # integers): compare as text, as the values are, instead of failing to cast '-' to a number
            column = f"CAST({column} AS VARCHAR)"
        inside = f"{column} IN ({', '.join(literal(v) for v in values)})" if values else "FALSE"
        return present, inside if kind == "expect_column_values_to_not_be_in_set" else f"NOT ({inside})"
    if kind in ("expect_column_values_to_match_regex", "expect_column_values_to_not_match_regex"):
        matches = f"regexp_matches(CAST({column} AS VARCHAR), {literal(arguments['regex'])})"
        return present, matches if kind == "expect_column_values_to_not_match_regex" else f"NOT {matches}"
    if kind in ("expect_column_values_to_be_between", "expect_column_value_lengths_to_be_between"):
        if kind == "expect_column_value_lengths_to_be_between":
            column = f"length(CAST({column} AS VARCHAR))"
        outside = []
        if arguments.get("min_value") is not None:
            outside.append(f"{column} {'<=' if arguments.get('strict_min') else '<'} {literal(arguments['min_value'])}")
        if arguments.get("max_value") is not None:
            outside.append(f"{column} {'>=' if arguments.get('strict_max') else '>'} {literal(arguments['max_value'])}")
        return present, " OR ".join(outside) or "FALSE"
    if kind == "expect_column_values_to_be_unique":
        return present, f"count(*) OVER (PARTITION BY {column}) > 1"
    # expect_compound_columns_to_be_unique: NULL equals NULL in the key (as pandas' duplicated does)
    keys = ", ".join(quoted(c) for c in named)
    return (f"NOT ({' AND '.join(f'{quoted(c)} IS NULL' for c in named)})",
            f"count(*) OVER (PARTITION BY {keys}) > 1")


def _column_values(connection, relation: str, expectation: dict[str, Any], named: list[str], rule: tuple[str, str],
                   index: list[str], element_count: int, nonmissing: int, unexpected: int,
                   example_count: int) -> Evaluated:
    """GX's result fields from the counts, and up to `example_count` violating rows when there are any."""
    domain, violation = rule
    # the rows the expectation looks at; a window (uniqueness) counts within them only
    checked = f"SELECT rowid AS position, coalesce({violation}, FALSE) AS violates FROM {relation} WHERE {domain}"
    missing = element_count - nonmissing
    result: dict[str, Any] = {
        "element_count": element_count,
        "unexpected_count": unexpected,
        "unexpected_percent": 100 * unexpected / nonmissing if nonmissing else None,
        "partial_unexpected_list": [],
        "partial_unexpected_index_list": [],
        "partial_unexpected_counts": [],
    }
    if expectation["type"] != "expect_column_values_to_not_be_null":
        result.update({
            "missing_count": missing,
            "missing_percent": 100 * missing / element_count if element_count else None,
            "unexpected_percent_total": 100 * unexpected / element_count if element_count else None,
            "unexpected_percent_nonmissing": 100 * unexpected / nonmissing if nonmissing else None,
        })
    violating = f"SELECT position FROM ({checked}) WHERE violates"
    if unexpected:
        shown = named + [c for c in index if c not in named]
        rows = connection.execute(
            f"SELECT {', '.join(quoted(c) for c in shown)} FROM {relation} WHERE rowid IN ({violating}) "
            f"ORDER BY rowid LIMIT {int(example_count)}").fetchall()
        result["partial_unexpected_list"] = [row[0] if len(named) == 1 else dict(zip(named, row)) for row in rows]
        result["partial_unexpected_index_list"] = [dict(zip(shown, row)) for row in rows]
        key = ", ".join(quoted(c) for c in named)
        result["partial_unexpected_counts"] = [
            {"value": row[0] if len(named) == 1 else list(row[:-1]), "count": row[-1]}
            for row in connection.execute(
                f"SELECT {key}, count(*) FROM {relation} WHERE rowid IN ({violating}) "
                f"GROUP BY ALL ORDER BY count(*) DESC, {key} LIMIT {int(example_count)}").fetchall()]
    return Evaluated(expectation, unexpected == 0, result, violating_rowids=violating)
