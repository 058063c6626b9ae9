"""County uploads: validated like every source, readable by the county and the state office, small counts suppressed."""

from __future__ import annotations

import hashlib
import io

import pandas as pd
import pytest

try:
    from service_support import publish_warehouse, running_service
except ImportError:
    from tests.service_support import publish_warehouse, running_service

GOOD = (
    "ags,period,variable,value,note\n"
    "09162,2024,integration_course_participants,5,\n"
    "09162,2024,language_mentors,2,two volunteers\n"
    "09162000,2024,language_mentors,0,\n"
    "09162,2023,integration_course_participants,10,\n"
)


@pytest.fixture(scope="module")
def service(built, tmp_path_factory):
    summary = built[0]
    with running_service(tmp_path_factory.mktemp("uploads"), summary.warehouse_path, summary.run_id) as running:
        with running.client("09162") as owner, running.client("09163") as other, running.client("state") as state:
            running.owner, running.other, running.state = owner, other, state
            response = owner.post("/api/uploads/mentors", files={"file": ("mentors.csv", GOOD.encode(), "text/csv")})
            assert response.status_code == 201, response.text
            running.accepted = response.json()
            yield running


def upload(client, table: str, text: str | bytes):
    body = text.encode() if isinstance(text, str) else text
    return client.post(f"/api/uploads/{table}", files={"file": (f"{table}.csv", body, "text/csv")})


def test_an_accepted_upload_reports_rows_and_suppressed_cells(service):
    assert service.accepted["rows"] == 4 and service.accepted["catalog"] == "county_09162"
    assert service.accepted["suppressed_for_others"] == 2 and service.accepted["disclosure_threshold"] == 3


def test_the_owner_sees_every_count_and_the_state_office_sees_small_ones_suppressed(service):
    own = pd.DataFrame(service.owner.get("/api/uploads/09162/mentors").json()["data"])
    assert own["value"].tolist() == [5, 2, 0, 10] and own["value_flag"].isna().all()
    assert own["ags"].tolist() == ["09162000"] * 4 and own["level"].tolist() == ["kreis", "kreis", "gemeinde", "kreis"]
    shared = service.state.get("/api/uploads/09162/mentors").json()
    assert shared["suppressed"] is True
    rows = pd.DataFrame(shared["data"])
    assert rows["value"].tolist()[0] == 5 and rows["value"].tolist()[3] == 10
    assert rows["value"].isna().tolist() == [False, True, True, False]
    assert rows["value_flag"].tolist()[1:3] == ["suppressed_below_threshold"] * 2
    csv = pd.read_csv(io.StringIO(service.state.get("/api/uploads/09162/mentors", params={"format": "csv"}).text))
    assert csv["value"].isna().sum() == 2


def test_another_county_gets_403_and_sees_no_upload_in_its_list(service):
    assert service.other.get("/api/uploads/09162/mentors").status_code == 403
    assert service.other.get("/api/uploads").json()["uploads"] == []
    assert [u["table"] for u in service.owner.get("/api/uploads").json()["uploads"]] == ["mentors"]
    assert [u["county"] for u in service.state.get("/api/uploads").json()["uploads"]] == ["09162"]
    assert service.owner.get("/api/uploads/09162/nothing").status_code == 404


def test_uploads_are_attached_to_sql_for_the_owner_raw_and_for_the_state_office_suppressed(service):
    statement = {"sql": "SELECT value, value_flag FROM county_09162.mentors ORDER BY line_number"}
    assert service.owner.post("/api/sql", json=statement).json()["rows"] == [[5, None], [2, None], [0, None], [10, None]]
    assert service.state.post("/api/sql", json=statement).json()["rows"] == [
        [5, None], [None, "suppressed_below_threshold"], [None, "suppressed_below_threshold"], [10, None]]
    refused = service.other.post("/api/sql", json=statement)
    assert refused.status_code == 403 and refused.json()["refusal"] == "county_area"
    nothing = service.state.post("/api/sql", json={"sql": "SELECT * FROM county_05315.mentors"})
    assert nothing.status_code == 404 and "uploaded nothing" in nothing.json()["detail"]
    joined = service.owner.post("/api/sql", json={"sql": (
        "SELECT u.value, r.name FROM county_09162.mentors u JOIN core.region r USING (ags, level) "
        "WHERE u.variable = 'integration_course_participants' AND u.period = 2024")}).json()
    assert joined["rows"] == [[5, "München, Landeshauptstadt"]]


@pytest.mark.parametrize("text,line,words", [
    ("ags,period,variable,value\n09162,2024,a,5\n09162,2024,b,abc\n", 3, "value"),
    ("ags,period,variable,value\n09162,2024,a,5\n09162,2024,b,7\n09163,2024,a,1\n", 4, "county 09162"),
    ("ags,period,variable,value\n09162,2024,a,5\n09162,24,b,7\n", 3, "period"),
    ("ags,period,variable,value\n09162,2024,a,5\n09162,2024,a,6\n", 3, "One row per region"),
    ("ags,period,variable,value\n09162,2024,a,5\n,2024,b,6\n", 3, "ags"),
    ("ags,period,variable,value\n09162,2024,a,5\n09162,2024,b,-1\n", 3, "value"),
    ("ags,period,variable\n09162,2024,a\n", 1, "lacks value"),
    ("ags,period,variable,value,extra\n09162,2024,a,5,x\n", 1, "unknown columns extra"),
    ("ags,period,variable,value\n09162,2024,a,5\n09162,2024,b,6,7\n", 3, "5 fields"),
])
def test_a_bad_upload_gets_422_naming_the_line(service, text, line, words):
    response = upload(service.owner, "broken", text)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert f"line {line}" in detail and words in detail, detail
    assert service.owner.get("/api/uploads/09162/broken").status_code == 404


def test_encoding_empty_files_and_table_names_are_refused_clearly(service):
    latin = upload(service.owner, "latin", "ags,period,variable,value\n09162,2024,Männer,5\n".encode("latin-1"))
    assert latin.status_code == 422 and "line 2" in latin.json()["detail"] and "UTF-8" in latin.json()["detail"]
    assert upload(service.owner, "empty", "").status_code == 422
    named = upload(service.owner, "Bad-Name", GOOD)
    assert named.status_code == 400 and "table name" in named.json()["detail"]


def test_semicolons_a_bom_and_a_second_upload_replacing_the_first(service):
    text = "\ufeffags;period;variable;value\n09162;2024;integration_course_participants;7\n"
    response = upload(service.owner, "semicolons", text)
    assert response.status_code == 201, response.text
    assert upload(service.owner, "semicolons", text.replace(";7", ";8")).status_code == 201
    assert service.owner.get("/api/uploads/09162/semicolons").json()["data"][0]["value"] == 8


def test_publishing_the_warehouse_keeps_the_uploads(service, built):
    publish_warehouse(service.settings, f"{built[0].run_id}-again")
    assert service.owner.get("/api/status").json()["snapshot"].endswith("-again")
    assert service.owner.get("/api/uploads/09162/mentors").json()["row_count"] == 4


# --- county stores written by older versions: scrubbed once when the service starts --------------------------

OLD_UPLOAD = ("ags,period,variable,value\n"
              "09187,2024,helpers,12\n"       # the Kreis total: 2 + 10, shown exactly by older versions
              "09187117,2024,helpers,2\n"     # suppressed
              "09187118,2024,helpers,10\n"
              "09187,2024,mentors,40\n")      # nothing hidden in this variable


def write_store_the_old_way(root, county: str, table: str, text: str) -> str:
    """A county store as versions before the scrub wrote it: the shared area with the raw file's SHA-256
    and the Kreis total exact (only counts below 3 hidden), published twice (an older copy kept). Returns the digest."""
    import duckdb

    from warehouse.publish import publish

    lines = [line.split(",") for line in text.splitlines()[1:]]
    frame = pd.DataFrame({"ags": [ags.ljust(8, "0") for ags, *_ in lines],
                          "level": ["kreis" if len(ags) == 5 else "gemeinde" for ags, *_ in lines],
                          "period": [int(p) for _, p, _, _ in lines], "variable": [v for _, _, v, _ in lines],
                          "value": [int(n) for *_, n in lines], "note": [None] * len(lines),
                          "line_number": list(range(2, len(lines) + 2))})
    digest = hashlib.sha256(text.encode()).hexdigest()
    for audience, value, flag in (("owner", "value", "NULL"),
                                  ("shared", "CASE WHEN value < 3 THEN NULL ELSE value END",
                                   "CASE WHEN value < 3 THEN 'suppressed_below_threshold' END")):
        working = root / county / f"{audience}.working.duckdb"
        working.parent.mkdir(parents=True, exist_ok=True)
        connection = duckdb.connect(str(working))
        connection.register("upload", frame)
        connection.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT ags, level, period, variable, {value}::BIGINT '
                           f"AS value, {flag}::VARCHAR AS value_flag, note, line_number FROM upload")
        connection.execute("CREATE TABLE _uploads (table_name VARCHAR PRIMARY KEY, rows BIGINT, suppressed_for_others "
                           "BIGINT, file_name VARCHAR, sha256 VARCHAR, uploaded_at TIMESTAMPTZ, upload_id VARCHAR, key_id VARCHAR)")
        connection.execute("INSERT INTO _uploads VALUES (?, 4, 1, 'helpers.csv', ?, now(), 'old-1', 'key')", [table, digest])
        connection.close()
        for run_id in ("old-1", "old-2"):
            publish(working, root / county / audience, run_id=run_id, keep=3, prefix=audience)
    return digest


def test_county_stores_of_older_versions_are_scrubbed_once_at_start(built, tmp_path):
    import duckdb

    from service.uploads import SCRUB_MARKER, CountyAreas

    summary = built[0]
    counties = tmp_path / "service" / "counties"
    digest = write_store_the_old_way(counties, "09187", "helpers", OLD_UPLOAD)
    old_shared = sorted(p.name for p in (counties / "09187" / "shared").glob("*.duckdb"))
    assert len(old_shared) == 2 and not (counties / SCRUB_MARKER).exists()

    with running_service(tmp_path, summary.warehouse_path, summary.run_id, counties=("09187",),
                         IMON_SQL_WORKERS="1") as running:
        assert (counties / SCRUB_MARKER).exists()
        with running.client("state") as state, running.client("09187") as owner:
            listing = state.get("/api/uploads")
            assert listing.status_code == 200 and digest not in listing.text
            assert listing.json()["uploads"][0]["suppressed_for_others"] == 2  # the Kreis total is hidden too now
            rows = state.post("/api/sql", json={"sql": "SELECT ags, variable, value, value_flag FROM county_09187.helpers "
                                                       "ORDER BY line_number"}).json()["rows"]
            assert rows == [["09187000", "helpers", None, "suppressed_complementary"],
                            ["09187117", "helpers", None, "suppressed_below_threshold"],
                            ["09187118", "helpers", 10, None], ["09187000", "mentors", 40, None]]
            registry = state.post("/api/sql", json={"sql": "SELECT * FROM county_09187._uploads"})
            assert registry.status_code == 200 and digest not in registry.text
            # the county itself still sees what it delivered, with its digest
            assert [u["sha256"] for u in owner.get("/api/uploads").json()["uploads"]] == [digest]
            assert [r["value"] for r in owner.get("/api/uploads/09187/helpers").json()["data"]] == [12, 2, 10, 40]

    # nothing on disk that the shared area holds (current or kept copies, working file) knows the digest or the total
    shared_files = sorted((counties / "09187").glob("shared*.duckdb")) + sorted((counties / "09187" / "shared").glob("*.duckdb"))
    assert not set(old_shared) & {p.name for p in shared_files}
    assert len(shared_files) == 2  # the working file and the one current snapshot
    for path in shared_files:
        connection = duckdb.connect(str(path), read_only=True)
        try:
            assert connection.execute("SELECT count(*) FROM _uploads WHERE sha256 IS NOT NULL").fetchone()[0] == 0, path
            assert connection.execute("SELECT value FROM helpers WHERE level = 'kreis' AND variable = 'helpers'").fetchall() == [(None,)], path
        finally:
            connection.close()
    manifest = (counties / "09187" / "shared" / "snapshots.json").read_text()
    assert all(name not in manifest for name in old_shared)
    # once: a second start leaves the store alone
    current = (counties / "09187" / "shared" / "CURRENT").read_text()
    assert CountyAreas(counties).scrub_all() == []
    assert (counties / "09187" / "shared" / "CURRENT").read_text() == current
