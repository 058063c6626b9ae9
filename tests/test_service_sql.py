"""The analysts' SQL endpoint: one read-only SELECT; every refusal a clear 4xx; time, memory and row limits; formats."""

from __future__ import annotations

import io

import pandas as pd
import pyarrow.parquet as pq
import pytest

try:
    from service_support import running_service
except ImportError:
    from tests.service_support import running_service

REFUSALS = [
    ("ATTACH '/tmp/other.duckdb' AS other", "attach", "ATTACH"),
    ("INSTALL httpfs", "install", "INSTALL"),
    ("LOAD httpfs", "load", "LOAD"),
    ("COPY marts.indicator_value TO '/tmp/out.csv'", "copy", "COPY"),
    ("SET enable_external_access = true", "set", "SET"),
    ("PRAGMA version", "pragma", "PRAGMA"),
    ("EXPORT DATABASE '/tmp/export'", "export", "EXPORT"),
    ("SELECT * FROM read_csv('/etc/passwd')", "table_function", "read_csv"),
    ("SELECT * FROM read_parquet('/tmp/x.parquet')", "table_function", "read_parquet"),
    ("WITH f AS (SELECT * FROM glob('/etc/*')) SELECT * FROM f", "table_function", "glob"),
    ("SELECT (SELECT count(*) FROM read_text('/etc/hostname'))", "table_function", "read_text"),
    ("SELECT * FROM query('SELECT 1')", "table_function", "query"),
    ("SELECT * FROM '/etc/passwd'", "file_access", "/etc/passwd"),
    ("SELECT * FROM 'data.csv'", "file_access", "data.csv"),
    ("SELECT 1; SELECT 2", "multiple_statements", "exactly one"),
    ("DROP TABLE marts.indicator_value", "not_a_select", "DROP"),
    ("CREATE TABLE x AS SELECT 1", "not_a_select", "CREATE"),
    ("EXPLAIN SELECT 1", "not_a_select", "EXPLAIN"),
    ("SELEC 1", "syntax", "parse"),
    ("   ", "empty", "SELECT"),
    ("SELECT * FROM no_such_table", "query_error", "no_such_table"),
]


@pytest.fixture(scope="module")
def service(built, tmp_path_factory):
    summary = built[0]
    with running_service(tmp_path_factory.mktemp("sql"), summary.warehouse_path, summary.run_id,
                         IMON_SQL_ROW_LIMIT="100", IMON_SQL_TIME_LIMIT="5", IMON_SQL_MEMORY_LIMIT="200MB") as running:
        with running.client("09162") as client:
            running.county = client
            yield running


def sql(service, statement: str, **params):
    return service.county.post("/api/sql", json={"sql": statement}, params=params)


@pytest.mark.parametrize("statement,kind,named", REFUSALS, ids=[r[1] + ":" + r[0][:25] for r in REFUSALS])
def test_every_refusal_is_a_400_that_says_why(service, statement, kind, named):
    response = sql(service, statement)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["refusal"] == kind
    assert named.lower() in body["detail"].lower()


def test_a_select_answers_with_columns_rows_and_the_snapshot(service, warehouse):
    response = sql(service, "-- München\nSELECT indicator_id, value FROM marts.indicator_value "
                            "WHERE ags = '09162000' AND level = 'kreis' AND period = 2023 ORDER BY indicator_id;")
    assert response.status_code == 200, response.text
    body = response.json()
    expected = warehouse.execute("SELECT indicator_id, value FROM marts.indicator_value "
                                 "WHERE ags = '09162000' AND level = 'kreis' AND period = 2023 ORDER BY indicator_id").fetchall()
    assert body["columns"] == ["indicator_id", "value"] and [tuple(r) for r in body["rows"]] == expected and len(expected) > 9
    assert body["truncated"] is False and body["snapshot"] == response.headers["x-imon-snapshot"]


def test_describe_and_safe_table_functions_are_allowed(service):
    assert sql(service, "DESCRIBE marts.indicator_value").status_code == 200
    assert sql(service, "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'marts' "
                        "AND table_name = 'indicator_value'").json()["rows"] == [[1]]
    assert sql(service, "SELECT sum(range) FROM range(10)").json()["rows"] == [[45]]


def test_the_row_limit_cuts_and_says_so(service):
    response = sql(service, "SELECT * FROM range(1000)")
    body = response.json()
    assert response.status_code == 200 and body["row_count"] == 100 and body["truncated"] is True
    assert "100" in body["message"] and response.headers["x-imon-truncated"] == "true"
    csv = sql(service, "SELECT * FROM range(1000)", format="csv")
    assert len(pd.read_csv(io.StringIO(csv.text))) == 100 and csv.headers["x-imon-truncated"] == "true"


def test_the_time_limit_stops_a_long_query_with_408(service):
    response = sql(service, "SELECT count(*) FROM range(1000000000000) t(i) WHERE i % 7 = 3")
    assert response.status_code == 408 and response.json()["refusal"] == "time_limit"
    assert "time limit of 5 s" in response.json()["detail"]
    assert sql(service, "SELECT 1").status_code == 200  # the service goes on


def test_the_memory_limit_stops_a_greedy_query(service):
    response = sql(service, "SELECT string_agg(i::VARCHAR, ',') FROM range(100000000) t(i)")
    assert response.status_code == 400 and response.json()["refusal"] == "memory_limit"
    assert "200MB" in response.json()["detail"]


def test_results_in_every_format_parse_back_to_the_same_rows(service):
    statement = ("SELECT indicator_id, ags, period, value, reference_date FROM marts.indicator_value "
                 "WHERE level = 'land' AND indicator_id = 'ARB06' AND period = 2023 ORDER BY ags")
    rows = sql(service, statement).json()["rows"]
    csv = pd.read_csv(io.StringIO(sql(service, statement, format="csv").text), dtype={"ags": str})
    parquet = pq.read_table(io.BytesIO(sql(service, statement, format="parquet").content)).to_pandas()
    xlsx = pd.read_excel(io.BytesIO(sql(service, statement, format="xlsx").content), dtype={"ags": str})
    for frame in (csv, parquet, xlsx):
        assert list(frame.columns) == ["indicator_id", "ags", "period", "value", "reference_date"]
        assert frame["ags"].tolist() == [r[1] for r in rows] and len(frame) == 16
        assert frame["value"].round(6).tolist() == [round(r[3], 6) for r in rows]
    response = sql(service, statement, format="xlsx")
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="query.xlsx"' in response.headers["content-disposition"]


def test_a_wrong_body_or_format_is_a_422(service):
    assert service.county.post("/api/sql", json={"query": "SELECT 1"}).status_code == 422
    assert sql(service, "SELECT 1", format="html").status_code == 422
