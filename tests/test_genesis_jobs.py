"""The background-job workflow (status 98 → 99 → 104 … 0 → resultfile) and splitting where jobs are impossible."""

import csv
import io
import zipfile
from pathlib import Path

import pytest

from sources.errors import FetchError, GenesisStatusError

SAMPLE = Path(__file__).resolve().parents[1] / "offline" / "sample"


def test_job_flow_to_completion(fake_genesis, genesis_client):
    fake_genesis.job_polls = 3
    sleeps = []

    download = genesis_client("destatis", sleep=sleeps.append, poll_interval_seconds=5).tablefile("12531-0043", compress="true")

    assert download.body == (SAMPLE / "12531-0043_175879554_flat.zip").read_bytes()
    assert download.job_name == "12531-0043_175879554"
    assert download.filename == "12531-0043_175879554_flat.zip"
    assert download.parameters["name"] == "12531-0043" and download.parameters["compress"] == "true"
    calls = [(r.endpoint, r.form.get("job")) for r in fake_genesis.requests]
    assert calls == [("data/tablefile", "false"), ("data/tablefile", "true")] + [("catalogue/results", None)] * 4 + [
        ("data/resultfile", None)]
    assert fake_genesis.requests_to("catalogue/results")[0].form == {
        "selection": "12531-0043_175879554", "area": "user", "pagelength": "1"}
    assert fake_genesis.requests_to("data/resultfile")[0].form["name"] == "12531-0043_175879554"
    assert sleeps == [5, 7.5, 11.25, 16.875]  # a pause before the first poll, then growing intervals


def test_job_name_is_read_from_the_status_99_text(fake_genesis, genesis_client):
    fake_genesis.too_large = {"12411-01-01-4"}

    download = genesis_client("regio").tablefile("12411-01-01-4")

    (job_name,) = fake_genesis.jobs
    assert job_name.startswith("12411-01-01-4_") and download.job_name == job_name
    assert download.body == (SAMPLE / "12411-01-01-4_1773175772751_de_flat.zip").read_bytes()


def test_job_deadline_exceeded(fake_genesis, genesis_client):
    fake_genesis.job_polls = 10_000
    client = genesis_client("destatis", poll_interval_seconds=5, job_deadline_seconds=60)

    with pytest.raises(FetchError, match=r"job 12531-0043_175879554 not finished after 6\d s \(deadline 60 s\)"):
        client.tablefile("12531-0043")
    assert 3 <= len(fake_genesis.requests_to("catalogue/results")) <= 8
    assert not fake_genesis.requests_to("data/resultfile")


def test_polling_survives_a_dropped_connection(fake_genesis, genesis_client):
    fake_genesis.inject("reset", path="catalogue/results", after=1)

    download = genesis_client("destatis").tablefile("12531-0043")

    assert download.job_name == "12531-0043_175879554"


def test_a_token_cannot_create_jobs(fake_genesis, genesis_client):
    with pytest.raises(GenesisStatusError) as caught:
        genesis_client("destatis", token=True).tablefile("12531-0043")

    assert caught.value.code == 98
    assert "a token cannot create background jobs; set IMON_DESTATIS_USERNAME and IMON_DESTATIS_PASSWORD" in str(caught.value)
    assert [r.form["job"] for r in fake_genesis.requests] == ["false"]


def test_zensus_has_no_jobs_and_suggests_splitting(fake_genesis, genesis_client):
    fake_genesis.too_large = {"1000A-0000"}

    with pytest.raises(GenesisStatusError, match="zensus offers no background jobs; split .*startyear/endyear or regionalkey"):
        genesis_client("zensus").tablefile("1000A-0000")
    assert [r.form["job"] for r in fake_genesis.requests] == ["false"]


def _rows(body: bytes) -> list[list[str]]:
    """Rows of the single CSV in a zip, header first."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        text = archive.read(archive.namelist()[0]).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_zensus_split_and_merge(fake_genesis, genesis_client):
    fake_genesis.too_large = {"1000A-0000"}
    splits = [{"regionalkey": "01*"}, {"regionalkey": "02*"}]

    downloads = genesis_client("zensus").tablefile_split("1000A-0000", splits)

    assert [d.parameters["regionalkey"] for d in downloads] == ["01*", "02*"]
    parts = [_rows(d.body) for d in downloads]
    assert parts[0][0] == parts[1][0]
    merged = sorted(parts[0][1:] + parts[1][1:])
    full = _rows(fake_genesis._answers[("zensus", "data/tablefile", "1000A-0000")].body)
    assert merged == sorted(row for row in full[1:] if row[7][:2] in ("01", "02"))
    assert len(parts[0]) > 1 and len(parts[1]) > 1


def test_split_needs_splits(genesis_client):
    with pytest.raises(ValueError):
        genesis_client("zensus").tablefile_split("1000A-0000", [])
