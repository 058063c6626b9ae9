"""Running the SQL models: sql/<schema>/<table>.sql builds <schema>.<table>, layer by layer.

A model file starts with a YAML header inside `/* … */` (what, grain, sources; indicators carry
their catalogue entry there) followed by one SELECT. Files and folders starting with `_` are
shared pieces (macros, templates), not tables. An indicator file with `variants:` is a family: its
SELECT has a breakdown column, and each variant is an indicator (and a table) of its own.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import duckdb
import yaml

from sources.catalog import SAFE_LOADER

LAYERS = ("staging", "core", "indicators", "marts")
HEADER = re.compile(r"\A\s*/\*(.*?)\*/", re.DOTALL)
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")

INDICATOR_COLUMNS = {
    "indicator_id": "Indicator id from the catalogue, e.g. ARB06.",
    "indicator_version": "Version of the indicator definition that produced the value.",
    "ags": "Region key: 8-character AGS, right-padded with zeros (Land 09000000, Kreis 09162000).",
    "level": "Regional level: deutschland, land, kreis, gemeinde.",
    "period": "Reporting year.",
    "reference_date": "Reference date of the underlying statistic (31.12., 30.06., annual average = 31.12., school-year start).",
    "value": "Indicator value in the unit of the catalogue; NULL when inputs are suppressed (see flag).",
    "numerator": "Count in the numerator (sum of counts for Land and Germany).",
    "denominator": "Count in the denominator (sum of counts for Land and Germany); NULL where not published.",
    "flag": "Why a value is missing or special: numerator_suppressed, denominator_suppressed, "
    "denominator_below_minimum, incomplete_aggregate, reported_with_other_region, merged_authority_area, "
    "reaggregated_from_former_kreise, value_suppressed (a published value is a sign), not_published_for_this_area "
    "(a published rate of a region that did not exist yet in that year).",
    "territorial_date": "Gebietsstand the value is on: every region key is that of the register edition of this date.",
}
MART_COLUMNS = {
    **INDICATOR_COLUMNS,
    "is_synthetic": "True when the value rests on data generated for the offline sample (a source table's year is generated, "
    "see meta.raw_period): not an official value. A series can be partly real and partly generated.",
}

CATALOG_COLUMNS = {
    "indicator_id": "Indicator id, e.g. ARB06; sub-indicators as ARB06_X.",
    "version": "Version of the definition; a new version archives the values of the earlier one.",
    "name_de": "Name in German.",
    "name_en": "Name in English.",
    "domain": "Domain: Demografie, Rechtliche Integration, Kinderbetreuung, Bildung, Arbeitsmarkt, Soziales, Wohnen, Partizipation, Gesundheit.",
    "unit": "Unit of the value: pct, per_1000, percentage_points, ratio, index, …",
    "scale": "value = scale · numerator / denominator (aggregate counts).",
    "aggregate": "counts: Land and Germany are sums of the Kreis counts; none: every level computed by the indicator itself.",
    "formula": "The formula in GENESIS variables.",
    "definition": "The definition in words.",
    "numerator": "What the numerator counts: table and variables.",
    "denominator": "What the denominator counts: table and variables.",
    "sources": "Source tables as <source> <table code>, as in sources/tables.yaml.",
    "lowest_level": "Lowest regional level with values.",
    "reference_date": "Reference date of the statistic (31.12., 30.06., annual average, school-year start, …).",
    "reference_sets": "Where the indicator comes from in the reference indicator sets.",
    "caveats": "What to keep in mind when reading the values.",
    "max_value": "Largest plausible value, when a share may exceed 100; NULL: 100 for shares.",
    "small_counts": "True when values are also given as 3-year moving averages (small counts).",
    "series_breaks": "Declared series breaks (JSON list of year and reason).",
    "is_synthetic": "True when a source table of the indicator is generated offline data, not official statistics.",
    "table_name": "The table in the indicators schema.",
    "sql_file": "The SQL file in sql/indicators/ that defines the indicator.",
}


class ModelError(RuntimeError):
    """A model file is malformed or its SQL failed; names the file."""


@dataclass(frozen=True)
class Model:
    """One SQL model file."""

    schema: str
    name: str
    path: Path
    header: dict[str, Any]
    body: str
    references: frozenset[str] = field(default_factory=frozenset)

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def read_model(path: Path, schema: str) -> Model:
    """Parse a model file into header and SELECT."""
    text = path.read_text(encoding="utf-8")
    match = HEADER.match(text)
    if not match:
        raise ModelError(f"{path}: a model starts with a /* … */ header (what, grain, sources)")
    try:
        header = yaml.load(match.group(1), Loader=SAFE_LOADER) or {}
    except yaml.YAMLError as error:
        raise ModelError(f"{path}: header is not valid YAML: {error}") from error
    body = text[match.end():].strip().rstrip(";")
    if header.get("incremental_by") not in (None, "indicator_id"):
        raise ModelError(f"{path}: incremental_by can only be indicator_id (a mart of the stacked indicator values)")
    references = frozenset(
        f"{s}.{t}" for s, t in re.findall(r"\b(raw|staging|core|indicators)\.([a-z_][a-z0-9_]*)\b", body)
    )
    return Model(schema=schema, name=path.stem, path=path, header=header, body=body, references=references)


def variants(model: Model) -> list[Model]:
    """The models a file defines: itself, or for a family (`variants:` in the header) one per variant.

    The family's SELECT returns the column named by `breakdown`; a variant's model is that SELECT
    filtered on the variant's value of it (and without the column), under the variant's `table`
    name, with the family's header overridden by the variant's keys.
    """
    header = model.header
    if "variants" not in header:
        return [model]
    breakdown = header.get("breakdown")
    if not IDENTIFIER.fullmatch(str(breakdown or "")) or not isinstance(header["variants"], list):
        raise ModelError(f"{model.path}: a family names its `breakdown` column and lists its `variants`")
    shared = {key: value for key, value in header.items() if key not in ("breakdown", "variants")}
    expanded, values = [], set()
    for variant in header["variants"]:
        missing = [key for key in ("id", "table", breakdown) if key not in (variant or {})]
        if missing:
            raise ModelError(f"{model.path}: variant {variant!r} lacks {', '.join(missing)}")
        if not IDENTIFIER.fullmatch(str(variant["table"])):
            raise ModelError(f"{model.path}: variant {variant['id']}: table {variant['table']!r} is not a table name")
        value = str(variant[breakdown])
        if value in values:
            raise ModelError(f"{model.path}: two variants select {breakdown} = {value!r}")
        values.add(value)
        body = (f"SELECT * EXCLUDE ({breakdown}) FROM (\n{model.body}\n) AS family\n"
                f"WHERE {breakdown} = {_quote(value)}")
        expanded.append(replace(model, name=variant["table"], body=body, header={
            **shared, **{key: item for key, item in variant.items() if key not in ("table", breakdown)}}))
    return expanded


def discover_models(sql_dir: Path) -> list[Model]:
    """All models in build order: layer by layer, dependencies first within a layer."""
    ordered: list[Model] = []
    for schema in LAYERS:
        folder = sql_dir / schema
        models: dict[str, Model] = {}
        for path in sorted(folder.glob("*.sql")):
            if path.name.startswith("_"):
                continue
            for model in variants(read_model(path, schema)):
                if model.qualified_name in models:
                    raise ModelError(f"{path}: {model.qualified_name} is also built by {models[model.qualified_name].path.name}")
                models[model.qualified_name] = model
        graph = {name: {r for r in m.references if r in models and r != name} for name, m in models.items()}
        ordered.extend(models[name] for name in TopologicalSorter(graph).static_order())
    return ordered


def upstream(models: list[Model], name: str) -> set[str]:
    """The model itself and every model and raw table it is built from."""
    by_name = {m.qualified_name: m for m in models}
    found, todo = {name}, [name]
    while todo:
        current = by_name.get(todo.pop())
        for reference in current.references if current else ():
            if reference not in found:
                found.add(reference)
                todo.append(reference)
    return found


def downstream(models: list[Model], names: set[str]) -> set[str]:
    """Every model built, directly or through other models, from any of `names` (raw tables or models)."""
    found: set[str] = set()
    for model in models:  # build order: a model's inputs come before it
        # every indicator reads the target Gebietsstand (core.region) and the roll-up template the crosswalk
        inputs = model.references | (INDICATOR_INPUTS if model.schema == "indicators" else frozenset())
        if inputs & (names | found):
            found.add(model.qualified_name)
    return found


INDICATOR_INPUTS = frozenset({"core.region", "core.region_crosswalk"})


def indicator_models(models: list[Model]) -> list[Model]:
    """The models of the indicators layer, in catalogue order."""
    return sorted((m for m in models if m.schema == "indicators"), key=lambda m: m.header.get("id", m.name))


CHANGELOG_LINE = re.compile(r"^\s*v?(\d+)\s*(?:\((\d{4}-\d{2}-\d{2})\))?\s*:\s*(.+)$", re.DOTALL)
# header keys that change how an indicator's values are computed (beside its SQL)
COMPUTING_KEYS = ("id", "scale", "aggregate", "complete_kreise")


def changelog(header: dict[str, Any], where: str = "header") -> list[dict[str, Any]]:
    """An indicator's version history from the header field `changelog`, newest version first.

    Any header may carry it, as lines "<version> (<date>): <what changed>" (the date optional) or as
    mappings with version, date and change.
    """
    entries = []
    for line in header.get("changelog") or []:
        if isinstance(line, dict):
            version, date, change = line.get("version"), line.get("date"), line.get("change")
        else:
            match = CHANGELOG_LINE.match(str(line))
            if not match:
                raise ModelError(f"{where}: changelog line {line!r} is not '<version> (<YYYY-MM-DD>): <what changed>'")
            version, date, change = match.groups()
        if version is None or not change:
            raise ModelError(f"{where}: changelog entry {line!r} needs a version and what changed")
        entries.append({"version": int(version), "date": str(date) if date else None, "change": str(change).strip()})
    entries.sort(key=lambda entry: -entry["version"])
    if entries and header.get("version") is not None and entries[0]["version"] > int(header["version"]):
        raise ModelError(f"{where}: changelog names version {entries[0]['version']} but the header's version is {header['version']}")
    return entries


def definition_sha256(body: str, header: dict[str, Any]) -> str:
    """Hash of what computes an indicator's values: its SQL and the header keys the roll-up reads.

    Documentation (names, caveats, changelog, the file's name) is not part of it, so rewording a
    header or moving an indicator into another file keeps the hash; a changed formula changes it.
    """
    computing = {key: header.get(key) for key in COMPUTING_KEYS}
    text = json.dumps(computing, sort_keys=True, default=str) + "\n" + " ".join(body.split())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(sql_dir: Path, variables: dict[str, Any] | None = None) -> str:
    """One hash over every SQL file, the shared column descriptions and the variables the models read: if it changes,
    they are rebuilt."""
    digest = hashlib.sha256(repr(sorted((variables or {}).items())).encode())
    for path in sorted([*sql_dir.rglob("*.sql"), *sql_dir.glob("_*.yaml")]):
        digest.update(path.relative_to(sql_dir).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _statement(model: Model, sql_dir: Path) -> str:
    """The CREATE statement for a model; indicators are wrapped in the shared roll-up template."""
    if model.schema != "indicators":
        return f"CREATE OR REPLACE TABLE {model.qualified_name} AS\n{model.body}"
    header = model.header
    missing = [key for key in ("id", "version", "unit", "aggregate") if key not in header]
    if missing:
        raise ModelError(f"{model.path}: indicator header lacks {', '.join(missing)}")
    if header["aggregate"] == "counts":
        template = (sql_dir / "_templates" / "roll_up_counts.sql").read_text(encoding="utf-8")
        select = (template.replace("{{ scale }}", str(float(header.get("scale", 100))))
                  .replace("{{ complete_kreise }}", "true" if header.get("complete_kreise") else "false"))
        inner = f"WITH base AS (\n{model.body}\n)\n{select}"
    elif header["aggregate"] == "none":
        inner = model.body
    else:
        raise ModelError(f"{model.path}: aggregate must be 'counts' or 'none', not {header['aggregate']!r}")
    return (
        f"CREATE OR REPLACE TABLE {model.qualified_name} AS\n"
        f"SELECT '{header['id']}' AS indicator_id, {int(header['version'])} AS indicator_version,\n"
        "       ags, level, period, reference_date, value, numerator, denominator, flag,\n"
        "       CAST(getvariable('target_territorial_date') AS DATE) AS territorial_date\n"
        f"FROM (\n{inner}\n) AS indicator"
    )


def _quote(text: str) -> str:
    return "'" + str(text).replace("'", "''").strip() + "'"


def _comment(connection: duckdb.DuckDBPyConnection, model: Model) -> None:
    """Write the header's description and column descriptions into the warehouse."""
    header = model.header
    description = header.get("description") or header.get("name_en") or ""
    if model.schema == "indicators":
        description = f"{header.get('id')}: {header.get('name_en')} ({header.get('unit')}). {header.get('definition', '')}"
        columns = INDICATOR_COLUMNS
    else:
        columns = header.get("columns") or {}
    if header.get("grain"):
        description = f"{description.strip()} Grain: {header['grain']}"
    connection.execute(f"COMMENT ON TABLE {model.qualified_name} IS {_quote(description)}")
    existing = {row[0] for row in connection.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?",
        [model.schema, model.name]).fetchall()}
    for column, text in columns.items():
        if column in existing:
            connection.execute(f"COMMENT ON COLUMN {model.qualified_name}.{column} IS {_quote(text)}")


COLUMNS_FILE = "_columns.yaml"
DESCRIBED_SCHEMAS = ("raw", *LAYERS)


def describe_columns(connection: duckdb.DuckDBPyConnection, sql_dir: Path, models: list[Model]) -> None:
    """Describe every column of the raw and model schemas that has no description yet.

    In this order: the model header's `columns:`, the description of the same column in a table the
    model reads, the shared descriptions in sql/_columns.yaml, and the rules of `_derived_description`.
    A column none of them describes stays without (a test lists those).
    """
    shared = yaml.load((sql_dir / COLUMNS_FILE).read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
    declared = {m.qualified_name: (m.header.get("columns") or {}) if m.schema != "indicators" else INDICATOR_COLUMNS
                for m in models}
    read = {m.qualified_name: sorted(set(re.findall(r"\b((?:raw|staging|core|indicators|marts)\.[a-z_][a-z0-9_]*)\b", m.body)))
            for m in models}
    rows = connection.execute(
        "SELECT schema_name || '.' || table_name, column_name, comment FROM duckdb_columns() "
        f"WHERE database_name = current_database() AND schema_name IN {DESCRIBED_SCHEMAS} ORDER BY column_index"
    ).fetchall()
    comments = {(table, column): text for table, column, text in rows if text}
    columns: dict[str, list[str]] = {}
    for table, column, _ in rows:
        columns.setdefault(table, []).append(column)
    build_order = {m.qualified_name: position for position, m in enumerate(models)}
    for table in sorted(columns, key=lambda t: (DESCRIBED_SCHEMAS.index(t.split(".")[0]), build_order.get(t, len(models)), t)):
        for column in columns[table]:
            if (table, column) in comments:
                continue
            text = (declared.get(table, {}).get(column)
                    or next((comments[(source, column)] for source in read.get(table, ()) if (source, column) in comments), None)
                    or shared.get(column)
                    or _derived_description(column, columns[table], table.startswith("raw.")))
            if text:
                connection.execute(f'COMMENT ON COLUMN {table}."{column}" IS {_quote(text)}')
                comments[(table, column)] = text


def _derived_description(column: str, siblings: list[str], raw: bool) -> str | None:
    """Descriptions that follow from a column's name: flags, labels and quality marks of a value, GENESIS codes."""
    for suffix, text in (
        ("_flag", "Special sign of the source for {base} ('-', '.', '...', 'x', '/'); {base} is NULL when it is set, never 0."),
        ("_quality", "Quality mark of the source for {base} (e.g. e = estimated), when it gives one."),
        ("_label", "Label of {base} as published in the source."),
    ):
        if column.endswith(suffix) and column.removesuffix(suffix) in siblings:
            return text.format(base=column.removesuffix(suffix))
    if raw and f"{column}_label" in siblings:
        return f"Code of the GENESIS classification variable {column.upper()}; its label is in {column}_label."
    return None


def build_models(
    connection: duckdb.DuckDBPyConnection,
    sql_dir: Path,
    *,
    run_id: str,
    variables: dict[str, Any] | None = None,
    progress=None,
    only: set[str] | None = None,
    rebuild: set[str] | None = None,
    changed_raw: set[str] | None = None,
) -> list[tuple[str, int]]:
    """Build every model in one transaction, so a failure (or a kill) leaves the previous build.

    A model whose raw tables are not loaded yet (and everything built on it) is skipped;
    `progress(model, None)` reports it. `only` builds just the named models (no marts).
    `rebuild` keeps every existing model outside it as it is (an incremental build: the models
    downstream of the tables that changed, see `downstream`). The stacked marts then change per
    indicator: marts.indicator_value replaces the rows of the rebuilt indicators only, and a mart
    built on it that declares `incremental_by: indicator_id` replaces those indicators' rows too.
    `changed_raw` (with `rebuild`): the raw tables whose files changed; only their years are read
    again for meta.raw_period.
    """
    models = discover_models(sql_dir)
    if only is not None:
        models = [m for m in models if m.qualified_name in only]
    built: list[tuple[str, int]] = []
    missing: set[str] = set()  # raw tables not loaded yet, and models skipped because of them
    # committed before the build: if the process ends during the build, the row stays and the next run rebuilds all
    connection.execute("INSERT INTO meta.unfinished_build (run_id) VALUES (?)", [run_id])
    connection.execute("BEGIN TRANSACTION")
    try:
        for name, value in (variables or {}).items():
            connection.execute(f"SET VARIABLE {name} = ?", [value])
        connection.execute((sql_dir / "_macros.sql").read_text(encoding="utf-8"))
        for schema in LAYERS:
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        generated = False
        replaced: set[str] | None = None  # indicator ids whose stacked rows this build replaced; None: all
        rebuilt_indicators: list[Model] = []  # filled as they are built; the marts read it after the indicators
        restack = rebuilt_indicators if rebuild is not None else None
        for model in models:
            if model.schema == "marts" and not generated:
                replaced = _build_marts(connection, [m for m in models if m.qualified_name not in missing],
                                        rebuilt=restack, changed_raw=changed_raw)
                generated = True
            absent = {r for r in model.references if r in missing or (
                r.startswith("raw.") and not _exists(connection, *r.split(".")))}
            if absent:
                missing |= absent | {model.qualified_name}
                if progress:
                    progress(model.qualified_name, None)
                continue
            in_part = False  # only the rows of the indicators whose stacked rows were replaced
            if rebuild is not None and model.qualified_name not in rebuild and _exists(connection, model.schema, model.name):
                if not reads_stacked_marts(model) or replaced == set():
                    continue  # unchanged inputs, unchanged SQL: the existing table is what a rebuild would give
                in_part = replaced is not None and model.header.get("incremental_by") == "indicator_id"
            if model.schema == "indicators" and _exists(connection, "core", "region"):
                # every indicator states the Gebietsstand its values are on
                connection.execute("SET VARIABLE target_territorial_date = (SELECT max(territorial_date) FROM core.region)")
            if model.schema == "indicators":
                _archive_earlier_version(connection, model)
                rebuilt_indicators.append(model)
            try:
                if in_part:
                    _replace_indicator_rows(connection, model, replaced)
                else:
                    connection.execute(_statement(model, sql_dir))
            except duckdb.Error as error:
                raise ModelError(f"{model.path.relative_to(sql_dir.parent)}: {error}") from error
            if not in_part:
                _comment(connection, model)
            rows = connection.execute(f"SELECT count(*) FROM {model.qualified_name}").fetchone()[0]
            connection.execute(
                "INSERT INTO meta.model_build (run_id, model, row_count, sql_sha256) VALUES (?, ?, ?, ?)",
                [run_id, model.qualified_name, rows, model.sha256],
            )
            built.append((model.qualified_name, rows))
            if progress:
                progress(model.qualified_name, rows)
        if not generated and only is None:
            _build_marts(connection, [m for m in models if m.qualified_name not in missing],
                         rebuilt=restack, changed_raw=changed_raw)
        describe_columns(connection, sql_dir, models)
        if only is None:
            # what this build read: the SQL and variables, and the raw files behind every raw table
            connection.execute(
                "INSERT INTO meta.model_build (run_id, model, row_count, sql_sha256, inputs) VALUES (?, '*', ?, ?, ?)",
                [run_id, len(built), fingerprint(sql_dir, variables), json.dumps(loaded_inputs(connection), sort_keys=True)],
            )
        if only is None:  # a complete build: whatever an earlier, unfinished one left is superseded
            connection.execute("DELETE FROM meta.unfinished_build")
        else:
            connection.execute("DELETE FROM meta.unfinished_build WHERE run_id = ?", [run_id])
        connection.execute("COMMIT")
    except BaseException:
        _rollback(connection)
        # rolled back in full: the previous build stands, as consistent as before
        connection.execute("DELETE FROM meta.unfinished_build WHERE run_id = ?", [run_id])
        raise
    return built


def _rollback(connection: duckdb.DuckDBPyConnection) -> None:
    """Roll back the open transaction; an interrupted query has already ended it (the original error matters)."""
    try:
        connection.execute("ROLLBACK")
    except duckdb.TransactionException:
        pass


def loaded_inputs(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every loaded raw table and the sorted sha256 list of the raw files it was loaded from."""
    return dict(connection.execute(
        "SELECT 'raw.' || table_name, string_agg(sha256, ',' ORDER BY sha256) FROM meta.raw_file "
        "WHERE table_name IN (SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw') GROUP BY table_name"
    ).fetchall())


def out_of_step(connection: duckdb.DuckDBPyConnection, sql_dir: Path, variables: dict[str, Any] | None) -> set[str] | None:
    """The raw tables whose files changed since the last complete build (empty: the models are up to date).

    None when every model must be rebuilt: no complete build yet, SQL or variables changed since, or
    a build that began and did not finish (the process was killed).
    """
    if connection.execute("SELECT count(*) FROM meta.unfinished_build").fetchone()[0]:
        return None
    last = connection.execute(
        "SELECT sql_sha256, inputs FROM meta.model_build WHERE model = '*' ORDER BY built_at DESC LIMIT 1"
    ).fetchone()
    if not last or last[0] != fingerprint(sql_dir, variables) or last[1] is None \
            or not _exists(connection, "marts", "indicator_value"):
        return None
    recorded, current = json.loads(last[1]), loaded_inputs(connection)
    return {table for table in recorded.keys() | current.keys() if recorded.get(table) != current.get(table)}


def withhold_indicators(connection: duckdb.DuckDBPyConnection, sql_dir: Path, tables: list[str],
                        previous_snapshot: Path | None) -> None:
    """Put back the last published version of indicators that failed their checks (or none), then restack the marts."""
    models = [m for m in discover_models(sql_dir)
              if m.schema != "indicators" or _exists(connection, "indicators", m.name)]
    connection.execute("BEGIN TRANSACTION")
    try:
        if previous_snapshot:
            connection.execute(f"ATTACH '{previous_snapshot}' AS previous_snapshot (READ_ONLY)")
        for table in tables:
            schema, name = table.split(".")
            if previous_snapshot and connection.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'previous_snapshot' AND schema_name = ? AND table_name = ?",
                [schema, name],
            ).fetchone()[0]:
                connection.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM previous_snapshot.{table}")
            else:
                connection.execute(f"DELETE FROM {table}")
        _build_marts(connection, models)
        for model in models:
            if model.schema == "marts":
                connection.execute(_statement(model, sql_dir))
        for model in models:
            if model.schema == "marts" or model.qualified_name in tables:
                _comment(connection, model)
        describe_columns(connection, sql_dir, models)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    finally:
        if previous_snapshot:
            connection.execute("DETACH DATABASE IF EXISTS previous_snapshot")


def _archive_earlier_version(connection: duckdb.DuckDBPyConnection, model: Model) -> None:
    """Keep the values and the definition of an indicator version that a changed formula replaces.

    Indicators are reviewed and revised: a new `version` in the header rebuilds the indicator, and
    the values of the earlier version stay retrievable in marts.indicator_value_archive (with their
    catalogue entry in marts.indicator_catalog_archive).
    """
    if not _exists(connection, model.schema, model.name):
        return
    version = int(model.header["version"])
    earlier = connection.execute(
        f"SELECT DISTINCT indicator_version FROM {model.qualified_name} WHERE indicator_version <> ?", [version]
    ).fetchall()
    if not earlier:
        return
    connection.execute(
        "CREATE TABLE IF NOT EXISTS marts.indicator_value_archive AS "
        "SELECT *, CAST(NULL AS TIMESTAMPTZ) AS archived_at FROM marts.indicator_value WHERE false"
    )
    connection.execute(
        f"INSERT INTO marts.indicator_value_archive BY NAME SELECT *, now() AS archived_at FROM {model.qualified_name} "
        "WHERE indicator_version <> ?", [version]
    )
    if _exists(connection, "marts", "indicator_catalog"):
        connection.execute(
            "CREATE TABLE IF NOT EXISTS marts.indicator_catalog_archive AS "
            "SELECT *, CAST(NULL AS TIMESTAMPTZ) AS archived_at FROM marts.indicator_catalog WHERE false"
        )
        for column, kind in (("changelog", "JSON"), ("definition_sha256", "VARCHAR")):  # added after the first archives
            connection.execute(f"ALTER TABLE marts.indicator_catalog_archive ADD COLUMN IF NOT EXISTS {column} {kind}")
        connection.execute(
            "INSERT INTO marts.indicator_catalog_archive BY NAME SELECT *, now() AS archived_at FROM marts.indicator_catalog "
            "WHERE indicator_id = ? AND version <> ?", [model.header["id"], version]
        )


def _exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?", [schema, table]
    ).fetchone()[0])


STACKED_MARTS = re.compile(r"\bmarts\.indicator_(?:value|catalog)\b")


def reads_stacked_marts(model: Model) -> bool:
    """Does the model read marts.indicator_value or marts.indicator_catalog (which _build_marts stacks)?"""
    return bool(STACKED_MARTS.search(model.body))


def _replace_indicator_rows(connection: duckdb.DuckDBPyConnection, model: Model, indicator_ids: set[str]) -> None:
    """Replace the rows of these indicators in a mart whose rows of one indicator rest on that indicator's alone."""
    ids = sorted(indicator_ids)
    connection.execute(f"DELETE FROM {model.qualified_name} WHERE indicator_id IN (SELECT unnest(?))", [ids])
    connection.execute(f"INSERT INTO {model.qualified_name} BY NAME SELECT * FROM (\n{model.body}\n) AS model "
                       "WHERE indicator_id IN (SELECT unnest(?))", [ids])


def _source_codes(header: dict[str, Any]) -> list[str]:
    """Table codes an indicator's header names in `sources` (entries look like "regio 13211-02-05-4")."""
    sources = header.get("sources") or []
    if isinstance(sources, str):
        sources = [part for part in re.split(r"[,\[\]]", sources) if part.strip()]
    return [str(entry).split()[-1] for entry in sources]


def _raw_periods(connection: duckdb.DuckDBPyConnection, changed_raw: set[str] | None = None) -> dict[str, set[int]]:
    """meta.raw_period (which years of each raw table are generated) and, per table code with a generated
    file, the years it has real data for only.

    A table can be partly real and partly generated (offline, a real file answers the time slices it
    covers, generated files the rest), so the mark is per year: a year is real when every row of it
    comes from a real file. `changed_raw`: only these raw tables are read again (an incremental build;
    the rows of the others are what reading them again would give), and tables no longer loaded leave.
    """
    incremental = changed_raw is not None and _exists(connection, "meta", "raw_period")
    if not incremental:
        connection.execute("CREATE OR REPLACE TABLE meta.raw_period (table_name VARCHAR, table_code VARCHAR, "
                           "period INTEGER, synthetic BOOLEAN, row_count BIGINT)")
        connection.execute("COMMENT ON TABLE meta.raw_period IS " + _quote(
            "Years of each raw table and whether any row of the year comes from a file generated for the offline "
            "sample (meta.raw_file.synthetic). A series can be partly real and partly generated; marts mark each "
            "value by it."))
        for column, text in RAW_PERIOD_COLUMNS.items():
            connection.execute(f"COMMENT ON COLUMN meta.raw_period.{column} IS {_quote(text)}")
    if not _exists(connection, "meta", "raw_file"):
        if incremental:
            connection.execute("DELETE FROM meta.raw_period")
        return {}
    tables = connection.execute(
        "SELECT table_name, any_value(table_code), bool_or(synthetic) FROM meta.raw_file GROUP BY table_name").fetchall()
    if incremental:
        connection.execute("DELETE FROM meta.raw_period WHERE table_name IN (SELECT unnest(?)) "
                           "OR table_name NOT IN (SELECT table_name FROM meta.raw_file)", [sorted(changed_raw)])
        tables = [row for row in tables if row[0] in changed_raw]
    for table_name, table_code, any_synthetic in tables:
        if not _exists(connection, "raw", table_name) or not {"reference_time", "source_file"} <= {
                row[0] for row in connection.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'raw' AND table_name = ?",
                    [table_name]).fetchall()}:
            continue
        connection.execute(
            f"INSERT INTO meta.raw_period SELECT ?, ?, TRY_CAST(substr(t.reference_time, 1, 4) AS INTEGER) AS period, "
            "bool_or(coalesce(f.synthetic, false)), count(*) "
            f"FROM raw.{table_name} AS t LEFT JOIN meta.raw_file AS f ON f.table_name = ? AND f.path = t.source_file "
            "GROUP BY period HAVING period IS NOT NULL", [table_name, table_code, table_name])
    # every code with a generated file; a table whose years cannot be read counts as generated throughout
    real: dict[str, set[int]] = {code: set() for (code,) in connection.execute(
        "SELECT DISTINCT table_code FROM meta.raw_file WHERE synthetic").fetchall()}
    for table_code, period, synthetic in connection.execute(
            "SELECT table_code, period, bool_or(synthetic) FROM meta.raw_period WHERE table_code IN "
            "(SELECT table_code FROM meta.raw_file WHERE synthetic) GROUP BY ALL").fetchall():
        if not synthetic:
            real[table_code].add(period)
    return real


RAW_PERIOD_COLUMNS = {
    "table_name": "Raw table (raw.<table_name>).", "table_code": "Table code at the source.",
    "period": "Year of the rows (first four characters of reference_time).",
    "synthetic": "True when a row of this year comes from a generated file: not official data.",
    "row_count": "Rows of the raw table in this year."}


def _build_marts(connection: duckdb.DuckDBPyConnection, models: list[Model],
                 rebuilt: list[Model] | None = None, changed_raw: set[str] | None = None) -> set[str] | None:
    """marts.indicator_value (all indicator tables stacked) and marts.indicator_catalog (their headers).

    `rebuilt`: the indicator models an incremental build rebuilt; only their rows are stacked anew (and
    the synthetic mark of the others put right where the raw files changed it). Returns the indicator
    ids whose rows changed, or None when everything was stacked anew. `changed_raw`: see _raw_periods.
    """
    indicators = indicator_models(models)
    real_periods = _raw_periods(connection, changed_raw if rebuilt is not None else None)
    synthetic_codes = set(real_periods)

    def synthetic(model: Model) -> str:
        codes = [code for code in _source_codes(model.header) if code in synthetic_codes]
        if not codes:
            return "false"
        # a value is real only for a period every partly generated source table has real data for
        real = set.intersection(*(real_periods[code] for code in codes))
        return f"period NOT IN ({', '.join(map(str, sorted(real)))})" if real else "true"

    changed: set[str] | None = None
    if rebuilt is not None and _exists(connection, "marts", "indicator_value"):
        stacked, replaced = {m.header["id"] for m in indicators}, {m.qualified_name for m in rebuilt}
        changed = {m.header["id"] for m in rebuilt} | {indicator_id for (indicator_id,) in connection.execute(
            "SELECT DISTINCT indicator_id FROM marts.indicator_value WHERE indicator_id NOT IN (SELECT unnest(?))",
            [sorted(stacked)]).fetchall()}  # an indicator no longer built (its raw table gone) leaves
        connection.execute("DELETE FROM marts.indicator_value WHERE indicator_id IN (SELECT unnest(?))", [sorted(changed)])
        for model in indicators:
            if model.qualified_name in replaced:
                connection.execute(f"INSERT INTO marts.indicator_value BY NAME SELECT *, {synthetic(model)} AS is_synthetic "
                                   f"FROM {model.qualified_name}")
            elif connection.execute(
                    f"UPDATE marts.indicator_value SET is_synthetic = {synthetic(model)} WHERE indicator_id = ? "
                    f"AND is_synthetic IS DISTINCT FROM ({synthetic(model)})", [model.header["id"]]).fetchone()[0]:
                changed.add(model.header["id"])  # a table of its sources now has real data for more (or fewer) years
    else:
        connection.execute(
            "CREATE OR REPLACE TABLE marts.indicator_value (indicator_id VARCHAR, indicator_version INTEGER, ags VARCHAR, "
            "level VARCHAR, period INTEGER, reference_date DATE, value DOUBLE, numerator DOUBLE, denominator DOUBLE, "
            "flag VARCHAR, territorial_date DATE, is_synthetic BOOLEAN)"
        )
        for model in indicators:
            connection.execute(f"INSERT INTO marts.indicator_value BY NAME SELECT *, {synthetic(model)} AS is_synthetic "
                               f"FROM {model.qualified_name}")
    connection.execute(
        "COMMENT ON TABLE marts.indicator_value IS "
        + _quote("Every indicator value, one row per indicator, region, level and period; stacked from the indicators schema. "
                 "Rows with is_synthetic rest on generated offline data, not on official statistics.")
    )
    for column, text in MART_COLUMNS.items():
        connection.execute(f"COMMENT ON COLUMN marts.indicator_value.{column} IS {_quote(text)}")
    catalog_columns = ("id", "version", "name_de", "name_en", "domain", "unit", "scale", "aggregate", "formula", "definition",
                       "numerator", "denominator", "sources", "lowest_level", "reference_date", "reference_sets", "caveats",
                       "max_value", "small_counts")
    rows = []
    for m in indicators:
        values = [", ".join(map(str, m.header[c])) if isinstance(m.header.get(c), list) else m.header.get(c)
                  for c in catalog_columns]
        series_breaks = json.dumps(m.header.get("series_breaks") or [], ensure_ascii=False, default=str)
        synthetic = any(code in synthetic_codes for code in _source_codes(m.header))  # any value generated
        history = json.dumps(changelog(m.header, str(m.path.name)), ensure_ascii=False)
        rows.append(values + [series_breaks, synthetic, m.qualified_name, m.path.name, history,
                              definition_sha256(m.body, m.header)])
    connection.execute(
        "CREATE OR REPLACE TABLE marts.indicator_catalog (indicator_id VARCHAR PRIMARY KEY, version INTEGER, "
        "name_de VARCHAR, name_en VARCHAR, domain VARCHAR, unit VARCHAR, scale DOUBLE, aggregate VARCHAR, formula VARCHAR, "
        "definition VARCHAR, numerator VARCHAR, denominator VARCHAR, sources VARCHAR, lowest_level VARCHAR, "
        "reference_date VARCHAR, reference_sets VARCHAR, caveats VARCHAR, max_value DOUBLE, small_counts BOOLEAN, "
        "series_breaks JSON, is_synthetic BOOLEAN, table_name VARCHAR, sql_file VARCHAR, changelog JSON, definition_sha256 VARCHAR)"
    )
    if rows:
        connection.executemany(f"INSERT INTO marts.indicator_catalog VALUES ({', '.join(['?'] * len(rows[0]))})", rows)
    for column, text in CATALOG_COLUMNS.items():
        connection.execute(f"COMMENT ON COLUMN marts.indicator_catalog.{column} IS {_quote(text)}")
    connection.execute(
        "COMMENT ON TABLE marts.indicator_catalog IS "
        + _quote("The indicator catalogue, one row per indicator, read from the headers of sql/indicators/*.sql. "
                 "is_synthetic: a source table of the indicator is generated offline data. changelog: the version "
                 "history from the header, newest first. definition_sha256: hash of the SQL and the computing header "
                 "keys, which `imon diff` compares to catch a changed formula without a version bump.")
    )
    return changed
