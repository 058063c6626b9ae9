"""Indicator review before publishing: `imon diff`, the version check, the publish record, the version history."""

from __future__ import annotations

import getpass
import json
import shutil

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.settings import PROJECT_ROOT
from warehouse.models import build_models, discover_models, downstream
from warehouse.publish import current_snapshot, open_snapshot
from warehouse.review import diff_files

runner = CliRunner()
ARB06 = "arb06_foreign_share_of_unemployed.sql"
NUMERATOR = "max(value) FILTER (WHERE person_group = 'foreign') AS numerator"


def test_a_fresh_build_diffs_as_no_changes(built):
    summary, directory = built
    diff = diff_files(summary.warehouse_path, directory / "published")
    assert diff.published == summary.run_id
    assert not diff.has_changes and not diff.errors
    assert diff.summary() == f"no changes ({len(diff.indicators)} unchanged)"
    assert {i.status for i in diff.indicators} == {"unchanged"} and len(diff.indicators) > 40
    result = runner.invoke(app, ["diff", "--fail-on-change", "-w", str(summary.warehouse_path)],
                           env={"IMON_PUBLISHED_DIR": str(directory / "published")})
    assert result.exit_code == 0, result.output
    assert "no changes" in result.output


def test_the_flow_recorded_its_publish_with_the_diff(built):
    summary, directory = built
    working = duckdb.connect(str(summary.warehouse_path), read_only=True)
    rows = working.execute("SELECT run_id, operator, via, previous_snapshot, summary, diff FROM meta.publish_log").fetchall()
    catalogued = working.execute("SELECT count(*) FROM marts.indicator_catalog").fetchone()[0]
    working.close()
    assert len(rows) == 1
    run_id, operator, via, previous, line, document = rows[0]
    assert (run_id, operator, via, previous) == (summary.run_id, getpass.getuser(), "flow", None)
    assert line == f"{catalogued} added"  # the first publish: every indicator is new
    assert json.loads(document)["counts"]["added"] == catalogued
    snapshot = open_snapshot(directory / "published")  # the snapshot carries its own record
    assert snapshot.execute("SELECT run_id, summary FROM meta.publish_log").fetchall() == [(summary.run_id, line)]
    snapshot.close()


def _replace(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _rebuild(warehouse, sql, changed: set[str], raw_tables: set[str] = frozenset()) -> None:
    """Rebuild the changed indicator models and those downstream of the changed raw tables; marts always."""
    models = discover_models(sql)
    rebuild = {m.qualified_name for m in models if m.path.name in changed} | downstream(models, {f"raw.{t}" for t in raw_tables})
    connection = duckdb.connect(str(warehouse))
    try:
        build_models(connection, sql, run_id="review", variables={"min_denominator": 50}, rebuild=rebuild)
    finally:
        connection.close()


@pytest.fixture(scope="module")
def reviewed(built, tmp_path_factory):
    """A copy of the built warehouse after a review: one indicator retired, one added, two formulas changed (one
    without a version bump), one header reworded and one source table corrected; with the published values before."""
    summary, directory = built
    folder = tmp_path_factory.mktemp("review")
    shutil.copytree(directory / "published", folder / "published")
    warehouse = folder / "imon.duckdb"
    shutil.copy(summary.warehouse_path, warehouse)
    sql = folder / "sql"
    shutil.copytree(PROJECT_ROOT / "sql", sql)
    indicators = sql / "indicators"
    (indicators / "soz05_minimum_income_rate.sql").unlink()  # retired
    new = (indicators / ARB06).read_text(encoding="utf-8").replace("id: ARB06", "id: ARB99")
    (indicators / "arb99_foreign_share_of_unemployed_copy.sql").write_text(new, encoding="utf-8")  # added
    # ARB06: the numerator counted twice, version still 1 (the mistake the check catches)
    _replace(indicators / ARB06, NUMERATOR, NUMERATOR.replace(" AS numerator", " * 2 AS numerator"))
    # DEM01: the same kind of change, with a version bump and a changelog line
    dem01 = indicators / "dem01_foreign_share.sql"
    _replace(dem01, "version: 1", "version: 2\nchangelog:\n  - \"2 (2026-12-04): numerator counted twice, for the test\"\n"
             "  - \"1: first version\"")
    text = dem01.read_text(encoding="utf-8")
    body_start = text.index("*/")
    numerator_line = next(line for line in text[body_start:].splitlines() if line.strip().endswith("AS numerator,"))
    dem01.write_text(text[:body_start] + text[body_start:].replace(
        numerator_line, numerator_line.replace(" AS numerator,", " * 2 AS numerator,"), 1), encoding="utf-8")
    # ARB04: a reworded caveat only
    _replace(indicators / "arb04_unemployment_rate_of_foreigners.sql", "caveats: Published rates", "caveats: Published BA rates")
    before = duckdb.connect(str(warehouse), read_only=True)
    published = {(i, a, l, p): (v, n, d) for i, a, l, p, v, n, d in before.execute(
        "SELECT indicator_id, ags, level, period, value, numerator, denominator FROM marts.indicator_value").fetchall()}
    before.close()
    connection = duckdb.connect(str(warehouse))
    # a corrected source figure: AsylbLG recipients of München (09162) on 31.12.2024, 9362 -> 10362
    changed = connection.execute(
        "UPDATE raw.asylum_seekers_benefits SET value = value + 1000 WHERE region_key = '09162' "
        "AND reference_time = '2024-12-31' AND ges IS NULL AND value = 9362 RETURNING value").fetchall()
    connection.close()
    assert changed == [(10362.0,)]
    _rebuild(warehouse, sql, {ARB06, "arb99_foreign_share_of_unemployed_copy.sql", "dem01_foreign_share.sql",
                              "arb04_unemployment_rate_of_foreigners.sql"}, {"asylum_seekers_benefits"})
    return folder, warehouse, sql, published


def _diff(reviewed, threshold=1.0):
    folder, warehouse, _, _ = reviewed
    diff = diff_files(warehouse, folder / "published", threshold=threshold)
    return diff, {i.indicator_id: i for i in diff.indicators}


def test_the_review_gives_one_row_per_indicator_with_the_expected_status(reviewed):
    diff, by_id = _diff(reviewed)
    _, _, _, published = reviewed
    statuses = {i: d.status for i, d in by_id.items() if d.status != "unchanged"}
    assert statuses == {"SOZ05": "retired", "ARB99": "added", "ARB06": "changed values", "DEM01": "changed definition",
                        "ARB04": "changed definition", "SOZ04": "changed values"}
    assert by_id["SOZ05"].rows_before == sum(1 for key in published if key[0] == "SOZ05") and by_id["SOZ05"].rows_after == 0
    assert by_id["ARB99"].rows_after == sum(1 for key in published if key[0] == "ARB06") and by_id["ARB99"].rows_before == 0
    assert by_id["ARB04"].changed_fields == ["caveats"] and not by_id["ARB04"].values_changed and not by_id["ARB04"].sql_changed
    assert by_id["DEM01"].changed_fields == ["changelog"] and (by_id["DEM01"].version_before, by_id["DEM01"].version_after) == (1, 2)
    assert by_id["DEM09"].status == "unchanged" and by_id["DEM09"].sql_changed is False
    assert diff.counts == {"added": 1, "retired": 1, "changed definition": 2, "changed values": 2,
                           "unchanged": len(by_id) - 6}


def test_a_formula_changed_without_a_version_bump_is_an_error(reviewed):
    diff, by_id = _diff(reviewed)
    _, _, _, published = reviewed
    assert diff.errors == ["values of ARB06 changed but version is still 1"]
    arb06 = by_id["ARB06"]
    assert arb06.sql_changed and arb06.version_before == arb06.version_after == 1
    # München: twice the foreign unemployed over all unemployed
    assert published[("ARB06", "09162000", "kreis", 2023)] == (pytest.approx(100 * 19249 / 39249), 19249, 39249)
    connection = duckdb.connect(str(reviewed[1]), read_only=True)
    now = connection.execute("SELECT value FROM marts.indicator_value WHERE indicator_id = 'ARB06' AND ags = '09162000' "
                             "AND level = 'kreis' AND period = 2023").fetchone()[0]
    connection.close()
    assert now == pytest.approx(100 * 2 * 19249 / 39249)  # 98.1
    # every value doubles, so the largest change is at the largest value, by the value itself, +100 %
    with_value = {key: v for key, (v, _, _) in published.items() if key[0] == "ARB06" and v}
    largest = max(with_value, key=with_value.get)
    change = arb06.largest_absolute
    assert (change.ags, change.level, change.period) == largest[1:]
    assert change.change == pytest.approx(with_value[largest]) and change.after == pytest.approx(2 * with_value[largest])
    assert arb06.largest_relative.relative_change == pytest.approx(1.0)
    # a row changes where its value or its numerator is a count above 0 (a value below the minimum denominator is NULL)
    assert arb06.rows_changed == sum(1 for key, (v, n, _) in published.items() if key[0] == "ARB06" and (v or n))
    assert arb06.rows_added == arb06.rows_removed == 0
    assert arb06.kreise_beyond_threshold == len({key[1] for key in with_value if key[2] == "kreis" and with_value[key] > 1.0})
    # the same change with a version bump is no error
    assert by_id["DEM01"].sql_changed and not by_id["DEM01"].errors and by_id["DEM01"].values_changed


def test_a_corrected_source_table_changes_only_the_values_it_feeds(reviewed):
    _, by_id = _diff(reviewed, threshold=0.5)
    _, _, _, published = reviewed
    soz04 = by_id["SOZ04"]
    assert (soz04.rows_changed, soz04.rows_added, soz04.rows_removed, soz04.errors) == (3, 0, 0, [])
    # München, Bayern and Germany: 1000 more recipients over the same population, per 1,000 inhabitants
    kreis = published[("SOZ04", "09162000", "kreis", 2024)]
    assert kreis[1:] == (9362.0, 1505005.0)
    change = soz04.largest_absolute
    assert (change.ags, change.level, change.period, change.region_name) == ("09162000", "kreis", 2024, "München, Landeshauptstadt")
    assert change.before == pytest.approx(1000 * 9362 / 1505005) and change.after == pytest.approx(1000 * 10362 / 1505005)
    assert change.change == pytest.approx(1000 * 1000 / 1505005)  # 0.66 per 1,000
    assert soz04.largest_relative.relative_change == pytest.approx(1000 / 9362)
    assert soz04.kreise_beyond_threshold == 1  # 0.66 > 0.5; the Land and Germany are no Kreise
    assert _diff(reviewed, threshold=1.0)[1]["SOZ04"].kreise_beyond_threshold == 0


def test_diff_json_is_stable_and_the_exit_codes_follow_the_findings(reviewed):
    folder, warehouse, _, _ = reviewed
    env = {"IMON_PUBLISHED_DIR": str(folder / "published")}
    first = runner.invoke(app, ["diff", "--format", "json", "-w", str(warehouse)], env=env)
    second = runner.invoke(app, ["diff", "--format", "json", "-w", str(warehouse)], env=env)
    assert first.exit_code == 1  # the ARB06 error
    assert first.stdout == second.stdout
    document = json.loads(first.stdout)
    assert list(document) == ["published", "threshold", "summary", "counts", "errors", "notes", "indicators"]
    assert document["notes"] == []  # both sides carry definition hashes
    assert [i["indicator_id"] for i in document["indicators"]] == sorted(i["indicator_id"] for i in document["indicators"])
    assert list(document["indicators"][0]) == [
        "indicator_id", "status", "name_en", "unit", "version_before", "version_after", "changed_fields", "sql_changed",
        "rows_before", "rows_after", "rows_added", "rows_removed", "rows_changed", "largest_absolute", "largest_relative",
        "kreise_beyond_threshold", "errors", "notes"]
    soz04 = next(i for i in document["indicators"] if i["indicator_id"] == "SOZ04")
    assert soz04["largest_absolute"]["ags"] == "09162000" and soz04["largest_absolute"]["period"] == 2024
    markdown = runner.invoke(app, ["diff", "--format", "markdown", "-w", str(warehouse)], env=env)
    assert "## Errors to resolve before publishing" in markdown.stdout
    assert "- values of ARB06 changed but version is still 1" in markdown.stdout
    assert "| SOZ05 " in markdown.stdout and "retired" in markdown.stdout


def test_a_snapshot_without_definition_hashes_cannot_tell_whether_a_definition_changed(reviewed, tmp_path):
    """Snapshots published before the catalogue had definition_sha256: the diff says it cannot tell, not 'unchanged'."""
    folder, warehouse, _, _ = reviewed
    shutil.copytree(folder / "published", tmp_path / "published")
    older = duckdb.connect(str(current_snapshot(tmp_path / "published")))
    older.execute("ALTER TABLE marts.indicator_catalog DROP COLUMN definition_sha256")
    older.close()
    diff, by_id = _diff((tmp_path, warehouse, None, None))
    both_sides = sorted(i for i, d in by_id.items() if d.status not in ("added", "retired"))
    assert [i for i, d in by_id.items() if d.notes] == both_sides and len(both_sides) > 40
    assert by_id["DEM09"].status == "unchanged" and by_id["DEM09"].sql_changed is None
    assert by_id["DEM09"].notes == [
        "cannot tell whether the definition of DEM09 changed: the published catalogue has no definition_sha256 for it "
        "(built before definitions were hashed), so a formula changed under version 1 would go unnoticed"]
    # ARB06's doubled numerator under version 1 cannot be caught without the hash: no error, but no silence either
    assert diff.errors == [] and by_id["ARB06"].status == "changed values" and by_id["ARB06"].notes
    assert not by_id["ARB99"].notes and not by_id["SOZ05"].notes
    assert diff.summary().endswith(f"; cannot tell whether the definition changed for {len(both_sides)} "
                                   "(no definition_sha256 to compare)")
    env = {"IMON_PUBLISHED_DIR": str(tmp_path / "published")}
    result = runner.invoke(app, ["diff", "--format", "json", "-w", str(warehouse)], env=env)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["notes"] == diff.notes and len(document["notes"]) == len(both_sides)
    assert next(i for i in document["indicators"] if i["indicator_id"] == "DEM09")["notes"] == by_id["DEM09"].notes
    markdown = runner.invoke(app, ["diff", "--format", "markdown", "-w", str(warehouse)], env=env).stdout
    assert "## What this diff cannot tell" in markdown and by_id["ARB06"].notes[0] in markdown
    # the same diff against the snapshot with hashes has no notes
    assert _diff(reviewed)[0].notes == []


def test_publish_refuses_the_error_then_records_who_approved_the_fixed_build(reviewed):
    folder, warehouse, sql, _ = reviewed
    env = {"IMON_PUBLISHED_DIR": str(folder / "published"), "COLUMNS": "200"}
    before = current_snapshot(folder / "published")
    refused = runner.invoke(app, ["publish", "--yes", "-w", str(warehouse)], env=env)
    assert refused.exit_code == 1
    assert "values of ARB06 changed but version is still 1" in refused.output
    assert current_snapshot(folder / "published") == before
    # the state office bumps the version and rebuilds
    _replace(sql / "indicators" / ARB06, "version: 1", "version: 2\nchangelog: [\"2 (2026-12-04): numerator counted twice\"]")
    _rebuild(warehouse, sql, {ARB06})
    fixed = diff_files(warehouse, folder / "published")
    assert not fixed.errors and {i.indicator_id: i.status for i in fixed.indicators}["ARB06"] == "changed definition"
    published = runner.invoke(app, ["publish", "--yes", "--by", "Referat 23 (Frau Maier)", "-w", str(warehouse)], env=env)
    assert published.exit_code == 0, published.output
    assert "1 added, 1 retired, 3 changed definition, 1 changed values" in published.output
    snapshot = open_snapshot(folder / "published")
    record = snapshot.execute("SELECT run_id, operator, via, previous_snapshot, summary FROM meta.publish_log "
                              "ORDER BY published_at DESC LIMIT 1").fetchone()
    run_id = snapshot.execute("SELECT run_id FROM meta.publication").fetchone()[0]
    from service.profile import ProfileParts, status

    publications = status(snapshot)["publications"]
    history = next(e for e in ProfileParts(snapshot).catalog if e["indicator_id"] == "DEM01")["changelog"]
    snapshot.close()
    assert record == (run_id, "Referat 23 (Frau Maier)", "imon publish", before.name, fixed.summary())
    assert publications[0]["operator"] == "Referat 23 (Frau Maier)" and publications[0]["summary"] == fixed.summary()
    assert history == [{"version": 2, "date": "2026-12-04", "change": "numerator counted twice, for the test"},
                       {"version": 1, "date": None, "change": "first version"}]
    # /api/status over HTTP reports the review record of the snapshot it serves
    try:
        from service_support import ThreadedService, bearer, create_keys, service_settings
    except ImportError:
        from tests.service_support import ThreadedService, bearer, create_keys, service_settings
    import httpx

    service_config = service_settings(folder, warehouse)
    keys = create_keys(service_config, "09162")
    with ThreadedService(service_config) as service:
        served = httpx.get(f"{service.url}/api/status", headers=bearer(keys["09162"]), timeout=60).json()
    assert served["snapshot"] == run_id
    assert {k: served["publications"][0][k] for k in ("run_id", "operator", "via", "previous_snapshot", "summary")} == {
        "run_id": run_id, "operator": "Referat 23 (Frau Maier)", "via": "imon publish", "previous_snapshot": before.name,
        "summary": fixed.summary()}
    shown = runner.invoke(app, ["status", "-w", str(warehouse)], env=env)
    assert shown.exit_code == 0 and "Maier" in shown.output  # the table may wrap the name
    # the new snapshot is what the working warehouse now diffs against
    assert not diff_files(warehouse, folder / "published").has_changes


def test_the_flow_run_keeps_the_diff_as_its_artifact_and_in_its_log(built, built_prefect_api):
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, LogFilter, LogFilterFlowRunId

    from flows.review import ARTIFACT_KEY

    summary, _ = built
    working = duckdb.connect(str(summary.warehouse_path), read_only=True)
    line = working.execute("SELECT summary FROM meta.publish_log WHERE run_id = ?", [summary.run_id]).fetchone()[0]
    working.close()
    from prefect.settings import PREFECT_API_URL, temporary_settings

    # the run's records, on a Prefect server started on its Prefect home (the run may have been on another worker)
    with temporary_settings({PREFECT_API_URL: built_prefect_api}), get_client(sync_client=True) as client:
        artifacts = [artifact for artifact in client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[ARTIFACT_KEY])))
            if client.read_flow_run(artifact.flow_run_id).parameters.get("warehouse") == str(summary.warehouse_path)]
        assert len(artifacts) == 1
        assert artifacts[0].description == line
        assert artifacts[0].data.startswith(f"# Indicator diff against nothing published\n\n**{line}**")
        # the run log is sent to the server in the background: poll it, with a deadline
        expected = ("imon.review", f"indicator diff against nothing published: {line}")
        deadline, logged = time.monotonic() + 60, []
        while expected not in logged and time.monotonic() < deadline:
            logged = [(log.name, log.message) for log in client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[artifacts[0].flow_run_id])))]
            time.sleep(0.5)
        assert expected in logged


def _toy_warehouse(path):
    """A working warehouse without indicators, with one successful run."""
    connection = duckdb.connect(str(path))
    connection.execute("CREATE SCHEMA meta; CREATE TABLE meta.run AS SELECT 'run-1' AS run_id, now() AS started_at, "
                       "now() AS finished_at, 'offline' AS mode, 'success' AS outcome, NULL::VARCHAR AS message")
    connection.close()
    return path


@pytest.mark.parametrize("answer, exit_code", [(b"n\n", 1), (b"y\n", 0)])
def test_an_interactive_publish_asks_before_publishing(tmp_path, answer, exit_code):
    import os
    import subprocess
    import sys
    from pathlib import Path

    warehouse = _toy_warehouse(tmp_path / "imon.duckdb")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("IMON_")}
    environ["IMON_PUBLISHED_DIR"] = str(tmp_path / "published")
    terminal, keyboard = os.openpty()  # a person at a terminal: stdin is a tty
    try:
        process = subprocess.Popen([str(Path(sys.executable).with_name("imon")), "publish", "-w", str(warehouse)],
                                   stdin=keyboard, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=environ)
        os.write(terminal, answer)
        output, _ = process.communicate(timeout=300)
    finally:
        os.close(keyboard)
        os.close(terminal)
    assert process.returncode == exit_code, output
    assert b"Publish these changes?" in output
    if exit_code:
        assert b"not published" in output and current_snapshot(tmp_path / "published") is None
    else:
        snapshot = open_snapshot(tmp_path / "published")
        assert snapshot.execute("SELECT run_id, operator, via FROM meta.publish_log").fetchall() == [
            ("run-1", getpass.getuser(), "imon publish")]
        snapshot.close()


def test_changelog_lines_from_any_header():
    from warehouse.models import ModelError, changelog

    header = {"version": 3, "changelog": ["3 (2026-11-30): denominator on the Zensus 2022 basis",
                                          {"version": 2, "change": "Berlin as one Kreis"}, "1: first version"]}
    assert changelog(header) == [
        {"version": 3, "date": "2026-11-30", "change": "denominator on the Zensus 2022 basis"},
        {"version": 2, "date": None, "change": "Berlin as one Kreis"},
        {"version": 1, "date": None, "change": "first version"}]
    assert changelog({"version": 1}) == []
    with pytest.raises(ModelError, match="x.sql: changelog line 'changed the formula'"):
        changelog({"version": 1, "changelog": ["changed the formula"]}, "x.sql")
    with pytest.raises(ModelError, match="x.sql: changelog names version 2 but the header's version is 1"):
        changelog({"version": 1, "changelog": ["2: ahead of the header"]}, "x.sql")


def test_the_profile_page_and_the_catalogue_show_the_version_history(reviewed, tmp_path):
    import requests

    try:
        from service_support import running_service
        from test_profile_page import browse
    except ImportError:
        from tests.service_support import running_service
        from tests.test_profile_page import browse

    _, warehouse, _, _ = reviewed
    with running_service(tmp_path / "service", warehouse, "reviewed") as service:
        headers = {"Authorization": f"Bearer {service.keys['09162']}"}
        catalogue = requests.get(f"{service.url}/api/catalog", headers=headers, timeout=60).json()
        dem01 = next(entry for entry in catalogue["data"] if entry["indicator_id"] == "DEM01")
        assert json.loads(dem01["changelog"])[0] == {"version": 2, "date": "2026-12-04",
                                                     "change": "numerator counted twice, for the test"}
        result = browse(f"{service.url}/profile/09162#key={service.keys['09162']}", tmp_path / "chromium", "--dump-dom")
    dom = result.stdout
    assert 'data-ready="true"' in dom, (result.stderr[-2000:], dom[:2000])
    assert "<li>Version 2 (2026-12-04): numerator counted twice, for the test</li><li>Version 1: first version</li>" in dom


def _halved_arb06(tmp_path):
    """A copy of sql/ with ARB06's numerator halved (values stay within 0-100, so the audit passes) and version 1."""
    sql = tmp_path / "sql"
    shutil.copytree(PROJECT_ROOT / "sql", sql)
    _replace(sql / "indicators" / ARB06, NUMERATOR, NUMERATOR.replace(" AS numerator", " * 0.5 AS numerator"))
    return sql


def test_imon_build_exits_1_when_the_review_blocks(built_copy, tmp_path, monkeypatch):
    import dataclasses

    from flows import cli

    sql = _halved_arb06(tmp_path)
    settings = cli.load_settings
    monkeypatch.setattr(cli, "load_settings", lambda **kw: dataclasses.replace(settings(**kw), sql_dir=sql))
    env = {"IMON_PUBLISHED_DIR": str(built_copy.parent / "published"), "COLUMNS": "250"}
    result = runner.invoke(app, ["build", "-w", str(built_copy)], env=env)
    assert result.exit_code == 1, result.output
    assert "error: values of ARB06 changed but version is still 1" in result.output
    assert "against the published snapshot" not in result.output


def test_the_flow_does_not_publish_what_the_review_refuses(built, built_copy, tmp_path, monkeypatch):
    """A formula changed under the same version: the flow builds it, the review refuses it, readers keep the old one."""
    import dataclasses

    import httpx

    from flows import pipeline as flow

    try:
        from service_support import ThreadedService, bearer, create_keys, service_settings
    except ImportError:
        from tests.service_support import ThreadedService, bearer, create_keys, service_settings

    sql = _halved_arb06(tmp_path)
    settings = flow.load_settings
    monkeypatch.setattr(flow, "load_settings", lambda **kw: dataclasses.replace(settings(**kw), sql_dir=sql))
    published_dir = built_copy.parent / "published"
    before = current_snapshot(published_dir)
    summary = flow.pipeline(warehouse=str(built_copy), pull=False)  # the landing zone as it is: no replay needed

    assert (summary.published, summary.outcome, summary.withheld) == (None, "rejected", [])
    assert current_snapshot(published_dir) == before
    working = duckdb.connect(str(built_copy), read_only=True)
    message = working.execute("SELECT message FROM meta.run WHERE run_id = ?", [summary.run_id]).fetchone()[0]
    records = working.execute("SELECT run_id, via FROM meta.publish_log").fetchall()
    munich = "SELECT value FROM marts.indicator_value WHERE indicator_id = 'ARB06' AND ags = '09162000' AND period = 2023"
    built_value = working.execute(munich).fetchone()[0]
    working.close()
    assert message == "not published, formula changed without a version bump: values of ARB06 changed but version is still 1"
    assert records == [(built[0].run_id, "flow")]  # no record of a publish that did not happen
    # 13211-02-05-4.csv line 268: München 2023, 19249 foreign of 39249 unemployed; halved in the working warehouse only
    assert built_value == pytest.approx(100 * 0.5 * 19249 / 39249)

    # readers, over HTTP: the snapshot of the first run, its review record, nothing added
    service_config = service_settings(built_copy.parent, built_copy)
    keys = create_keys(service_config, "09162")
    with ThreadedService(service_config) as service, \
            httpx.Client(base_url=service.url, headers=bearer(keys["09162"]), timeout=60) as client:
        status = client.get("/api/status").json()
        served = client.get("/api/values", params={"indicator": "ARB06", "region": "09162", "period_from": 2023,
                                                   "period_to": 2023}).json()["data"]
    assert status["snapshot"] == built[0].run_id and [s["current"] for s in status["snapshots"]] == [True]
    assert [(p["run_id"], p["via"], p["previous_snapshot"]) for p in status["publications"]] == [(built[0].run_id, "flow", None)]
    assert status["publications"][0]["summary"].endswith(" added")
    assert [row["value"] for row in served] == [pytest.approx(100 * 19249 / 39249)]


def test_imon_build_reports_the_diff_against_the_published_snapshot(built_copy):
    env = {"IMON_PUBLISHED_DIR": str(built_copy.parent / "published"), "COLUMNS": "250"}
    result = runner.invoke(app, ["build", "-w", str(built_copy)], env=env)
    assert result.exit_code == 0, result.output
    assert "against the published snapshot: no changes" in result.output
