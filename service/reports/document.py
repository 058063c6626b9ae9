"""What a report says: one region's numbers from a published snapshot, and the sentences about them.

`ReportData` reads what every report of a snapshot shares once (catalogue, series, peer groups,
territorial history); `region_report` assembles one region's document from it without a query,
so a batch of reports costs one read of the snapshot per worker.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

import duckdb

from service.profile import ProfileParts, UnknownRegion
from service.reports import texts
from warehouse.publish import snapshot_label

LEVELS = ("deutschland", "land", "kreis", "gemeinde")
# the summary page: one or two key indicators per topic (those the snapshot has)
KEY_INDICATORS = ("DEM01", "DEM04", "REC01", "ARB01", "ARB04", "ARB06", "BIL01", "KIT03_U3", "SOZ01", "PAR01")
SERIES_COLUMNS = ("indicator_id", "ags", "level", "period", "value", "change_1y", "change_5y", "series_break_1y",
                  "series_break_5y", "series_break_reasons", "flag", "territorial_date", "is_synthetic")


@dataclass
class Point:
    """One indicator value of one region and year, as marts.indicator_series has it."""

    period: int
    value: float | None
    change_1y: float | None
    change_5y: float | None
    series_break_1y: bool
    series_break_5y: bool
    series_break_reasons: str | None
    flag: str | None
    territorial_date: Any
    is_synthetic: bool


@dataclass
class ReportData:
    """Everything the reports of one snapshot share, read once from a read-only connection.

    It keeps its own cursor on the connection's database (the service's request cursors close after
    each request) and reads what it reads lazily under a lock, so threads may share one.
    """

    connection: duckdb.DuckDBPyConnection
    label: str = ""
    published_at: str | None = None
    catalog: list[dict[str, Any]] = field(default_factory=list)
    parts: ProfileParts | None = None
    series: dict[tuple[str, str], dict[str, dict[int, Point]]] = field(default_factory=dict)
    levels_read: set[str] = field(default_factory=set)
    levels_of_indicator: dict[str, set[str]] = field(default_factory=dict)
    history: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _ranks: dict[tuple[str, str, int], dict[str, float]] = field(default_factory=dict)
    _peer_values: dict[str, dict[tuple[str, int], dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.connection = cursor = self.connection.cursor()
        self._lock = threading.RLock()
        self.label = snapshot_label(cursor) or ""
        try:
            row = cursor.execute("SELECT published_at::VARCHAR FROM meta.publication").fetchone()
            self.published_at = row[0] if row else None
        except duckdb.CatalogException:
            self.published_at = None
        result = cursor.execute("SELECT * FROM marts.indicator_catalog ORDER BY indicator_id")
        columns = [d[0] for d in result.description]
        for values in result.fetchall():
            entry = dict(zip(columns, values))
            entry["series_breaks"] = json.loads(entry["series_breaks"] or "[]")
            self.catalog.append(entry)
        self.parts = ProfileParts(cursor)
        for indicator_id, level in cursor.execute("SELECT DISTINCT indicator_id, level FROM marts.indicator_value").fetchall():
            self.levels_of_indicator.setdefault(indicator_id, set()).add(level)
        for ags, level, valid_from, valid_to in cursor.execute(
                "SELECT ags, level, valid_from, valid_to FROM core.region_history "
                "WHERE valid_from IS NOT NULL OR valid_to IS NOT NULL").fetchall():
            self.history[(ags, level)] = {"valid_from": valid_from, "valid_to": valid_to}

    def read_level(self, level: str) -> None:
        """The series of every region of a level (read at the first report of that level)."""
        with self._lock:
            self._read_level(level)

    def _read_level(self, level: str) -> None:
        if level in self.levels_read:
            return
        levels = ["deutschland", "land", level] if level not in ("deutschland", "land") else ["deutschland", "land"]
        levels = [lv for lv in levels if lv not in self.levels_read]
        quoted = ", ".join(f"'{lv}'" for lv in levels)
        for row in self.connection.execute(
                f"SELECT {', '.join(SERIES_COLUMNS)} FROM marts.indicator_series WHERE level IN ({quoted})").fetchall():
            indicator_id, ags, lv, *rest = row
            self.series.setdefault((ags, lv), {}).setdefault(indicator_id, {})[rest[0]] = Point(*rest)
        self.levels_read.update(levels)

    def points(self, ags: str | None, level: str, indicator_id: str) -> dict[int, Point]:
        if ags is None:
            return {}
        self.read_level(level)
        return self.series.get((ags, level), {}).get(indicator_id, {})

    def values_of(self, indicator_id: str, level: str, period: int) -> dict[str, float]:
        """The non-missing values of every region of a level in one year (for positions)."""
        key = (indicator_id, level, period)
        with self._lock:
            if key in self._ranks:
                return self._ranks[key]
            self._read_level(level)
            self._ranks[key] = {ags: series[indicator_id][period].value
                                for (ags, lv), series in self.series.items()
                                if lv == level and indicator_id in series and period in series[indicator_id]
                                and series[indicator_id][period].value is not None}
        return self._ranks[key]

    def peer_values(self, ags: str) -> dict[tuple[str, int], dict[str, Any]]:
        """The default peer group's value per indicator and year of a Kreis."""
        with self._lock:
            if ags in self._peer_values:
                return self._peer_values[ags]
            self._peer_values[ags] = {(c["indicator_id"], c["period"]): c
                                      for c in self.parts.comparisons(self.connection, ags) if c["is_default"]}
        return self._peer_values[ags]


def short_key(ags: str, level: str) -> str:
    """The key users type and files are named by: DG, 01 (Land), 01001 (Kreis), 01001000 (Gemeinde)."""
    return {"deutschland": "DG", "land": ags[:2], "kreis": ags[:5]}.get(level, ags)


def region_report(data: ReportData, ags: str, level: str, lang: str = "de") -> dict[str, Any]:
    """The document of one region's report: title facts, summary rows, sections with indicators and flags."""
    if lang not in texts.LANGUAGES:
        raise ValueError(f"language {lang!r}: give one of {', '.join(texts.LANGUAGES)}")
    region = data.parts.region(ags, level)
    if level not in LEVELS:
        raise UnknownRegion(f"{level} {ags}: reports exist for Germany, a Land, a Kreis or a Gemeinde")
    land = data.parts.brief(region["land_ags"], "land") if region["land_ags"] and level not in ("land", "deutschland") else None
    germany = data.parts.brief("00000000", "deutschland") if level != "deutschland" else None
    groups = data.parts.groups_of_kreis.get(ags, []) if level == "kreis" else []
    peer_group = next((g for g in groups if g["is_default"]), None)
    de = lang == "de"
    names = {"region": region["name"], "land": land["name"] if land else None,
             "germany": germany["name"] if germany else None, "peer": peer_group["group_name"] if peer_group else None}

    indicators, unpublished = [], []
    for entry in data.catalog:
        if level not in data.levels_of_indicator.get(entry["indicator_id"], set()):
            unpublished.append(entry)
            continue
        indicators.append(_indicator(data, entry, region, land, germany, peer_group, lang))
    sections = []
    order = list(texts.TOPICS) + sorted({i["domain"] for i in indicators} - set(texts.TOPICS))
    for domain in order:
        members = [i for i in indicators if i["domain"] == domain]
        if members:
            titles = texts.TOPICS.get(domain, (domain, domain))
            sections.append({"domain": domain, "title": titles[0] if de else titles[1], "indicators": members,
                             "synthetic": any(i["synthetic"] for i in members), "id": f"topic-{len(sections) + 1}"})
    by_id = {i["indicator_id"]: i for i in indicators}
    summary = [by_id[k] for k in KEY_INDICATORS if k in by_id]
    years = [p for i in indicators for p in i["periods"]]
    territorial_dates = sorted({str(p.territorial_date) for i in indicators for p in i["own_points"].values()
                                if p.territorial_date})
    history = data.history.get((ags, level))
    return {
        "lang": lang, "labels": texts.LABELS[lang], "region": region, "key": short_key(ags, level), "level_name": texts.LEVEL_NAMES[level][0 if de else 1],
        "land": land, "germany": germany, "peer_group": peer_group, "names": names,
        "snapshot": data.label, "published_at": data.published_at,
        "data_year": max(years) if years else None, "territorial_dates": territorial_dates,
        "history": history, "sections": sections, "summary": summary,
        "unpublished": [{"indicator_id": e["indicator_id"], "name": e["name_de"] if de else e["name_en"],
                         "lowest_level": e["lowest_level"]} for e in unpublished],
        "synthetic": any(i["synthetic"] for i in indicators),
    }


def _indicator(data: ReportData, entry: dict[str, Any], region: dict[str, Any], land, germany, peer_group,
               lang: str) -> dict[str, Any]:
    """One indicator of a report: its series beside the comparisons, sentences, flags and catalogue texts."""
    indicator_id, level, ags = entry["indicator_id"], region["level"], region["ags"]
    own = data.points(ags, level, indicator_id)
    land_points = data.points(land["ags"], "land", indicator_id) if land else {}
    germany_points = data.points(germany["ags"], "deutschland", indicator_id) if germany else {}
    peers = data.peer_values(ags) if peer_group else {}
    peer_points = {p: row for (i, p), row in peers.items() if i == indicator_id}
    periods = sorted(set(own) | set(land_points) | set(germany_points) | set(peer_points))
    rows = []
    for period in periods:
        point = own.get(period)
        rows.append({
            "period": period, "value": point.value if point else None, "flag": point.flag if point else None,
            "land": _value(land_points.get(period)), "germany": _value(germany_points.get(period)),
            "peer": peer_points[period]["peer_value"] if period in peer_points else None,
            "synthetic": bool(point and point.is_synthetic),
        })
    decimals, suffix, _ = texts.unit_of(entry["unit"], lang)
    fmt = (lambda v: texts.number(v, decimals, lang) + suffix if v is not None else "–")
    latest = max(own) if own else None
    position_land = position_peer = None
    if latest is not None and own[latest].value is not None:
        position_land = _position(data, indicator_id, level, latest, ags, _same_area(region))
        if peer_group:
            members = {m["ags"] for m in peer_group["members"]}
            position_peer = _position(data, indicator_id, level, latest, ags, lambda other: other in members)
    comparison = {}  # the areas this report compares with, year -> value
    if land:
        comparison["land"] = {p: v.value for p, v in land_points.items()}
    if germany:
        comparison["germany"] = {p: v.value for p, v in germany_points.items()}
    if peer_group:
        comparison["peer"] = {p: row["peer_value"] for p, row in peer_points.items()}
    # generated data shown anywhere in the indicator's chart or table: the region's values or its comparisons'
    synthetic = any(p.is_synthetic for points in (own, land_points, germany_points) for p in points.values())
    de = lang == "de"
    return {
        "indicator_id": indicator_id, "domain": entry["domain"], "name": entry["name_de"] if de else entry["name_en"],
        "entry": entry, "unit": entry["unit"], "periods": periods, "rows": rows, "own_points": own,
        "latest": latest, "latest_point": own.get(latest) if latest is not None else None,
        "formatted": fmt, "position_land": position_land, "position_peer": position_peer,
        "sentences": sentences(entry, own, comparison, lang),
        "flags": _flags(entry, own, periods, data.history.get((ags, level)), synthetic, lang),
        "synthetic": synthetic,
        "map_html": None,  # the map and its legend, filled by render.report_html(map_figure=…) (service/maps.py)
        "chart_svg": None,
    }


def _value(point: Point | None) -> float | None:
    return point.value if point else None


def _same_area(region: dict[str, Any]):
    """Which other regions a region is ranked among: the Kreise (Gemeinden) of its Land, or all Länder."""
    if region["level"] == "land":
        return lambda other: True
    prefix = region["ags"][:2]
    return lambda other: other[:2] == prefix


def _position(data: ReportData, indicator_id: str, level: str, period: int, ags: str, among) -> tuple[int, int] | None:
    """(position, count) of a region among others by value, position 1 = highest (ties share a position)."""
    values = {other: v for other, v in data.values_of(indicator_id, level, period).items() if among(other)}
    if ags not in values or len(values) < 2:
        return None
    mine = values[ags]
    return 1 + sum(1 for v in values.values() if v > mine), len(values)


# --- sentences ------------------------------------------------------------------------------------

COMPARISON_WORDS = {
    "de": {"land": "dem Landeswert", "germany": "dem Bundeswert", "peer": "dem Wert des Vergleichsrings"},
    "en": {"land": "the Land", "germany": "Germany", "peer": "the peer group"},
}


def sentences(entry: dict[str, Any], own: dict[int, Point], comparison: dict[str, dict[int, float | None]],
              lang: str) -> list[str]:
    """One or two sentences from fixed templates; a missing value is "not available (reason)", never a guess.

    `comparison`: the areas the region is compared with (land, germany, peer), each year -> value.
    """
    de = lang == "de"
    decimals, suffix, difference_unit = texts.unit_of(entry["unit"], lang)
    na = texts.LABELS[lang]["not_available"]

    def show(v: float) -> str:
        return texts.number(v, decimals, lang) + suffix

    if not own:
        return [f"{na} ({'kein Wert für diese Region im Datenstand' if de else 'no value for this region in the snapshot'})."]
    year = max(own)
    point = own[year]
    if point.value is None:
        reason = texts.flag_reason(point.flag, lang) if point.flag else ("kein Wert" if de else "no value")
        first = f"{year}: {na} ({reason})."
        earlier = [p for p in sorted(own) if own[p].value is not None]
        if earlier:
            last = earlier[-1]
            first += (f" Letzter verfügbarer Wert: {show(own[last].value)} ({last})." if de
                      else f" Latest available value: {show(own[last].value)} ({last}).")
        return [first]

    parts, missing = [], []
    for key, values in comparison.items():
        other_value = values.get(year)
        if other_value is None:
            missing.append(key)
            continue
        gap = round(point.value - other_value, decimals)
        words = COMPARISON_WORDS[lang][key]
        if gap == 0:
            parts.append(f"{'gleich' if de else 'equal to'} {words} ({show(other_value)})")
        else:
            direction = ("über" if gap > 0 else "unter") if de else ("above" if gap > 0 else "below")
            parts.append(f"{texts.number(abs(gap), decimals, lang)} {difference_unit} {direction} {words} ({show(other_value)})")
    if de:
        first = f"{year} lag der Wert bei {show(point.value)}" + (", " + _join(parts, "und") if parts else "") + "."
    else:
        first = f"In {year} the value was {show(point.value)}" + (", " + _join(parts, "and") if parts else "") + "."
    for key in missing:
        words = COMPARISON_WORDS[lang][key]
        first += (f" Vergleich mit {words}: {na} (kein Wert für {year})." if de
                  else f" Comparison with {words}: {na} (no value for {year}).")
    second = " ".join(_change(own, year, years, lang, decimals, difference_unit) for years in (1, 5))
    return [first, second]


def _change(own: dict[int, Point], year: int, years: int, lang: str, decimals: int, difference_unit: str) -> str:
    de = lang == "de"
    na = texts.LABELS[lang]["not_available"]
    point, before_year = own[year], year - years
    change = point.change_1y if years == 1 else point.change_5y
    if change is None:
        before = own.get(before_year)
        if before is not None and before.value is None and before.flag:
            reason = texts.flag_reason(before.flag, lang) + f" {before_year}"
        else:
            reason = f"kein Wert für {before_year}" if de else f"no value for {before_year}"
        return (f"Veränderung gegenüber {before_year}: {na} ({reason})." if de
                else f"Change since {before_year}: {na} ({reason}).")
    gap = round(change, decimals)
    amount = texts.number(abs(gap), decimals, lang)
    if de:
        text = (f"Gegenüber {before_year} blieb der Wert unverändert" if gap == 0 else
                f"Gegenüber {before_year} {'stieg' if gap > 0 else 'sank'} der Wert um {amount} {difference_unit}")
    else:
        text = (f"Since {before_year} it did not change" if gap == 0 else
                f"Since {before_year} it {'rose' if gap > 0 else 'fell'} by {amount} {difference_unit}")
    broken = point.series_break_1y if years == 1 else point.series_break_5y
    if broken:
        text += (f" (Reihenbruch dazwischen: {point.series_break_reasons})" if de
                 else f" (series break in between: {point.series_break_reasons})")
    return text + "."


def _join(parts: list[str], word: str) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + f" {word} " + parts[-1]


# --- flags ----------------------------------------------------------------------------------------


def _flags(entry: dict[str, Any], own: dict[int, Point], periods: list[int], history: dict[str, Any] | None,
           synthetic: bool, lang: str) -> list[dict[str, str]]:
    """The flags an indicator shows: suppressed values, series breaks in the years shown, territorial changes, synthetic data."""
    de = lang == "de"
    flags = []
    for period in sorted(own):
        point = own[period]
        if point.flag:
            flags.append({"kind": texts.flag_kind(point.flag), "text": f"{period}: {texts.flag_reason(point.flag, lang)}"
                          + (f" ({'Wert fehlt' if de else 'no value'})" if point.value is None else "")})
    if periods:
        for brk in entry["series_breaks"]:
            if periods[0] < brk["year"] <= periods[-1]:
                flags.append({"kind": "series_break", "text": f"{brk['year']}: {brk['reason']}"})
    if history and own:
        if history.get("valid_from"):
            flags.append({"kind": "territorial", "text": (f"Region besteht seit {history['valid_from']}" if de
                                                          else f"region exists since {history['valid_from']}")})
        if history.get("valid_to"):
            flags.append({"kind": "territorial", "text": (f"Region bestand bis {history['valid_to']}" if de
                                                          else f"region existed until {history['valid_to']}")})
    if synthetic:
        flags.append({"kind": "synthetic", "text": texts.LABELS[lang]["synthetic_text"]})
    return flags
