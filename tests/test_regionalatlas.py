"""The Regionalatlas client over real HTTP against the fake query service (tests/fake_regionalatlas).

The fake answers from the recorded AI0208 answers in tests/fixtures/regionalatlas/answers.json;
expected values are read off public/data/timeseries.json of the recording (see that file).
"""

from __future__ import annotations

import json

import pytest
import requests

from sources.errors import FetchError, ParseError
from sources.regionalatlas import PublishedValue, fetch, parse_answer, query_parameters

try:
    from fake_regionalatlas import FakeRegionalatlas
except ImportError:
    from tests.fake_regionalatlas import FakeRegionalatlas


@pytest.fixture
def regionalatlas():
    server = FakeRegionalatlas().start()
    try:
        yield server
    finally:
        server.stop()


def test_länder_and_kreise_of_one_year(regionalatlas):
    values = {(v.ags, v.level): v.value for v in fetch("AI0208", [2019], ["land", "kreis"], url=regionalatlas.url)}
    # the recorded Länder answer of 2019 (verbatim, 8.4000000000000004 etc.)
    assert values[("01000000", "land")] == pytest.approx(8.4) and values[("09000000", "land")] == pytest.approx(13.6)
    assert sum(1 for _, level in values if level == "land") == 16
    # Kreise: Flensburg 15.2, Göttingen 8.7; Hamburg is a Kreis with its Land key 02
    assert values[("01001000", "kreis")] == pytest.approx(15.2) and values[("03159000", "kreis")] == pytest.approx(8.7)
    assert values[("02000000", "kreis")] == pytest.approx(16.5)


def test_the_request_is_the_documented_query(regionalatlas):
    fetch("AI0208", [2017], ["kreis"], url=regionalatlas.url)
    (parameters,) = regionalatlas.requests
    layer = json.loads(parameters["layer"][0])
    source = layer["source"]["dataSource"]
    assert layer["source"]["type"] == "dataLayer" and source["type"] == "queryTable"
    assert source["query"] == ("SELECT * FROM verwaltungsgrenzen_gesamt LEFT OUTER JOIN ai002_1_5 ON ags = ags2 "
                               "and jahr = jahr2 WHERE typ = 3 AND jahr = 2017 AND (jahr2 = 2017 OR jahr2 IS NULL)")
    assert {k: v[0] for k, v in parameters.items() if k != "layer"} == {
        "outFields": "ags,ai0208", "returnGeometry": "false", "where": "1=1", "f": "geojson"}


def test_a_series_over_the_years_follows_the_territory(regionalatlas):
    values = fetch("AI0208", [2015, 2016, 2020, 2023], ["kreis"], url=regionalatlas.url)
    goettingen = {v.period: v.value for v in values if v.ags == "03159000"}
    # 03159 exists from 01.11.2016: no feature among the boundaries of 2015
    assert goettingen == {2016: pytest.approx(7.7), 2020: pytest.approx(8.9), 2023: pytest.approx(11.4)}
    flensburg = [v for v in values if v.ags == "01001000"]
    assert [v.value for v in flensburg] == pytest.approx([9.7, 11.7, 15.8, 16.9])
    assert all(isinstance(v, PublishedValue) and v.code == "AI0208" for v in values)


def test_an_error_answer_names_the_source_and_table(regionalatlas):
    with pytest.raises(FetchError, match=r"^regionalatlas ai008_1_5: Regionalatlas error 400 for AI0809 kreis 2019"):
        fetch("AI0809", [2019], ["kreis"], url=regionalatlas.url)


def test_http_errors_and_unreachable_service(regionalatlas):
    with pytest.raises(FetchError, match="answered HTTP 404"):
        fetch("AI0208", [2019], ["land"], url=regionalatlas.url.replace("dynamicLayer", "nowhere"))
    with pytest.raises(FetchError, match="not reachable"):
        fetch("AI0208", [2019], ["land"], url="http://127.0.0.1:9/query", session=requests.Session(), timeout=2)


def test_malformed_answers_are_parse_errors():
    with pytest.raises(ParseError, match="not JSON"):
        parse_answer(b"<html>maintenance</html>", code="AI0208", level="kreis", year=2019)
    feature = {"type": "Feature", "geometry": None, "properties": {"ags": "01001", "ai0208": "15,2"}}
    body = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()
    with pytest.raises(ParseError, match=r"value '15,2' is not a number"):
        parse_answer(body, code="AI0208", level="kreis", year=2019)
    nothing = {"type": "Feature", "geometry": None, "properties": {"ags": "01001", "ai0208": None}}
    (value,) = parse_answer(json.dumps({"type": "FeatureCollection", "features": [nothing]}).encode(),
                            code="AI0208", level="kreis", year=2019)
    assert value.value is None  # nothing published: NULL, never 0


def test_unknown_indicator_is_refused_before_any_request():
    with pytest.raises(FetchError, match="no Regionalatlas table known for AI9999"):
        query_parameters("AI9999", "kreis", 2019)


def test_the_foreigners_unemployment_rate_is_asked_of_its_table():
    """AI0805 (Arbeitslosenquote Ausländer, compared with ARB04) lives in ai008_1_5 beside AI0809."""
    parameters = query_parameters("AI0805", "kreis", 2020)
    assert parameters["outFields"] == "ags,ai0805"
    assert "LEFT OUTER JOIN ai008_1_5 ON ags = ags2" in json.loads(parameters["layer"])["source"]["dataSource"]["query"]
