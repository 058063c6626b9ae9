"""The landing zone: bytes stored unchanged, sidecar with provenance, unchanged content recognised."""

import json
import logging
from datetime import datetime, timezone

import pytest

from sources.landing import land, parameters_hash, sniff_extension
from sources.genesis import Download


def _download(body=b"\xef\xbb\xbfstatistics_code;value\n12411;1\n", **changes) -> Download:
    fields = dict(body=body, content_type="text/csv", filename="12411-01-01-4_flat.csv",
                  parameters={"name": "12411-01-01-4", "language": "de"}, http_status=200,
                  headers={"Content-Type": "text/csv"}, fetched_at=datetime(2026, 3, 10, 20, 49, tzinfo=timezone.utc),
                  url="https://www.regionalstatistik.de/genesisws/rest/2020/data/tablefile")
    return Download(**{**fields, **changes})


def test_land_stores_body_and_sidecar(tmp_path):
    download = _download()

    landed = land(download, landing_dir=tmp_path, source="regio", table="12411-01-01-4")

    expected = tmp_path / "regio" / "12411-01-01-4" / f"12411-01-01-4_{parameters_hash(download.parameters)}.csv"
    assert landed.path == expected and landed.path.read_bytes() == download.body
    assert landed.sidecar_path == expected.with_name(expected.name + ".json")
    assert landed.unchanged is False and landed.size == len(download.body)
    sidecar = json.loads(landed.sidecar_path.read_text(encoding="utf-8"))
    assert sidecar["parameters"] == download.parameters and sidecar["sha256"] == landed.sha256
    assert sidecar["fetched_at"] == "2026-03-10T20:49:00+00:00" and sidecar["synthetic"] is False
    assert (sidecar["http_status"], sidecar["filename"], sidecar["job_name"]) == (200, "12411-01-01-4_flat.csv", None)
    assert sorted(p.name for p in expected.parent.iterdir()) == sorted([expected.name, landed.sidecar_path.name])


def test_relanding_the_same_bytes_rewrites_nothing(tmp_path):
    first = land(_download(), landing_dir=tmp_path, source="regio", table="12411-01-01-4")
    stamps = (first.path.stat().st_mtime_ns, first.sidecar_path.stat().st_mtime_ns)

    again = land(_download(fetched_at=datetime.now(timezone.utc)), landing_dir=tmp_path, source="regio", table="12411-01-01-4")

    assert again.unchanged is True and again.path == first.path and again.sha256 == first.sha256
    assert (again.path.stat().st_mtime_ns, again.sidecar_path.stat().st_mtime_ns) == stamps
    assert again.fetched_at == first.fetched_at


def test_new_content_replaces_the_file(tmp_path):
    first = land(_download(), landing_dir=tmp_path, source="regio", table="12411-01-01-4")

    second = land(_download(body=b"statistics_code;value\n12411;2\n"), landing_dir=tmp_path, source="regio",
                  table="12411-01-01-4")

    assert second.unchanged is False and second.path == first.path and second.sha256 != first.sha256
    assert json.loads(second.sidecar_path.read_text())["sha256"] == second.sha256


def test_other_parameters_land_beside(tmp_path):
    first = land(_download(), landing_dir=tmp_path, source="regio", table="12411-01-01-4")
    other = land(_download(parameters={"name": "12411-01-01-4", "language": "en"}), landing_dir=tmp_path,
                 source="regio", table="12411-01-01-4", synthetic=True)

    assert other.path != first.path and first.path.exists()
    assert json.loads(other.sidecar_path.read_text())["synthetic"] is True


@pytest.mark.parametrize("body, extension", [
    (b"PK\x03\x04rest", "zip"), (b'{"Status":{}}', "json"), (b"\xef\xbb\xbfstatistics_code;", "csv"),
    (b"Tabelle: 13211-02-05-4\n", "csv"),
])
def test_extension_is_sniffed_from_the_bytes(body, extension):
    assert sniff_extension(body) == extension


@pytest.mark.parametrize("source, table", [("regio", "../etc"), ("", "12411-01-01-4"), ("regio", "a/b")])
def test_unsafe_names_are_refused(tmp_path, source, table):
    with pytest.raises(ValueError):
        land(_download(), landing_dir=tmp_path, source=source, table=table)


def test_landing_a_live_job_download_keeps_credentials_out(fake_genesis, genesis_client, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    download = genesis_client("destatis").tablefile("12531-0043", compress="true")

    landed = land(download, landing_dir=tmp_path, source="destatis", table="12531-0043")

    sidecar = json.loads(landed.sidecar_path.read_text(encoding="utf-8"))
    assert sidecar["job_name"] == "12531-0043_175879554" and landed.path.suffix == ".zip"
    assert sidecar["headers"]["Content-Disposition"] == "attachment; filename=12531-0043_175879554_flat.zip"
    everything = b"".join(path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())
    for secret in (fake_genesis.username, fake_genesis.password, fake_genesis.token):
        assert secret.encode() not in everything and secret not in caplog.text


def test_the_same_table_zipped_at_another_time_is_unchanged(tmp_path):
    """GENESIS names the zip member after the download time: same content, other bytes."""
    import io
    import zipfile
    from datetime import datetime, timezone

    from sources.genesis import Download
    from sources.landing import land

    def zipped(member: str) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(member, "statistics_code;value\n12411;1\n")
        return buffer.getvalue()

    def download(body: bytes) -> Download:
        return Download(body=body, content_type="application/zip", filename="x.zip", parameters={"name": "12411-01-01-4"},
                        http_status=200, headers={}, fetched_at=datetime.now(timezone.utc))

    first = land(download(zipped("12411-01-01-4_1773175772751_de_flat.csv")), landing_dir=tmp_path, source="regio", table="12411-01-01-4")
    again = land(download(zipped("12411-01-01-4_1773179999999_de_flat.csv")), landing_dir=tmp_path, source="regio", table="12411-01-01-4")
    assert not first.unchanged and again.unchanged
    assert again.sha256 == first.sha256  # the loaded fingerprint stays that of the landed file
    changed = land(download(zipped("x.csv").replace(b"12411;1", b"12411;2")), landing_dir=tmp_path, source="regio", table="12411-01-01-4")
    assert not changed.unchanged
