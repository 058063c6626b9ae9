"""The quality gate: every parsed table is validated against its Great Expectations suite before it is loaded.

Suites live in expectations/<table>.json as GX suites. The table waits in a DuckDB staging table
(`Relation`), and each expectation runs there as SQL (warehouse/checks.py: GX's own SQL engine
returns nothing on DuckDB, GX issues 10738, 11579); GX checks the suite, stores the results and
renders them into Data Docs. An expectation with severity `critical` blocks the table (the previous
data stays); `warning` is reported and lets it pass.

Checks that compare rows with each other are declared in the suite's `meta.checks`; the comparison
itself is one DuckDB query over the staged table (grouping, joins and window functions in SQL), and
its result (one row per comparison) is validated the same way, so they land in the same results,
the same Data Docs and the same quarantine as every other expectation:

- `row_count_may_shrink_pct`: fewer rows than the last load by more than this blocks the table.
- `year_over_year_warning_pct`: a value that changes by more than this against the previous
  period of the same region and category is reported.
- `parts_sum_to_total`: where a table publishes parts and their total (Kreise and their Land,
  Gemeinden and Germany), the sum of the parts must match the total within a tolerance
  (rounding, Zensus perturbation). Only groups whose parts are all present and unsuppressed count.
"""

from __future__ import annotations

import json
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import duckdb
import pandas as pd

from warehouse import checks
from warehouse.checks import quoted
from warehouse.connection import table_exists

if TYPE_CHECKING:
    from warehouse.register import Register

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

SEVERITY_BLOCKING = "critical"
LEVEL_OF_LENGTH = {2: "land", 3: "regierungsbezirk", 5: "kreis", 8: "gemeinde", 12: "gemeinde"}


@dataclass(frozen=True)
class ExpectationOutcome:
    """The result of one expectation on one table."""

    expectation: str
    column: str | None
    severity: str
    success: bool
    unexpected_count: int | None
    examples: list[dict[str, Any]] = field(default_factory=list)
    notes: str | None = None
    check: str = "suite"  # `suite`, or the derived check it belongs to

    def describe(self, examples: int = 3) -> str:
        """One line a statistician can act on: the rule, how many rows break it, and where."""
        rule = self.expectation.removeprefix("expect_").replace("_", " ") + (f" ({self.column})" if self.column else "")
        what = f"{self.notes.rstrip('.')} [{rule}]" if self.notes else rule
        count = f": {self.unexpected_count} rows" if self.unexpected_count else ""
        shown = []
        for example in self.examples[:examples]:
            line = example.get("line_number")
            values = ", ".join(f"{k} {v}" for k, v in example.items() if k != "line_number")
            shown.append(f"line {line} ({values})" if line is not None else values)
        where = f", e.g. {'; '.join(shown)}" if shown else ""
        return f"{what}{count}{where}"


@dataclass
class ValidationReport:
    """All outcomes for one table; `passed` is false when a critical expectation failed."""

    table_name: str
    outcomes: list[ExpectationOutcome]
    quarantine: list[dict[str, Any]] = field(default_factory=list)  # the rows a blocking expectation rejected

    @property
    def passed(self) -> bool:
        return not self.blocking_failures

    @property
    def blocking_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == SEVERITY_BLOCKING]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity != SEVERITY_BLOCKING]


def suite_path(expectations_dir: Path, table_name: str) -> Path:
    """Where the suite of a table lives."""
    return expectations_dir / f"{table_name}.json"


def load_suite_document(expectations_dir: Path, table_name: str) -> dict[str, Any]:
    """The suite of a table as stored: GX expectations plus `meta.checks`."""
    path = suite_path(expectations_dir, table_name)
    if not path.exists():
        raise FileNotFoundError(f"no expectation suite for {table_name}: expected {path}")
    return json.loads(path.read_text(encoding="utf-8"))


def annotate_region_keys(data: Relation | pd.DataFrame, register: Register) -> Relation | pd.DataFrame:
    """Add `region_key_status`: is each regional key in the register on the row's date, and if not, is it harmless?

    Real tables list keys that are not in the current register: Kreise dissolved years ago
    (shown with `-` only: harmless, dropped later) and the Berlin Bezirke inside KREISE (known).
    A Land, Regierungsbezirk or Kreis key outside the register that carries numbers is an error
    (`not_in_register`); a Gemeinde key is reported (`gemeinde_not_in_register`), because
    Gemeinden merge every year and tables keep the territorial status of their reference date.
    A known key carrying a number on a day it was not valid (`not_valid_at_reference_date`) is
    reported: the core layer leaves such rows out, so the warning says which ones.

    A staged table gets the column in place (SQL); a frame gets it as a new column.
    """
    if isinstance(data, pd.DataFrame):
        if "region_key" not in data.columns:
            return data
        with staged_in_memory(data) as relation:
            annotate_region_keys(relation, register)
            status = relation.connection.execute(f"SELECT region_key_status FROM {relation.name} ORDER BY rowid").fetchnumpy()
        return data.assign(region_key_status=pd.Series(status["region_key_status"], index=data.index, dtype="string"))
    relation, connection = data, data.connection
    columns = relation.columns
    if "region_key" not in columns:
        return relation
    has_number = "value IS NOT NULL" if "value" in columns else "false"
    invalid = pd.DataFrame(columns=["region_variable", "region_key", "reference_time"], dtype=object)
    if {"region_variable", "reference_time"} <= set(columns):
        invalid = register.invalid_keys(connection.execute(
            f"SELECT DISTINCT region_variable, region_key, reference_time FROM {relation.name} "
            f"WHERE {has_number} AND region_key IS NOT NULL AND reference_time IS NOT NULL").df())
    connection.register("register_keys", pd.DataFrame({"key": register.keys}))
    connection.register("invalid_keys", invalid.astype(object))
    table = relation.name
    try:
        # the status is set in place (UPDATE), so the rows keep their order; per key first, strongest rule first
        connection.execute(f"ALTER TABLE {table} ADD COLUMN region_key_status VARCHAR")
        connection.execute(f"""
            UPDATE {table} SET region_key_status = CASE
                WHEN keyed.in_register THEN 'in_register'
                WHEN keyed.berlin_bezirk THEN 'berlin_bezirk'
                WHEN keyed.land_as_regierungsbezirk THEN 'land_as_regierungsbezirk'
                WHEN NOT keyed.has_numbers THEN 'not_in_register_no_values'
                WHEN length(keyed.region_key) >= 8 THEN 'gemeinde_not_in_register'
                ELSE 'not_in_register' END
            FROM (
                SELECT region_key, bool_or({has_number}) AS has_numbers,
                       region_key = 'DG' OR region_key IN (SELECT key FROM register_keys) AS in_register,
                       regexp_full_match(region_key, '110[0-9]{{5}}') AND region_key <> '11000000' AS berlin_bezirk,
                       -- REGBEZ lists Länder without Regierungsbezirke as <Land>0 (160 = Thüringen)
                       regexp_full_match(region_key, '[0-9]{{2}}0')
                           AND left(region_key, 2) IN (SELECT key FROM register_keys) AS land_as_regierungsbezirk
                FROM {table} WHERE region_key IS NOT NULL GROUP BY region_key
            ) AS keyed
            WHERE {table}.region_key = keyed.region_key""")
        connection.execute(f"UPDATE {table} SET region_key_status = 'not_in_register' WHERE region_key IS NULL")
        if not invalid.empty:
            connection.execute(f"""
                UPDATE {table} SET region_key_status = 'not_valid_at_reference_date'
                FROM invalid_keys AS i
                WHERE {table}.region_key_status = 'in_register' AND {table}.value IS NOT NULL
                  AND i.region_key = {table}.region_key AND i.reference_time = {table}.reference_time
                  AND i.region_variable IS NOT DISTINCT FROM {table}.region_variable""")
    finally:
        connection.unregister("register_keys")
        connection.unregister("invalid_keys")
    return relation


# --- staged tables -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Relation:
    """A table waiting in DuckDB to be validated (and, if it passes, loaded); its rowid is the row order."""

    connection: duckdb.DuckDBPyConnection
    name: str

    @property
    def columns(self) -> list[str]:
        return checks.relation_columns(self.connection, self.name)


def stage_frame(connection: duckdb.DuckDBPyConnection, frame: pd.DataFrame, name: str) -> Relation:
    """Copy a parsed frame into a temporary DuckDB table (once: checks and load read it there)."""
    connection.register("parsed_frame", frame)
    try:
        connection.execute(f"CREATE OR REPLACE TEMP TABLE {quoted(name)} AS SELECT * FROM parsed_frame")
    finally:
        connection.unregister("parsed_frame")
    return Relation(connection, quoted(name))


@contextmanager
def staged_in_memory(frame: pd.DataFrame) -> Iterator[Relation]:
    """A frame staged in a DuckDB of its own (for frames outside a run: uploads, tests), closed afterwards."""
    connection = duckdb.connect()
    try:
        yield stage_frame(connection, frame, "frame")
    finally:
        connection.close()


# --- derived relations for the checks that compare rows ---------------------------------------------


def _category_columns(columns: list[str]) -> list[str]:
    """Classifying variables of the long format (their codes, not labels)."""
    fixed = {"table_code", "line_number", "time_code", "reference_time", "region_variable", "region_key",
             "region_label", "value_variable", "value_variable_label", "value_unit", "value", "value_flag",
             "value_quality", "region_key_status", "source_file", "source_sha256"}
    return [c for c in columns if c not in fixed and not c.endswith("_label")]


def parts_against_totals_sql(columns: list[str], relation: str, parts: str, total: str,
                             value_variables: list[str] | None) -> tuple[str, list] | None:
    """One row per published total that has all its parts: the total, the sum of the parts and their difference in %."""
    if "region_key" not in columns or "value" not in columns:
        return None
    conditions, parameters = ["true"], []
    if value_variables:
        conditions.append("value_variable IN (SELECT unnest(?))")
        parameters.append(list(value_variables))
    if "region_key_status" in columns:
        # the sums are about the table's own arithmetic: a known key counts even on a day the register
        # says it did not exist (reported separately as not_valid_at_reference_date)
        conditions.append("region_key_status IN ('in_register', 'not_valid_at_reference_date')")
    categories = ["reference_time", "value_variable", *_category_columns(columns)]
    group = [quoted(c) for c in categories]
    levels = " ".join(f"WHEN length(key) = {length} THEN '{level}'" for length, level in LEVEL_OF_LENGTH.items())
    prefix = {"land": 2, "kreis": 5, "deutschland": 0}[total]
    # a 12-digit ARS starts with the Kreis key like the AGS does
    parent = "'DG'" if prefix == 0 else f"left(key, {prefix})"
    same_group = " AND ".join(f"t.{c} IS NOT DISTINCT FROM s.{c}" for c in group)
    return f"""
        WITH keyed AS (
            SELECT *, CASE WHEN key = 'DG' THEN 'deutschland' {levels} END AS level
            FROM (SELECT rowid AS frame_position, line_number, region_key, CAST(region_key AS VARCHAR) AS key, value,
                         {', '.join(group)}
                  FROM {relation} WHERE {' AND '.join(conditions)})
        ),
        sums AS (
            SELECT {parent} AS parent_key, {', '.join(group)}, sum(value) AS parts_sum, count(*) AS parts,
                   count(*) - count(value) AS suppressed
            FROM keyed WHERE level = '{parts}' GROUP BY ALL
        )
        SELECT t.line_number, t.region_key, t.reference_time, t.value AS total, s.parts_sum, s.parts,
               CASE WHEN t.value = 0 AND s.parts_sum = 0 THEN 0.0
                    WHEN t.value <> 0 THEN 100 * (s.parts_sum - t.value) / t.value END AS difference_pct
        FROM keyed AS t JOIN sums AS s ON t.key = s.parent_key AND {same_group}
        WHERE t.level = '{total}' AND s.suppressed = 0 AND t.value IS NOT NULL
        ORDER BY t.frame_position
    """, parameters


def year_over_year_changes_sql(columns: list[str], relation: str, minimum_value: float = 100) -> tuple[str, list] | None:
    """One row per region, category and period with a previous period: the change in %."""
    if "value" not in columns or "reference_time" not in columns:
        return None
    # a missing category is its own group (NULL partitions together), and the rows come sorted by group
    # ("∅" for a missing category) and period; the window partitions by the columns themselves, not their text
    categories = ["region_key", "value_variable", *_category_columns(columns)]
    columns_sql = ", ".join(quoted(c) for c in categories)
    group = [f"coalesce(CAST({quoted(c)} AS VARCHAR), '∅')" for c in categories]
    return f"""
        WITH ordered AS (
            SELECT line_number, reference_time, value, rowid AS frame_position, {columns_sql},
                   lag(value) OVER (PARTITION BY {columns_sql} ORDER BY reference_time, rowid) AS previous
            FROM {relation} WHERE value IS NOT NULL
        )
        SELECT line_number, {group[0]} AS region_key, reference_time, previous, value,
               100 * (value - previous) / previous AS change_pct
        FROM ordered WHERE previous >= ? AND (SELECT count(DISTINCT reference_time) FROM {relation}) >= 2
        ORDER BY {', '.join(group)}, reference_time, frame_position
    """, [minimum_value]


def parts_against_totals(frame: pd.DataFrame, parts: str, total: str, value_variables: list[str] | None) -> pd.DataFrame:
    """parts_against_totals_sql over a frame (for inspection and tests)."""
    return _over_frame(frame, lambda columns, relation: parts_against_totals_sql(columns, relation, parts, total, value_variables),
                       ["line_number", "region_key", "reference_time", "total", "parts_sum", "parts", "difference_pct"])


def year_over_year_changes(frame: pd.DataFrame, minimum_value: float = 100) -> pd.DataFrame:
    """year_over_year_changes_sql over a frame (for inspection and tests)."""
    return _over_frame(frame, lambda columns, relation: year_over_year_changes_sql(columns, relation, minimum_value),
                       ["line_number", "region_key", "reference_time", "previous", "value", "change_pct"])


def _over_frame(frame: pd.DataFrame, query, empty_columns: list[str]) -> pd.DataFrame:
    with staged_in_memory(frame) as relation:
        built = query(relation.columns, relation.name)
        return relation.connection.execute(*built).df() if built else pd.DataFrame(columns=empty_columns)


# --- the gate ------------------------------------------------------------------------------------


def import_great_expectations():
    """Import GX (seconds): a run calls this while Prefect's temporary server starts, before the gate needs it."""
    import great_expectations

    return great_expectations


class QualityGate:
    """Validates staged tables for one run; GX keeps the suites and results, Data Docs go to `docs_dir`."""

    def __init__(self, docs_dir: Path | None = None, *, example_count: int = 5):
        import great_expectations as gx

        # GX sets some of its module loggers to INFO itself (e.g. "Created temporary directory … for
        # ephemeral docs site" at every run): quiet them all, the run summary says what matters
        for name in [n for n in logging.root.manager.loggerDict if n.startswith("great_expectations")]:
            logging.getLogger(name).setLevel(logging.ERROR)
        self._gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = {"globally": False, "metric_calculations": False}
        self.docs_dir = docs_dir
        self.example_count = example_count
        if docs_dir:
            self.context.add_data_docs_site(site_name="imon", site_config={
                "class_name": "SiteBuilder",
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            })

    def build_docs(self) -> Path | None:
        """Write the Data Docs of every validation this gate ran, once per run (not after each check)."""
        if not self.docs_dir:
            return None
        self.context.build_data_docs(site_names=["imon"])
        return self.docs_index

    @property
    def docs_index(self) -> Path | None:
        """The Data Docs page a run summary links to."""
        return self.docs_dir / "index.html" if self.docs_dir else None

    def validate(
        self,
        data: Relation | pd.DataFrame,
        document: dict[str, Any],
        *,
        table_name: str,
        previous_row_count: int | None = None,
    ) -> ValidationReport:
        """Run the table's suite and its declared row-comparing checks; collect rejected rows.

        `data` is a staged table (the pipeline's way) or a frame, which is staged in a DuckDB of its own.
        """
        if isinstance(data, pd.DataFrame):
            with staged_in_memory(data) as relation:
                return self.validate(relation, document, table_name=table_name, previous_row_count=previous_row_count)
        relation = data
        declared = (document.get("meta") or {}).get("checks") or {}
        expectations = list(document.get("expectations") or [])
        shrink = declared.get("row_count_may_shrink_pct")
        if previous_row_count and shrink is not None:
            expectations.append({
                "type": "expect_table_row_count_to_be_between",
                "kwargs": {"min_value": int(previous_row_count * (1 - shrink / 100))},
                "meta": {"notes": f"The table shrank by more than {shrink} % against the last load ({previous_row_count} rows)"},
            })
        parts = [self._run(relation, expectations, suite_name=table_name, check="suite")]
        columns = relation.columns

        for declaration in declared.get("parts_sum_to_total") or []:
            tolerance = float(declaration.get("tolerance_pct", 0.5))
            name = f"{declaration['parts']}_sum_to_{declaration['total']}"
            parts.append(self._run_derived(relation, parts_against_totals_sql(
                columns, relation.name, declaration["parts"], declaration["total"], declaration.get("value_variables")), [{
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "difference_pct", "min_value": -tolerance, "max_value": tolerance},
                "severity": declaration.get("severity", SEVERITY_BLOCKING),
                "meta": {"notes": f"The {declaration['parts']} values must add up to the published {declaration['total']} "
                                  f"total within {tolerance} %" + (f" ({declaration['note']})" if declaration.get("note") else "")},
            }], suite_name=f"{table_name}.{name}", check=name))
        yoy = declared.get("year_over_year_warning_pct")
        if yoy is not None:
            parts.append(self._run_derived(relation, year_over_year_changes_sql(columns, relation.name), [{
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "change_pct", "min_value": -float(yoy), "max_value": float(yoy)},
                "severity": "warning",
                "meta": {"notes": f"A value changed by more than {yoy} % against the previous period"},
            }], suite_name=f"{table_name}.year_over_year", check="year_over_year"))

        outcomes = [o for part_outcomes, _ in parts for o in part_outcomes]
        quarantine = [row for _, part_rows in parts for row in part_rows]
        return ValidationReport(table_name=table_name, outcomes=outcomes, quarantine=quarantine)

    def _run_derived(self, relation: Relation, query: tuple[str, list] | None, expectations: list[dict], *,
                     suite_name: str, check: str):
        """Validate the result of a row-comparing query (a temporary table, dropped afterwards)."""
        if query is None:  # no region or value column: nothing to compare, the suite itself says what is missing
            query = ("SELECT NULL::BIGINT AS line_number, NULL::VARCHAR AS region_key, NULL::DOUBLE AS difference_pct, "
                     "NULL::DOUBLE AS change_pct WHERE false", [])
        derived = Relation(relation.connection, quoted("derived_check"))
        relation.connection.execute(f"CREATE OR REPLACE TEMP TABLE {derived.name} AS {query[0]}", query[1])
        try:
            return self._run(derived, expectations, suite_name=suite_name, check=check)
        finally:
            relation.connection.execute(f"DROP TABLE IF EXISTS {derived.name}")

    def _run(self, relation: Relation, expectations: list[dict], *, suite_name: str, check: str,
             index_columns: tuple[str, ...] = ("line_number", "region_key")):
        """Run one list of expectations as SQL over a relation; GX stores the results for the Data Docs."""
        gx = self._gx
        suite = self.context.suites.add_or_update(gx.ExpectationSuite(name=suite_name, expectations=expectations))
        configurations = [expectation.configuration for expectation in suite.expectations]
        evaluated = checks.evaluate(relation.connection, relation.name, expectations,
                                    index_columns=index_columns, example_count=self.example_count)
        self._store(suite_name, relation, configurations, evaluated)
        outcomes, quarantine = [], []
        for configuration, item in zip(configurations, evaluated):
            severity = getattr(configuration.severity, "value", str(configuration.severity))
            arguments = configuration.kwargs
            column = arguments.get("column") or (",".join(arguments["column_list"]) if "column_list" in arguments else None)
            notes = (configuration.meta or {}).get("notes")
            examples = item.result.get("partial_unexpected_index_list") or []
            if item.error:
                examples = [{"error": item.error}]
            outcomes.append(ExpectationOutcome(
                expectation=configuration.type, column=column, severity=severity, success=item.success,
                unexpected_count=item.result.get("unexpected_count"),
                examples=[_plain(e) for e in examples[: self.example_count]], notes=notes, check=check,
            ))
            if not item.success and severity == SEVERITY_BLOCKING:
                quarantine.extend(_rejected_rows(relation, item, expectation=configuration.type, column=column,
                                                 check=check, reason=notes or configuration.type))
        return outcomes, quarantine

    def _store(self, suite_name: str, relation: Relation, configurations: list, evaluated: list[checks.Evaluated]) -> None:
        """Hand the results to GX in its own result types, so its stores and Data Docs show them."""
        from great_expectations.core.expectation_validation_result import (
            ExpectationSuiteValidationResult,
            ExpectationValidationResult,
        )
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        results = [
            ExpectationValidationResult(
                success=item.success, expectation_config=configuration, result=_plain_result(item.result),
                exception_info={"raised_exception": True, "exception_message": item.error, "exception_traceback": None}
                if item.error else None)
            for configuration, item in zip(configurations, evaluated)
        ]
        succeeded = sum(item.success for item in evaluated)
        run_id = RunIdentifier(run_time=datetime.now(timezone.utc))
        suite_result = ExpectationSuiteValidationResult(
            success=succeeded == len(evaluated), results=results, suite_name=suite_name,
            statistics={"evaluated_expectations": len(evaluated), "successful_expectations": succeeded,
                        "unsuccessful_expectations": len(evaluated) - succeeded,
                        "success_percent": 100 * succeeded / len(evaluated) if evaluated else None},
            meta={"great_expectations_version": self._gx.__version__, "run_id": run_id, "validation_time": run_id.run_time,
                  "batch_spec": {"data_asset_name": suite_name, "engine": "DuckDB SQL (warehouse/checks.py)"}},
        )
        suite_id = ExpectationSuiteIdentifier(name=suite_name)
        self.context.validation_results_store.store_validation_results(
            suite_validation_result=suite_result, expectation_suite_identifier=suite_id,
            suite_validation_result_identifier=ValidationResultIdentifier(
                expectation_suite_identifier=suite_id, run_id=run_id, batch_identifier=suite_name))


def _rejected_rows(relation: Relation, item: checks.Evaluated, *, expectation: str, column: str | None, check: str,
                   reason: str) -> list[dict]:
    """The rows a failing expectation names, as JSON-ready dicts (all of them, not only examples).

    A row of a raw file brings the other values of its line along (a classic table's line holds several).
    """
    if item.violating_rowids is None or item.error:
        # a table-level expectation (row count, columns): the table itself is rejected, no row to name
        return [{"check": check, "expectation": expectation, "column": column, "reason": reason, "line_number": None, "row": None}]
    if "line_number" in relation.columns:
        where = (f"line_number IN (SELECT line_number FROM {relation.name} WHERE rowid IN ({item.violating_rowids}))")
    else:
        where = f"rowid IN ({item.violating_rowids})"
    rows = relation.connection.execute(f"SELECT * FROM {relation.name} WHERE {where} ORDER BY rowid").df()
    return [
        {"check": check, "expectation": expectation, "column": column, "reason": reason,
         "line_number": int(row["line_number"]) if "line_number" in row and pd.notna(row["line_number"]) else None,
         "row": json.dumps({k: _plain_value(v) for k, v in row.items()}, ensure_ascii=False, default=str)}
        for row in rows.to_dict(orient="records")
    ]


def _plain_value(value):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _plain(example: Any) -> dict[str, Any]:
    """numpy scalars → plain Python, so examples can be stored as JSON (a bare index becomes `row`)."""
    if not isinstance(example, dict):
        return {"row": _plain_value(example)}
    return {k: _plain_value(v) for k, v in example.items()}


def _plain_result(result: dict[str, Any]) -> dict[str, Any]:
    """A result as GX stores it: JSON values only (dates and decimals as text)."""
    return json.loads(json.dumps(result, default=str))


# --- indicators, before they are published -------------------------------------------------------

UNIT_RANGES = {"pct": (0.0, 100.0), "per_1000": (0.0, 1000.0), "percentage_points": (-100.0, 100.0)}


def indicator_expectations(header: dict[str, Any], expected_regions: dict[str, int]) -> list[dict[str, Any]]:
    """The checks every indicator passes before publication, from its catalogue header.

    Shares lie within [0, 100] unless the header allows more (`max_value`, e.g. childcare counted
    at the facility); the numerator is at most the denominator where the header says it is a part
    of it (`numerator_within_denominator`, default for shares); each level has as many regions as
    the register.
    """
    low, high = UNIT_RANGES.get(header.get("unit"), (None, None))
    expectations: list[dict[str, Any]] = [
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["ags", "level", "period"]},
         "meta": {"notes": "One value per region, level and period"}},
    ]
    if header.get("max_value") is not None:
        high = float(header["max_value"])
    if low is not None or high is not None:
        expectations.append({"type": "expect_column_values_to_be_between",
                             "kwargs": {"column": "value", "min_value": low, "max_value": high},
                             "meta": {"notes": f"Values of a {header.get('unit')} indicator lie within [{low}, {high}]"}})
    if header.get("numerator_within_denominator", header.get("unit") == "pct" and header.get("aggregate") == "counts"):
        expectations.append({"type": "expect_column_values_to_be_between",
                             "kwargs": {"column": "numerator_share_of_denominator", "max_value": 1.0},
                             "meta": {"notes": "The numerator is a part of the denominator, so it cannot exceed it"}})
    for level, count in expected_regions.items():
        before_reforms = (" (or, as published values cannot be re-aggregated, its area changed later)"
                          if level == "kreis" and header.get("aggregate") != "counts" else "")
        expectations.append({"type": "expect_column_values_to_be_between",
                             "kwargs": {"column": f"regions_{level}", "min_value": count, "max_value": count},
                             "meta": {"notes": f"Every period has one row per {level} of the register ({count})"
                                               f"{before_reforms}"}})
    return expectations


def audit_indicator(gate: QualityGate, connection, table: str, header: dict[str, Any],
                    expected_regions: dict[str, int]) -> ValidationReport:
    """Validate one built indicator table; a blocking failure keeps it out of the published snapshot.

    An indicator taken as published (`aggregate` other than `counts`) cannot be re-aggregated: before a
    territorial reform it leaves out the Kreise whose area changed later (core.region_area_change), and
    those count as accounted for in that period. Counts are re-aggregated, so every Kreis must be there.
    """
    audited = Relation(connection, quoted("audited_indicator"))
    regions = {level: f"count(*) FILTER (WHERE level = '{level}') OVER (PARTITION BY period)" for level in expected_regions}
    left_out = ""
    if "kreis" in regions and header.get("aggregate") != "counts" and table_exists(connection, "core", "region_area_change"):
        regions["kreis"] = "coalesce(accounted.kreise, 0)"
        left_out = f"""
            LEFT JOIN (
                SELECT period, count(DISTINCT ags) AS kreise
                FROM (SELECT period, ags FROM {table} WHERE level = 'kreis'
                      UNION
                      SELECT days.period, changed.ags
                      FROM (SELECT DISTINCT period, reference_date FROM {table}) AS days
                      JOIN core.region_area_change AS changed
                        ON changed.level = 'kreis'
                       AND valid_on(fact_day(days.reference_date, days.period), changed.valid_from, changed.valid_to))
                GROUP BY period
            ) AS accounted USING (period)"""
    connection.execute(f"""
        CREATE OR REPLACE TEMP TABLE {audited.name} AS
        SELECT * EXCLUDE (audited_position)
        FROM (
            SELECT indicator.*, indicator.rowid AS audited_position,
                   numerator / nullif(denominator, 0) AS numerator_share_of_denominator,
                   {", ".join(f"{count} AS regions_{level}" for level, count in regions.items()) or "NULL AS no_level"}
            FROM {table} AS indicator{left_out}
        )
        ORDER BY audited_position
    """)
    try:
        outcomes, quarantine = gate._run(audited, indicator_expectations(header, expected_regions),
                                         suite_name=table, check="indicator", index_columns=("ags", "level", "period"))
    finally:
        connection.execute(f"DROP TABLE IF EXISTS {audited.name}")
    return ValidationReport(table_name=table, outcomes=outcomes, quarantine=quarantine)
