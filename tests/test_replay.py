"""The offline replay: every configured GENESIS table answered through the real client, from offline/sample/."""

import hashlib
import io
import zipfile
from urllib.parse import parse_qsl

import pytest
import yaml

from sources.errors import GenesisStatusError
from offline.replay import client_for
from sources.genesis import DEFAULT_BASE_URLS, GenesisClient, check_table, instance_from_env
from sources.landing import land
from offline.replay import DEFAULT_MANIFEST, SAMPLE_DIR, replay_session

TABLES = yaml.safe_load((SAMPLE_DIR.parents[1] / "sources" / "tables.yaml").read_text(encoding="utf-8"))["tables"]
GENESIS_TABLES = [entry for entry in TABLES if entry["source"] in DEFAULT_BASE_URLS]


# The file each configured table ends in (for 12531-0043: the result of the recorded job).
SERVED_FILES = {
    "12411-01-01-4": "12411-01-01-4_1773175772751_de_flat.zip",
    "13111-01-03-4": "13111-01-03-4_1749623409083_de_flat.csv",
    "13211-02-05-4": "13211-02-05-4.csv",
    "21111-01-03-4": "21111-01-03-4.csv",
    "12531-0043": "12531-0043_175879554_flat.zip",
    "1000A-0000": "1000A-0000_1773175153999_de_flat.csv",
    "1000A-2022": "1000A-2022_1773175355216_de_flat.csv",
}


@pytest.mark.parametrize("entry", GENESIS_TABLES, ids=[e["table"] for e in GENESIS_TABLES])
def test_every_configured_table_is_replayed_through_the_client(entry):
    client = client_for(entry["source"], {}, sleep=lambda seconds: None)

    download = client.tablefile(entry["table"], **(entry.get("parameters") or {}))

    assert download.body == (SAMPLE_DIR / SERVED_FILES[entry["table"]]).read_bytes()
    assert download.http_status == 200 and download.filename
    assert download.headers["X-Imon-Replay"]


def test_replayed_job_flow_uses_the_recorded_answers():
    sleeps = []
    client = client_for("destatis", {}, sleep=sleeps.append)

    download = client.tablefile("12531-0043", compress="true")

    assert download.job_name == "12531-0043_175879554"
    assert download.content_type == "application/zip"
    assert hashlib.sha256(download.body).hexdigest() == "2dd47101b166f430e3f347cecd446ce39381ba8e9de8993f02a8304c1aa650a9"
    assert len(sleeps) == 2  # one poll answers 104, the next 0


def test_replay_needs_no_credentials_and_sends_none():
    client = client_for("destatis", {}, sleep=lambda seconds: None)
    sent = []
    client.session.hooks["response"].append(lambda response, *args, **kwargs: sent.append(response.request))

    assert not client.instance.has_credentials
    client.metadata_table("12531-0043")
    client.tablefile("12531-0043", compress="true")  # the job flow: several requests

    assert len(sent) >= 4
    for request in sent:
        headers = {name.lower() for name in request.headers}
        form = dict(parse_qsl(request.body.decode() if isinstance(request.body, bytes) else request.body or ""))
        assert not {"username", "password", "authorization"} & headers, request.headers
        assert not {"username", "password"} & set(form), request.body


def test_replayed_zip_is_the_recorded_body():
    body = client_for("regio", {}).tablefile("12411-01-01-4").body

    assert hashlib.sha256(body).hexdigest() == "b0a23842874ba350cc352ad29a978f1bd43df3ddaa5c9b88bd9b442108802088"
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        member = archive.read("12411-01-01-4_1773175772751_de_flat.csv")
    assert hashlib.sha256(member).hexdigest() == "154526d42173a8fb999cba87d2b6721493e93c4a7c8c7f46659051b5461b74e6"


def test_classic_layout_is_served_as_windows_1252():
    download = client_for("regio", {}).tablefile("13211-02-05-4")

    assert download.content_type == "text/csv; charset=windows-1252"
    assert download.body.startswith(b"Tabelle: 13211-02-05-4")


@pytest.mark.parametrize("source, table, time_to", [
    ("regio", "12411-01-01-4", "31.12.2024"), ("regio", "13111-01-03-4", None), ("destatis", "12531-0043", None),
    ("zensus", "1000A-0000", "15.05.2022"), ("zensus", "1000A-2022", "15.05.2022"),
])
def test_recorded_metadata_is_replayed(source, table, time_to):
    result = check_table(client_for(source, {}), table)

    assert result["exists"] is True and result["offline"] is True
    assert result["message"] == f"offline sample ({table}_metadata_response.json), not asked live"
    if time_to:
        assert result["time_to"] == time_to


def test_the_replay_marks_an_answer_it_does_not_hold():
    from sources.genesis import NOT_RECORDED, REPLAY_HEADER

    response = client_for("regio", {}).session.post(DEFAULT_BASE_URLS["regio"] + "metadata/table", data={"name": "99999-01-01-4"})

    assert response.headers[REPLAY_HEADER] == NOT_RECORDED
    assert response.json()["Status"]["Code"] == 104


def test_unknown_requests_get_status_104_like_the_service():
    client = client_for("regio", {})

    unknown = check_table(client, "21111-01-03-4")
    assert unknown["exists"] is None and unknown["offline"] is True  # unknown, not missing
    assert unknown["message"].startswith("not in the offline sample")
    with pytest.raises(GenesisStatusError) as caught:
        client.tablefile("12411-01-01-4", language="en")
    assert caught.value.code == 104 and "keine Objekte" in caught.value.status_text


def test_replay_follows_a_configured_base_url():
    instance = instance_from_env("destatis", {"IMON_DESTATIS_URL": "https://mirror.example/genesisWS/rest/2020"})
    client = GenesisClient(instance, session=replay_session(instance), sleep=lambda seconds: None, poll_interval_seconds=0)

    assert client.tablefile("12531-0043").job_name == "12531-0043_175879554"


def test_landed_replay_names_its_sample_file(tmp_path):
    download = client_for("zensus", {}).tablefile("1000A-0000")

    landed = land(download, landing_dir=tmp_path, source="zensus", table="1000A-0000")

    assert landed.path.read_bytes() == (SAMPLE_DIR / "1000A-0000_1773175153999_de_flat.csv").read_bytes()
    assert '"X-Imon-Replay": "1000A-0000_1773175153999_de_flat.csv"' in landed.sidecar_path.read_text(encoding="utf-8")


def test_every_sample_file_is_described_in_sources_md():
    described = (SAMPLE_DIR / "SOURCES.md").read_text(encoding="utf-8")
    files = [path.name for path in SAMPLE_DIR.iterdir() if path.name not in ("SOURCES.md", "replay.yaml")]

    assert [name for name in files if f"## {name}" not in described] == []
    assert DEFAULT_MANIFEST.name in described
