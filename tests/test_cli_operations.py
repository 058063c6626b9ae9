"""`imon deploy` and `imon backfill` as an office's IT meets them before any run exists (the rest: tests/test_operations.py).

Wrong arguments must stop the command before it talks to the Prefect server: the server here is a local HTTP
endpoint that records every request and knows no deployment, so a request that should not happen is seen.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.deploy import check_cron
from flows.operations import check_backfill

KNOWN = ["population_by_sex", "municipality_register"]


@pytest.fixture
def server(monkeypatch):
    """A stand-in Prefect API at PREFECT_API_URL (environment and Prefect's settings): every request recorded, 404."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            requests.append(f"{self.command} {self.path}")
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b'{"detail": "Not Found"}'
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

        def log_message(self, *args):
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{http.server_address[1]}/api"
    monkeypatch.setenv("PREFECT_API_URL", url)
    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield requests
    http.shutdown()
    http.server_close()


def _invoke(*arguments):
    return CliRunner().invoke(app, list(arguments), env={"COLUMNS": "300"})


def test_deploy_without_a_prefect_server_says_where_to_point_it(monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    result = _invoke("deploy", "--pool", "imon")
    assert result.exit_code == 2
    assert "PREFECT_API_URL is not set" in result.output
    assert "Running at a state office" in result.output


def test_check_backfill_gives_the_years_from_first_to_last():
    assert check_backfill(2019, 2021, None, KNOWN) == [2019, 2020, 2021]
    assert check_backfill(2023, 2023, ["population_by_sex"], KNOWN) == [2023]
    assert check_backfill(1950, 1951, [], KNOWN) == [1950, 1951]
    assert check_backfill(2099, 2100, None, KNOWN) == [2099, 2100]


@pytest.mark.parametrize("first, last, tables, message", [
    (2024, 2022, None, "backfill: first year 2024 is after last year 2022; nothing was run"),
    (1949, 2022, None, "backfill: year 1949 is outside 1950-2100; nothing was run"),
    (2020, 2101, None, "backfill: year 2101 is outside 1950-2100; nothing was run"),
    (2020, 2021, ["population_by_sex", "pupils", "arrivals"],
     "backfill: unknown table(s) arrivals, pupils; see sources/tables.yaml; nothing was run"),
])
def test_check_backfill_refuses_a_wrong_range_or_table_naming_it(first, last, tables, message):
    with pytest.raises(ValueError) as refused:
        check_backfill(first, last, tables, KNOWN)
    assert str(refused.value) == message


@pytest.mark.parametrize("arguments, message", [
    (["2024", "2022"], "backfill: first year 2024 is after last year 2022; nothing was run"),
    (["1900", "2022"], "backfill: year 1900 is outside 1950-2100; nothing was run"),
    (["2020", "2022", "--table", "no_such_table"],
     "backfill: unknown table(s) no_such_table; see sources/tables.yaml; nothing was run"),
])
def test_imon_backfill_refuses_a_wrong_range_before_any_request_to_the_server(server, arguments, message):
    result = _invoke("backfill", *arguments)
    assert result.exit_code == 2
    assert result.output.strip() == message
    assert server == []  # no run created: the server was never asked


def test_imon_backfill_with_a_good_range_asks_the_server_for_the_deployment(server):
    result = _invoke("backfill", "2022", "2023", "--table", "population_by_sex")
    assert result.exit_code == 1, result.output
    assert "no deployment imon/backfill on http://127.0.0.1:" in result.output
    assert "run `imon deploy` first" in result.output
    assert "GET /api/deployments/name/imon/backfill" in server


def test_imon_backfill_help_says_what_it_does_and_what_it_refuses():
    result = _invoke("backfill", "--help")
    assert result.exit_code == 0
    text = " ".join(result.output.replace("│", " ").replace("{", "").replace("}", "").split())
    assert "Usage: root backfill [OPTIONS] FIRST_YEAR LAST_YEAR" in text
    assert "Start a run of imon/backfill on the Prefect server: one pull per reference year" in text
    assert "a wrong range (first after last, outside 1950-2100) or an unknown table stops with exit code 2" in text


@pytest.mark.parametrize("cron", ["61 * * * *", "every month", "0 5 2 *"])
def test_check_cron_refuses_what_is_not_a_cron_expression(cron):
    with pytest.raises(ValueError) as refused:
        check_cron(cron, "--cron")
    assert str(refused.value).startswith(f"--cron {cron!r} is not a cron expression: five fields")


def test_check_cron_accepts_the_defaults_and_no_value():
    for cron in ("0 5 2 * *", "0 6 * * *", "*/15 8-18 * * 1-5", None):
        check_cron(cron)


@pytest.mark.parametrize("option", ["--cron", "--updates-cron"])
def test_imon_deploy_refuses_an_invalid_cron_before_any_request_to_the_server(server, option):
    result = _invoke("deploy", "--pool", "imon", option, "61 * * * *")
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"{option} '61 * * * *' is not a cron expression: five fields, minute hour day-of-month month day-of-week, "
        "e.g. '0 5 2 * *' (05:00 on the 2nd of every month); nothing was deployed")
    assert server == []  # no work pool, limit or deployment was asked for
