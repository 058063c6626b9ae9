"""`imon`: the command line of the integration monitoring warehouse."""

from __future__ import annotations

import atexit
import logging
import os
import sys
from pathlib import Path
from typing import NoReturn, Optional

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from flows.cli_common import connect_read_only
from flows.settings import load_settings

app = typer.Typer(
    help="Municipal integration monitoring: pull GENESIS and BA tables, validate, load into DuckDB, compute indicators.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True)

WarehouseOption = typer.Option(None, "--warehouse", "-w", help="DuckDB file (default: $IMON_WAREHOUSE or warehouse/imon.duckdb).")


def _show_progress() -> None:
    """Send the pipeline's progress lines to the terminal."""
    logger = logging.getLogger("imon.progress")
    if not logger.handlers:
        handler = RichHandler(console=errors, show_path=False, show_level=False, markup=False)
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


_connect_read_only = connect_read_only  # flows/cli_common.py, shared with the sub-command modules


def _print_rows(title: str | None, columns: list[str], rows: list[tuple]) -> None:
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else f"{v:,.1f}" if isinstance(v, float) else str(v) for v in row))
    console.print(table)


@app.command()
def run(
    warehouse: Optional[Path] = WarehouseOption,
    table: Optional[list[str]] = typer.Option(None, "--table", "-t", help="Only this table (repeatable); names as in sources/tables.yaml."),
    no_pull: bool = typer.Option(False, "--no-pull", help="Use the landing zone as it is (after `imon pull`): no network. "
                                 "When nothing changed, the run is recorded without starting Prefect."),
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback when the run fails unexpectedly."),
) -> None:
    """Pull every configured table, validate, load, build the indicator models and print a summary."""
    from flows.unchanged import run_mode, unchanged_run

    settings = load_settings(warehouse=warehouse)
    if no_pull:
        errors.print(f"Using the landing zone as it is: {settings.landing_dir}")
    elif run_mode(settings) == "offline":
        errors.print("No GENESIS credentials set (see .env.example): using the bundled offline sample of real "
                     "GENESIS and BA files in offline/sample/.")
    _show_progress()
    try:
        # nothing changed in the landing zone: recorded without importing Prefect or pandas (flows/unchanged.py)
        summary = unchanged_run(str(settings.warehouse_path), table or None, build=True) if no_pull else None
        if summary is None:
            from flows import prefect_server

            pipeline = load_pipeline()
            with prefect_server.api():
                summary = pipeline(warehouse=str(settings.warehouse_path), tables=table or None, pull=not no_pull)
    except Exception as error:  # the flow records its own failures; this is the last line of defence
        if debug:
            raise
        errors.print(f"imon run failed: {type(error).__name__}: {error}\n"
                     "The warehouse keeps its previous state. Run again with --debug for the full traceback.",
                     style="red", markup=False, highlight=False)
        raise typer.Exit(1)
    _print_summary(summary)
    raise typer.Exit(summary.exit_code)


def load_pipeline():
    """The pipeline flow, imported (with GX) while Prefect's temporary server, when one is needed, starts in its
    own process (flows/prefect_server.py); the flow call then goes inside `prefect_server.api()`."""
    from flows import prefect_server

    prefect_server.start()
    from flows.pipeline import pipeline
    from warehouse.quality import import_great_expectations

    import_great_expectations()
    return pipeline


def _print_summary(summary) -> None:
    """The end-of-run summary: one row per table, then what needs attention, then the indicators."""
    counts = {status: [t for t in summary.tables if t.status == status]
              for status in ("loaded", "unchanged", "rejected", "failed", "not delivered")}
    table = Table(title=f"Run {summary.run_id} ({summary.mode})")
    for column in ("table", "source", "status", "rows", "validation"):
        table.add_column(column)
    for t in summary.tables:
        check = {"loaded": "passed" + (f" ({len(t.warnings)} warning{'s' if len(t.warnings) > 1 else ''})" if t.warnings else ""),
                 "unchanged": "raw files unchanged", "rejected": "[red]blocked[/red]", "failed": "[red]not fetched[/red]",
                 "not delivered": "optional county file not delivered"}[t.status]
        style = {"loaded": "green", "unchanged": "dim", "rejected": "red", "failed": "red", "not delivered": "dim"}[t.status]
        table.add_row(t.name, t.label, f"[{style}]{t.status}[/{style}]", f"{t.rows:,}" if t.rows else "", check)
    console.print(table)
    for t in summary.tables:
        if t.status in ("rejected", "failed"):
            errors.print(f"{t.name}: {t.message}", style="red", markup=False, highlight=False)
        for warning in t.warnings:
            console.print(f"warning {t.name}: {warning}", style="yellow", markup=False, highlight=False)
    bad = counts["rejected"] + counts["failed"]
    console.print(f"tables: {len(counts['loaded'])} loaded, {len(counts['unchanged'])} unchanged, {len(bad)} rejected or failed"
                  + (f", {len(counts['not delivered'])} optional county files not delivered" if counts["not delivered"] else ""))
    if summary.build_error:
        errors.print(f"models: build failed, previous build kept: {summary.build_error}", style="red", markup=False)
    else:
        console.print("models: " + (f"{summary.models_built} built" if summary.models_built is not None else "up to date, not rebuilt"))
    if summary.indicators:
        by_indicator: dict[str, list[str]] = {}
        for indicator_id, level, regions in summary.indicators:
            by_indicator.setdefault(indicator_id, []).append(f"{regions} {level}")
        console.print(f"indicators: {len(by_indicator)} computed")
        for indicator_id, parts in by_indicator.items():
            console.print(f"  {indicator_id:18} values for {', '.join(parts)}")
    for table in summary.withheld:
        errors.print(f"{table}: failed its checks; readers keep the previously published version", style="red", markup=False)
    console.print(f"warehouse: {summary.warehouse_path}")
    console.print(f"published: {summary.published}" if summary.published else "published: nothing new (readers keep the current snapshot)")
    if summary.data_docs:
        console.print(f"validation report (Great Expectations Data Docs): {summary.data_docs.as_uri()}")
    if bad:
        errors.print("[red]Tables above were not loaded; the warehouse keeps their previous data. "
                     "Details: `imon status` and `imon validation`.[/red]")


@app.command()
def pull(
    warehouse: Optional[Path] = WarehouseOption,
    table: Optional[list[str]] = typer.Option(None, "--table", "-t", help="Only this table (repeatable)."),
) -> None:
    """Fetch the configured tables into the landing zone only (no validation, no load)."""
    from flows.pipeline import pull_table
    from sources.catalog import load_table_specs
    from sources.errors import SourceError

    settings = load_settings(warehouse=warehouse)
    failed = False
    rows = []
    for spec in load_table_specs(settings.tables_file):
        if table and spec.name not in table:
            continue
        try:
            for landed in pull_table.fn(spec, settings):
                rows.append((spec.name, spec.label, "unchanged" if landed.unchanged else "new",
                             f"{landed.size:,}", landed.sha256[:12], str(landed.path)))
        except SourceError as error:
            failed = True
            rows.append((spec.name, spec.label, "failed", "", "", str(error)))
    _print_rows("Landing zone", ["table", "source", "content", "bytes", "sha256", "file"], rows)
    raise typer.Exit(1 if failed else 0)


@app.command()
def build(warehouse: Optional[Path] = WarehouseOption) -> None:
    """Rebuild every SQL model from the raw tables already loaded."""
    from warehouse.connection import connect
    from warehouse.models import ModelError, build_models

    settings = load_settings(warehouse=warehouse)
    connection = connect(settings.warehouse_path)
    try:
        built = build_models(connection, settings.sql_dir, run_id="manual-build",
                             variables=settings.model_variables())
    except ModelError as error:
        errors.print(str(error), style="red", markup=False)
        raise typer.Exit(1)
    finally:
        connection.close()
    _print_rows("Models built", ["model", "rows"], [(name, f"{rows:,}") for name, rows in built])
    # a formula changed without a version bump is an error here already, not only when publishing
    from flows.cli_review import compute_diff, print_diff

    review = compute_diff(warehouse)
    if review.errors:
        print_diff(review)
        raise typer.Exit(1)
    console.print(f"against the published snapshot: {review.summary()} (details: `imon diff`)", markup=False, highlight=False)


@app.command()
def status(
    warehouse: Optional[Path] = WarehouseOption,
    indicator: Optional[str] = typer.Option(None, "--indicator", "-i", help="What a published indicator rests on: its source tables, raw files and runs."),
) -> None:
    """What is loaded, from which raw files, and when; and the last runs."""
    if indicator:
        _indicator_lineage(indicator.upper(), warehouse)
        return
    connection = _connect_read_only(warehouse, published=False)
    files = connection.execute(
        """
        SELECT f.table_name, f.source || ' ' || f.table_code, f.path, left(f.sha256, 12), f.fetched_at::VARCHAR,
               l.recorded_at::VARCHAR, (SELECT count(*) FROM duckdb_tables() t WHERE t.schema_name = 'raw' AND t.table_name = f.table_name)
        FROM meta.raw_file f
        LEFT JOIN (SELECT table_name, max(recorded_at) AS recorded_at FROM meta.table_load WHERE status = 'loaded' GROUP BY ALL) l
          USING (table_name)
        ORDER BY f.table_name
        """
    ).fetchall()
    _print_rows("Loaded tables and their raw files", ["table", "source", "raw file", "sha256", "fetched", "loaded", "in raw"],
                [r[:6] + (("yes" if r[6] else "missing"),) for r in files])
    runs = connection.execute(
        "SELECT run_id, mode, outcome, started_at::VARCHAR, finished_at::VARCHAR, coalesce(message, '') "
        "FROM meta.run ORDER BY started_at DESC LIMIT 5"
    ).fetchall()
    _print_rows("Last runs", ["run", "mode", "outcome", "started", "finished", "message"], runs)
    problems = connection.execute(
        """
        SELECT table_name, status, message FROM meta.table_load
        WHERE run_id = (SELECT run_id FROM meta.run ORDER BY started_at DESC LIMIT 1) AND status IN ('rejected', 'failed')
        """
    ).fetchall()
    if problems:
        _print_rows("Not loaded in the last run (previous data kept)", ["table", "status", "why"], problems)
    from warehouse.review import publications

    _print_rows("Last publishes (meta.publish_log)", ["published", "run", "by", "via", "replaced", "indicator diff"],
                [tuple(p.values()) for p in publications(connection)])
    _operations_status(connection, warehouse)


def _operations_status(connection, warehouse: Optional[Path]) -> None:
    """The latest run's outcome per table, the published snapshot, and the Prefect server's imon runs if one is set."""
    from warehouse.publish import current_snapshot, snapshots

    outcomes = connection.execute(
        """
        SELECT table_name, status, coalesce(row_count::VARCHAR, ''), coalesce(left(message, 120), '') FROM meta.table_load
        WHERE run_id = (SELECT run_id FROM meta.run ORDER BY started_at DESC LIMIT 1) ORDER BY table_name
        """
    ).fetchall()
    _print_rows("Tables in the last run", ["table", "outcome", "rows", "message"], outcomes)
    settings = load_settings(warehouse=warehouse)
    current = current_snapshot(settings.published_dir)
    entry = next((s for s in snapshots(settings.published_dir) if current and s.file == current.name), None)
    console.print(f"published snapshot: {current.name} (run {entry.run_id if entry else '?'}, "
                  f"{entry.published_at if entry else '?'})" if current else "published snapshot: none yet")
    if os.environ.get("PREFECT_API_URL"):
        from flows.operations import recent_runs

        try:
            runs = recent_runs()
        except Exception as error:  # the server may be down; the warehouse view above stands on its own
            errors.print(f"Prefect server {os.environ['PREFECT_API_URL']} not reachable: {error}", style="yellow",
                         markup=False)
            return
        _print_rows("Runs on the Prefect server", ["run", "deployment", "state", "started", "ended", "message"], runs)


def _indicator_lineage(indicator: str, warehouse: Optional[Path]) -> None:
    """Published snapshot → indicator definition → source tables → raw files (sha256) → the runs that loaded them."""
    from warehouse.publish import snapshot_label

    connection = _connect_read_only(warehouse)
    entry = connection.execute(
        "SELECT name_en, version, sources, sql_file FROM marts.indicator_catalog WHERE indicator_id = ?", [indicator]
    ).fetchone()
    if not entry:
        errors.print(f"no indicator {indicator} in the published catalogue (see `imon catalog`)", style="red", markup=False)
        raise typer.Exit(2)
    name, version, sources, sql_file = entry
    console.print(f"{indicator} version {version}: {name}  (sql/indicators/{sql_file})")
    console.print(f"published snapshot: run {snapshot_label(connection) or 'not published, working warehouse'}")
    codes = [part.split()[-1] for part in sources.strip("[]").replace("'", "").split(",") if part.strip()]
    rows = connection.execute(
        """
        SELECT f.table_code, f.source, f.table_name, f.path, f.sha256, f.fetched_at::VARCHAR, f.synthetic, f.loaded_run_id
        FROM meta.raw_file f WHERE list_contains(?, f.table_code) ORDER BY f.table_code
        """,
        [codes],
    ).fetchall()
    _print_rows(f"{indicator} rests on", ["table", "source", "raw table", "raw file", "sha256", "fetched", "synthetic", "loaded in run"], rows)


@app.command()
def validation(warehouse: Optional[Path] = WarehouseOption) -> None:
    """The latest validation results per table: failed expectations first."""
    connection = _connect_read_only(warehouse, published=False)
    rows = connection.execute(
        """
        WITH latest AS (
            SELECT table_name, max(run_id) AS run_id FROM meta.validation_result GROUP BY table_name
        )
        SELECT v.table_name, v.expectation, coalesce(v.column_name, ''), v.severity,
               CASE WHEN v.success THEN 'passed' ELSE 'FAILED' END, coalesce(v.unexpected_count::VARCHAR, ''),
               coalesce(left(v.examples::VARCHAR, 120), '')
        FROM meta.validation_result v JOIN latest USING (table_name, run_id)
        ORDER BY v.success, v.table_name, v.expectation
        """
    ).fetchall()
    _print_rows("Latest validation per table", ["table", "expectation", "column", "severity", "result", "failing rows", "examples"], rows)


@app.command()
def sql(
    query: str = typer.Argument(..., help="One SELECT or WITH statement."),
    warehouse: Optional[Path] = WarehouseOption,
    csv: Optional[Path] = typer.Option(None, "--csv", help="Write the result to this CSV file instead of printing it."),
    limit: int = typer.Option(200, help="Rows to print (CSV output is never cut)."),
) -> None:
    """Run a read-only query against the warehouse."""
    import duckdb

    connection = _connect_read_only(warehouse)
    try:
        relation = connection.sql(query)
    except duckdb.Error as error:
        errors.print(str(error), style="red", markup=False)
        raise typer.Exit(1)
    if relation is None:
        errors.print("[red]not a query: imon sql runs one SELECT or WITH statement[/red]")
        raise typer.Exit(1)
    if csv:
        relation.write_csv(str(csv))
        errors.print(f"wrote {csv}")
        return
    _print_rows(None, relation.columns, relation.limit(limit).fetchall())


def _normalise_region(region: str) -> tuple[str, str]:
    """A key as users type it → (ags, level): 09 Land, 09162 Kreis, 09162000 Gemeinde, DG Germany."""
    region = region.strip()
    if region.upper() in ("DG", "DE", "0", "00000000"):
        return "00000000", "deutschland"
    levels = {2: "land", 3: "regierungsbezirk", 5: "kreis", 8: "gemeinde"}
    if not region.isdigit() or len(region) not in levels:
        raise typer.BadParameter("give a Land (09), Kreis (09162) or Gemeinde (09162000) key")
    return region.ljust(8, "0"), levels[len(region)]


@app.command()
def indicators(
    region: str = typer.Option(..., "--region", "-r", help="Region key: Land 09, Kreis 09162, Gemeinde 09162000."),
    indicator: Optional[str] = typer.Option(None, "--indicator", "-i", help="Only this indicator id, e.g. ARB06."),
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """Indicator values of one region next to its Land and Germany."""
    ags, level = _normalise_region(region)
    connection = _connect_read_only(warehouse)
    name = connection.execute("SELECT name FROM core.region WHERE ags = ? AND level = ?", [ags, level]).fetchone()
    if not name:
        errors.print(f"[red]no {level} with key {region} in the register[/red]")
        raise typer.Exit(2)
    rows = connection.execute(
        """
        WITH mine AS (
            SELECT * FROM marts.indicator_value WHERE ags = ? AND level = ? AND (? IS NULL OR indicator_id = upper(?))
        )
        SELECT m.indicator_id, c.name_en, m.period, m.value, land.value, germany.value, c.unit,
               concat_ws(' ', m.flag, CASE WHEN m.is_synthetic THEN 'SYNTHETIC (generated offline data, not official)' END)
        FROM mine m
        JOIN marts.indicator_catalog c USING (indicator_id)
        LEFT JOIN marts.indicator_value land
          ON land.indicator_id = m.indicator_id AND land.period = m.period AND land.level = 'land'
         AND land.ags = left(m.ags, 2) || '000000'
        LEFT JOIN marts.indicator_value germany
          ON germany.indicator_id = m.indicator_id AND germany.period = m.period AND germany.level = 'deutschland'
        ORDER BY m.indicator_id, m.period
        """,
        [ags, level, indicator, indicator],
    ).fetchall()
    if not rows:
        errors.print(f"no indicator values for {name[0]} ({level} {region})")
        raise typer.Exit(1)
    _print_rows(f"{name[0]} ({level} {region})", ["indicator", "name", "period", "value", "Land", "Germany", "unit", "flag"], rows)
    if any("SYNTHETIC" in (row[-1] or "") for row in rows):
        errors.print("Rows marked SYNTHETIC rest on data generated for the offline sample, not on official statistics.",
                     style="yellow", markup=False)


@app.command()
def regions(
    region: str = typer.Argument(..., help="Key: Land 09, Kreis 09162, Gemeinde 09162000, Berlin Bezirk 11001001; or part of a name."),
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """A region: its parents, its history across register editions, and where its key goes on the target Gebietsstand."""
    connection = _connect_read_only(warehouse)
    if region.isdigit():
        key = region.ljust(8, "0") if len(region) <= 8 else region
        matches = connection.execute(
            "SELECT ags, level FROM core.region_crosswalk WHERE ags = ? OR ags = ? GROUP BY ALL ORDER BY level", [key, region]
        ).fetchall()
        if len(region) == 5:
            matches = [m for m in matches if m[1] == "kreis"] or matches
    else:
        matches = connection.execute(
            "SELECT ags, level FROM core.region WHERE name ILIKE ? ORDER BY level, ags LIMIT 20", [f"%{region}%"]
        ).fetchall()
    if not matches:
        errors.print(f"no region {region} in the register, its history or the curated regions", style="red", markup=False)
        raise typer.Exit(2)
    for ags, level in matches:
        current = connection.execute(
            """
            SELECT r.name, r.ars, r.territorial_date, land.name, kreis.name, r.population
            FROM core.region r
            LEFT JOIN core.region land ON land.ags = r.land_ags AND land.level = 'land'
            LEFT JOIN core.region kreis ON kreis.ags = r.kreis_ags AND kreis.level = 'kreis' AND r.level <> 'kreis'
            WHERE r.ags = ? AND r.level = ?
            """, [ags, level]).fetchone()
        if current:
            name, ars, territorial_date, land, kreis, population = current
            console.print(f"[bold]{name}[/bold]  {level} {ags}" + (f"  ARS {ars}" if ars else "")
                          + f"  (Gebietsstand {territorial_date})")
            console.print("  in " + ", ".join(p for p in (kreis, land) if p) if (kreis or land) else "  Germany",
                          highlight=False)
            if population:
                console.print(f"  population (register): {population:,}")
        else:
            console.print(f"[bold]{ags}[/bold] ({level}): no longer exists on the target Gebietsstand")
        history = connection.execute(
            "SELECT coalesce(name, ''), first_edition::VARCHAR, last_edition::VARCHAR, coalesce(valid_from::VARCHAR, 'known before'), "
            "coalesce(valid_to::VARCHAR, 'still valid') FROM core.region_history WHERE ags = ? AND level = ?", [ags, level]).fetchall()
        if history:
            _print_rows("history", ["name", "first edition", "last edition", "valid from", "valid until"], history)
        targets = connection.execute(
            """
            SELECT x.target_ags, coalesce(t.name, ''), x.weight, x.via, coalesce(c.change_date::VARCHAR, ''), coalesce(c.source, '')
            FROM core.region_crosswalk x
            LEFT JOIN core.region t ON t.ags = x.target_ags AND t.level = x.level
            LEFT JOIN staging.territorial_changes c ON c.old_ags = x.ags AND c.level = x.level
            WHERE x.ags = ? AND x.level = ?
            """, [ags, level]).fetchall()
        predecessors = connection.execute(
            "SELECT x.ags, x.weight, x.via FROM core.region_crosswalk x WHERE x.target_ags = ? AND x.level = ? AND x.ags <> x.target_ags",
            [ags, level]).fetchall()
        if targets and targets[0][3] != "identity":
            _print_rows("counts go to (target Gebietsstand)", ["target", "name", "weight", "via", "change", "source"], targets)
        if predecessors:
            _print_rows("former keys counted here", ["former key", "weight", "via"], predecessors)


@app.command()
def catalog(
    warehouse: Optional[Path] = WarehouseOption,
    markdown: Optional[Path] = typer.Option(None, "--markdown", help="Write the catalogue as a Markdown page to this file (from the SQL headers, no warehouse needed)."),
) -> None:
    """The indicator catalogue: id, name, unit, sources."""
    if markdown:
        from warehouse.catalog_page import catalog_markdown
        from warehouse.models import ModelError

        try:
            page = catalog_markdown(load_settings().sql_dir)
        except ModelError as error:  # a broken header: the file and the YAML error, no traceback, no page written
            errors.print(str(error), style="red", markup=False)
            raise typer.Exit(1)
        markdown.write_text(page, encoding="utf-8")
        errors.print(f"wrote {markdown}")
        return
    connection = _connect_read_only(warehouse)
    history = ("(SELECT string_agg(e->>'version' || ': ' || (e->>'change'), '; ') FROM unnest(json_extract(changelog, '$[*]')) AS t(e))"
               if "changelog" in {c[0] for c in connection.execute("DESCRIBE marts.indicator_catalog").fetchall()} else "''")
    rows = connection.execute(
        "SELECT indicator_id, version, name_en, unit, sources, CASE WHEN is_synthetic THEN 'SYNTHETIC offline data' ELSE '' END, "
        f"sql_file, coalesce({history}, '') FROM marts.indicator_catalog ORDER BY indicator_id"
    ).fetchall()
    _print_rows("Indicator catalogue", ["id", "version", "name", "unit", "sources", "data", "file", "version history"], rows)


def _refuse(error: ValueError) -> NoReturn:
    """A wrong argument: its message in red, exit code 2, before anything is contacted or changed."""
    errors.print(str(error), style="red", markup=False, highlight=False)
    raise typer.Exit(2)


def _require_prefect_server() -> None:
    """Exit 2 with where to point it when no Prefect server is configured."""
    if not os.environ.get("PREFECT_API_URL"):
        errors.print("PREFECT_API_URL is not set: point it at the Prefect server (e.g. http://127.0.0.1:4200/api); "
                     "see README, Running at a state office", style="red", markup=False)
        raise typer.Exit(2)


@app.command()
def deploy(
    pool: str = typer.Option("imon", "--pool", help="Prefect work pool (a process pool, created if missing); "
                             "run its worker with `prefect worker start --pool NAME`."),
    cron: Optional[str] = typer.Option(None, help="When imon/monthly runs (cron, Europe/Berlin). Default from "
                                       "prefect.yaml: 05:00 on the 2nd of every month."),
    updates_cron: Optional[str] = typer.Option(None, "--updates-cron", help="When imon/updates asks the sources for "
                                               "changes (cron, Europe/Berlin). Default from prefect.yaml: 06:00 daily."),
    webhook_url: Optional[str] = typer.Option(None, "--webhook-url", envvar="IMON_ALERT_WEBHOOK_URL",
                                              help="Where failed and recovered runs are reported (saved as the "
                                                   "Prefect block imon-alerts; without it an existing block is used)."),
) -> None:
    """Register imon/monthly, imon/updates and imon/backfill on the Prefect server at PREFECT_API_URL, and return."""
    from flows.deploy import check_cron, deploy as register

    try:
        check_cron(cron, "--cron")
        check_cron(updates_cron, "--updates-cron")
    except ValueError as error:
        _refuse(error)
    _require_prefect_server()
    done = register(pool, settings=load_settings(), cron=cron, updates_cron=updates_cron, webhook_url=webhook_url)
    console.print(f"work pool {done.pool}: {'created' if done.pool_created else 'exists'}")
    for name in done.limits_created:
        console.print(f"global concurrency limit {name}: created")
    for name, deployment_id in done.deployments.items():
        console.print(f"deployment {name}: {deployment_id}")
    console.print("alerts: " + ("automations send failed and recovered runs to the block imon-alerts" if done.alerts
                                else "none (give --webhook-url to be told when a run fails)"))
    console.print(f"start a worker: prefect worker start --pool {done.pool}")


@app.command()
def backfill(
    first_year: int = typer.Argument(..., metavar="FIRST_YEAR", help="First reference year (1950-2100)."),
    last_year: int = typer.Argument(..., metavar="LAST_YEAR", help="Last reference year, not before FIRST_YEAR (1950-2100)."),
    table: Optional[list[str]] = typer.Option(None, "--table", "-t", help="Only this table (repeatable); default: "
                                              "every service table of sources/tables.yaml."),
    warehouse: Optional[Path] = typer.Option(None, "--warehouse", "-w", help="DuckDB file the run writes (default: "
                                             "the worker's $IMON_WAREHOUSE)."),
) -> None:
    """Start a run of imon/backfill on the Prefect server: one pull per reference year from FIRST_YEAR to LAST_YEAR.

    The years and tables are checked here first: a wrong range (first after last, outside 1950-2100) or an
    unknown table stops with exit code 2 and no run is created. The run waits for a worker of the deployment's pool.
    """
    import os

    from flows.operations import check_backfill, table_names

    try:
        years = check_backfill(first_year, last_year, table, table_names(load_settings()))
    except ValueError as error:
        _refuse(error)
    _require_prefect_server()
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    parameters: dict = {"first_year": first_year, "last_year": last_year}
    if table:
        parameters["tables"] = list(table)
    if warehouse:
        parameters["warehouse"] = str(warehouse.resolve())
    try:
        run = run_deployment("imon/backfill", parameters=parameters, timeout=0)
    except ObjectNotFound:
        errors.print(f"no deployment imon/backfill on {os.environ['PREFECT_API_URL']}: run `imon deploy` first",
                     style="red", markup=False)
        raise typer.Exit(1)
    console.print(f"flow run {run.name} ({run.id}) of imon/backfill: years {years[0]}-{years[-1]} "
                  f"({len(years)} run{'s' if len(years) > 1 else ''}), tables: {', '.join(table) if table else 'all'}",
                  markup=False, highlight=False)


# --- sub-commands from their own modules (one line each) -----------------------------------------
from flows import cli_sources; app.add_typer(cli_sources.app, name="sources")  # noqa: E402,E702
from flows import cli_service; cli_service.register(app)  # serve, publish, keys  # noqa: E402,E702
from flows import cli_reconcile; cli_reconcile.register(app)  # reconcile  # noqa: E402,E702
from flows import cli_review; app.command()(cli_review.diff)  # diff  # noqa: E402,E702
from flows import cli_maps; cli_maps.register(app)  # map  # noqa: E402,E702
from flows import cli_lake; app.add_typer(cli_lake.app, name="lake")  # noqa: E402,E702
from flows import cli_reports; cli_reports.register(app)  # report  # noqa: E402,E702
# --- end of sub-commands ---------------------------------------------------------------------------


_exit_code = 0


def _exit_without_teardown() -> None:
    """The last exit hook: end the process without tearing down every module and object (1.4 s after an
    `imon run`, measured 2026-12-07), once Prefect has sent its last events and its server has stopped."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_code)


def console_script(command) -> int:
    """Run `command` (the app, or a benchmark's child) as the console script does: its status, the usual exit
    hooks, then a quick exit with that status."""
    global _exit_code
    atexit.register(_exit_without_teardown)  # registered first, so it runs after every hook the command adds
    try:
        returned = command()
        _exit_code = returned if isinstance(returned, int) else 0
    except SystemExit as done:  # how click ends every command
        if isinstance(done.code, str):
            print(done.code, file=sys.stderr)
        _exit_code = 1 if isinstance(done.code, str) else done.code or 0
    except KeyboardInterrupt:
        _exit_code = 130
        raise
    except BaseException:
        _exit_code = 1  # Python prints the traceback, then the exit hooks run
        raise
    return _exit_code


def main() -> int:
    """The `imon` console script."""
    return console_script(app)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
