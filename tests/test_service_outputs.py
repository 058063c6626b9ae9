"""The read endpoints: values, catalogue, regions, a profile with Land, Germany and peer group, status; four formats."""

from __future__ import annotations

import io
import statistics
import time

import pandas as pd
import pyarrow.parquet as pq
import pytest

try:
    from service_support import running_service
except ImportError:
    from tests.service_support import running_service


def catalogued() -> list[str]:
    """Indicator ids from the headers of sql/indicators/, without those resting only on a county's own files."""
    from flows.settings import PROJECT_ROOT
    from warehouse.models import discover_models, indicator_models

    return [m.header["id"] for m in indicator_models(discover_models(PROJECT_ROOT / "sql"))
            if not all(str(source).startswith("county_file") for source in (m.header.get("sources") or []))]


CATALOGUED = catalogued()


@pytest.fixture(scope="module")
def service(built, tmp_path_factory):
    summary = built[0]
    with running_service(tmp_path_factory.mktemp("outputs"), summary.warehouse_path, summary.run_id) as running:
        with running.client("09163") as client:
            running.county = client
            yield running


def parse(response, fmt: str) -> pd.DataFrame:
    """A tabular answer back into a frame, whatever its format."""
    assert response.status_code == 200, response.text
    if fmt == "json":
        return pd.DataFrame(response.json()["data"])
    if fmt == "csv":
        return pd.read_csv(io.StringIO(response.text), dtype={"ags": str, "flag": str})
    if fmt == "parquet":
        return pq.read_table(io.BytesIO(response.content)).to_pandas()
    return pd.read_excel(io.BytesIO(response.content), dtype={"ags": str, "flag": str})


@pytest.mark.parametrize("fmt", ["json", "csv", "parquet", "xlsx"])
def test_indicator_values_filtered_in_every_format(service, warehouse, built, fmt):
    response = service.county.get("/api/values", params={"indicator": "ARB06", "level": "kreis", "land": "09", "format": fmt,
                                                          "period_from": 2023, "period_to": 2023})
    frame = parse(response, fmt)
    expected = warehouse.execute(
        "SELECT ags, value FROM marts.indicator_value WHERE indicator_id = 'ARB06' AND level = 'kreis' "
        "AND ags LIKE '09%' AND period = 2023 ORDER BY ags").fetchall()
    assert len(frame) == len(expected) == 96
    assert frame["ags"].tolist() == [a for a, _ in expected]
    assert frame["value"].round(9).tolist() == [round(v, 9) for _, v in expected]
    assert "München, Landeshauptstadt" in frame["region_name"].tolist()
    assert response.headers["x-imon-snapshot"] == built[0].run_id


def test_values_of_one_region_and_a_period_range(service):
    body = service.county.get("/api/values", params={"region": "09162", "period_from": 2024, "period_to": 2024}).json()
    assert {row["period"] for row in body["data"]} == {2024}
    assert {row["ags"] for row in body["data"]} == {"09162000"}
    assert {row["indicator_id"] for row in body["data"]} >= {"ARB03", "DEM09"}
    germany = service.county.get("/api/values", params={"region": "DG", "indicator": ["ARB06", "BIL01"]}).json()["data"]
    assert {(r["indicator_id"], r["level"]) for r in germany} == {("ARB06", "deutschland"), ("BIL01", "deutschland")}


def test_profile_has_land_germany_and_the_peer_group_from_counts(service, warehouse):
    profile = service.county.get("/api/regions/09162/profile").json()
    assert profile["region"]["name"] == "München, Landeshauptstadt" and profile["land"]["name"] == "Bayern"
    group = profile["peer_group"]
    assert group["is_default"] and group["kreis_type"] == "kreisfreie_stadt" and group["size_class"] == "300k_and_more"
    members = warehouse.execute(
        "SELECT ags FROM core.region WHERE level = 'kreis' AND (text_code IN ('41', '42') OR ags IN ('02000000', '11000000')) "
        "AND population >= 300000 ORDER BY ags").fetchall()
    assert [m["ags"] for m in group["members"]] == [m[0] for m in members] and "09162000" in [m[0] for m in members]
    arb06 = next(i for i in profile["indicators"] if i["indicator_id"] == "ARB06")
    row = next(r for r in arb06["series"] if r["period"] == 2023)  # 13211-02-05-4.csv (2023)
    assert round(row["value"], 1) == 49.0 and round(row["land_value"], 1) == 38.7 and round(row["germany_value"], 1) == 37.1
    numerator, denominator = warehouse.execute(
        "SELECT sum(numerator), sum(denominator) FROM marts.indicator_value WHERE indicator_id = 'ARB06' AND level = 'kreis' "
        "AND period = ? AND ags IN (SELECT unnest(?))", [row["period"], [m[0] for m in members]]).fetchone()
    assert row["peer_method"] == "counts" and row["peer_value"] == pytest.approx(100 * numerator / denominator)
    assert row["peer_members"] == len(members) and row["groups"][0]["group_id"] == group["group_id"]
    assert arb06["definition"] and arb06["sources"] and arb06["unit"] == "pct"
    assert sum(p["is_region"] for p in arb06["peers"]) == 1 and len(arb06["peers"]) == len(members)


def test_profile_of_a_published_rate_uses_the_median_of_the_group(service, warehouse):
    profile = service.county.get("/api/regions/09162/profile").json()
    arb04 = next(i for i in profile["indicators"] if i["indicator_id"] == "ARB04")["series"][0]
    members = [m["ags"] for m in profile["peer_group"]["members"]]
    values = [v for (v,) in warehouse.execute(
        "SELECT value FROM marts.indicator_value WHERE indicator_id = 'ARB04' AND level = 'kreis' AND period = ? "
        "AND value IS NOT NULL AND ags IN (SELECT unnest(?))", [arb04["period"], members]).fetchall()]
    assert arb04["peer_method"] == "median" and arb04["peer_value"] == pytest.approx(statistics.median(values))


def test_user_defined_groups_come_with_the_profile(service, warehouse):
    groups = warehouse.execute("SELECT DISTINCT group_id FROM core.peer_group WHERE ags = '09162000' AND NOT is_default").fetchall()
    profile = service.county.get("/api/regions/09162/profile").json()
    assert sorted(g["group_id"] for g in profile["other_groups"]) == sorted(g[0] for g in groups)
    for group in profile["other_groups"]:
        assert group["members"] and group["definition"]


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_profile_downloads_are_one_long_table(service, fmt):
    frame = parse(service.county.get("/api/regions/09162/profile", params={"format": fmt}), fmt)
    assert {"indicator_id", "period", "value", "land_value", "germany_value", "peer_value", "peer_method"} <= set(frame.columns)
    assert set(frame["ags"]) == {"09162000"}
    # the long table holds exactly the series of the JSON profile, one row per indicator and period
    profile = service.county.get("/api/regions/09162/profile").json()
    series = [(i["indicator_id"], point["period"]) for i in profile["indicators"] for point in i["series"]]
    assert len(series) > 9
    assert sorted(zip(frame["indicator_id"], frame["period"].astype(int))) == sorted(series)


def test_profiles_of_a_land_and_of_germany_have_no_peer_group(service):
    land = service.county.get("/api/regions/09/profile").json()
    assert land["region"]["level"] == "land" and land["peer_group"] is None and land["land"] is None
    germany = service.county.get("/api/regions/DG/profile").json()
    assert germany["region"]["level"] == "deutschland"
    assert service.county.get("/api/regions/99999/profile").status_code == 404
    assert service.county.get("/api/regions/9x/profile").status_code == 404


@pytest.mark.parametrize("fmt", ["json", "csv", "parquet", "xlsx"])
def test_catalogue_in_every_format(service, fmt):
    frame = parse(service.county.get("/api/catalog", params={"format": fmt}), fmt)
    assert "definition" in frame.columns
    # every indicator of sql/indicators/ except those resting only on files a county delivers (none in the sample)
    assert sorted(frame["indicator_id"]) == sorted(CATALOGUED)


def test_regions_list_the_kreise_with_data(service):
    kreise = service.county.get("/api/regions", params={"level": "kreis"}).json()["data"]
    assert len(kreise) == 400 and all(k["has_data"] for k in kreise)
    munich = next(k for k in kreise if k["ags"] == "09162000")
    assert munich["land_name"] == "Bayern"


def test_status_names_the_run_and_the_validation_of_every_table(service, built, warehouse):
    status = service.county.get("/api/status").json()
    assert status["snapshot"] == built[0].run_id == status["publication"]["run_id"]
    assert status["run"]["run_id"] == built[0].run_id and status["run"]["outcome"] == built[0].outcome
    names = {t["table_name"] for t in status["tables"]}
    # every table the run loaded (a county's own files are not in the sample) and every indicator it audited,
    # none with a blocking failure
    indicators = {name for name in names if name.startswith("indicators.")}
    assert names - indicators == {t.name for t in built[0].tables if t.status == "loaded"}
    assert indicators == {r[0] for r in warehouse.execute(
        "SELECT 'indicators.' || table_name FROM duckdb_tables() WHERE schema_name = 'indicators'").fetchall()}
    assert [t["table_name"] for t in status["tables"] if t["blocking_failures"] != 0] == []
    assert status["quality_gate_passed"] is True
    assert [s["current"] for s in status["snapshots"]] == [True]
    frame = parse(service.county.get("/api/status", params={"format": "csv"}), "csv")
    assert "municipality_register" in frame["table_name"].tolist()


def test_nothing_published_is_a_503(tmp_path, built):
    try:
        from service_support import ThreadedService, create_keys, service_settings
    except ImportError:
        from tests.service_support import ThreadedService, create_keys, service_settings
    import httpx

    settings = service_settings(tmp_path, built[0].warehouse_path)
    key = create_keys(settings)["state"]
    with ThreadedService(settings) as running:
        response = httpx.get(f"{running.url}/api/catalog", headers={"Authorization": f"Bearer {key}"})
        health = httpx.get(f"{running.url}/health")
    assert response.status_code == 503 and "imon run" in response.json()["detail"]
    assert health.status_code == 503 and health.json() == {"snapshot_published": False, "warmed": False}


def test_health_says_when_the_snapshot_is_warm(service):
    """No key needed; the warm-up (every Kreis's, Land's and Germany's profile) starts with the service."""
    import httpx

    deadline = time.monotonic() + 120
    while not (health := httpx.get(f"{service.url}/health")).json()["warmed"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert health.status_code == 200 and health.json() == {"snapshot_published": True, "warmed": True}
    assert health.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("accept", ["gzip, deflate", "br;q=1.0, gzip;q=0.5", "*"])
def test_a_profile_goes_out_compressed_to_clients_that_accept_gzip(service, accept):
    plain = service.county.get("/api/regions/09162/profile", headers={"Accept-Encoding": "identity"})
    packed = service.county.get("/api/regions/09162/profile", headers={"Accept-Encoding": accept})
    assert plain.status_code == packed.status_code == 200
    assert "content-encoding" not in plain.headers and packed.headers["content-encoding"] == "gzip"
    assert plain.headers["vary"] == packed.headers["vary"] == "Accept-Encoding"
    assert int(packed.headers["content-length"]) * 4 < int(plain.headers["content-length"]) == len(plain.content)
    assert packed.content == plain.content and packed.json()["region"]["ags"] == "09162000"


@pytest.mark.parametrize("accept", ["identity", "gzip;q=0", "gzip;q=0.000, identity", "*;q=0", "deflate, br", ""])
def test_a_profile_goes_out_plain_to_clients_that_refuse_gzip(service, accept):
    response = service.county.get("/api/regions/09162/profile", headers={"Accept-Encoding": accept})
    assert response.status_code == 200 and "content-encoding" not in response.headers
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.json()["region"]["ags"] == "09162000"


def test_filter_values_are_quoted_never_run_as_sql(service):
    """The slice endpoint puts its filters into SQL as quoted literals: a quote in a value matches nothing."""
    body = service.county.get("/api/values", params={"indicator": "ARB06' OR '1'='1", "level": "kreis"}).json()
    assert body["row_count"] == 0 and body["data"] == []
    again = service.county.get("/api/values", params={"indicator": ["arb06", "ARB06"], "level": "kreis", "land": "09"})
    assert again.status_code == 200 and {r["indicator_id"] for r in again.json()["data"]} == {"ARB06"}


def test_a_repeated_profile_is_the_same_answer(service):
    first = service.county.get("/api/regions/09162/profile")
    second = service.county.get("/api/regions/09162/profile")
    assert first.status_code == second.status_code == 200 and first.content == second.content
    assert first.headers["content-type"] == "application/json"
