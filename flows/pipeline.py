"""The pipeline as one Prefect flow, top to bottom: pull → parse → validate → load → build → summarise."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from prefect import flow, task
from prefect.cache_policies import NONE as NO_CACHE

from flows.limits import source_slot
from flows.reports import write_snapshot_reports
from flows.settings import Settings, load_settings
from flows.unchanged import (REFERENCE_LAYOUTS, RunSummary, TableOutcome, _AlreadyLanded, _indicator_coverage,  # noqa: F401
                             _new_run_id, _raw_files, _selected_specs, progress, run_mode, unchanged_run)
from sources.catalog import TableSpec
from sources.errors import FetchError, NetworkError, NotDelivered, SourceError
from offline.replay import client_for
from sources.genesis import Download
from sources.landing import LandedFile, land
from sources.classic_sql import stage_classic
from sources.ffcsv_sql import stage_ffcsv
from sources.parse import parse_table
from flows.review import review_before_publish
from warehouse import loading, models, quality, review
from warehouse.connection import connect, table_exists
from warehouse.publish import current_snapshot
from warehouse.register import REGISTER_TABLE, Register

# The request parameters that restrict a table to a range of reference years (a backfill sets both).
YEAR_PARAMETERS = frozenset({"startyear", "endyear"})



def _is_network_error(task, task_run, state) -> bool:
    """Retry a pull only when the service could not be reached, not for answers it gave on purpose."""
    try:
        state.result()
    except NetworkError:
        return True
    except Exception:
        return False
    return False


@task(name="pull", retries=2, retry_delay_seconds=10, retry_condition_fn=_is_network_error, cache_policy=NO_CACHE)
def pull_table(spec: TableSpec, settings: Settings) -> list[LandedFile]:
    """Fetch one table (live API, replayed sample, or a file) and land the raw bytes unchanged."""
    from sources.genesis import download_table

    if spec.is_file_source:
        downloads = [_file_download(path, spec) for path in _source_files(spec, settings)]
    else:
        # one file per time slice, or one per Land when a Zensus table is too large for one request; on a
        # Prefect server the account's cap on parallel requests holds across every worker (flows/limits.py)
        client = client_for(spec.source, settings.environ)
        with source_slot(spec.source, settings):
            downloads = [d for parameters in spec.requests for d in download_table(client, spec.table, parameters)]
    return [land(d, landing_dir=settings.landing_dir, source=spec.source, table=spec.table) for d in downloads]


def _source_files(spec: TableSpec, settings: Settings) -> list[Path]:
    """The files a file source reads: the register's editions, a county's file, or a bundled one."""
    if spec.name == REGISTER_TABLE:
        # the bundled (or configured) edition plus every later edition a user drops into IMON_REGISTER_DIR
        paths = [settings.register_file, *sorted(settings.register_dir.glob("GV100AD_*.txt"))]
    else:
        path = Path(spec.path or "")
        if not path.is_absolute():
            # a county's own files live in IMON_COUNTY_DATA_DIR, the bundled ones in offline/sample/
            path = (settings.county_data_dir if spec.source == "county_file" else settings.sample_dir) / path
        paths = [path]
    for path in paths:
        if not path.is_file() and spec.source == "county_file":
            raise NotDelivered(f"not delivered: no file {path} (put it there or set IMON_COUNTY_DATA_DIR)",
                               source=spec.source, table=spec.table)
        if not path.is_file():
            raise FetchError(f"file not found: {path}", source=spec.source, table=spec.table)
    return list(dict.fromkeys(p.resolve() for p in paths))


def _file_download(path: Path, spec: TableSpec) -> Download:
    """A file source read as if it had been downloaded, so it lands and traces like one."""
    return Download(
        body=path.read_bytes(), content_type="text/plain", filename=path.name,
        parameters={"file": path.name}, http_status=0, headers={},
        fetched_at=datetime.fromtimestamp(path.stat().st_mtime, timezone.utc), url=path.as_uri(),
    )


def _claimed_elsewhere(files: list[LandedFile], reference_times) -> dict[int, set]:
    """Per file index: the reference times a newer file of the same request already holds (its rows are left out).

    Files that differ only in their year range (a backfill's one file per reference year beside the
    regular pull) overlap: a reference time's rows come from the newest of them that holds it.
    `reference_times(index)` gives the reference times in file `index`.
    """
    excluded: dict[int, set] = {}
    claimed: dict[str, set] = {}  # year-independent parameters → reference times already taken
    for index, landed in sorted(enumerate(files), key=lambda item: item[1].fetched_at, reverse=True):
        group = json.dumps({k: v for k, v in landed.parameters.items() if k not in YEAR_PARAMETERS}, sort_keys=True)
        taken = claimed.setdefault(group, set())
        times = set(reference_times(index))
        excluded[index] = set(taken)
        taken |= times
    return excluded


def _parse_files(spec: TableSpec, files: list[LandedFile], settings: Settings) -> pd.DataFrame:
    """Parse every landed file of a table and stamp each row with the file it came from (in Python)."""
    parsed = [parse_table(landed.path.read_bytes(), source=spec.source, table=spec.table, layout=spec.layout,
                          classic_layout=spec.classic_layout) for landed in files]
    if len(files) > 1 and all("reference_time" in frame for frame in parsed):
        excluded = _claimed_elsewhere(files, lambda index: parsed[index]["reference_time"].unique())
        parsed = [frame[~frame["reference_time"].isin(excluded[index])] if excluded[index] else frame
                  for index, frame in enumerate(parsed)]
    frames = [frame.assign(source_file=loading.relative_to(landed.path, settings.landing_dir), source_sha256=landed.sha256)
              for frame, landed in zip(parsed, files)]  # in the landing zone's order
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _stage_files(spec: TableSpec, files: list[LandedFile], settings: Settings, connection) -> quality.Relation:
    """The parsed table as a temporary DuckDB table: GENESIS flat files and classic tables are read by DuckDB
    itself (sources/ffcsv_sql.py, sources/classic_sql.py: no Python row); anything else, or a file either
    declines, by the Python parsers, then copied in. A table declared `classic` may be delivered as a flat
    file too (sources/parse.py reads what it finds), so each file is tried as a flat file first."""
    name = f"incoming_{spec.name}"
    if spec.layout in ("ffcsv", "classic") and _stage_in_duckdb(spec, files, settings, connection, name):
        return quality.Relation(connection, quality.quoted(name))
    return quality.stage_frame(connection, _parse_files(spec, files, settings), name)


def _stage_in_duckdb(spec: TableSpec, files: list[LandedFile], settings: Settings, connection, name: str) -> bool:
    """Stage every file by DuckDB, then put them together as _parse_files does; False if any file is not plain."""
    parts = [name] if len(files) == 1 else [f"{name}_file_{index}" for index in range(len(files))]
    staged: list[str] = []
    try:
        for part, landed in zip(parts, files):
            where = dict(table=spec.table, name=part, source_file=loading.relative_to(landed.path, settings.landing_dir),
                         source_sha256=landed.sha256)
            if not (stage_ffcsv(connection, landed.path, **where) or (
                    spec.layout == "classic" and spec.classic_layout
                    and stage_classic(connection, landed.path.read_bytes(), layout=spec.classic_layout, **where))):
                return False
            staged.append(part)
        if len(files) == 1:
            staged.clear()  # it is the staged table itself
            return True
        excluded = _claimed_elsewhere(files, lambda index: [row[0] for row in connection.execute(
            f"SELECT DISTINCT reference_time FROM {quality.quoted(parts[index])}").fetchall()])
        # in the landing zone's order, each file in its own order; files with other columns add theirs (NULL elsewhere)
        union = " UNION ALL BY NAME ".join(
            f"SELECT *, {index} AS file_position, rowid AS row_position FROM {quality.quoted(part)}"
            + (" WHERE reference_time NOT IN (SELECT unnest(?))" if excluded[index] else "")
            for index, part in enumerate(parts))
        connection.execute(f"CREATE OR REPLACE TEMP TABLE {quality.quoted(name)} AS SELECT * EXCLUDE (file_position, "
                           f"row_position) FROM ({union}) ORDER BY file_position, row_position",
                           [sorted(excluded[index]) for index in range(len(parts)) if excluded[index]])
        return True
    finally:
        for part in staged:
            connection.execute(f"DROP TABLE IF EXISTS {quality.quoted(part)}")


def _open_warehouse(settings: Settings):
    """The working warehouse for writing, DuckDB's memory capped at IMON_WAREHOUSE_MEMORY_LIMIT (it spills beyond)."""
    return connect(settings.warehouse_path, memory_limit=settings.warehouse_memory_limit)


def _read_register(settings: Settings) -> Register:
    connection = _open_warehouse(settings)
    try:
        return Register.load(connection, settings.sql_dir)
    finally:
        connection.close()


@task(name="ingest", cache_policy=NO_CACHE)
def ingest_table(spec: TableSpec, files: list[LandedFile], settings: Settings, run_id: str,
                 gate: quality.QualityGate, register: Register | None) -> TableOutcome:
    """Parse, validate and load one table (the flow has found its raw files changed: `_unchanged`).

    `register` checks the regional keys; None only for the reference tables, which are loaded first.
    """
    raw_files = _raw_files(files, settings)
    connection = _open_warehouse(settings)
    try:
        common = dict(run_id=run_id, table_name=spec.name, table_code=spec.table, source=spec.source)
        try:
            staged = _stage_files(spec, files, settings, connection)
        except SourceError as error:
            loading.record_table_load(connection, status="rejected", files=raw_files, message=str(error), **common)
            return TableOutcome(spec.name, spec.label, "rejected", message=str(error))
        if spec.layout not in REFERENCE_LAYOUTS:
            quality.annotate_region_keys(staged, register)
        report = gate.validate(staged, quality.load_suite_document(settings.expectations_dir, spec.name),
                               table_name=spec.name, previous_row_count=loading.previous_row_count(connection, spec.name))
        loading.record_validation(connection, run_id=run_id, report=report)
        loading.record_quarantine(connection, run_id=run_id, report=report)
        warnings = [w.describe() for w in report.warnings]
        if not report.passed:
            message = f"{spec.label}: " + "; ".join(f.describe() for f in report.blocking_failures)
            loading.record_table_load(connection, status="rejected", files=raw_files, message=message, **common)
            return TableOutcome(spec.name, spec.label, "rejected", message=message, warnings=warnings)
        rows = loading.load_table(connection, title=spec.title, staged=staged.name, files=raw_files, **common)
        return TableOutcome(spec.name, spec.label, "loaded", rows=rows, warnings=warnings)
    finally:
        connection.close()


def _unchanged(connection, spec: TableSpec, raw_files: list[loading.RawFile], run_id: str) -> bool:
    """Are the table's raw files the ones it was last loaded from? Then the run records it as unchanged."""
    if not loading.files_unchanged(connection, spec.name, raw_files):
        return False
    loading.record_table_load(connection, status="unchanged", files=raw_files, run_id=run_id, table_name=spec.name,
                              table_code=spec.table, source=spec.source)
    return True


@task(name="build models", cache_policy=NO_CACHE)
def build_warehouse(settings: Settings, run_id: str, changed_tables: list[str]) -> list[str] | None:
    """Build the SQL models a change needs; the names built, or None when nothing needed a build.

    Changed SQL (or variables), no build yet, or a build the process did not finish: every model.
    Else the models downstream of the raw tables whose files changed since the last complete build
    (loaded in this run, or in a run that ended before its build), the others kept as they are.
    Raises ModelError naming the SQL file when a model fails; the previous build stays.
    """
    connection = _open_warehouse(settings)
    try:
        stale = models.out_of_step(connection, settings.sql_dir, settings.model_variables())
        rebuild = None
        if stale is not None:
            stale |= {f"raw.{t}" for t in changed_tables}
            if not stale:
                return None
            rebuild = models.downstream(models.discover_models(settings.sql_dir), stale)
            progress.info("building the %d models downstream of %s", len(rebuild), ", ".join(sorted(stale)))
        built = models.build_models(connection, settings.sql_dir, run_id=run_id,
                                    variables=settings.model_variables(),
                                    progress=_report_model, rebuild=rebuild,
                                    changed_raw={name.split(".", 1)[1] for name in stale or () if name.startswith("raw.")})
        return [name for name, _ in built]
    finally:
        connection.close()


@task(name="audit indicators", cache_policy=NO_CACHE)
def audit_indicators(settings: Settings, run_id: str, gate: quality.QualityGate,
                     built: list[str] | None = None) -> list[str]:
    """Check the indicators built in this run (default: all); put back the published version of those that fail.

    Returns the names of those withheld. An indicator not rebuilt keeps the outcome of its last audit.
    """
    connection = _open_warehouse(settings)
    try:
        if not table_exists(connection, "core", "region"):
            return []  # no register loaded yet: no indicator was built either
        expected = dict(connection.execute(
            "SELECT level, count(*) FROM core.region WHERE level IN ('deutschland', 'land', 'kreis') GROUP BY level"
        ).fetchall())
        withheld = []
        for model in models.indicator_models(models.discover_models(settings.sql_dir)):
            if not table_exists(connection, "indicators", model.name):
                continue
            if built is not None and model.qualified_name not in built:
                continue
            levels = {level: count for level, count in expected.items()
                      if connection.execute(f"SELECT count(*) FROM {model.qualified_name} WHERE level = ?", [level]).fetchone()[0]}
            report = quality.audit_indicator(gate, connection, model.qualified_name, model.header, levels)
            loading.record_validation(connection, run_id=run_id, report=report)
            loading.record_quarantine(connection, run_id=run_id, report=report)
            if not report.passed:
                withheld.append(model.qualified_name)
                progress.error("withheld %s: %s", model.qualified_name, "; ".join(f.describe() for f in report.blocking_failures))
        if withheld:
            models.withhold_indicators(connection, settings.sql_dir, withheld, current_snapshot(settings.published_dir))
        return withheld
    finally:
        connection.close()


@task(name="publish", cache_policy=NO_CACHE)
def publish_snapshot(settings: Settings, run_id: str, diff: review.Diff) -> Path:
    """Publish the working warehouse as the new read-only snapshot readers see, with its diff in meta.publish_log
    (and into the lake, if one is set)."""
    path = review.publish_reviewed(settings.warehouse_path, settings.published_dir, diff, run_id=run_id,
                                   operator=review.default_operator(), via="flow", keep=settings.snapshots_to_keep)
    lake_target = settings.lake_target()
    if lake_target is not None:
        from warehouse import lake

        snapshot = lake.publish(path, lake_target, run_id=run_id, keep=settings.snapshots_to_keep,
                                office=settings.lake_office_claim())
        progress.info("published into the lake %s as snapshot %d", lake_target.label, snapshot.snapshot_id)
    return path


def _report_model(model: str, rows: int | None) -> None:
    if rows is None:
        progress.info("skipped   %s: its raw tables are not loaded", model)


def loading_has_models(settings: Settings) -> bool:
    """Is there a built warehouse worth publishing?"""
    connection = _open_warehouse(settings)
    try:
        return table_exists(connection, "marts", "indicator_value")
    finally:
        connection.close()


def run_pipeline(warehouse: str | None = None, tables: list[str] | None = None, build: bool = True,
                 pull: bool = True) -> RunSummary:
    """The pipeline flow; from the landing zone as it is, a run with nothing to do skips the flow altogether.

    Prefect's temporary server costs seconds to start and stop. When every table's landed files are
    the ones already loaded, the SQL is unchanged and a snapshot is published, the flow would only
    confirm that: the run is recorded as such (meta.run, meta.table_load) without starting Prefect.
    """
    if not pull:
        summary = unchanged_run(warehouse, tables, build)
        if summary is not None:
            return summary
    return pipeline(warehouse=warehouse, tables=tables, build=build, pull=pull)


@flow(name="imon", log_prints=False, validate_parameters=False)
def pipeline(warehouse: str | None = None, tables: list[str] | None = None, build: bool = True,
             pull: bool = True, reference_year: int | None = None) -> RunSummary:
    """Pull every configured table, validate and load it, build the indicator models, summarise.

    With `pull=False` the files already in the landing zone are used (no network, no replay).
    With `reference_year` the service tables are pulled for that year only (a backfill).
    """
    settings = load_settings(warehouse=warehouse)
    specs = _selected_specs(settings, tables, reference_year)
    run_id = _new_run_id()
    mode = run_mode(settings)
    connection = _open_warehouse(settings)
    loading.start_run(connection, run_id=run_id, mode=mode)
    connection.close()

    # 1. Pull: tables are fetched in parallel; the GENESIS client caps parallel requests per account.
    if pull:
        progress.info("pulling %d tables (%s)", len(specs), mode)
        pulls = {spec.name: pull_table.submit(spec, settings) for spec in specs}
    else:
        progress.info("using the landing zone as it is: %s", settings.landing_dir)
        pulls = {spec.name: _AlreadyLanded(spec, settings) for spec in specs}

    # 2.–4. Parse, validate, load: one table at a time (one DuckDB writer), the register and the
    # curated region tables first, because the other tables' regional keys are checked against them.
    outcomes: list[TableOutcome] = []
    gate = quality.QualityGate(docs_dir=settings.warehouse_path.parent / "data_docs")
    register: Register | None = None  # read once, after the reference tables are loaded
    # one connection for the bookkeeping of every table, held through the loop: a table whose files
    # are unchanged is recorded here and never becomes a task (opening the file per table costs more)
    bookkeeping = _open_warehouse(settings)
    try:
        for spec in sorted(specs, key=lambda s: (s.name != REGISTER_TABLE, s.layout not in REFERENCE_LAYOUTS)):
            try:
                files = pulls[spec.name].result()
            except NotDelivered as error:
                outcome = TableOutcome(spec.name, spec.label, "not delivered", message=str(error))
            except SourceError as error:
                outcome = TableOutcome(spec.name, spec.label, "failed", message=str(error))
                loading.record_table_load(bookkeeping, run_id=run_id, table_name=spec.name, table_code=spec.table,
                                          source=spec.source, status="failed", message=str(error))
            else:
                if _unchanged(bookkeeping, spec, _raw_files(files, settings), run_id):
                    outcome = TableOutcome(spec.name, spec.label, "unchanged")
                else:
                    if register is None and spec.layout not in REFERENCE_LAYOUTS:
                        register = _read_register(settings)
                    outcome = ingest_table(spec, files, settings, run_id, gate, register)
            progress.info("%-9s %s (%s)%s", outcome.status, spec.label, spec.name,
                          f": {outcome.rows:,} rows" if outcome.rows else "")
            outcomes.append(outcome)
    finally:
        bookkeeping.close()

    if register is not None:
        register.close()

    # 5. Build the SQL models layer by layer.
    changed = [o.name for o in outcomes if o.status == "loaded"]
    built, build_error = None, None
    if build:
        try:
            built = build_warehouse(settings, run_id, changed)
        except models.ModelError as error:
            build_error = str(error)
            progress.error("model build failed, previous build kept: %s", error)
    if built is not None:
        progress.info("built %d models", len(built))

    # 6. Audit the indicators and publish: readers only ever see a snapshot that passed.
    withheld: list[str] = []
    published, not_published = None, None
    if built is not None:
        withheld = audit_indicators(settings, run_id, gate, built)
    if build_error is None and (built is not None or current_snapshot(settings.published_dir) is None) \
            and loading_has_models(settings):
        diff = review_before_publish(settings)
        if diff.errors:
            not_published = f"not published, formula changed without a version bump: {'; '.join(diff.errors)}"
            progress.error(not_published)
        else:
            published = publish_snapshot(settings, run_id, diff)
            progress.info("published %s", published.name)
            if settings.reports_levels:  # reports beside the fresh snapshot (IMON_REPORTS_LEVELS)
                write_snapshot_reports(settings, published)

    # 7. Summarise.
    failed = [o for o in outcomes if o.status in ("rejected", "failed")]
    outcome = "success" if not failed else ("rejected" if all(o.status == "rejected" for o in failed) else "failed")
    messages = [f"{o.name}: {o.message}" for o in failed]
    if build_error:
        outcome = "failed"
        messages.append(f"build: {build_error}")
    if withheld:
        outcome = "rejected" if outcome == "success" else outcome
        messages.append(f"indicators withheld from publication: {', '.join(withheld)}")
    if not_published:
        outcome = "rejected" if outcome == "success" else outcome
        messages.append(not_published)
    connection = _open_warehouse(settings)
    loading.finish_run(connection, run_id=run_id, outcome=outcome, message="; ".join(messages) or None)
    connection.close()
    return RunSummary(run_id=run_id, mode=mode, warehouse_path=settings.warehouse_path, tables=outcomes,
                      models_built=len(built) if built is not None else None,
                      indicators=_indicator_coverage(settings), outcome=outcome,
                      build_error=build_error, withheld=withheld, published=published,
                      data_docs=gate.build_docs() if any(o.status not in ("unchanged", "not delivered") for o in outcomes) else None)
