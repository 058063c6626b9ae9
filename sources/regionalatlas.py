"""Regionalatlas Deutschland: the published indicator values behind regionalatlas.statistikportal.de.

The Regionalatlas is a public ArcGIS MapServer (no key). One GET to `dynamicLayer/query` per table,
regional level and year: its `layer` parameter is a JSON query table that joins the boundaries
(`verwaltungsgrenzen_gesamt`) with an indicator table (`ai002_1_5`, …) by `ags` and `jahr`; `typ`
picks the level (1 Länder, 2 Regierungsbezirke, 3 Kreise). With `f=geojson` and
`returnGeometry=false` the answer is a FeatureCollection whose features carry `properties.ags`
and the indicator field (`ai0208`), values rounded to one decimal, NULL where nothing is published.
Plain functions; nothing here touches the warehouse.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Iterable, Mapping

import requests

from sources.errors import FetchError, NetworkError, ParseError

logger = logging.getLogger(__name__)

SOURCE = "regionalatlas"
DEFAULT_URL = "https://www.gis-idmz.nrw.de/arcgis/rest/services/stba/regionalatlas/MapServer/dynamicLayer/query"
LEVEL_TYPES = {"land": 1, "regierungsbezirk": 2, "kreis": 3}

# Regionalatlas indicator code → its table (bundesAPI/regionalatlas-api documents these).
TABLES = {
    "AI0208": "ai002_1_5",  # Anteil der ausländischen Bevölkerung an der Gesamtbevölkerung (%)
    "AI0801": "ai008_1_5",  # Arbeitslosenquote (%)
    "AI0805": "ai008_1_5",  # Arbeitslosenquote Ausländer: ausländische Arbeitslose / ausländische zivile Erwerbspersonen (%)
    "AI0809": "ai008_1_5",  # Anteil der ausländischen Arbeitslosen an den Arbeitslosen insgesamt (%)
}


@dataclass(frozen=True)
class PublishedValue:
    """One value the Regionalatlas publishes; `value` None where it publishes nothing."""

    code: str
    ags: str  # 8 characters, as in the warehouse (Land 01000000, Kreis 01001000)
    level: str
    period: int
    value: float | None


def layer_parameter(table: str, typ: int, year: int) -> str:
    """The `layer` JSON of the query: boundaries of one level joined with the indicator table for one year."""
    query = (f"SELECT * FROM verwaltungsgrenzen_gesamt LEFT OUTER JOIN {table} ON ags = ags2 and jahr = jahr2 "
             f"WHERE typ = {typ} AND jahr = {year} AND (jahr2 = {year} OR jahr2 IS NULL)")
    return json.dumps({"source": {"dataSource": {"geometryType": "esriGeometryPolygon", "workspaceId": "gdb",
                                                 "query": query, "oidFields": "id",
                                                 "spatialReference": {"wkid": 25832}, "type": "queryTable"},
                                  "type": "dataLayer"}}, separators=(",", ":"))


def query_parameters(code: str, level: str, year: int) -> dict[str, str]:
    """The GET parameters for one indicator, level and year."""
    table = table_of(code)
    return {"layer": layer_parameter(table, LEVEL_TYPES[level], year), "outFields": f"ags,{code.lower()}",
            "returnGeometry": "false", "where": "1=1", "f": "geojson"}


def table_of(code: str) -> str:
    try:
        return TABLES[code.upper()]
    except KeyError:
        raise FetchError(f"no Regionalatlas table known for {code}; add it to TABLES in sources/regionalatlas.py",
                         source=SOURCE, table=code) from None


def fetch(code: str, years: Iterable[int], levels: Iterable[str] = ("land", "kreis"), *, url: str = DEFAULT_URL,
          session: requests.Session | None = None, timeout: float = 60) -> list[PublishedValue]:
    """Every published value of one indicator for the given years and levels (one request each)."""
    session = session or requests.Session()
    values: list[PublishedValue] = []
    for year in years:
        for level in levels:
            parameters = query_parameters(code, level, year)
            try:
                response = session.get(url, params=parameters, timeout=timeout)
            except requests.RequestException as error:
                raise NetworkError(f"Regionalatlas not reachable at {url}: {error}", source=SOURCE,
                                   table=table_of(code)) from error
            if response.status_code != 200:
                raise FetchError(f"Regionalatlas answered HTTP {response.status_code} for {code} {level} {year}",
                                 source=SOURCE, table=table_of(code))
            values.extend(parse_answer(response.content, code=code, level=level, year=year))
            logger.info("regionalatlas %s %s %d: %d regions", code, level, year, len(values))
    return values


def parse_answer(body: bytes, *, code: str, level: str, year: int) -> list[PublishedValue]:
    """The values of one answer (a GeoJSON FeatureCollection); an ArcGIS error answer is a FetchError."""
    where = {"source": SOURCE, "table": table_of(code)}
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ParseError(f"answer for {code} {level} {year} is not JSON ({error})", line=1, **where) from error
    if not isinstance(document, Mapping):
        raise ParseError(f"answer for {code} {level} {year} is not a JSON object", line=1, **where)
    if "error" in document:
        error = document["error"] or {}
        details = "; ".join(str(d) for d in error.get("details") or [])
        raise FetchError(f"Regionalatlas error {error.get('code')} for {code} {level} {year}: "
                         f"{error.get('message')}{' (' + details + ')' if details else ''}", **where)
    if document.get("type") != "FeatureCollection" or not isinstance(document.get("features"), list):
        raise ParseError(f"answer for {code} {level} {year} is not a GeoJSON FeatureCollection", line=1, **where)
    field = code.lower()
    values = []
    for number, feature in enumerate(document["features"], start=1):
        properties = (feature or {}).get("properties") or {}
        key = str(properties.get("ags") or "")
        if not key.isdigit() or len(key) not in (2, 3, 5):
            raise ParseError(f"feature {number} of {code} {level} {year} has no regional key (ags {key!r})",
                             line=1, **where)
        if field not in properties:
            raise ParseError(f"feature {number} of {code} {level} {year} lacks the field {field}", line=1, **where)
        value = properties[field]
        if value is not None and not isinstance(value, (int, float)):
            raise ParseError(f"feature {number} ({key}) of {code} {year}: value {value!r} is not a number",
                             line=1, **where)
        # Hamburg and Berlin are Kreise with their Land key (02, 11) in the Kreis answer
        values.append(PublishedValue(code=code.upper(), ags=key.ljust(8, "0"), level=level, period=year,
                                     value=None if value is None else round(float(value), 6)))
    return values
