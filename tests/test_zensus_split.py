"""Zensus has no background jobs: a table too large for one request is fetched per Land and merged."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from flows.pipeline import pull_table
from flows.settings import PROJECT_ROOT, load_settings
from sources.catalog import load_table_specs
from sources.errors import GenesisStatusError
from sources.genesis import LAND_KEYS, download_table
from sources.parse import parse_table

LANDS = [f"{land}*" for land in LAND_KEYS]
CENSUS = next(s for s in load_table_specs(PROJECT_ROOT / "sources" / "tables.yaml") if s.table == "1000A-0000")


def _parse(body: bytes) -> pd.DataFrame:
    return parse_table(body, source="zensus", table="1000A-0000")


def test_a_too_large_zensus_table_is_fetched_per_land(fake_genesis, genesis_client):
    fake_genesis.too_large = {"1000A-0000"}

    downloads = download_table(genesis_client("zensus"), "1000A-0000", {})

    assert [d.parameters["regionalkey"] for d in downloads] == LANDS == [f"{n:02d}*" for n in range(1, 17)]
    tablefile = fake_genesis.requests_to("data/tablefile")
    assert [r.form.get("regionalkey", "") for r in tablefile] == [""] + LANDS
    assert {r.form["job"] for r in tablefile} == {"false"}  # never asks Zensus for a job
    parts = pd.concat([_parse(d.body) for d in downloads], ignore_index=True)
    full = _parse(fake_genesis._answers[("zensus", "data/tablefile", "1000A-0000")].body)
    # every Gemeinde once, in its Land's part; only the Germany row (DG) is in no part
    assert sorted(parts["region_key"]) == sorted(full.loc[full["region_key"] != "DG", "region_key"])
    assert parts.groupby(parts["region_key"].str[:2])["value"].sum().sum() == full.loc[full["region_key"] != "DG", "value"].sum()


def test_the_flow_lands_one_file_per_land_and_recognises_them_unchanged(fake_genesis, tmp_path):
    fake_genesis.too_large = {"1000A-0000"}
    settings = load_settings({**fake_genesis.environ("zensus"), "IMON_LANDING_DIR": str(tmp_path / "landing")})

    landed = pull_table.fn(CENSUS, settings)
    again = pull_table.fn(CENSUS, settings)

    assert len(landed) == 16 and len({f.path for f in landed}) == 16
    assert [f.parameters["regionalkey"] for f in landed] == LANDS
    sidecar = json.loads(landed[4].sidecar_path.read_text(encoding="utf-8"))
    assert sidecar["parameters"]["regionalkey"] == "05*" and sidecar["url"].startswith("http://127.0.0.1:")
    assert not any(f.unchanged for f in landed) and all(f.unchanged for f in again)
    assert sorted(p.name for p in (tmp_path / "landing" / "zensus" / "1000A-0000").iterdir()) == \
        sorted([f.path.name for f in landed] + [f.sidecar_path.name for f in landed])


def test_a_land_still_too_large_fails_clearly_and_lands_nothing(fake_genesis, tmp_path):
    fake_genesis.too_large = {"1000A-0000"}
    fake_genesis.inject("status", path="data/tablefile", after=3, code=98, content="Die Tabelle ist zu gross")
    settings = load_settings({**fake_genesis.environ("zensus"), "IMON_LANDING_DIR": str(tmp_path / "landing")})

    with pytest.raises(GenesisStatusError) as caught:
        pull_table.fn(CENSUS, settings)

    assert caught.value.code == 98
    assert str(caught.value).startswith("zensus 1000A-0000: even the part for Land 03 (regionalkey=03*) is too large")
    assert not (tmp_path / "landing").exists()  # nothing half-landed


def test_only_too_large_answers_of_instances_without_jobs_are_split(fake_genesis, genesis_client):
    with pytest.raises(GenesisStatusError) as caught:
        download_table(genesis_client("zensus"), "9999A-0000", {})
    assert caught.value.code == 104 and fake_genesis.request_count == 1

    (download,) = download_table(genesis_client("destatis"), "12531-0043", {"compress": "true"})
    assert download.job_name == "12531-0043_175879554"  # instances with jobs use the job

    fake_genesis.inject("status", path="data/tablefile", code=98, content="Die Tabelle ist zu gross")
    with pytest.raises(GenesisStatusError, match="offers no background jobs"):
        download_table(genesis_client("zensus"), "1000A-0000", {"regionalkey": "09*"})  # the user's own selection
    assert fake_genesis.requests_to("data/tablefile")[-1].form["regionalkey"] == "09*"
