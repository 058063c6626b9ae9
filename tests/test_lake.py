"""The shared warehouse as a DuckLake on the machine's PostgreSQL: publish, pinned readers, rollback, writers, roles."""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from warehouse import lake
from warehouse.publish import NoSnapshotError

from tests import postgres_support

VALUES = "SELECT * FROM marts.indicator_value"
PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def target(tmp_path):
    """An empty lake: its own PostgreSQL database as catalog, Parquet files under tmp_path.

    Without the machine's PostgreSQL the tests that use it fail (naming host, port, user, error); never skipped.
    """
    postgres_support.require()
    with postgres_support.database("imon_lake") as name:
        yield lake.Lake(f"postgres:dbname={name} host={postgres_support.HOST} port={postgres_support.PORT} "
                        f"user={postgres_support.USER}", str(tmp_path / "lake-data"))


def _changed_copy(source: Path, target: Path, sql: str) -> Path:
    shutil.copy(source, target)
    connection = duckdb.connect(str(target))
    connection.execute(sql)
    connection.close()
    return target


def _rows(connection, query=VALUES) -> list[tuple]:
    return sorted(connection.execute(query).fetchall(), key=repr)


def test_a_published_lake_holds_the_same_values_as_the_local_warehouse(built, target):
    summary, _ = built
    snapshot = lake.publish(summary.warehouse_path, target, run_id="run-1")
    assert snapshot.run_id == "run-1" and lake.current(target).snapshot_id == snapshot.snapshot_id
    local = duckdb.connect(str(summary.warehouse_path), read_only=True)
    with lake.pinned(target) as reader:
        assert _rows(reader) == _rows(local)
        assert reader.execute("SELECT run_id FROM meta.publication").fetchone() == ("run-1",)
        tables = reader.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'lake' "
                                "AND schema_name IN ('raw', 'staging', 'core', 'indicators', 'marts') ORDER BY ALL").fetchall()
        comments = dict(reader.execute("SELECT table_name, comment FROM duckdb_tables() WHERE database_name = 'lake' "
                                       "AND schema_name = 'marts'").fetchall())
    assert tables == local.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name IN "
                                   "('raw', 'staging', 'core', 'indicators', 'marts') ORDER BY ALL").fetchall()
    assert comments["indicator_value"] == local.execute(
        "SELECT comment FROM duckdb_tables() WHERE schema_name = 'marts' AND table_name = 'indicator_value'").fetchone()[0]
    local.close()


def test_a_pinned_reader_keeps_its_snapshot_while_a_new_run_publishes_and_rollback_returns(built, target, tmp_path):
    summary, _ = built
    first = lake.publish(summary.warehouse_path, target, run_id="run-1")
    reader = lake.open_snapshot(target)
    before = _rows(reader)
    changed = _changed_copy(summary.warehouse_path, tmp_path / "changed.duckdb",
                            "UPDATE marts.indicator_value SET value = value + 1 WHERE ags = '01001000' AND value IS NOT NULL")
    second = lake.publish(changed, target, run_id="run-2")
    assert second.snapshot_id > first.snapshot_id
    assert _rows(reader) == before  # pinned: the new publish does not reach it
    with lake.pinned(target) as fresh:
        moved = fresh.execute("SELECT count(*) FROM marts.indicator_value WHERE ags = '01001000' AND value IS NOT NULL").fetchone()[0]
        assert moved > 0 and _rows(fresh) != before
    reader.close()

    assert lake.rollback(target).run_id == "run-1"
    entries = lake.published(target)
    assert [(e.run_id, e.withdrawn_at is not None) for e in entries] == [("run-1", False), ("run-2", True)]
    assert lake.current(target).snapshot_id == first.snapshot_id
    latest = lake.connect(target, read_only=True)  # what a county's own DuckDB asks, as the README shows it
    assert latest.execute(lake.CURRENT_SNAPSHOT_SQL).fetchone() == (first.snapshot_id,)
    latest.close()
    with lake.pinned(target) as after:
        assert _rows(after) == before
    with pytest.raises(NoSnapshotError, match="nothing to roll back to"):
        lake.rollback(target)


def test_old_snapshots_expire_by_the_keep_count_and_their_files_go(built, target, tmp_path):
    summary, _ = built
    small = _changed_copy(summary.warehouse_path, tmp_path / "small.duckdb", "SELECT 1")
    data_files = lambda: {f for f in Path(target.data_path).rglob("*.parquet")}  # noqa: E731
    lake.publish(small, target, run_id="run-1", keep=2)
    first_run_files = data_files()
    for number in range(2, 4):
        lake.publish(small, target, run_id=f"run-{number}", keep=2)
    # every table is rewritten per publish: once run-1 expired, none of its files may stay on disk
    assert first_run_files and not (first_run_files & data_files())
    assert len(data_files()) == 2 * len(first_run_files)  # run-2's and run-3's files, nothing else
    entries = lake.published(target)
    assert [e.run_id for e in entries] == ["run-2", "run-3"]
    with pytest.raises(lake.LakeError):  # run-1's snapshot is gone
        lake.open_snapshot(target, snapshot_id=1)
    files = list(Path(target.data_path).rglob("*.parquet"))
    referenced = lake.connect(target, read_only=True)
    live = {Path(row[0]).name for row in referenced.execute(
        "SELECT data_file FROM ducklake_list_files('lake', 'indicator_value', schema => 'marts')").fetchall()}
    referenced.close()
    assert live and {f.name for f in files if "indicator_value" in str(f.parent)} >= live


def _writer(catalog: str, data_path: str, tables: dict, message: str, barrier) -> None:
    barrier.wait(timeout=60)
    lake.write_tables(lake.Lake(catalog, data_path), tables, message=message)


def _two_writers(target, first: dict, second: dict) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    processes = [context.Process(target=_writer, args=(target.catalog, target.data_path, tables, message, barrier))
                 for tables, message in ((first, "writer a"), (second, "writer b"))]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0, 0]


def test_two_writers_on_different_tables_both_commit(target):
    lake.write_tables(target, {"setup.ready": "SELECT 1 AS ok"}, message="setup")
    _two_writers(target, {"land_05.values": "SELECT range AS i FROM range(1000)"},
                 {"land_09.values": "SELECT range AS i FROM range(2000)"})
    connection = lake.connect(target, read_only=True)
    assert connection.execute("SELECT count(*) FROM land_05.values").fetchone() == (1000,)
    assert connection.execute("SELECT count(*) FROM land_09.values").fetchone() == (2000,)
    messages = {row[0] for row in connection.execute("SELECT commit_message FROM lake.snapshots()").fetchall()}
    assert {"writer a", "writer b"} <= messages
    connection.close()


def test_two_writers_on_the_same_table_both_land_one_after_the_other(target):
    lake.write_tables(target, {"uploads.counts": "SELECT 0 AS writer"}, message="setup")
    _two_writers(target, {"uploads.counts": "SELECT 1 AS writer"}, {"uploads.counts": "SELECT 2 AS writer"})
    connection = lake.connect(target, read_only=True)
    history = connection.execute("SELECT snapshot_id, commit_message FROM lake.snapshots() "
                                 "WHERE commit_message LIKE 'writer %' ORDER BY snapshot_id").fetchall()
    assert sorted(m for _, m in history) == ["writer a", "writer b"]  # neither write was lost
    last = history[-1][1]
    assert connection.execute("SELECT writer FROM uploads.counts").fetchall() == [(1 if last == "writer a" else 2,)]
    for snapshot_id, message in history:  # each commit holds its own writer's table
        assert connection.execute(f"SELECT writer FROM uploads.counts AT (VERSION => {snapshot_id})").fetchall() == \
            [(1 if message == "writer a" else 2,)]
    connection.close()


def test_a_reader_role_reads_and_is_refused_on_write(target):
    lake.write_tables(target, {"marts.example": "SELECT 42 AS answer"}, message="setup")
    role = f"imon_reader_{Path(target.data_path).parent.name[-8:].lower()}".replace("-", "_")
    lake.run_on_catalog(target, lake.reader_role_sql(role, lake.catalog_database(target)))
    try:
        reader = lake.Lake(target.catalog.replace(f"user={postgres_support.USER}", f"user={role}"), target.data_path)
        connection = duckdb.connect()
        lake.attach(connection, reader, read_only=True)
        assert connection.execute("SELECT answer FROM lake.marts.example").fetchall() == [(42,)]
        connection.close()
        writer = duckdb.connect()
        lake.attach(writer, reader)
        with pytest.raises(duckdb.Error, match="(?i)permission denied"):
            writer.execute("CREATE TABLE lake.marts.planted AS SELECT 1 AS x")
        writer.close()
    finally:
        postgres_support.execute(f"REASSIGN OWNED BY {role} TO {postgres_support.USER}", f"DROP OWNED BY {role}",
                                 database=lake.catalog_database(target))
        postgres_support.execute(f"DROP ROLE IF EXISTS {role}")


def test_export_and_import_move_a_published_file_into_the_lake_and_back(built, target, tmp_path):
    summary, directory = built
    from warehouse.publish import current_snapshot

    snapshot_file = current_snapshot(directory / "published")
    exported = lake.export_file(snapshot_file, target)
    source = duckdb.connect(str(snapshot_file), read_only=True)
    assert exported.run_id == source.execute("SELECT run_id FROM meta.publication").fetchone()[0]
    back = lake.import_file(target, tmp_path / "back.duckdb")
    imported = duckdb.connect(str(back), read_only=True)
    assert _rows(imported) == _rows(source)
    assert _rows(imported, "SELECT * FROM core.region") == _rows(source, "SELECT * FROM core.region")
    with pytest.raises(FileExistsError):
        lake.import_file(target, back)
    source.close()
    imported.close()


def test_imon_publish_with_imon_lake_set_publishes_lists_and_rolls_back(built_copy, target, monkeypatch):
    from flows.cli import app

    monkeypatch.setenv("IMON_LAKE", target.catalog)
    monkeypatch.setenv("IMON_LAKE_DATA_PATH", target.data_path)
    runner = CliRunner()
    first = runner.invoke(app, ["publish", "--warehouse", str(built_copy)])
    assert first.exit_code == 0, first.output
    assert "published into the lake" in first.output and "password" not in first.output
    second = runner.invoke(app, ["publish", "--warehouse", str(built_copy)])
    assert second.exit_code == 0, second.output
    assert len(lake.published(target)) == 2
    back = runner.invoke(app, ["publish", "--rollback", "--warehouse", str(built_copy)])
    assert back.exit_code == 0, back.output
    assert "rolled back the lake" in back.output
    listed = runner.invoke(app, ["lake", "list", "--warehouse", str(built_copy)])
    assert listed.exit_code == 0 and "Published snapshots in the lake" in listed.output
    assert lake.current(target).snapshot_id == lake.published(target)[0].snapshot_id


def test_the_lake_label_never_shows_a_password():
    assert "secret" not in lake.Lake("postgres:dbname=imon host=db password=secret").label
    assert lake.redact("dbname=x password = hunter2 host=y") == "dbname=x password = ******** host=y"


def test_the_readme_shows_the_current_snapshot_query_that_the_code_uses():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert lake.CURRENT_SNAPSHOT_SQL in readme


def test_two_service_processes_on_the_lake_give_identical_answers_and_follow_a_publish(built, target, tmp_path):
    """Two `imon serve` replicas on different ports, both reading the lake: same bytes, same snapshot."""
    import time

    import httpx

    from tests.service_support import ServiceProcess, bearer, create_keys, service_environ, service_settings

    summary, _ = built
    first = lake.publish(summary.warehouse_path, target, run_id="run-1")
    lake_env = {"IMON_LAKE": target.catalog, "IMON_LAKE_DATA_PATH": target.data_path}
    replicas = []
    for number in (1, 2):
        directory = tmp_path / f"replica-{number}"  # each replica its own store (keys, log); the lake is shared
        environ = service_environ(directory, summary.warehouse_path, **lake_env)
        keys = create_keys(service_settings(directory, summary.warehouse_path, **lake_env), "09162")
        replicas.append((environ, keys, tmp_path / f"serve-{number}.log"))
    paths = ["/api/regions/01001/profile", "/api/values?indicator=ARB06&level=kreis", "/api/catalog",
             "/api/regions/05315/profile?format=csv"]
    with ServiceProcess(replicas[0][0], replicas[0][2]) as one, ServiceProcess(replicas[1][0], replicas[1][2]) as two:
        answers = []
        for service, (_, keys, _) in ((one, replicas[0]), (two, replicas[1])):
            with httpx.Client(base_url=service.url, headers=bearer(keys["state"]), timeout=60) as client:
                responses = [client.get(path) for path in paths]
                sql = client.post("/api/sql", json={"sql": "SELECT count(*) AS n FROM marts.indicator_value"})
            assert all(r.status_code == 200 for r in responses), [r.text[:200] for r in responses]
            assert sql.status_code == 200, sql.text
            answers.append(([r.content for r in responses], {r.headers["X-Imon-Snapshot"] for r in responses},
                            sql.json()["rows"]))
        assert answers[0] == answers[1]
        assert answers[0][1] == {"run-1"}

        # a county's upload stays in the service's store (its rights, its disclosure control): never in the lake
        with httpx.Client(base_url=one.url, headers=bearer(replicas[0][1]["09162"]), timeout=60) as county:
            accepted = county.post("/api/uploads/mentors", files={"file": (
                "mentors.csv", b"ags,period,variable,value,note\n09162,2024,language_mentors_in_lake_test,2,\n", "text/csv")})
        assert accepted.status_code == 201, accepted.text
        lake.publish(summary.warehouse_path, target, run_id="run-2")
        with lake.pinned(target) as reader:
            tables = reader.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'lake'"
                                    ).fetchall()
            assert not [t for t in tables if "county" in t[0] or "upload" in t[0] or "mentors" in t[1]], tables
            text_columns = reader.execute(
                "SELECT schema_name, table_name, column_name FROM duckdb_columns() WHERE database_name = 'lake' "
                "AND data_type = 'VARCHAR'").fetchall()
            for schema, table, column in text_columns:
                assert not reader.execute(f'SELECT 1 FROM "{schema}"."{table}" WHERE "{column}" = '
                                          "'language_mentors_in_lake_test' LIMIT 1").fetchall(), (schema, table, column)
        for service, (_, keys, _) in ((one, replicas[0]), (two, replicas[1])):
            deadline = time.monotonic() + 30
            with httpx.Client(base_url=service.url, headers=bearer(keys["state"]), timeout=60) as client:
                while client.get("/api/catalog").headers["X-Imon-Snapshot"] != "run-2":
                    assert time.monotonic() < deadline, "the replica did not follow the new lake snapshot"
                    time.sleep(0.2)
    assert first.snapshot_id < lake.current(target).snapshot_id


def test_imon_lake_export_and_import_from_the_command_line(built, target, tmp_path, monkeypatch):
    from flows.cli import app

    summary, directory = built
    monkeypatch.setenv("IMON_LAKE", target.catalog)
    monkeypatch.setenv("IMON_LAKE_DATA_PATH", target.data_path)
    runner = CliRunner()
    exported = runner.invoke(app, ["lake", "export", "--warehouse", str(summary.warehouse_path)])
    assert exported.exit_code == 0, exported.output
    assert "exported" in exported.output and f"snapshot {lake.current(target).snapshot_id}" in exported.output
    back = tmp_path / "back.duckdb"
    imported = runner.invoke(app, ["lake", "import", str(back), "--warehouse", str(summary.warehouse_path)])
    assert imported.exit_code == 0, imported.output
    from warehouse.publish import current_snapshot

    source = duckdb.connect(str(current_snapshot(directory / "published")), read_only=True)
    copy = duckdb.connect(str(back), read_only=True)
    assert _rows(copy) == _rows(source)
    source.close()
    copy.close()
    again = runner.invoke(app, ["lake", "import", str(back), "--warehouse", str(summary.warehouse_path)])
    assert again.exit_code != 0 and str(back) in again.output.replace("\n", "")  # never overwrites a file
    missing = runner.invoke(app, ["lake", "export", str(tmp_path / "nothing.duckdb"),
                                  "--warehouse", str(summary.warehouse_path)])
    assert missing.exit_code == 1 and "no snapshot file to export" in missing.output


def test_imon_lake_without_imon_lake_set_says_what_to_set(monkeypatch, tmp_path):
    from flows.cli import app

    monkeypatch.delenv("IMON_LAKE", raising=False)
    result = CliRunner().invoke(app, ["lake", "list", "--warehouse", str(tmp_path / "imon.duckdb")])
    assert result.exit_code == 2 and "IMON_LAKE is not set" in result.output


def test_a_pipeline_run_with_imon_lake_set_publishes_its_run_into_the_lake(built_copy, target, tmp_path, monkeypatch):
    from flows.pipeline import pipeline

    monkeypatch.setenv("IMON_LAKE", target.catalog)
    monkeypatch.setenv("IMON_LAKE_DATA_PATH", target.data_path)
    # a change the run must carry: the state office adds a comparison group (a curated seed table)
    groups = tmp_path / "peer_groups.csv"
    groups.write_text((PROJECT_ROOT / "sources" / "curated" / "peer_groups.csv").read_text(encoding="utf-8")
                      + "hessen_kassel,Kassel und Nachbarn,06611000,Kassel,test\n"
                        "hessen_kassel,Kassel und Nachbarn,06633000,Landkreis Kassel,test\n", encoding="utf-8")
    tables_file = tmp_path / "tables.yaml"
    tables_file.write_text((PROJECT_ROOT / "sources" / "tables.yaml").read_text(encoding="utf-8").replace(
        "path: ../../sources/curated/peer_groups.csv", f"path: {groups}"), encoding="utf-8")
    monkeypatch.setenv("IMON_TABLES_FILE", str(tables_file))

    run = pipeline(warehouse=str(built_copy))
    assert run.exit_code == 0 and run.published is not None
    assert lake.current(target).run_id == run.run_id
    local = duckdb.connect(str(run.published), read_only=True)
    with lake.pinned(target) as reader:
        assert _rows(reader) == _rows(local)
        assert reader.execute("SELECT count(*) FROM marts.indicator_comparison WHERE group_id = 'hessen_kassel'"
                              ).fetchone()[0] > 0
    local.close()


# --- two state offices sharing one lake (IMON_LAKE_OFFICE, IMON_LAKE_REGIONS) ------------------------


def _office_publisher(catalog: str, data_path: str, path: str, run_id: str, name: str, regions: tuple, barrier) -> None:
    barrier.wait(timeout=120)  # both attach the empty lake and publish at once
    lake.publish(path, lake.Lake(catalog, data_path), run_id=run_id, office=lake.Office(name, regions))


def _office_copy(source: Path, target: Path, run_id: str, own: str, other: str, marker: float) -> Path:
    """A copy of the sample warehouse as an office's pipeline would have it: its own regions carry `marker`,
    the other office's regions a wrong value (-1) that must never reach the lake, and its runs its own id."""
    return _changed_copy(source, target, f"""
        UPDATE marts.indicator_value SET value = {marker} WHERE ags LIKE '{own}%';
        UPDATE marts.indicator_value SET value = -1 WHERE ags LIKE '{other}%';
        UPDATE meta.run SET run_id = '{run_id}';""")


def test_two_offices_publishing_at_once_both_land_and_each_keeps_its_regions(built, target, tmp_path):
    summary, _ = built
    first = _office_copy(summary.warehouse_path, tmp_path / "sh.duckdb", "run-sh", "01", "09", 111.0)
    second = _office_copy(summary.warehouse_path, tmp_path / "by.duckdb", "run-by", "09", "01", 999.0)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    processes = [context.Process(target=_office_publisher,
                                 args=(target.catalog, target.data_path, str(path), run_id, name, regions, barrier))
                 for path, run_id, name, regions in ((first, "run-sh", "sh", ("01",)), (second, "run-by", "by", ("09",)))]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=600)
    assert [p.exitcode for p in processes] == [0, 0]

    entries = lake.contributions(target)
    assert sorted((e.office, e.run_id, e.withdrawn) for e in entries) == [("by", "run-by", False), ("sh", "run-sh", False)]
    assert lake.offices(target) == {"by": ("09",), "sh": ("01",)}
    assert lake.current(target).snapshot_id == max(e.snapshot_id for e in entries)
    local = duckdb.connect(str(summary.warehouse_path), read_only=True)
    with lake.pinned(target) as reader:
        values = lambda where: reader.execute(  # noqa: E731
            f"SELECT DISTINCT value FROM marts.indicator_value WHERE {where} AND value IS NOT NULL").fetchall()
        assert values("ags LIKE '01%'") == [(111.0,)]
        assert values("ags LIKE '09%'") == [(999.0,)]
        others = "SELECT * FROM marts.indicator_value WHERE ags NOT LIKE '01%' AND ags NOT LIKE '09%'"
        assert _rows(reader, others) == _rows(local, others)  # rows nobody claims: added once, not twice
        count = "SELECT count(*) FROM marts.indicator_value"
        assert reader.execute(count).fetchone() == local.execute(count).fetchone()
        assert sorted(reader.execute("SELECT run_id FROM meta.run").fetchall()) == [("run-by",), ("run-sh",)]
        catalog = "SELECT * FROM marts.indicator_catalog"
        assert _rows(reader, catalog) == _rows(local, catalog)  # the same catalogue from both: no duplicates
    local.close()


def _small_warehouse(path: Path, values: dict[str, float], *, run_id: str, notes: list[str] | None = None,
                     extra_column: bool = False, catalog_name: str = "Ausländeranteil") -> Path:
    """A hand-built working warehouse: a few indicator values by region, a catalogue, a run, optional notes."""
    connection = duckdb.connect(str(path))
    connection.execute("CREATE SCHEMA marts; CREATE SCHEMA meta")
    note = ", NULL::VARCHAR AS note" if extra_column else ""
    connection.execute(f"CREATE TABLE marts.indicator_value AS SELECT 'DEM01' AS indicator_id, ags, 2022 AS period, "
                       f"value::DOUBLE AS value{note} FROM (VALUES {', '.join(f'({_quoted(k)}, {v})' for k, v in values.items())}) t(ags, value)")
    connection.execute("CREATE TABLE marts.indicator_catalog (indicator_id VARCHAR PRIMARY KEY, name VARCHAR)")
    connection.execute("INSERT INTO marts.indicator_catalog VALUES ('DEM01', ?)", [catalog_name])
    connection.execute("CREATE TABLE meta.run AS SELECT ?::VARCHAR AS run_id, 'success' AS outcome", [run_id])
    if notes is not None:
        connection.execute("CREATE TABLE meta.notes (note VARCHAR)")
        for text in notes:
            connection.execute("INSERT INTO meta.notes VALUES (?)", [text])
    connection.close()
    return path


def _quoted(text: str) -> str:
    return "'" + text + "'"


def _lake_rows(target, query: str) -> list[tuple]:
    with lake.pinned(target) as reader:
        return _rows(reader, query)


SH, BY = lake.Office("sh", ("01",)), lake.Office("by", ("09",))


def test_an_office_claiming_regions_that_overlap_another_office_is_refused(target, tmp_path):
    lake.publish(_small_warehouse(tmp_path / "sh.duckdb", {"01001000": 1.0}, run_id="sh-1"), target, run_id="sh-1",
                 office=SH)
    before = lake.published(target)
    other = _small_warehouse(tmp_path / "other.duckdb", {"01001000": 5.0, "09162000": 6.0}, run_id="x-1")
    for regions in (("0",), ("09", "0100")):
        with pytest.raises(lake.OfficeClaimError, match=r"office nord .*overlaps 01 claimed by the office sh"):
            lake.publish(other, target, run_id="x-1", office=lake.Office("nord", regions))
    assert lake.published(target) == before and lake.offices(target) == {"sh": ("01",)}
    assert _lake_rows(target, "SELECT ags, value FROM marts.indicator_value") == [("01001000", 1.0)]
    with pytest.raises(lake.OfficeClaimError, match="shared by the offices sh"):  # a pipeline without an office
        lake.publish(other, target, run_id="x-1")
    with pytest.raises(lake.RollbackRefusedError, match="IMON_LAKE_OFFICE"):
        lake.rollback(target)


def test_a_table_whose_columns_differ_from_the_lake_is_refused_and_nothing_is_written(target, tmp_path):
    lake.publish(_small_warehouse(tmp_path / "sh.duckdb", {"01001000": 1.0}, run_id="sh-1"), target, run_id="sh-1",
                 office=SH)
    before = (lake.published(target), _lake_rows(target, "SELECT * FROM marts.indicator_value"))
    changed = _small_warehouse(tmp_path / "by.duckdb", {"09162000": 2.0}, run_id="by-1", extra_column=True)
    with pytest.raises(lake.ColumnMismatchError,
                       match=r"marts\.indicator_value has other columns than in the lake \(only in the warehouse: note VARCHAR\)"):
        lake.publish(changed, target, run_id="by-1", office=BY)
    assert (lake.published(target), _lake_rows(target, "SELECT * FROM marts.indicator_value")) == before
    assert lake.offices(target) == {"sh": ("01",)} and [e.office for e in lake.contributions(target)] == ["sh"]


def test_an_offices_rollback_restores_its_regions_and_leaves_the_other_offices_rows(target, tmp_path, monkeypatch):
    values = "SELECT ags, value FROM marts.indicator_value"
    notes = "SELECT note FROM meta.notes"
    lake.publish(_small_warehouse(tmp_path / "sh1.duckdb", {"01001000": 1.0, "01002000": 2.0, "09162000": -1},
                                  run_id="sh-1", notes=["sh 1"]), target, run_id="sh-1", office=SH)
    lake.publish(_small_warehouse(tmp_path / "by1.duckdb", {"09162000": 9.0, "01001000": -1}, run_id="by-1"),
                 target, run_id="by-1", office=BY)
    lake.publish(_small_warehouse(tmp_path / "sh2.duckdb", {"01001000": 10.0, "01003000": 30.0}, run_id="sh-2",
                                  notes=["sh 2"]), target, run_id="sh-2", office=SH)
    assert _lake_rows(target, values) == [("01001000", 10.0), ("01003000", 30.0), ("09162000", 9.0)]
    assert _lake_rows(target, notes) == [("sh 2",)]  # a table only sh publishes: replaced whole

    back = lake.rollback(target, office=SH)
    assert _lake_rows(target, values) == [("01001000", 1.0), ("01002000", 2.0), ("09162000", 9.0)]
    assert _lake_rows(target, notes) == [("sh 1",)]
    assert _lake_rows(target, "SELECT run_id FROM meta.run") == [("by-1",), ("sh-1",)]
    assert lake.current(target).snapshot_id == back.snapshot_id  # what readers and the README query see
    latest = lake.connect(target, read_only=True)
    assert latest.execute(lake.CURRENT_SNAPSHOT_SQL).fetchone() == (back.snapshot_id,)
    latest.close()
    assert [(e.run_id, e.withdrawn) for e in lake.contributions(target)] == [("sh-1", False), ("by-1", False),
                                                                             ("sh-2", True)]

    # by now publishes into sh's notes too (it adds its row): sh's first publish created that table, so
    # rolling it back would lose by's row; refused, nothing changed
    lake.publish(_small_warehouse(tmp_path / "by2.duckdb", {"09162000": 90.0}, run_id="by-2", notes=["by 2"]),
                 target, run_id="by-2", office=BY)
    assert _lake_rows(target, notes) == [("by 2",), ("sh 1",)]
    snapshots = lake.published(target)
    with pytest.raises(lake.RollbackRefusedError, match=r"office sh: .*office by published into .*meta\.notes later"):
        lake.rollback(target, office=SH)
    assert lake.published(target) == snapshots

    lake.rollback(target, office=BY)  # by's newest publish goes: its region and the row it added
    assert _lake_rows(target, values) == [("01001000", 1.0), ("01002000", 2.0), ("09162000", 9.0)]
    assert _lake_rows(target, notes) == [("sh 1",)]
    from flows.cli import app

    monkeypatch.setenv("IMON_LAKE", target.catalog)
    monkeypatch.setenv("IMON_LAKE_DATA_PATH", target.data_path)
    monkeypatch.setenv("IMON_LAKE_OFFICE", "sh")
    monkeypatch.setenv("IMON_LAKE_REGIONS", "01")
    # sh's first publish created the catalogue, into which by's first publish added since: still refused
    refused = CliRunner().invoke(app, ["publish", "--rollback", "--warehouse", str(tmp_path / "imon.duckdb")])
    assert refused.exit_code == 1
    assert "office by published into marts.indicator_catalog later" in " ".join(refused.output.split())
    assert lake.published(target)[-1].run_id == "by-1"
    listed = CliRunner().invoke(app, ["lake", "offices", "--warehouse", str(tmp_path / "imon.duckdb")])
    assert listed.exit_code == 0, listed.output
    assert "sh" in listed.output and "by-2" in listed.output and "Offices publishing into the lake" in listed.output


def test_germany_published_by_two_offices_keeps_one_row_the_newest_and_a_rollback_restores_the_one_before(
        target, tmp_path):
    values = "SELECT ags, value FROM marts.indicator_value ORDER BY ags"
    lake.publish(_small_warehouse(tmp_path / "sh.duckdb", {"01001000": 1.0, "00000000": 100.0, "05": 50.0},
                                  run_id="sh-1"), target, run_id="sh-1", office=SH)
    lake.publish(_small_warehouse(tmp_path / "by.duckdb", {"09162000": 9.0, "00000000": 101.0}, run_id="by-1"),
                 target, run_id="by-1", office=BY)
    # one Germany row, by's (the newest); a Land nobody claims that by did not publish stays as sh left it
    assert _lake_rows(target, values) == [("00000000", 101.0), ("01001000", 1.0), ("05", 50.0), ("09162000", 9.0)]
    lake.rollback(target, office=BY)
    assert _lake_rows(target, values) == [("00000000", 100.0), ("01001000", 1.0), ("05", 50.0)]


def test_a_catalogue_entry_changed_by_a_second_office_replaces_the_first_one_by_its_key(target, tmp_path):
    catalog = "SELECT indicator_id, name FROM marts.indicator_catalog"
    lake.publish(_small_warehouse(tmp_path / "sh.duckdb", {"01001000": 1.0}, run_id="sh-1"), target,
                 run_id="sh-1", office=SH)
    lake.publish(_small_warehouse(tmp_path / "by.duckdb", {"09162000": 9.0}, run_id="by-1",
                                  catalog_name="Ausländeranteil (v2)"), target, run_id="by-1", office=BY)
    assert _lake_rows(target, catalog) == [("DEM01", "Ausländeranteil (v2)")]  # one entry per indicator id
    assert lake.contributions(target)[-1].kinds["marts.indicator_catalog"] == "keyed"
    lake.rollback(target, office=BY)
    assert _lake_rows(target, catalog) == [("DEM01", "Ausländeranteil")]


def test_first_attaches_of_an_empty_lake_at_once_all_succeed(target):
    import threading

    barrier, failures = threading.Barrier(4), []

    def first_attach() -> None:
        connection = duckdb.connect()
        barrier.wait(timeout=60)
        try:
            lake.attach(connection, target)
            connection.execute("SELECT count(*) FROM lake.snapshots()").fetchone()
        except Exception as error:  # collected: the test reports every failure
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_attach) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []


def test_the_office_settings_are_read_in_one_place():
    from flows.settings import load_settings

    claim = load_settings({"IMON_LAKE_OFFICE": "nrw", "IMON_LAKE_REGIONS": "05, 06"}).lake_office_claim()
    assert claim == lake.Office("nrw", ("05", "06"))
    assert load_settings({}).lake_office_claim() is None
    with pytest.raises(lake.LakeError, match="IMON_LAKE_OFFICE is not"):
        load_settings({"IMON_LAKE_REGIONS": "05"}).lake_office_claim()
    with pytest.raises(lake.LakeError, match="claims no regions"):
        load_settings({"IMON_LAKE_OFFICE": "nrw"}).lake_office_claim()
    with pytest.raises(lake.LakeError, match="not AGS prefixes"):
        load_settings({"IMON_LAKE_OFFICE": "nrw", "IMON_LAKE_REGIONS": "NW"}).lake_office_claim()
