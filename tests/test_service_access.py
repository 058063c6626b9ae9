"""Access to the query service over real HTTP: 401 without a valid key, 403 outside one's rights, keys, the log."""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from flows.cli import app

try:
    from service_support import bearer, running_service
except ImportError:
    from tests.service_support import bearer, running_service

runner = CliRunner()

READS = [
    ("GET", "/api/catalog", None),
    ("GET", "/api/values?region=09162&indicator=ARB06", None),
    ("GET", "/api/regions?level=kreis", None),
    ("GET", "/api/regions/09162/profile", None),
    ("GET", "/api/status", None),
    ("POST", "/api/sql", {"sql": "SELECT count(*) AS n FROM marts.indicator_value"}),
    ("GET", "/api/uploads", None),
]


@pytest.fixture(scope="module")
def service(built, tmp_path_factory):
    summary = built[0]
    with running_service(tmp_path_factory.mktemp("access"), summary.warehouse_path, summary.run_id) as running:
        yield running


@pytest.mark.parametrize("method,path,body", READS, ids=[r[1] for r in READS])
def test_every_endpoint_answers_401_without_a_valid_key_and_200_with_any_key(service, method, path, body):
    anonymous = httpx.Client(base_url=service.url, timeout=30)
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, bearer("imon_0123456789_" + "x" * 43), bearer("nonsense")):
        response = anonymous.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert "key" in response.json()["detail"]
    for who in ("09162", "09163", "state"):
        with service.client(who) as client:
            response = client.request(method, path, json=body)
            assert response.status_code == 200, (who, response.text)


def test_a_county_may_not_read_another_countys_area_nor_the_state_office_upload(service):
    with service.client("09163") as other, service.client("state") as state:
        response = other.get("/api/uploads/09162/anything")
        assert response.status_code == 403 and "09162" in response.json()["detail"]
        response = other.post("/api/sql", json={"sql": "SELECT * FROM county_09162.anything"})
        assert response.status_code == 403 and response.json()["refusal"] == "county_area"
        response = state.post("/api/uploads/anything", files={"file": ("a.csv", b"ags,period,variable,value\n09162,2024,x,5\n")})
        assert response.status_code == 403 and "county" in response.json()["detail"]


def test_keys_from_the_cli_are_shown_once_stored_hashed_and_revocable(service):
    env = {"IMON_SERVICE_DIR": str(service.settings.service_dir), "IMON_PUBLISHED_DIR": str(service.settings.published_dir),
           "COLUMNS": "200"}
    warehouse = ["-w", str(service.settings.warehouse_path)]
    created = runner.invoke(app, ["keys", "create", "--county", "09162", "--label", "Sozialamt", *warehouse], env=env)
    assert created.exit_code == 0, created.output
    key = next(line for line in created.output.splitlines() if line.startswith("imon_"))
    key_id = key.split("_")[1]
    with httpx.Client(base_url=service.url, headers=bearer(key), timeout=30) as client:
        assert client.get("/api/catalog").status_code == 200
        listed = runner.invoke(app, ["keys", "list", *warehouse], env=env)
        assert key_id in listed.output and "Sozialamt" in listed.output and key.split("_", 2)[2] not in listed.output
        assert key.split("_", 2)[2].encode() not in (service.settings.service_dir / "access.sqlite3").read_bytes()
        revoked = runner.invoke(app, ["keys", "revoke", key_id, *warehouse], env=env)
        assert revoked.exit_code == 0
        assert client.get("/api/catalog").status_code == 401
    assert runner.invoke(app, ["keys", "revoke", key_id, *warehouse], env=env).exit_code == 1
    unknown = runner.invoke(app, ["keys", "create", "--county", "99999", *warehouse], env=env)
    assert unknown.exit_code == 2 and "not a Kreis" in unknown.output
    neither = runner.invoke(app, ["keys", "create", *warehouse], env=env)
    # exit code 2 is also Typer's for any usage error: the message says which one this is
    assert (neither.exit_code, neither.output.strip()) == (2, "give either --county <5-digit Kreis key> or --state-office")


def test_every_request_is_logged_with_the_key_id_and_never_the_key(service):
    with service.client("09162") as county:
        county.get("/api/values", params={"region": "09162", "token": "not-logged"})
    httpx.get(f"{service.url}/api/catalog", headers=bearer("imon_0123456789_secretsecretsecretsecret"))
    log = (service.settings.service_dir / "requests.log").read_text(encoding="utf-8")
    entries = [json.loads(line) for line in log.splitlines()]
    for key in service.keys.values():
        assert key not in log and key.split("_", 2)[2] not in log
    assert "secretsecret" not in log and "not-logged" not in log
    county_entry = next(e for e in entries if e["path"] == "/api/values" and "token" in e["query"])
    assert county_entry["query"] == "region=09162&token=***"
    assert county_entry["key_id"] == service.keys["09162"].split("_")[1]
    assert county_entry["status"] == 200 and county_entry["role"] == "county" and county_entry["county"] == "09162"
    assert any(e["status"] == 401 and e["key_id"] is None for e in entries)


def test_pages_docs_and_assets_are_public_and_local(service):
    with httpx.Client(base_url=service.url, timeout=30) as anonymous:
        page = anonymous.get("/profile/09162")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "/static/vendor/chartjs/chart.umd.min.js" in page.text
        docs = anonymous.get("/docs")
        assert docs.status_code == 200 and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
        for text in (page.text, docs.text, anonymous.get("/static/profile.js").text):
            assert "https://" not in text.replace("https://www.chartjs.org", "")  # no CDN
        assert anonymous.get("/static/vendor/chartjs/chart.umd.min.js").status_code == 200
        assert anonymous.get("/static/vendor/swagger-ui/swagger-ui.css").status_code == 200
        assert anonymous.get("/", follow_redirects=False).headers["location"] == "/profile"
        spec = anonymous.get("/openapi.json").json()
        assert {"/api/values", "/api/regions/{region}/profile", "/api/catalog", "/api/status", "/api/sql",
                "/api/uploads/{table}"} <= set(spec["paths"])
        assert spec["components"]["securitySchemes"]["API key"]["scheme"] == "bearer"
