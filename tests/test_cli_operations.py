"""`imon deploy` as an office's IT meets it before any server is set up (the rest: tests/test_operations.py)."""

from typer.testing import CliRunner

from flows.cli import app


def test_deploy_without_a_prefect_server_says_where_to_point_it(monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    result = CliRunner().invoke(app, ["deploy", "--pool", "imon"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "PREFECT_API_URL is not set" in result.output
    assert "Running at a state office" in result.output
