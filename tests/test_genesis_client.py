"""GenesisClient against the fake GENESIS service over real HTTP: downloads, metadata, logincheck, status errors."""

import logging
from datetime import timezone
from pathlib import Path

import pytest

from sources.errors import FetchError, GenesisStatusError
from sources.genesis import DEFAULT_BASE_URLS, GenesisClient, Instance, check_table, instance_from_env

SAMPLE = Path(__file__).resolve().parents[1] / "offline" / "sample"


def test_instance_from_env_uses_the_real_base_urls_and_capabilities():
    regio = instance_from_env("regio", {"IMON_REGIO_USERNAME": " someone ", "IMON_REGIO_PASSWORD": "secret-pw"})
    assert regio.base_url == "https://www.regionalstatistik.de/genesisws/rest/2020/"
    assert DEFAULT_BASE_URLS["destatis"] == "https://www-genesis.destatis.de/genesisWS/rest/2020/"
    assert (regio.username, regio.has_credentials, regio.uses_token) == ("someone", True, False)
    zensus = instance_from_env("zensus", {"IMON_ZENSUS_TOKEN": "tok-123456"})
    assert (zensus.supports_jobs, zensus.supports_token, zensus.uses_token) == (False, True, True)
    assert not instance_from_env("nrw", {}).has_credentials
    assert instance_from_env("st", {"IMON_ST_URL": "http://localhost:1/ws"}).base_url == "http://localhost:1/ws/"
    assert "secret-pw" not in repr(regio) and "someone" not in repr(regio)


def test_unknown_instance_needs_a_url():
    with pytest.raises(ValueError, match="IMON_HESSEN_URL"):
        instance_from_env("hessen", {})


def test_tablefile_zipped(fake_genesis, genesis_client):
    download = genesis_client("regio").tablefile("12411-01-01-4")

    assert download.body == (SAMPLE / "12411-01-01-4_1773175772751_de_flat.zip").read_bytes()
    assert download.content_type == "application/zip"
    assert download.filename == "12411-01-01-4_1773175772751_de_flat.zip"
    assert download.http_status == 200 and download.job_name is None
    assert download.parameters == {"name": "12411-01-01-4", "area": "all", "compress": "false", "format": "ffcsv",
                                   "language": "de", "job": "false"}
    assert download.fetched_at.tzinfo == timezone.utc
    (request,) = fake_genesis.requests
    assert request.method == "POST" and request.path == "/genesisws/rest/2020/data/tablefile"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert (request.headers["username"], request.headers["password"]) == (fake_genesis.username, fake_genesis.password)
    assert request.form == download.parameters and request.query == ""


def test_tablefile_plain_csv_with_the_legacy_disposition(genesis_client):
    download = genesis_client("regio").tablefile("13111-01-03-4")

    assert download.body == (SAMPLE / "13111-01-03-4_1749623409083_de_flat.csv").read_bytes()
    assert download.content_type == "text/csv"
    assert download.filename == "13111-01-03-4_1749623409083_de_flat.csv"  # from "attachement;filename=…"


def test_parameters_are_sent_as_genesis_form_values(fake_genesis, genesis_client):
    genesis_client("zensus").tablefile("1000A-0000", quality=True, startyear=2022, regionalkey=None)

    form = fake_genesis.requests[0].form
    assert (form["quality"], form["startyear"]) == ("true", "2022") and "regionalkey" not in form


def test_credentials_are_refused_as_parameters(genesis_client):
    with pytest.raises(ValueError, match="headers"):
        genesis_client("regio").tablefile("12411-01-01-4", password="x")


def test_token_goes_into_username_with_an_empty_password(fake_genesis, genesis_client):
    genesis_client("destatis", token=True).metadata_table("12531-0043")

    headers = fake_genesis.requests[0].headers
    assert (headers["username"], headers["password"]) == (fake_genesis.token, "")


def test_check_table_reports_title_and_time_range(genesis_client):
    result = check_table(genesis_client("zensus"), "1000A-0000")

    assert result["exists"] is True
    assert result["title"] == "Personen: Bevölkerungszahl"
    assert (result["time_from"], result["time_to"]) == ("09.05.2011", "15.05.2022")


def test_check_table_reports_a_missing_table(genesis_client):
    result = check_table(genesis_client("regio"), "99999-99-99-4")

    assert result["exists"] is False
    assert "not found on regio (status 104" in result["message"]


def test_logincheck_ok(genesis_client):
    assert genesis_client("destatis").logincheck() is True
    assert genesis_client("destatis", token=True).logincheck() is True


def test_logincheck_refused_names_the_variables_not_the_secret(fake_genesis, genesis_client):
    client = genesis_client("regio", password="wrong-password-123")

    with pytest.raises(FetchError) as caught:
        client.logincheck()
    message = str(caught.value)
    assert "refused the credentials" in message and "Ein Fehler ist aufgetreten" in message
    assert "IMON_REGIO_USERNAME and IMON_REGIO_PASSWORD" in message
    assert "wrong-password-123" not in message and fake_genesis.username not in message


def test_logincheck_without_credentials_asks_nothing(fake_genesis):
    client = GenesisClient(Instance("regio", fake_genesis.url("regio")))

    assert client.logincheck() is False
    assert fake_genesis.request_count == 0


def test_refused_credentials_on_a_download(genesis_client):
    with pytest.raises(FetchError, match="refused the credentials"):
        genesis_client("regio", password="wrong-password-123").tablefile("12411-01-01-4")


@pytest.mark.parametrize("code, content", [
    (-1, "Für die Teiltabelle mit der Metadatenkombination:\nVerbraucherpreisindex für Deutschland (61111)\n"
         "wurde kein Datenquader gefunden!"),
    (90, "Die angeforderte Tabelle ist nicht vorhanden"),
])
def test_genesis_status_errors_carry_code_and_text(fake_genesis, genesis_client, code, content):
    fake_genesis.inject("status", path="data/tablefile", code=code, content=content)

    with pytest.raises(GenesisStatusError) as caught:
        genesis_client("destatis").tablefile("61111-0021")
    assert (caught.value.code, caught.value.status_text) == (code, content)
    assert str(caught.value).startswith(f"destatis 61111-0021: data/tablefile: GENESIS status {code}")
    assert fake_genesis.request_count == 1


def test_unknown_table_is_status_104(genesis_client):
    with pytest.raises(GenesisStatusError) as caught:
        genesis_client("regio").tablefile("99999-99-99-4")
    assert caught.value.code == 104


def test_html_instead_of_json_is_a_clear_failure_without_retries(fake_genesis, genesis_client):
    fake_genesis.inject("html", times=None)

    with pytest.raises(FetchError, match="HTML page instead of data: maintenance or outdated URL") as caught:
        genesis_client("destatis").metadata_table("12531-0043")
    assert "Wartungsarbeiten" in str(caught.value)
    assert fake_genesis.request_count == 1


def test_wrongly_cased_base_url_is_reported(fake_genesis):
    environ = {**fake_genesis.environ("destatis"), "IMON_DESTATIS_URL": fake_genesis.url("destatis").replace("genesisWS", "GenesisWs")}
    client = GenesisClient(instance_from_env("destatis", environ), sleep=lambda s: None)

    with pytest.raises(FetchError, match="HTTP 404 .*IMON_DESTATIS_URL"):
        client.metadata_table("12531-0043")


def test_credentials_stay_out_of_logs_errors_and_downloads(fake_genesis, genesis_client, caplog):
    caplog.set_level(logging.DEBUG)
    fake_genesis.inject("reset", path="catalogue/results")
    fake_genesis.inject("http500", path="data/resultfile")
    downloads = [genesis_client("destatis").tablefile("12531-0043", compress="true"),
                 genesis_client("zensus", token=True).tablefile("1000A-0000")]
    errors = []
    fake_genesis.inject("status6", path="data/tablefile", times=2)
    with pytest.raises(FetchError) as caught:
        genesis_client("regio", max_attempts=2).tablefile("12411-01-01-4")
    errors.append(caught.value)
    with pytest.raises(FetchError) as caught:
        genesis_client("destatis", token=True).tablefile("12531-0043")
    errors.append(caught.value)
    with pytest.raises(FetchError) as caught:
        genesis_client("regio", password="wrong-password-123").logincheck()
    errors.append(caught.value)

    assert any(record.name.startswith("urllib3") for record in caplog.records)
    texts = [caplog.text, *map(str, errors), *map(repr, errors), *map(repr, downloads)]
    texts += [str(vars(download)) for download in downloads]
    for secret in (fake_genesis.username, fake_genesis.password, fake_genesis.token, "wrong-password-123"):
        assert not any(secret in text for text in texts), secret
