"""The quality gate: every parsed table is validated with Great Expectations before it is loaded.

GX's SQL engine does not work on DuckDB (GX issues 10738, 11579), so the parsed pandas frames
are validated. Suites live in expectations/<table>.json. An expectation with severity `critical`
blocks the table (the previous data stays); `warning` is reported and lets it pass.

Checks that compare rows with each other are declared in the suite's `meta.checks`; the comparison
itself is one DuckDB query over the parsed frame (grouping, joins and window functions in SQL), and
GX validates the derived frame it returns (one row per comparison), so they land in the same results,
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pandas as pd

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


def annotate_region_keys(frame: pd.DataFrame, register: Register) -> pd.DataFrame:
    """Add `region_key_status`: is each regional key in the register on the row's date, and if not, is it harmless?

    Real tables list keys that are not in the current register: Kreise dissolved years ago
    (shown with `-` only: harmless, dropped later) and the Berlin Bezirke inside KREISE (known).
    A Land, Regierungsbezirk or Kreis key outside the register that carries numbers is an error
    (`not_in_register`); a Gemeinde key is reported (`gemeinde_not_in_register`), because
    Gemeinden merge every year and tables keep the territorial status of their reference date.
    A known key carrying a number on a day it was not valid (`not_valid_at_reference_date`) is
    reported: the core layer leaves such rows out, so the warning says which ones.
    """
    if "region_key" not in frame.columns:
        return frame
    keys = frame["region_key"].astype("string")
    # object columns against the register's index: Arrow-string isin would build a scalar per register key
    in_register = frame["region_key"].astype(object).isin(register.keys) | keys.eq("DG")
    berlin_bezirk = keys.str.fullmatch(r"110\d{5}") & keys.ne("11000000")
    # REGBEZ lists Länder without Regierungsbezirke as <Land>0 (160 = Thüringen)
    land_as_regierungsbezirk = keys.str.fullmatch(r"\d{2}0") & keys.str[:2].astype(object).isin(register.keys)
    gemeinde = keys.str.len() >= 8
    has_number = frame.get("value", pd.Series(index=frame.index, dtype="float64")).notna()
    key_has_numbers = has_number.groupby(keys).transform("any")
    status = pd.Series("not_in_register", index=frame.index, dtype="string")
    status[gemeinde.fillna(False).astype(bool)] = "gemeinde_not_in_register"
    status[~key_has_numbers.astype(bool)] = "not_in_register_no_values"
    status[land_as_regierungsbezirk.fillna(False).astype(bool)] = "land_as_regierungsbezirk"
    status[berlin_bezirk.fillna(False).astype(bool)] = "berlin_bezirk"
    in_register = in_register.fillna(False).astype(bool)
    status[in_register] = "in_register"
    status[in_register & has_number & register.invalid_at_reference_date(frame)] = "not_valid_at_reference_date"
    return frame.assign(region_key_status=status)


# --- derived frames for the checks that compare rows ------------------------------------------------


def _category_columns(frame: pd.DataFrame) -> list[str]:
    """Classifying variables of the long format (their codes, not labels)."""
    fixed = {"table_code", "line_number", "time_code", "reference_time", "region_variable", "region_key",
             "region_label", "value_variable", "value_variable_label", "value_unit", "value", "value_flag",
             "value_quality", "region_key_status", "source_file", "source_sha256"}
    return [c for c in frame.columns if c not in fixed and not c.endswith("_label")]


def parts_against_totals(frame: pd.DataFrame, parts: str, total: str, value_variables: list[str] | None) -> pd.DataFrame:
    """One row per published total that has all its parts: the total, the sum of the parts and their difference in %."""
    columns = ["line_number", "region_key", "reference_time", "total", "parts_sum", "parts", "difference_pct"]
    if "region_key" not in frame.columns or "value" not in frame.columns:
        return pd.DataFrame(columns=columns)
    conditions, parameters = ["true"], []
    if value_variables:
        conditions.append("value_variable IN (SELECT unnest(?))")
        parameters.append(list(value_variables))
    if "region_key_status" in frame.columns:
        # the sums are about the table's own arithmetic: a known key counts even on a day the register
        # says it did not exist (reported separately as not_valid_at_reference_date)
        conditions.append("region_key_status IN ('in_register', 'not_valid_at_reference_date')")
    categories = ["reference_time", "value_variable", *_category_columns(frame)]
    group = [_quoted(c) for c in categories]
    read = ["line_number", "region_key", "value", *categories,
            *(["region_key_status"] if "region_key_status" in frame.columns else [])]
    levels = " ".join(f"WHEN length(key) = {length} THEN '{level}'" for length, level in LEVEL_OF_LENGTH.items())
    prefix = {"land": 2, "kreis": 5, "deutschland": 0}[total]
    # a 12-digit ARS starts with the Kreis key like the AGS does
    parent = "'DG'" if prefix == 0 else f"left(key, {prefix})"
    same_group = " AND ".join(f"t.{c} IS NOT DISTINCT FROM s.{c}" for c in group)
    return _derived(f"""
        WITH keyed AS (
            SELECT *, CASE WHEN key = 'DG' THEN 'deutschland' {levels} END AS level
            FROM (SELECT frame_position, line_number, region_key, CAST(region_key AS VARCHAR) AS key, value, {', '.join(group)}
                  FROM frame WHERE {' AND '.join(conditions)})
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
    """, frame[read], parameters)


def year_over_year_changes(frame: pd.DataFrame, minimum_value: float = 100) -> pd.DataFrame:
    """One row per region, category and period with a previous period: the change in %."""
    columns = ["line_number", "region_key", "reference_time", "previous", "value", "change_pct"]
    if "value" not in frame.columns or frame["reference_time"].nunique() < 2:
        return pd.DataFrame(columns=columns)
    # a missing category is its own group ("∅"), and the rows come sorted by group and period
    categories = ["region_key", "value_variable", *_category_columns(frame)]
    group = [f"coalesce(CAST({_quoted(c)} AS VARCHAR), '∅')" for c in categories]
    return _derived(f"""
        WITH ordered AS (
            SELECT line_number, {group[0]} AS region_key, reference_time, value, frame_position,
                   lag(value) OVER (PARTITION BY {', '.join(group)} ORDER BY reference_time, frame_position) AS previous,
                   {', '.join(f'{g} AS group_{i}' for i, g in enumerate(group))}
            FROM frame WHERE value IS NOT NULL
        )
        SELECT line_number, region_key, reference_time, previous, value, 100 * (value - previous) / previous AS change_pct
        FROM ordered WHERE previous >= ?
        ORDER BY {', '.join(f'group_{i}' for i in range(len(group)))}, reference_time, frame_position
    """, frame[["line_number", "reference_time", "value", *categories]], [minimum_value])


def _derived(sql: str, frame: pd.DataFrame, parameters: list) -> pd.DataFrame:
    """Run a derived check's query in DuckDB over the parsed frame (`frame`, with its row `frame_position`).

    Give it only the columns the query reads: DuckDB inspects every text column it is handed.
    """
    connection = duckdb.connect()
    try:
        connection.register("frame", frame.assign(frame_position=np.arange(len(frame))))
        return connection.execute(sql, parameters).df()
    finally:
        connection.close()


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


# --- the gate ------------------------------------------------------------------------------------


class QualityGate:
    """Validates parsed frames for one run in one ephemeral GX context; Data Docs go to `docs_dir`."""

    def __init__(self, docs_dir: Path | None = None, *, example_count: int = 5):
        import great_expectations as gx

        # GX sets some of its module loggers to INFO itself (e.g. "Created temporary directory … for
        # ephemeral docs site" at every run): quiet them all, the run summary says what matters
        for name in [n for n in logging.root.manager.loggerDict if n.startswith("great_expectations")]:
            logging.getLogger(name).setLevel(logging.ERROR)
        self._gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = {"globally": False, "metric_calculations": False}
        self.source = self.context.data_sources.add_pandas("parsed_frames")
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
        frame: pd.DataFrame,
        document: dict[str, Any],
        *,
        table_name: str,
        previous_row_count: int | None = None,
    ) -> ValidationReport:
        """Run the table's suite and its declared row-comparing checks; collect rejected rows."""
        checks = (document.get("meta") or {}).get("checks") or {}
        expectations = list(document.get("expectations") or [])
        shrink = checks.get("row_count_may_shrink_pct")
        if previous_row_count and shrink is not None:
            expectations.append({
                "type": "expect_table_row_count_to_be_between",
                "kwargs": {"min_value": int(previous_row_count * (1 - shrink / 100))},
                "meta": {"notes": f"The table shrank by more than {shrink} % against the last load ({previous_row_count} rows)"},
            })
        parts = [self._run(frame, expectations, suite_name=table_name, asset=table_name, check="suite")]

        for number, declaration in enumerate(checks.get("parts_sum_to_total") or [], start=1):
            derived = parts_against_totals(frame, declaration["parts"], declaration["total"], declaration.get("value_variables"))
            tolerance = float(declaration.get("tolerance_pct", 0.5))
            parts.append(self._run(derived, [{
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "difference_pct", "min_value": -tolerance, "max_value": tolerance},
                "severity": declaration.get("severity", SEVERITY_BLOCKING),
                "meta": {"notes": f"The {declaration['parts']} values must add up to the published {declaration['total']} "
                                  f"total within {tolerance} %" + (f" ({declaration['note']})" if declaration.get("note") else "")},
            }], suite_name=f"{table_name}.{declaration['parts']}_sum_to_{declaration['total']}", asset=f"{table_name}.sums_{number}",
                check=f"{declaration['parts']}_sum_to_{declaration['total']}"))
        yoy = checks.get("year_over_year_warning_pct")
        if yoy is not None:
            parts.append(self._run(year_over_year_changes(frame), [{
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "change_pct", "min_value": -float(yoy), "max_value": float(yoy)},
                "severity": "warning",
                "meta": {"notes": f"A value changed by more than {yoy} % against the previous period"},
            }], suite_name=f"{table_name}.year_over_year", asset=f"{table_name}.year_over_year", check="year_over_year"))

        outcomes = [o for part_outcomes, _ in parts for o in part_outcomes]
        quarantine = [row for _, part_rows in parts for row in part_rows]
        return ValidationReport(table_name=table_name, outcomes=outcomes, quarantine=quarantine)

    def _run(self, frame: pd.DataFrame, expectations: list[dict], *, suite_name: str, asset: str, check: str,
             index_columns: tuple[str, ...] = ("line_number", "region_key")):
        """Validate one frame with one list of expectations through a GX validation definition (which also feeds Data Docs)."""
        gx = self._gx
        suite = self.context.suites.add_or_update(gx.ExpectationSuite(name=suite_name, expectations=expectations))
        try:
            data_asset = self.source.get_asset(asset)
        except LookupError:
            data_asset = self.source.add_dataframe_asset(asset)
        try:
            batch_definition = data_asset.get_batch_definition("whole_frame")
        except (KeyError, LookupError):
            batch_definition = data_asset.add_batch_definition_whole_dataframe("whole_frame")
        definition = self.context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=f"validate {suite_name}", data=batch_definition, suite=suite))
        index_columns = [c for c in index_columns if c in frame.columns]
        # the validation definition itself, not a checkpoint around it: it stores the result for the
        # Data Docs just the same, and a checkpoint per frame costs more than validating a small table
        validation = definition.run(batch_parameters={"dataframe": frame}, result_format={
            "result_format": "COMPLETE", "unexpected_index_column_names": index_columns,
            "partial_unexpected_count": self.example_count})
        outcomes, quarantine = [], []
        for item in validation.results:
            config = item.expectation_config
            details = item.result or {}
            examples = details.get("partial_unexpected_index_list") or [
                {"value": v} for v in (details.get("partial_unexpected_list") or [])]
            if item.exception_info and item.exception_info.get("raised_exception"):
                examples = [{"error": str(item.exception_info.get("exception_message"))[:300]}]
            severity = getattr(config.severity, "value", str(config.severity))
            column = config.kwargs.get("column") or (",".join(config.kwargs["column_list"]) if "column_list" in config.kwargs else None)
            notes = (config.meta or {}).get("notes")
            outcomes.append(ExpectationOutcome(
                expectation=config.type, column=column, severity=severity, success=bool(item.success),
                unexpected_count=details.get("unexpected_count"),
                examples=[_plain(e) for e in examples[: self.example_count]], notes=notes, check=check,
            ))
            if not item.success and severity == SEVERITY_BLOCKING:
                quarantine.extend(_rejected_rows(frame, details, expectation=config.type, column=column, check=check,
                                                 reason=notes or config.type))
        return outcomes, quarantine


def _rejected_rows(frame: pd.DataFrame, details: dict, *, expectation: str, column: str | None, check: str, reason: str) -> list[dict]:
    """The frame rows a failing expectation names, as JSON-ready dicts (all of them, not only examples)."""
    indexes = details.get("unexpected_index_list") or []
    lines = {entry.get("line_number") for entry in indexes if isinstance(entry, dict) and entry.get("line_number") is not None}
    if lines and "line_number" in frame.columns:
        rows = frame[frame["line_number"].isin(lines)]
    elif not indexes:
        # a table-level expectation (row count, columns): the table itself is rejected, no row to name
        return [{"check": check, "expectation": expectation, "column": column, "reason": reason, "line_number": None, "row": None}]
    else:
        # rows without a line (an indicator's): found again by their index columns (ags, level, period)
        entries = [entry for entry in indexes if isinstance(entry, dict)]
        keys = [key for key in (entries[0] if entries else {}) if key in frame.columns and key != column]
        rows = frame.merge(pd.DataFrame(entries)[keys].drop_duplicates(), on=keys) if keys else frame.head(0)
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
        expectations.append({"type": "expect_column_values_to_be_between",
                             "kwargs": {"column": f"regions_{level}", "min_value": count, "max_value": count},
                             "meta": {"notes": f"Every period has one row per {level} of the register ({count})"}})
    return expectations


def audit_indicator(gate: QualityGate, connection, table: str, header: dict[str, Any],
                    expected_regions: dict[str, int]) -> ValidationReport:
    """Validate one built indicator table; a blocking failure keeps it out of the published snapshot."""
    frame = connection.execute(f"""
        SELECT *,
               numerator / nullif(denominator, 0) AS numerator_share_of_denominator,
               {", ".join(f"count(*) FILTER (WHERE level = '{level}') OVER (PARTITION BY period) AS regions_{level}"
                          for level in expected_regions) or "NULL AS no_level"}
        FROM {table}
    """).df()
    outcomes, quarantine = gate._run(frame, indicator_expectations(header, expected_regions),
                                     suite_name=table, asset=table, check="indicator", index_columns=("ags", "level", "period"))
    return ValidationReport(table_name=table, outcomes=outcomes, quarantine=quarantine)
