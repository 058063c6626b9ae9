"""The quality gate: every parsed table is validated with its Great Expectations suite before loading.

GX's SQL engine does not work on DuckDB (GX issues 10738, 11579), so the parsed pandas frames
are validated. Suites live in expectations/<table>.json; an expectation with severity `critical`
blocks the table, `warning` is reported and lets it pass.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")



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


@dataclass(frozen=True)
class ValidationReport:
    """All outcomes for one table; `passed` is false when a critical expectation failed."""

    table_name: str
    outcomes: list[ExpectationOutcome]

    @property
    def passed(self) -> bool:
        return not self.blocking_failures

    @property
    def blocking_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "critical"]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity != "critical"]


def suite_path(expectations_dir: Path, table_name: str) -> Path:
    """Where the suite of a table lives."""
    return expectations_dir / f"{table_name}.json"


def load_suite(expectations_dir: Path, table_name: str):
    """The suite of a table as a GX ExpectationSuite."""
    import great_expectations as gx

    path = suite_path(expectations_dir, table_name)
    if not path.exists():
        raise FileNotFoundError(f"no expectation suite for {table_name}: expected {path}")
    return gx.ExpectationSuite(**json.loads(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def _batch_definition():
    """One ephemeral GX context per process, quiet (no progress bars, no analytics)."""
    import great_expectations as gx

    for name in ("great_expectations", "great_expectations.core", "great_expectations.data_context"):
        logging.getLogger(name).setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    source = context.data_sources.add_pandas("parsed_frames")
    return source.add_dataframe_asset("parsed_frame").add_batch_definition_whole_dataframe("whole_frame")


def annotate_region_keys(frame: pd.DataFrame, register_keys: set[str]) -> pd.DataFrame:
    """Add `region_key_status`: is each regional key in the register, and if not, is it harmless?

    Real tables list keys that are not in the current register: Kreise dissolved years ago
    (shown with `-` only: harmless, dropped later) and the Berlin Bezirke inside KREISE (known).
    A key outside the register that carries numbers is reported.
    """
    if "region_key" not in frame.columns:
        return frame
    keys = frame["region_key"].astype("string")
    in_register = keys.isin(register_keys) | keys.eq("DG")
    berlin_bezirk = keys.str.fullmatch(r"110\d{5}") & keys.ne("11000000")
    has_number = frame.get("value", pd.Series(index=frame.index, dtype="float64")).notna()
    key_has_numbers = has_number.groupby(keys).transform("any")
    # REGBEZ lists Länder without Regierungsbezirke as <Land>0 (160 = Thüringen)
    land_as_regierungsbezirk = keys.str.fullmatch(r"\d{2}0") & keys.str[:2].isin(register_keys)
    status = pd.Series("not_in_register", index=frame.index, dtype="string")
    status[~key_has_numbers.astype(bool)] = "not_in_register_no_values"
    status[land_as_regierungsbezirk.fillna(False).astype(bool)] = "land_as_regierungsbezirk"
    status[berlin_bezirk.fillna(False).astype(bool)] = "berlin_bezirk"
    status[in_register.fillna(False).astype(bool)] = "in_register"
    return frame.assign(region_key_status=status)


def validate_frame(frame: pd.DataFrame, suite, *, table_name: str, example_count: int = 5) -> ValidationReport:
    """Validate a parsed frame against its suite; failing expectations keep a few example rows."""
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    index_columns = [c for c in ("line_number", "region_key") if c in frame.columns]
    result = batch.validate(
        suite,
        result_format={
            "result_format": "SUMMARY",
            "unexpected_index_column_names": index_columns,
            "partial_unexpected_count": example_count,
        },
    )
    outcomes = []
    for item in result.results:
        config = item.expectation_config
        details = item.result or {}
        examples = details.get("partial_unexpected_index_list") or [
            {"value": v} for v in (details.get("partial_unexpected_list") or [])
        ]
        if item.exception_info and item.exception_info.get("raised_exception"):
            examples = [{"error": str(item.exception_info.get("exception_message"))[:300]}]
        outcomes.append(
            ExpectationOutcome(
                expectation=config.type,
                column=config.kwargs.get("column") or (",".join(config.kwargs["column_list"]) if "column_list" in config.kwargs else None),
                severity=getattr(config.severity, "value", str(config.severity)),
                success=bool(item.success),
                unexpected_count=details.get("unexpected_count"),
                examples=[_plain(e) for e in examples[:example_count]],
                notes=(config.meta or {}).get("notes"),
            )
        )
    return ValidationReport(table_name=table_name, outcomes=outcomes)


def _plain(example: dict[str, Any]) -> dict[str, Any]:
    """numpy scalars → plain Python, so examples can be stored as JSON."""
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in example.items()}
