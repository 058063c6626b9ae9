"""Maps of the indicators: every Kreis (or Land) coloured by its value in one period.

The boundaries are the 400 Kreise of `geodata/kreise_simplify200.geojson` (BKG VG250, simplified,
status from 2021 on); Land outlines are the Kreise dissolved by the first two digits of their key.
`map_data` classifies one indicator and period (quintile classes; suppressed, generated and missing
values as classes of their own), `map_caption` words its legend (the page's, the SVG's and the reports'),
`render_svg` draws it with matplotlib, `report_map_figure` gives a report its maps with legends; the
routers `api` and `pages` serve the map page, its data, the boundaries and the SVG.
"""

from __future__ import annotations

import bisect
import io
import json
import math
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import duckdb
import numpy as np
import shapely
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, Response

GEODATA_DIR = Path(__file__).with_name("geodata")
KREISE_FILE = GEODATA_DIR / "kreise_simplify200.geojson"
STATIC_DIR = Path(__file__).with_name("static")
LEVELS = ("kreis", "land")
BOUNDARY_NOTE = "Boundaries: Kreise with the territorial status from 2021 on, © GeoBasis-DE / BKG 2013 (Daten verändert), dl-de/by-2-0"
SOURCE_NOTE = ("Data: Statistische Ämter des Bundes und der Länder, Destatis, Statistik der Bundesagentur für Arbeit "
               "(dl-de/by-2-0); own calculations")
UNITS = {"pct": "%", "percentage_points": "percentage points", "per_1000": "per 1,000 inhabitants"}
CLASS_COUNT = 5
COLORMAP = "YlGnBu"
# Regions that carry no value of their own: drawn hatched, never in a colour of the scale
SPECIAL_CLASSES = {
    "not_published": {"label": "not published (suppressed or below the minimum)", "hatch": "////", "color": "#9a9a9a"},
    "generated": {"label": "generated data (offline sample, not official)", "hatch": "\\\\\\\\", "color": "#b06a00"},
    "no_value": {"label": "no value", "hatch": "..", "color": "#9a9a9a"},
}
_render_lock = threading.Lock()  # matplotlib's font cache and text layout are shared between figures


class UnknownIndicator(LookupError):
    """No indicator of that id in the catalogue, or no values at that level."""


# --- geometry ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    key: str  # 5 digits for a Kreis, 2 for a Land
    name: str
    geometry: Any  # shapely (Multi)Polygon, WGS84


@lru_cache(maxsize=None)
def shapes(level: str) -> dict[str, Shape]:
    """The Kreise of the boundary file by 5-digit key, or the Länder (dissolved Kreise) by 2-digit key."""
    if level not in LEVELS:
        raise ValueError(f"maps exist for {' and '.join(LEVELS)}, not {level!r}")
    features = json.loads(KREISE_FILE.read_text(encoding="utf-8"))["features"]
    kreise = {f["properties"]["AGS_0"][:5]: Shape(f["properties"]["AGS_0"][:5], f["properties"]["GEN"],
                                            shapely.make_valid(shapely.geometry.shape(f["geometry"])))
              for f in features}
    if level == "kreis":
        return dict(sorted(kreise.items()))
    by_land: dict[str, list] = {}
    for key, shape in kreise.items():
        by_land.setdefault(key[:2], []).append(shape.geometry)
    return {land: Shape(land, land, _dissolved(parts)) for land, parts in sorted(by_land.items())}


def _dissolved(parts: list) -> Any:
    """The union of a Land's Kreise without the slivers between them.

    The simplified Kreise do not share every vertex: the hair-thin gaps are closed (~200 m) and holes
    smaller than 0.002 square degrees (~15 km²) dropped; enclaves such as Bremen and Bremerhaven in
    Niedersachsen or Berlin in Brandenburg are far larger and stay holes.
    """
    union = shapely.union_all(parts).buffer(0.002, join_style="mitre").buffer(-0.002, join_style="mitre")
    polygons = [shapely.Polygon(p.exterior, [ring for ring in p.interiors if shapely.Polygon(ring).area > 0.002])
                for p in getattr(union, "geoms", [union])]
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


@lru_cache(maxsize=None)
def display_shapes(level: str) -> dict[str, Shape]:
    """The shapes thinned for drawing a map of Germany (~34,000 instead of ~78,000 points for the Kreise).

    The Kreise are simplified as a coverage, so neighbours keep their common border (no slivers).
    """
    found = shapes(level)
    if level == "kreis":
        thinned = shapely.coverage_simplify(np.array([shape.geometry for shape in found.values()]), 0.01)
    else:
        thinned = shapely.simplify(np.array([shape.geometry for shape in found.values()]), 0.003, preserve_topology=True)
    return {key: Shape(key, shape.name, geometry) for (key, shape), geometry in zip(found.items(), thinned)}


@lru_cache(maxsize=None)
def geojson(level: str) -> bytes:
    """The boundaries as GeoJSON for the page (coordinates to 0.001°, exteriors clockwise as d3-geo wants)."""
    features = []
    for shape in display_shapes(level).values():
        geometry = shapely.orient_polygons(shapely.set_precision(shape.geometry, 0.001), exterior_cw=True)
        features.append({"type": "Feature", "id": shape.key, "properties": {"key": shape.key, "name": shape.name},
                         "geometry": json.loads(shapely.to_geojson(geometry))})
    return json.dumps({"type": "FeatureCollection", "level": level, "note": BOUNDARY_NOTE, "features": features},
                      separators=(",", ":"), ensure_ascii=False).encode()


# --- classes -------------------------------------------------------------------------------------------


@dataclass
class MapData:
    """One indicator at one level and period, classified: what a map, its legend and its tooltips show."""

    indicator: dict[str, Any]
    level: str
    period: int | None
    periods: list[int]
    regions: list[dict[str, Any]]
    classes: list[dict[str, Any]]
    special: list[dict[str, Any]]
    classification: str
    territorial_note: str
    snapshot: str | None
    without_geometry: list[dict[str, Any]] = field(default_factory=list)
    without_value: list[dict[str, Any]] = field(default_factory=list)
    official_count: int = 0  # the official values the classes are quintiles of
    territorial_dates: list[str] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        return {"snapshot": self.snapshot, "indicator": self.indicator, "level": self.level, "period": self.period,
                "periods": self.periods, "unit_label": unit_label(self.indicator.get("unit")),
                "classification": self.classification, "territorial_note": self.territorial_note,
                "boundary_note": BOUNDARY_NOTE, "source_note": SOURCE_NOTE, "classes": self.classes,
                "special_classes": self.special, "regions": self.regions, "caption": map_caption(self),
                "without_geometry": self.without_geometry, "without_value": self.without_value}

    def class_of(self, key: str) -> str | None:
        return next((r["class_id"] for r in self.regions if r["key"] == key), None)


def unit_label(unit: str | None) -> str:
    return UNITS.get(unit or "", unit or "")


def _key(ags: str, level: str) -> str:
    return ags[:5] if level == "kreis" else ags[:2]


def _decimals(low: float, high: float) -> int:
    """Decimals of the class bounds: one for a spread of tens, more for a narrow one."""
    spread = high - low
    return 1 if spread <= 0 else min(3, max(1, 2 - math.floor(math.log10(spread))))


def quantile_classes(values: list[float], count: int = CLASS_COUNT) -> list[dict[str, Any]]:
    """Quantile classes of `values`: bounds rounded outward at the ends, so every value falls in exactly one class.

    Class i holds lower <= value < upper; the last one includes its upper bound.
    """
    if not values:
        return []
    low, high = min(values), max(values)
    decimals = _decimals(low, high)
    step = 10 ** -decimals
    first, last = math.floor(low / step) * step, math.ceil(high / step) * step
    inner = sorted({round(float(q), decimals) for q in np.quantile(values, [i / count for i in range(1, count)])})
    bounds = [round(first, decimals)] + [b for b in inner if first < b < last] + [round(last, decimals)]
    if len(bounds) == 1:
        bounds.append(bounds[0])
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    n = len(bounds) - 1
    colors = [to_hex(colormaps[COLORMAP](0.15 + 0.8 * (i / max(n - 1, 1)))) for i in range(n)]
    text = f"{{:,.{decimals}f}}".format
    classes = []
    for i in range(n):
        lower, upper = bounds[i], bounds[i + 1]
        label = f"{text(lower)} to {text(upper)}" if i == n - 1 else f"{text(lower)} to under {text(upper)}"
        classes.append({"id": f"c{i + 1}", "lower": lower, "upper": upper, "label": label, "color": colors[i], "count": 0,
                        "decimals": decimals})
    return classes


def class_for(value: float, classes: list[dict[str, Any]]) -> str:
    """The id of the class that holds `value` (the classes come from quantile_classes and cover their values)."""
    uppers = [c["lower"] for c in classes[1:]]
    return classes[bisect.bisect_right(uppers, value)]["id"]


def _catalog_entry(cursor: duckdb.DuckDBPyConnection, indicator_id: str) -> dict[str, Any]:
    result = cursor.execute("SELECT indicator_id, name_en, name_de, unit, definition, is_synthetic "
                            "FROM marts.indicator_catalog WHERE indicator_id = ?", [indicator_id])
    row = result.fetchone()
    if row is None:
        raise UnknownIndicator(f"no indicator {indicator_id!r} in the catalogue (marts.indicator_catalog)")
    return dict(zip([d[0] for d in result.description], row))


def indicator_rows(cursor: duckdb.DuckDBPyConnection, indicator_id: str, level: str) -> list[dict[str, Any]]:
    """Every value of one indicator at one level with its change against five years before and the region's name."""
    return cursor.execute(
        """
        SELECT s.ags, s.period, s.value, s.flag, s.is_synthetic, s.change_5y, s.series_break_5y,
               s.territorial_date::VARCHAR AS territorial_date, r.name, r.land_ags
        FROM marts.indicator_series AS s
        LEFT JOIN core.region AS r ON r.ags = s.ags AND r.level = s.level
        WHERE s.indicator_id = ? AND s.level = ?
        ORDER BY s.period, s.ags
        """, [indicator_id, level]).to_arrow_table().to_pylist()


def region_names(cursor: duckdb.DuckDBPyConnection, level: str) -> dict[str, str]:
    return {_key(ags, level): name for ags, name in cursor.execute(
        "SELECT ags, name FROM core.region WHERE level = ?", [level]).fetchall()}


def map_data(cursor: duckdb.DuckDBPyConnection, indicator_id: str, *, level: str = "kreis", period: int | None = None,
             snapshot: str | None = None, rows: list[dict[str, Any]] | None = None,
             names: dict[str, str] | None = None) -> MapData:
    """One indicator classified for a map: the latest period unless `period` is given.

    The classes are quintiles of the official values of every period at this level, so a colour
    means the same in every year. Suppressed values (NULL with a flag), generated values and
    regions without a row are classes of their own. `rows` and `names` may be passed in when the
    caller keeps them (the service reads them once per snapshot).
    """
    if level not in LEVELS:
        raise ValueError(f"maps exist for {' and '.join(LEVELS)}, not {level!r}")
    indicator = _catalog_entry(cursor, indicator_id.upper())
    rows = indicator_rows(cursor, indicator["indicator_id"], level) if rows is None else rows
    names = region_names(cursor, level) if names is None else names
    periods = sorted({r["period"] for r in rows})
    if not periods:
        raise UnknownIndicator(f"{indicator['indicator_id']} has no values at level {level}")
    if period is None:
        period = max((r["period"] for r in rows if r["value"] is not None), default=periods[-1])
    elif period not in periods:
        raise UnknownIndicator(f"{indicator['indicator_id']} has no {level} values for {period}; "
                               f"periods: {', '.join(map(str, periods))}")
    official = [r["value"] for r in rows if r["value"] is not None and not r["is_synthetic"]]
    classes = quantile_classes(official)
    of_period = [r for r in rows if r["period"] == period]
    territorial = sorted({r["territorial_date"] for r in of_period if r["territorial_date"]})
    geometry = shapes(level)
    regions, counts = [], {name: 0 for name in SPECIAL_CLASSES}
    for row in of_period:
        key = _key(row["ags"], level)
        if row["value"] is None:
            class_id = "not_published"
        elif row["is_synthetic"]:
            class_id = "generated"
        else:
            class_id = class_for(row["value"], classes)
        regions.append({"key": key, "ags": row["ags"], "name": row["name"] or names.get(key) or key,
                        "land": key[:2], "value": row["value"], "flag": row["flag"], "synthetic": row["is_synthetic"],
                        "class_id": class_id, "change_5y": row["change_5y"], "series_break_5y": row["series_break_5y"],
                        "has_geometry": key in geometry})
    with_rows = {r["key"] for r in regions}
    without_value = [{"key": key, "name": names.get(key) or shape.name} for key, shape in geometry.items() if key not in with_rows]
    for missing in without_value:
        regions.append({"key": missing["key"], "ags": None, "name": missing["name"], "land": missing["key"][:2],
                        "value": None, "flag": None, "synthetic": False, "class_id": "no_value", "change_5y": None,
                        "series_break_5y": None, "has_geometry": True})
    _rank_in_land(regions, level)
    by_id = {c["id"]: c for c in classes}
    for region in regions:
        if region["class_id"] in by_id:
            by_id[region["class_id"]]["count"] += 1
        else:
            counts[region["class_id"]] += 1
    regions.sort(key=lambda r: r["key"])
    special = [{"id": name, "label": spec["label"], "hatch": spec["hatch"], "color": spec["color"], "count": counts[name]}
               for name, spec in SPECIAL_CLASSES.items()]
    classification = _classification_text(level, len(official), periods, bool(classes), "en")
    territorial_note = _territorial_text(territorial, "en")
    return MapData(indicator=indicator, level=level, period=period, periods=periods, regions=regions, classes=classes,
                   special=special, classification=classification, territorial_note=territorial_note, snapshot=snapshot,
                   without_geometry=[{"key": r["key"], "name": r["name"]} for r in regions if not r["has_geometry"]],
                   without_value=without_value, official_count=len(official), territorial_dates=territorial)


def _rank_in_land(regions: list[dict[str, Any]], level: str) -> None:
    """Rank 1 = the highest value among the regions of the same Land (among all Länder on a Land map)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for region in regions:
        region["rank_in_land"], region["ranked_in_land"] = None, None
        if region["value"] is not None:
            groups.setdefault(region["land"] if level == "kreis" else "DG", []).append(region)
    for members in groups.values():
        members.sort(key=lambda r: -r["value"])
        for rank, region in enumerate(members, start=1):
            region["rank_in_land"], region["ranked_in_land"] = rank, len(members)


# --- captions: the legend in words, the same on the page, in the SVG and in the reports --------------

WORDS = {
    "en": {"to_under": "{} to under {}", "to": "{} to {}", "unit_line": "{}, {}; regions per class in brackets",
           "classification": "Classes: quintiles of all {count} official {what} values {years} (the same bounds in "
                             "every year; the ends rounded outward).",
           "no_classes": "No official values: no colour classes.", "what": {"kreis": "Kreis", "land": "Land"},
           "territorial": "Values on the Gebietsstand of {dates}; values of earlier years are re-aggregated onto it "
                          "through the crosswalk (core.region_crosswalk).", "register": "the register",
           "snapshot": "Published snapshot {}.", "working": "Working warehouse, not a published snapshot.",
           "boundary": BOUNDARY_NOTE + ".", "source": SOURCE_NOTE + ".",
           "special": {name: spec["label"] for name, spec in SPECIAL_CLASSES.items()}, "units": UNITS},
    "de": {"to_under": "{} bis unter {}", "to": "{} bis {}", "unit_line": "{}, {}; Regionen je Klasse in Klammern",
           "classification": "Klassen: Quintile aller {count} amtlichen {what} {years} (in jedem Jahr dieselben "
                             "Grenzen; die äußeren Grenzen nach außen gerundet).",
           "no_classes": "Keine amtlichen Werte: keine Farbklassen.", "what": {"kreis": "Kreiswerte", "land": "Landeswerte"},
           "territorial": "Werte auf dem Gebietsstand vom {dates}; Werte früherer Jahre sind über die Umsteigeschlüssel "
                          "(core.region_crosswalk) auf ihn umgerechnet.", "register": "des Registers",
           "snapshot": "Veröffentlichter Datenstand {}.", "working": "Arbeitsstand des Warehouse, kein veröffentlichter Datenstand.",
           "boundary": "Grenzen: Kreise mit dem Gebietsstand ab 2021, © GeoBasis-DE / BKG 2013 (Daten verändert), dl-de/by-2-0.",
           "source": "Daten: Statistische Ämter des Bundes und der Länder, Destatis, Statistik der Bundesagentur für Arbeit "
                     "(dl-de/by-2-0); eigene Berechnungen.",
           "special": {"not_published": "nicht veröffentlicht (geheim gehalten oder unter der Mindestgröße)",
                       "generated": "generierte Daten (Offline-Stichprobe, nicht amtlich)", "no_value": "kein Wert"},
           "units": {"pct": "%", "percentage_points": "Prozentpunkte", "per_1000": "je 1.000 Einwohner"}},
}


def _number_text(value: float, decimals: int, lang: str) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".") if lang == "de" else text


def _classification_text(level: str, count: int, periods: list[int], has_classes: bool, lang: str) -> str:
    words = WORDS[lang]
    if not has_classes:
        return words["no_classes"]
    first, last = periods[0], periods[-1]
    years = str(first) if first == last else f"{first}–{last}"
    return words["classification"].format(count=_number_text(count, 0, lang), what=words["what"][level], years=years)


def _territorial_text(dates: list[str], lang: str) -> str:
    return WORDS[lang]["territorial"].format(dates=", ".join(dates) or WORDS[lang]["register"])


def map_caption(data: MapData, lang: str = "en", keys: set[str] | None = None) -> dict[str, Any]:
    """The legend of a map in words: title, unit and period, each class with its bounds and count, the hatched
    classes, and the notes (classification, territorial status, snapshot, boundaries, sources).

    `keys` counts only the regions drawn (a map of one Land); English is the wording of the map page.
    """
    words = WORDS[lang]
    unit = words["units"].get(data.indicator.get("unit") or "", data.indicator.get("unit") or "")
    shown = [r for r in data.regions if keys is None or r["key"] in keys]
    counts = {}
    for region in shown:
        counts[region["class_id"]] = counts.get(region["class_id"], 0) + 1
    classes = []
    for i, c in enumerate(data.classes):
        bounds = [_number_text(b, c["decimals"], lang) for b in (c["lower"], c["upper"])]
        label = c["label"] if lang == "en" else words["to" if i == len(data.classes) - 1 else "to_under"].format(*bounds)
        classes.append({"id": c["id"], "label": label, "color": c["color"], "lower": c["lower"], "upper": c["upper"],
                        "count": counts.get(c["id"], 0)})
    special = [{"id": name, "label": words["special"][name], "color": spec["color"], "hatch": spec["hatch"],
                "count": counts.get(name, 0)} for name, spec in SPECIAL_CLASSES.items()]
    name = data.indicator["name_de" if lang == "de" else "name_en"]
    notes = {"classification": _classification_text(data.level, data.official_count, data.periods, bool(data.classes), lang),
             "territorial": _territorial_text(data.territorial_dates, lang),
             "snapshot": words["snapshot"].format(data.snapshot) if data.snapshot else words["working"],
             "boundary": words["boundary"], "source": words["source"]}
    return {"lang": lang, "title": f"{data.indicator['indicator_id']} · {name}, {data.period} ({unit})",
            "unit_line": words["unit_line"].format(data.period, unit), "period": data.period, "unit": unit,
            "classes": classes, "special": special, "notes": notes}


# Hatched swatches drawn with lines (the same hatches as the maps', from `_hatch_segments`). Not a CSS gradient
# or an SVG pattern: Chromium prints either into a PDF as a raster image of the whole page (a 52-page report grew
# to 20 MB).
def _swatch(class_id: str | None, color: str) -> str:
    """A legend swatch as a small inline SVG (20 × 12): a filled box, or a white box with its class's hatch lines
    (one path)."""
    if class_id is None:
        return f'<svg class="swatch" viewBox="0 0 20 12"><rect width="20" height="12" fill="{color}"/></svg>'
    stroke = ' stroke-width="1.6" stroke-dasharray="0.1 4" stroke-linecap="round"' if class_id == "no_value" \
        else ' stroke-width="1"'  # one stroke-width attribute: a repeated one makes the SVG invalid XML
    d = "".join(f"M{a:.4g} {12 - b:.4g} {c:.4g} {12 - d:.4g}"  # y downwards in SVG; one path, a segment per line
                for (a, b), (c, d) in _hatch_segments(class_id, (0, 0, 20, 12), 4))
    return (f'<svg class="swatch" viewBox="0 0 20 12"><rect width="20" height="12" fill="#ffffff"/>'
            f'<path stroke="{color}"{stroke} d="{d}"/></svg>')


def caption_html(caption: dict[str, Any]) -> str:
    """The caption as an HTML legend (a `div.map-legend`): swatches, class bounds with counts, the notes."""
    from html import escape

    def item(entry: dict[str, Any], swatch: str) -> str:
        return f'<li data-class="{entry["id"]}">{swatch} {escape(entry["label"])} ({entry["count"]})</li>'

    items = [item(c, _swatch(None, c["color"])) for c in caption["classes"]]
    items += [item(s, _swatch(s["id"], s["color"])) for s in caption["special"]]
    notes = " ".join(escape(text) for text in caption["notes"].values())
    return (f'<div class="map-legend" data-period="{caption["period"]}">'
            f'<p class="map-legend-title">{escape(caption["title"])}</p>'
            f'<p class="map-legend-unit">{escape(caption["unit_line"])}</p>'
            f'<ul class="map-legend-classes">{"".join(items)}</ul>'
            f'<p class="map-legend-notes">{notes}</p></div>')


# --- drawing -------------------------------------------------------------------------------------------


# Länder drawn small for print (a report's 3-inch map of Germany) are thinned further: at that size 0.01°
# is under a third of a point, and the finer outlines made a Germany report's PDF three times larger.
PRINT_LAND_TOLERANCE = 0.01


@lru_cache(maxsize=None)
def _drawn_geometry(level: str, coarse: bool = False) -> dict[str, Any]:
    """The shapes as drawn: x scaled by cos of 51°, Länder thinned further when `coarse` (print)."""
    stretch = math.cos(math.radians(51.2))
    found = display_shapes(level)
    geometries = np.array([shape.geometry for shape in found.values()])
    if coarse:
        geometries = shapely.simplify(geometries, PRINT_LAND_TOLERANCE, preserve_topology=True)
    return {key: shapely.transform(geometry, lambda xy: xy * [stretch, 1]) for key, geometry in zip(found, geometries)}


@lru_cache(maxsize=None)
def _kreis_coverage() -> dict[str, Any]:
    """The Kreise as drawn, as a clean coverage: neighbours share every border vertex for vertex.

    The boundary file's Kreise were simplified one by one, so neighbours overlap and leave slivers along their
    common border (Bavaria: 3,100 of 5,385 border segments belong to one Kreis only). All outlines are noded
    and cut into faces; a face goes to the Kreis it lies in (in an overlap, to one of them), a sliver between
    Kreise to a neighbour.
    """
    drawn = _drawn_geometry("kreis")
    keys, geometries = list(drawn), np.array(list(drawn.values()))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(shapely.boundary(geometries)))))
    tree = shapely.STRtree(geometries)
    owner = dict(zip(*(index.tolist() for index in tree.query(shapely.point_on_surface(faces), predicate="within"))))
    for face in np.flatnonzero(shapely.area(faces) < SLIVER_AREA):
        if face not in owner:  # a sliver: to the first Kreis it touches
            owner[face] = int(tree.query_nearest(faces[face])[0])
    parts: dict[int, list] = {}
    for face, region in owner.items():
        parts.setdefault(region, []).append(faces[face])
    return {keys[region]: shapely.coverage_union_all(np.array(found)) for region, found in sorted(parts.items())}


@lru_cache(maxsize=None)
def _paths(level: str, coarse: bool = False):
    """A matplotlib Path per shape as drawn (exteriors counter-clockwise, holes clockwise)."""
    from matplotlib.path import Path as MplPath

    def rings(polygon):
        yield polygon.exterior
        yield from polygon.interiors

    result = {}
    for key, geometry in _drawn_geometry(level, coarse).items():
        oriented = shapely.orient_polygons(geometry)
        polygons = getattr(oriented, "geoms", [oriented])
        parts = [MplPath(np.asarray(ring.coords), closed=True) for polygon in polygons for ring in rings(polygon)]
        result[key] = MplPath.make_compound_path(*parts)
    return result


def render_svg(data: MapData, *, highlight: str | None = None, land: str | None = None, fmt: str = "svg",
               width_inches: float = 7.0, legend: bool = True, for_print: bool = False) -> bytes:
    """The map as SVG (or PNG): one shape per region with id `region-<key>`, Land borders on top, a legend.

    `land` limits the map to one Land (2-digit key); `highlight` outlines one region (its key). `for_print`
    draws the hatches as lines cut to their region (group `hatch-<key>`) instead of SVG patterns, which
    Chromium prints into a PDF as a raster image of the whole page.
    """
    if for_print and not legend and fmt == "svg":
        return print_map_svg(data, land=land, highlight=highlight, width_inches=width_inches).encode()
    from matplotlib.figure import Figure
    from matplotlib.patches import PathPatch

    by_key = {r["key"]: r for r in data.regions}
    colors = {c["id"]: c["color"] for c in data.classes}
    coarse = for_print and data.level == "land"
    paths = _paths(data.level, coarse)
    keys = [k for k in paths if not land or k.startswith(land)]
    corners = np.array([paths[k].get_extents().get_points() for k in keys])
    spacing = max(np.ptp(corners[:, :, 0]), np.ptp(corners[:, :, 1])) / 80  # hatch lines 1/80 of the map apart
    with _render_lock:
        figure = Figure(figsize=(width_inches, width_inches * (1.25 if legend else 1.0)), dpi=100)
        axes = figure.add_axes((0.0, 0.24 if legend else 0.0, 1.0, 0.76 if legend else 1.0))
        axes.set_axis_off()
        axes.set_aspect("equal")
        edge, width = ("#ffffff", 0.25) if data.level == "kreis" else ("#333333", 0.8)
        for key in keys:
            region = by_key.get(key) or {"class_id": "no_value", "name": shapes(data.level)[key].name}
            class_id = region["class_id"]
            if class_id in colors:
                patch = PathPatch(paths[key], facecolor=colors[class_id], edgecolor=edge, linewidth=width)
            else:
                spec = SPECIAL_CLASSES[class_id]
                patch = PathPatch(paths[key], facecolor="#ffffff", edgecolor=spec["color"], linewidth=width,
                                  hatch=None if for_print else spec["hatch"])
            patch.set_gid(f"region-{key}")
            patch.set_url(None)
            axes.add_artist(patch)  # add_patch would walk every vertex to update the limits
            if for_print and class_id not in colors:
                axes.add_artist(_hatch_collection(_drawn_geometry(data.level, coarse)[key], class_id,
                                                  SPECIAL_CLASSES[class_id]["color"], spacing, key))
        if data.level == "kreis":
            land_paths = _paths("land")
            for key, path in land_paths.items():
                if land and key != land:
                    continue
                border = PathPatch(path, facecolor="none", edgecolor="#333333", linewidth=0.8)
                border.set_gid(f"land-border-{key}")
                axes.add_artist(border)
        if highlight and highlight in paths:
            mark = PathPatch(paths[highlight], facecolor="none", edgecolor="#d7191c", linewidth=2.0)
            mark.set_gid(f"highlight-{highlight}")
            axes.add_artist(mark)
        axes.set_xlim(corners[:, 0, 0].min(), corners[:, 1, 0].max())
        axes.set_ylim(corners[:, 0, 1].min(), corners[:, 1, 1].max())
        if legend:
            _legend(figure, data, set(keys) if land else None)
        buffer = io.BytesIO()
        figure.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None,
                       bbox_inches="tight", pad_inches=0.1)
    return buffer.getvalue()


def _hatch_segments(class_id: str, bounds: tuple[float, float, float, float], step: float) -> list:
    """A class's hatch over a box (x0, y0, x1, y1; y upwards): `////` not published, `\\\\` generated data
    (lines `step` apart along the y axis), rows `step` apart (drawn dotted) for no value."""
    x0, y0, x1, y1 = bounds
    if class_id == "no_value":
        return [[(x0, y), (x1, y)] for y in np.arange(y0 + step / 2, y1, step)]
    rising = class_id == "not_published"  # y = x + c, else y = -x + c
    low, high = (y0 - x1, y1 - x0) if rising else (x0 + y0, x1 + y1)
    segments = []
    for c in np.arange(low, high, step):
        if rising:
            start, end = max(x0, y0 - c), min(x1, y1 - c)
            ends = [(start, start + c), (end, end + c)]
        else:
            start, end = max(x0, c - y1), min(x1, c - y0)
            ends = [(start, c - start), (end, c - end)]
        if start < end:  # not a corner point
            segments.append(ends)
    return segments


def _hatch_lines(geometry, class_id: str, spacing: float) -> list[np.ndarray]:
    """The hatch of a region as line segments cut to the region (no clip path: Chromium would repeat the
    region's outline in the PDF for every line): one coordinate array per piece."""
    step = spacing if class_id == "no_value" else spacing * math.sqrt(2)  # diagonals `spacing` apart across
    inside = shapely.intersection(shapely.MultiLineString(_hatch_segments(class_id, geometry.bounds, step)), geometry)
    return [np.asarray(line.coords) for line in getattr(inside, "geoms", [inside])
            if isinstance(line, shapely.LineString) and not line.is_empty]


def _hatch_collection(geometry, class_id: str, color: str, spacing: float, key: str):
    """The hatch lines of a region as one matplotlib collection (group `hatch-<key>`)."""
    from matplotlib.collections import LineCollection

    style = ({"linestyles": [(0, (0.1, 3))], "capstyle": "round", "linewidths": 1.2} if class_id == "no_value"
             else {"linewidths": 0.4})
    lines = LineCollection(_hatch_lines(geometry, class_id, spacing), colors=color, **style)
    lines.set_gid(f"hatch-{key}")
    return lines


def _legend(figure, data: MapData, keys: set[str] | None = None) -> None:
    from matplotlib.patches import Patch

    caption = map_caption(data, keys=keys)
    handles = [Patch(facecolor=c["color"], edgecolor="#666666", linewidth=0.4, label=f"{c['label']} ({c['count']})")
               for c in caption["classes"]]
    handles += [Patch(facecolor="#ffffff", edgecolor=s["color"], hatch=s["hatch"], linewidth=0.4,
                      label=f"{s['label']} ({s['count']})") for s in caption["special"] if s["count"]]
    figure.text(0.02, 0.235, caption["title"], fontsize=9, weight="bold", va="top", wrap=True)
    figure.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.02, 0.225), fontsize=7, frameon=False,
                  title=caption["unit_line"], title_fontsize=7, alignment="left", ncols=2)
    figure.text(0.02, 0.095, "\n".join(caption["notes"].values()), fontsize=5.5, va="top", color="#333333", wrap=True)


# --- print maps: SVG written directly (reports) ---------------------------------------------------------
#
# A report prints one small map per indicator (its Land, the region outlined); a batch of reports prints the
# same Land map for each of its Kreise. The map is written here without matplotlib, in points (1 user unit =
# 1 pt, one decimal): a Land's frame and outlines once per batch (`_print_frame`), the map of an indicator
# once per Land (`print_map_svg` without highlight), and each report splices its region's outline in
# (`highlight_svg`). A report's maps draw one <path> per class (`by_class`); a map on its own (`imon map`, the
# service's SVG) a group per region with its key, and one hatch <path> per region, its segments in one `d`.
# The Kreise of a print map are a clean coverage (`_kreis_coverage`): a report's Kreis map fills each class as
# one area and draws each border once, instead of every Kreis with its own outline.

PRINT_PAD = 1.5  # pt around the outlines: the highlight's 2 pt stroke stays inside
# Outlines of a map of the Länder and of the Land borders thinned to 0.4 pt (0.14 mm, under a line's width)
PRINT_TOLERANCE_PT = 0.4
# The Kreise of a print map are thinned as a coverage (Visvalingam-Whyatt: about the square root of the smallest
# triangle kept), so that neighbours keep one common border. At 1.0 Bavaria's 96 Kreise keep 3,031 of 7,802
# points (0.4 pt one by one kept 4,910), and a report map of Bavaria draws 4.4k points instead of 10.5k.
PRINT_COVERAGE_TOLERANCE_PT = 1.0
# Faces between the Kreise smaller than this (square degrees, ~2.5 km²) are slivers of the simplified boundary file
# and go to a neighbour; larger ones are real gaps (the Austrian Jungholz, Bodden off Rügen) and stay white.
SLIVER_AREA = 0.0003


def _fmt(tenths: int) -> str:
    return str(tenths // 10) if tenths % 10 == 0 else f"{tenths / 10:g}"


def _svg_path(parts, closed: bool) -> str:
    """Coordinate arrays (pt) as one path `d`, one decimal, repeated points dropped, no redundant commands."""
    out = []
    minimum = 3 if closed else 2
    for xy in parts:
        q = np.rint(np.asarray(xy)[:, :2] * 10).astype(np.int64)
        if len(q) > 1:
            q = q[np.concatenate(([True], np.any(q[1:] != q[:-1], axis=1)))]
        if closed and len(q) > 1 and (q[0] == q[-1]).all():
            q = q[:-1]
        if len(q) < minimum:
            continue
        numbers = [_fmt(v) for v in q.ravel().tolist()]
        out.append("M" + " ".join(f"{x} {y}" for x, y in zip(numbers[::2], numbers[1::2])) + ("Z" if closed else ""))
    return "".join(out)


def _rings(geometry):
    for polygon in getattr(geometry, "geoms", [geometry]):
        if isinstance(polygon, shapely.Polygon) and not polygon.is_empty:
            yield np.asarray(polygon.exterior.coords)
            for ring in polygon.interiors:
                yield np.asarray(ring.coords)


@dataclass(frozen=True)
class _Frame:
    """A print map's keys, size and shapes in pt (y downwards), with the region paths written once."""

    keys: tuple[str, ...]
    width: float
    height: float
    geometry: dict[str, Any]
    paths: dict[str, str]
    spacing: float  # hatch lines 1/80 of the map apart
    origin: tuple[float, float]  # the drawn coordinates of the top left corner (inside the padding)
    scale: float  # pt per drawn unit
    # A Kreis map's borders, each once: (path `d`, the keys of the one or two regions it separates); empty on a
    # map of the Länder, whose outlines are each region's own
    borders: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def place(self, geometry):
        """A drawn geometry in this frame's pt (y downwards)."""
        (x0, y1), scale = self.origin, self.scale
        return shapely.transform(geometry, lambda xy: (xy - [x0, y1]) * [scale, -scale] + PRINT_PAD)


def _thinned(geometry):
    """A print map's shape (in pt) without the points that move its outline by less than PRINT_TOLERANCE_PT."""
    return shapely.simplify(geometry, PRINT_TOLERANCE_PT, preserve_topology=True)


@lru_cache(maxsize=64)
def _print_frame(level: str, land: str | None, width_inches: float = 3.0) -> _Frame:
    coarse = level == "land"
    drawn = _drawn_geometry(level, coarse)
    keys = tuple(k for k in drawn if not land or k.startswith(land))
    bounds = np.array([drawn[k].bounds for k in keys])
    x0, y0, x1, y1 = bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(), bounds[:, 3].max()
    size = width_inches * 72 - 2 * PRINT_PAD
    scale = size / max(x1 - x0, y1 - y0)
    frame = _Frame(keys, round((x1 - x0) * scale + 2 * PRINT_PAD, 1), round((y1 - y0) * scale + 2 * PRINT_PAD, 1),
                   {}, {}, size / 80, (x0, y1), scale)
    if level == "kreis":
        coverage = _kreis_coverage()
        placed = shapely.coverage_simplify(np.array([frame.place(coverage[key]) for key in keys]),
                                           PRINT_COVERAGE_TOLERANCE_PT)
    else:
        placed = [_thinned(frame.place(drawn[key])) for key in keys]
    for key, geometry in zip(keys, placed):
        # outlines one way round, holes the other: the fill rule nonzero then fills an enclave drawn in one path with
        # the region around it (print_map_svg by_class)
        frame.geometry[key] = shapely.orient_polygons(geometry)
        frame.paths[key] = _svg_path(_rings(frame.geometry[key]), closed=True)
    if level == "kreis":
        frame.borders.extend(_borders(frame))
    return frame


def _borders(frame: _Frame) -> list[tuple[str, tuple[str, ...]]]:
    """The borders of a coverage frame from junction to junction, each with the regions on its sides."""
    keys = list(frame.geometry)
    outlines = shapely.boundary(np.array([frame.geometry[key] for key in keys]))
    lines = shapely.get_parts(shapely.line_merge(shapely.union_all(outlines)))
    middles = shapely.line_interpolate_point(lines, 0.5, normalized=True)
    line_index, region_index = shapely.STRtree(outlines).query(middles, predicate="dwithin", distance=1e-6)
    sides: dict[int, list[str]] = {}
    for line, region in zip(line_index.tolist(), region_index.tolist()):
        sides.setdefault(line, []).append(keys[region])
    return [(_svg_path([np.asarray(lines[i].coords)], closed=False), tuple(sorted(sides.get(i, []))))
            for i in range(len(lines))]


@lru_cache(maxsize=4096)
def _hatch_d(level: str, land: str | None, key: str, class_id: str, width_inches: float = 3.0) -> str:
    """The hatch lines of one region of a print map as one path `d` (the same for every indicator that hatches it)."""
    frame = _print_frame(level, land, width_inches)
    return _svg_path(_hatch_lines(frame.geometry[key], class_id, frame.spacing), closed=False)


def _print_hatch(level: str, land: str | None, key: str, class_id: str, width_inches: float = 3.0) -> str:
    """The hatch of one region of a print map as one path."""
    d = _hatch_d(level, land, key, class_id, width_inches)
    if not d:
        return f'<g id="hatch-{key}"/>'
    return f'<g id="hatch-{key}"><path stroke="{SPECIAL_CLASSES[class_id]["color"]}"{_hatch_style(class_id)} d="{d}"/></g>'


def _hatch_style(class_id: str) -> str:
    return ' stroke-width="1.2" stroke-dasharray=".1 3.6" stroke-linecap="round"' if class_id == "no_value" else ""


@lru_cache(maxsize=None)
def _land_borders(land: str | None, width_inches: float = 3.0) -> str:
    """The Land outlines over a Kreis print map, in the Kreis map's frame."""
    frame = _print_frame("kreis", land, width_inches)
    borders = [f'<path id="land-border-{key}" d="{_svg_path(_rings(_thinned(frame.place(geometry))), closed=True)}"/>'
               for key, geometry in _drawn_geometry("land").items() if not land or key == land]
    return f'<g fill="none" stroke="#333333" stroke-width=".8" stroke-linejoin="round">{"".join(borders)}</g>'


def highlight_svg(level: str, land: str | None, key: str, width_inches: float = 3.0) -> str:
    """A region's red outline in a print map's frame: spliced into the map by `with_highlight`."""
    frame = _print_frame(level, land, width_inches)
    if key not in frame.paths:
        return ""
    return (f'<g id="highlight-{key}"><path d="{frame.paths[key]}" fill="none" stroke="#d7191c" stroke-width="2" '
            'stroke-linejoin="round"/></g>')


def with_highlight(svg: str, outline: str) -> str:
    """A print map with a region's outline on top (the map is written without one, once per Land)."""
    return svg[:-len("</svg>")] + outline + "</svg>" if outline else svg


def print_map_svg(data: MapData, *, land: str | None = None, highlight: str | None = None,
                  width_inches: float = 3.0, by_class: bool = False) -> str:
    """The map of a report: each region a `<g id="region-<key>">` filled with its class's colour (white with
    its class's hatch lines, `hatch-<key>`, for the hatched classes), Land borders on a Kreis map, the
    `highlight` region outlined. Without `highlight` the same for every report of the Land.

    `by_class`: the regions of one class as one path (`<path data-class="…">`), and the hatch lines of one
    class as one path, instead of a group per region. A report's PDF prints some 50 maps; Chromium's time
    grows with the number of SVG elements far more than with their points (Bavaria's 96 Kreise: 1.85 CPU-s
    of Chromium per München report with a group per region, 1.1 CPU-s by class, measured 2026-12-06). On a
    Kreis map, each class is one area and the borders follow in their own group, each once: white between
    coloured Kreise, a hatched Kreis's colour around it. That halves the points Chromium prints (96 Bavarian
    reports: 68.9 s against 87.4 s, PDFs 1.7 MB against 3.2 MB, measured 2026-12-06).
    """
    frame = _print_frame(data.level, land, width_inches)
    by_key = {r["key"]: r["class_id"] for r in data.regions}
    colors = {c["id"]: c["color"] for c in data.classes}
    edge, width = ("#ffffff", ".25") if data.level == "kreis" else ("#333333", ".8")
    classes: dict[str, list[str]] = {}
    for key in frame.keys:
        classes.setdefault(by_key.get(key, "no_value"), []).append(key)
    regions, hatches = [], []
    shared_borders = by_class and bool(frame.borders)  # a Kreis map: each class one area, each border drawn once
    for class_id, keys in classes.items():
        paint = (f'fill="{colors[class_id]}"' if class_id in colors
                 else f'fill="#ffffff" stroke="{SPECIAL_CLASSES[class_id]["color"]}"')
        if shared_borders:
            area = shapely.orient_polygons(shapely.coverage_union_all(np.array([frame.geometry[k] for k in keys])))
            regions.append(f'<path data-class="{class_id}" fill="{colors.get(class_id, "#ffffff")}" '
                           f'd="{_svg_path(_rings(area), closed=True)}"/>')
        elif by_class:
            regions.append(f'<path data-class="{class_id}" {paint} d="{"".join(frame.paths[k] for k in keys)}"/>')
        if by_class:
            if class_id not in colors:
                lines = "".join(_hatch_d(data.level, land, key, class_id, width_inches) for key in keys)
                if lines:
                    hatches.append(f'<path data-class="{class_id}" stroke="{SPECIAL_CLASSES[class_id]["color"]}"'
                                   f'{_hatch_style(class_id)} d="{lines}"/>')
            continue
        for key in keys:
            regions.append(f'<g id="region-{key}"><path {paint} d="{frame.paths[key]}"/></g>')
            if class_id not in colors:
                hatches.append(_print_hatch(data.level, land, key, class_id, width_inches))
    # nonzero: a region's holes run against its outline (_print_frame orients them), so an enclave drawn in the
    # same path as the region around it (a kreisfreie Stadt inside its Landkreis, both of one class) is filled
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{frame.width:g}pt" height="{frame.height:g}pt" '
             f'viewBox="0 0 {frame.width:g} {frame.height:g}">',
             '<g fill-rule="nonzero" stroke="none">' if shared_borders else
             f'<g fill-rule="nonzero" stroke="{edge}" stroke-width="{width}" stroke-linejoin="round">', *regions, "</g>"]
    if shared_borders:
        parts += _border_paths(frame, by_key, colors, edge, width)
    if hatches:
        parts += ['<g fill="none" stroke-width=".4">', *hatches, "</g>"]
    if data.level == "kreis":
        parts.append(_land_borders(land, width_inches))
    parts.append("</svg>")
    svg = "".join(parts)
    return with_highlight(svg, highlight_svg(data.level, land, highlight, width_inches)) if highlight else svg


def _border_paths(frame: _Frame, by_key: dict[str, str], colors: dict[str, str], edge: str, width: str) -> list[str]:
    """A coverage map's borders as one path per colour: white between coloured regions, a hatched region's colour
    around it (grey or orange, drawn last), as when each region was outlined in its own colour."""
    by_colour: dict[str, list[str]] = {}
    for d, sides in frame.borders:
        special = [class_id for class_id in (by_key.get(key, "no_value") for key in sides) if class_id not in colors]
        by_colour.setdefault(SPECIAL_CLASSES[special[0]]["color"] if special else edge, []).append(d)
    ordered = sorted(by_colour.items(), key=lambda item: item[0] != edge)
    return [f'<g fill="none" stroke-width="{width}" stroke-linejoin="round">',
            *(f'<path stroke="{colour}" d="{"".join(ds)}"/>' for colour, ds in ordered), "</g>"]


def indicator_map_svg(cursor: duckdb.DuckDBPyConnection, indicator_id: str, *, period: int | None = None,
                      level: str = "kreis", land: str | None = None, highlight: str | None = None,
                      snapshot: str | None = None, legend: bool = True, width_inches: float = 7.0) -> str:
    """One indicator map as an SVG string, for reports: all Kreise (or one Land's), optionally one region outlined.

    `land` is a 2-digit key, `highlight` a 5-digit Kreis key (or 2-digit Land key on a Land map).
    """
    data = map_data(cursor, indicator_id, level=level, period=period, snapshot=snapshot)
    return render_svg(data, highlight=highlight, land=land, legend=legend, width_inches=width_inches).decode()


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:,.1f}"


def html_page(data: MapData, svg: str) -> str:
    """A standalone HTML file: the SVG map and the list of regions with value, class and rank (no script)."""
    from html import escape

    labels = {c["id"]: c["label"] for c in data.classes} | {k: v["label"] for k, v in SPECIAL_CLASSES.items()}
    rows = "\n".join(
        f"<tr id=\"row-{r['key']}\"><td>{r['key']}</td><td>{escape(r['name'])}</td>"
        f"<td>{_number(r['value'])}</td>"
        f"<td>{escape(labels[r['class_id']])}</td><td>{r['rank_in_land'] or ''}</td></tr>"
        for r in data.regions)
    title = escape(f"{data.indicator['indicator_id']} · {data.indicator['name_en']} · {data.period}")
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\n"
            f"<h1>{title}</h1>\n<figure>{svg}</figure>\n<table><thead><tr><th>Key</th><th>Region</th>"
            f"<th>Value ({escape(unit_label(data.indicator.get('unit')))})</th><th>Class</th><th>Rank in Land</th></tr>"
            f"</thead><tbody>\n{rows}\n</tbody></table>\n<p>{escape(data.classification)} {escape(data.territorial_note)} "
            f"{escape(BOUNDARY_NOTE)}. {escape(SOURCE_NOTE)}.</p>\n</body></html>\n")


# --- the service: map page, its data, the boundaries, the SVG ------------------------------------------

api = APIRouter(prefix="/api/maps", tags=["maps"])
pages = APIRouter(include_in_schema=False)
LevelQuery = Annotated[str, Query(description="kreis (default) or land", pattern="^(kreis|land)$")]
PeriodQuery = Annotated[int | None, Query(description="Reporting year (default: the latest with values)")]
SNAPSHOT_HEADER = "X-Imon-Snapshot"


def _service_map(read, indicator: str, level: str, period: int | None) -> MapData:
    """The classified map of one indicator, level and period, kept per snapshot (the rows once per indicator)."""
    indicator = indicator.upper()
    rows = read.memo(("map rows", indicator, level), lambda: indicator_rows(read.cursor, indicator, level))
    names = read.memo(("map names", level), lambda: region_names(read.cursor, level))
    return read.memo(("map", indicator, level, period), lambda: map_data(
        read.cursor, indicator, level=level, period=period, snapshot=read.label, rows=rows, names=names))


def warm(read) -> None:
    """The boundaries and the latest Kreis map of every indicator, made when a snapshot is first opened (in a thread)."""
    for level in LEVELS:
        geojson(level)
        _paths(level)
    for (indicator_id,) in read.cursor.execute("SELECT indicator_id FROM marts.indicator_catalog ORDER BY 1").fetchall():
        try:
            _service_map(read, indicator_id, "kreis", None)
        except UnknownIndicator:
            continue


@api.get("/geometry/{level}", summary="Boundaries as GeoJSON")
def get_geometry(level: str):
    """The Kreise (or the Länder, dissolved from them) as GeoJSON, WGS84, coordinates to 0.001°."""
    if level not in LEVELS:
        raise HTTPException(404, f"boundaries exist for {' and '.join(LEVELS)}")
    return Response(geojson(level), media_type="application/geo+json",
                    headers={"Cache-Control": "private, max-age=86400"})


@api.get("/locator/{region}", summary="Locator maps of a region")
def get_locator(request: Request, region: str):
    """Per indicator, the latest period's class of every Kreis in the region's Land (every Land for a Land).

    What the profile page draws as a small map per indicator, the region outlined.
    """
    from service.profile import parse_region

    ags, level = parse_region(region)
    if level == "deutschland":
        raise HTTPException(404, "Germany has no locator map")
    map_level = "land" if level == "land" else "kreis"
    key = _key(ags, map_level)

    def compute():
        from service.formats import Answer, json_bytes

        indicators = {}
        for (indicator_id,) in read.cursor.execute("SELECT indicator_id FROM marts.indicator_catalog ORDER BY 1").fetchall():
            try:
                data = _service_map(read, indicator_id, map_level, None)
            except UnknownIndicator:
                continue
            fills = {c["id"]: c["color"] for c in data.classes}
            indicators[indicator_id] = {
                "period": data.period, "classification": data.classification,
                "regions": {r["key"]: r["class_id"] for r in data.regions
                            if map_level == "land" or r["land"] == key[:2]},
                "classes": [{k: c[k] for k in ("id", "label", "color")} for c in data.classes],
                "fills": fills}
        return Answer(json_bytes({"snapshot": read.label, "region": key, "level": map_level, "land": key[:2],
                                  "indicators": indicators}), headers={SNAPSHOT_HEADER: read.label})

    with request.app.state.readers.reading() as read:
        return read.memo(("locator", map_level, key), compute).response()


@api.get("/{indicator}", summary="An indicator map's data")
async def get_map(request: Request, indicator: str, level: LevelQuery = "kreis", period: PeriodQuery = None):
    """Every region's value, class, rank in its Land and change against five years before; the legend's classes.

    Regions with a value but no boundary are listed in `without_geometry`, boundaries without a value in
    `without_value` (drawn in the `no_value` class).
    """
    from service.formats import Answer, json_bytes

    with request.app.state.readers.reading() as read:
        answer = await read.remembered(("map json", indicator.upper(), level, period), lambda: Answer(
            json_bytes(_service_map(read, indicator, level, period).document()), headers={SNAPSHOT_HEADER: read.label}))
    return answer.response()


@api.get("/{indicator}/svg", summary="An indicator map as SVG")
def get_map_svg(request: Request, indicator: str, level: LevelQuery = "kreis", period: PeriodQuery = None,
                land: Annotated[str | None, Query(description="Only this Land, e.g. 09", pattern=r"^\d{2}$")] = None,
                highlight: Annotated[str | None, Query(description="Outline this region (5-digit Kreis key)",
                                                       pattern=r"^\d{2}(\d{3})?$")] = None):
    """The map drawn by matplotlib, with legend, classification, territorial status, snapshot and sources."""
    from service.formats import Answer

    with request.app.state.readers.reading() as read:
        data = _service_map(read, indicator, level, period)
        answer = read.memo(("map svg", data.indicator["indicator_id"], level, data.period, land, highlight),
                           lambda: Answer(render_svg(data, land=land, highlight=highlight), "image/svg+xml",
                                          {SNAPSHOT_HEADER: read.label}))  # an Answer: the memo weighs its bytes
        return answer.response()


@pages.get("/map")
@pages.get("/map/{indicator}")
def map_page(indicator: str | None = None):
    return FileResponse(STATIC_DIR / "map.html", media_type="text/html")


def report_map_figure(cursor: duckdb.DuckDBPyConnection):
    """The per-indicator map of a report (`service.reports.render.report_html(map_figure=…)`): a Kreis's or a
    Gemeinde's Land with its Kreis outlined, a Land among the Länder, Germany's Länder; beside it the legend of
    the map page in the report's language (classes counted over the regions drawn). None where the indicator has
    no map (no Kreis or Land values). The classified data is kept per indicator and level for every later report,
    the map and its legend per indicator and Land (`print_map_svg`): a report splices its region's outline in."""
    from warehouse.publish import snapshot_label

    snapshot = snapshot_label(cursor)
    classified: dict[tuple[str, str], MapData | None] = {}

    def data_of(indicator_id: str, level: str) -> MapData | None:
        if (indicator_id, level) not in classified:
            try:
                classified[indicator_id, level] = map_data(cursor, indicator_id, level=level, snapshot=snapshot)
            except LookupError:  # no values at that level: the chart and the table say what there is
                classified[indicator_id, level] = None
        return classified[indicator_id, level]

    drawn: dict[tuple, str] = {}  # (indicator, level, land) -> the map without highlight; (…, lang) -> its legend
    current_land: list[str | None] = [None]

    def figure(indicator_id: str, region: dict, lang: str) -> str | None:
        level, ags = region["level"], region["ags"]
        if level in ("kreis", "gemeinde"):
            data, land, highlight = data_of(indicator_id, "kreis"), ags[:2], ags[:5]
        else:
            data, land, highlight = data_of(indicator_id, "land"), None, ags[:2] if level == "land" else None
        if data is None:
            return None
        if land and land != current_land[0]:  # a batch goes Land by Land: the previous Land's maps are done
            for key in [k for k in drawn if k[2] not in (None, land)]:
                drawn.pop(key)
            current_land[0] = land
        base = (indicator_id, data.level, land)
        if base not in drawn:
            drawn[base] = print_map_svg(data, land=land, by_class=True)
        if (*base, lang) not in drawn:
            keys = {key for key in _print_frame(data.level, land).keys}
            drawn[(*base, lang)] = caption_html(map_caption(data, lang, keys))
        outline = highlight_svg(data.level, land, highlight) if highlight else ""
        return with_highlight(drawn[base], outline) + drawn[(*base, lang)]

    return figure
