"""SQL unit tests: tests/sql/<schema>/<model>/<case>/ mirrors sql/<schema>/<model>.sql.

A case folder holds one CSV per input table, named `<schema>.<table>.csv`, and `expected.csv`
with the rows the model must return (compared on expected.csv's columns, in any order).
An optional `variables.yaml` sets DuckDB variables (default: min_denominator 50, target
territorial date 2023-11-30). An indicator case without `core.region_crosswalk.csv` gets the
identity crosswalk of the keys its inputs use (no territorial change in that case) and an empty
`core.region_area_change`, and one without `core.region.csv` the regions its inputs name. A case of a family file (`variants:` in the header)
has `indicator_id` in expected.csv and checks every variant it names, each with all its rows.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import duckdb
import pytest
import yaml

from warehouse.models import LAYERS, _statement, read_model, variants

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "sql"
CASES_DIR = Path(__file__).resolve().parent / "sql"
TEXT_COLUMNS = ("ags", "region_key", "level", "flag", "sex", "nationality", "measure", "person_group",
                "status_group", "school_type", "pupil_group", "reporting_ags", "kreis_ags", "old_ags", "new_ags",
                "via", "name", "parent_ags", "land_key", "kreis_key", "regierungsbezirk_key", "gemeindeverband_key",
                "ars", "text_code", "key", "group_id", "group_name", "indicator_id", "peer_method", "aggregate", "series_breaks")


DATE_COLUMNS = ("reference_date", "valid_from", "valid_to", "change_date", "territorial_date", "first_edition", "last_edition")


def _cases() -> list[Path]:
    return sorted(p for p in CASES_DIR.glob("*/*/*") if p.is_dir())


def _load_csv(connection: duckdb.DuckDBPyConnection, path: Path, table: str) -> None:
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    types = {c: "VARCHAR" for c in header if c in TEXT_COLUMNS or c.endswith("_flag") or c.endswith("_ags")}
    types.update({c: "DATE" for c in header if c in DATE_COLUMNS})
    connection.execute(
        f"CREATE TABLE {table} AS SELECT * FROM read_csv(?, header = true, types = {types!r})", [str(path)]
    )


def _rows(relation: duckdb.DuckDBPyRelation, columns: list[str]) -> list[tuple]:
    return sorted(
        (tuple(row) for row in relation.select(*columns).fetchall()),
        key=lambda r: tuple("" if v is None else str(v) for v in r),
    )


def _same(actual, expected) -> bool:
    if isinstance(expected, float) or isinstance(actual, float):
        if actual is None or expected is None:
            return actual is None and expected is None
        return math.isclose(float(actual), float(expected), rel_tol=1e-9, abs_tol=1e-6)
    return str(actual) == str(expected) if actual is not None and expected is not None else actual is expected


@pytest.mark.parametrize("case", _cases(), ids=lambda p: "/".join(p.parts[-3:]))
def test_model_case(case: Path) -> None:
    schema, model_name = case.parts[-3], case.parts[-2]
    assert schema in LAYERS, f"{case}: folder must be one of {LAYERS}"
    models = variants(read_model(SQL_DIR / schema / f"{model_name}.sql", schema))
    connection = duckdb.connect()
    variables = {"min_denominator": 50, "target_territorial_date": "2023-11-30"}
    if (case / "variables.yaml").exists():
        variables.update(yaml.safe_load((case / "variables.yaml").read_text()))
    for name, value in variables.items():
        connection.execute(f"SET VARIABLE {name} = ?", [value])
    connection.execute((SQL_DIR / "_macros.sql").read_text(encoding="utf-8"))
    for name in (*LAYERS, "raw"):
        connection.execute(f"CREATE SCHEMA {name}")
    for input_file in sorted(case.glob("*.*.csv")):
        _load_csv(connection, input_file, input_file.name.removesuffix(".csv"))
    inputs_with_level = [f.name.removesuffix(".csv") for f in case.glob("core.*.csv")
                         if "level" in f.read_text(encoding="utf-8").splitlines()[0].split(",")]
    if schema == "indicators" and not (case / "core.region.csv").exists():
        inputs = [f.name.removesuffix(".csv") for f in case.glob("core.*.csv")
                  if "ags" in f.read_text(encoding="utf-8").splitlines()[0].split(",")]
        connection.execute("CREATE TABLE core.region AS " + " UNION ".join(
            f"SELECT DISTINCT ags, level FROM {name}" if name in inputs_with_level else f"SELECT DISTINCT ags, 'kreis' AS level FROM {name}"
            for name in inputs))
    if schema == "indicators" and not (case / "core.region_crosswalk.csv").exists():
        keys = " UNION ".join(f"SELECT DISTINCT ags FROM {f.name.removesuffix('.csv')}" for f in case.glob("core.*.csv"))
        connection.execute(
            "CREATE TABLE core.region_crosswalk AS SELECT ags, 'kreis' AS level, NULL::DATE AS valid_from, "
            f"NULL::DATE AS valid_to, ags AS target_ags, 1.0::DOUBLE AS weight, 'identity' AS via FROM ({keys})"
        )
    if schema == "indicators" and not (case / "core.region_area_change.csv").exists():
        connection.execute("CREATE TABLE core.region_area_change (ags VARCHAR, level VARCHAR, other_ags VARCHAR, "
                           "valid_from DATE, valid_to DATE)")  # no region changed its area in such a case
    for model in models:
        connection.execute(_statement(model, SQL_DIR))
    _load_csv(connection, case / "expected.csv", "expected")
    columns = [c for c in connection.table("expected").columns]
    if len(models) > 1:
        assert "indicator_id" in columns, f"{case}: a family's case names the variants it checks in indicator_id"
        named = {row[0] for row in connection.execute("SELECT DISTINCT indicator_id FROM expected").fetchall()}
        checked = [m.qualified_name for m in models if m.header["id"] in named]
        assert len(checked) == len(named), f"{case}: {named} are not all variants of {model_name}"
        actual = _rows(connection.sql(" UNION ALL ".join(f"SELECT * FROM {name}" for name in checked)), columns)
    else:
        actual = _rows(connection.table(models[0].qualified_name), columns)
    expected = _rows(connection.table("expected"), columns)
    assert len(actual) == len(expected), f"{len(actual)} rows, expected {len(expected)}:\n{actual}"
    for got, want in zip(actual, expected):
        assert all(_same(g, w) for g, w in zip(got, want)), f"\n got  {got}\n want {want}\n columns {columns}"


def test_every_indicator_has_a_case() -> None:
    """Each indicator id has at least one hand-computed case under tests/sql/indicators/<file>/."""
    indicators: set[str] = set()
    covered: set[str] = set()
    for path in (SQL_DIR / "indicators").glob("*.sql"):
        models = variants(read_model(path, "indicators"))
        indicators |= {m.header["id"] for m in models}
        for case in (CASES_DIR / "indicators" / path.stem).glob("*/expected.csv"):
            with case.open(encoding="utf-8", newline="") as handle:
                covered |= {row.get("indicator_id") or models[0].header["id"] for row in csv.DictReader(handle)}
    assert indicators - covered == set()
