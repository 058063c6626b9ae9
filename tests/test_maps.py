"""Indicator maps: classes, the not-published class, the SVG of `imon map`, the service's map page in Chromium."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ElementTree
from contextlib import contextmanager

import numpy as np
import pytest
import shapely
from typer.testing import CliRunner

from flows.cli import app
from service import maps

try:
    from service_support import running_service
    from test_profile_page import ARTIFACTS, browse, chromium
except ImportError:
    from tests.service_support import running_service
    from tests.test_profile_page import ARTIFACTS, browse, chromium

SVG_NS = "{http://www.w3.org/2000/svg}"
# offline/sample/13211-02-05-4.csv, 2023, 01001 Flensburg: 1,225 foreign registered unemployed of 4,131
FLENSBURG_ARB06_2023 = 100 * 1225 / 4131
BOUNDARY_KEYS = {f["properties"]["AGS_0"][:5] for f in json.loads(maps.KREISE_FILE.read_text())["features"]}


def region_fills(svg: bytes) -> dict[str, str]:
    """The fill of each `region-<key>` group of a map's SVG (a colour, or url(#…) for a hatch)."""
    fills = {}
    for group in ElementTree.fromstring(svg).iter(f"{SVG_NS}g"):
        found = re.fullmatch(r"region-(\d+)", group.get("id") or "")
        if found:
            path = group.find(f"{SVG_NS}path")  # matplotlib styles it, the print writer gives the attribute
            fills[found.group(1)] = path.get("fill") or re.search(r"fill: ?([^;]+)", path.get("style")).group(1)
    return fills


def test_the_boundaries_are_the_400_kreise_and_16_laender():
    assert len(BOUNDARY_KEYS) == 400 and "01001" in BOUNDARY_KEYS and "16056" not in BOUNDARY_KEYS  # status from 2021
    assert sorted(maps.shapes("land")) == [f"{n:02d}" for n in range(1, 17)]
    # Bremen (04) lies inside Niedersachsen (03): the dissolved outline of 03 has holes there (closing the hair-thin
    # gaps of the simplified Kreise widens each outline by less than 200 m)
    niedersachsen, bremen = maps.shapes("land")["03"].geometry, maps.shapes("land")["04"].geometry
    assert len(niedersachsen.geoms[0].interiors) >= 1 or any(p.interiors for p in niedersachsen.geoms)
    assert niedersachsen.intersection(bremen).area < 0.01 * bremen.area


def test_quantile_classes_by_hand():
    classes = maps.quantile_classes([float(v) for v in range(1, 11)])  # quintiles of 1…10: 2.8, 4.6, 6.4, 8.2
    assert [(c["lower"], c["upper"]) for c in classes] == [(1.0, 2.8), (2.8, 4.6), (4.6, 6.4), (6.4, 8.2), (8.2, 10.0)]
    assert classes[0]["label"] == "1.00 to under 2.80" and classes[-1]["label"] == "8.20 to 10.00"
    assert maps.class_for(2.8, classes) == "c2" and maps.class_for(10.0, classes) == "c5" and maps.class_for(1.0, classes) == "c1"


def test_flensburg_gets_the_class_of_its_arb06_2023_value(warehouse):
    data = maps.map_data(warehouse, "ARB06", period=2023)
    flensburg = next(r for r in data.regions if r["key"] == "01001")
    assert flensburg["value"] == pytest.approx(FLENSBURG_ARB06_2023)  # 29.65
    held = next(c for c in data.classes if c["id"] == flensburg["class_id"])
    assert held["lower"] <= FLENSBURG_ARB06_2023 < held["upper"]
    assert region_fills(maps.render_svg(data))["01001"] == held["color"]


def test_a_suppressed_region_gets_the_not_published_class(warehouse):
    value, flag = warehouse.execute("SELECT value, flag FROM marts.indicator_value WHERE indicator_id = 'BIL02' "
                                    "AND ags = '06412000' AND level = 'kreis' AND period = 2023").fetchone()
    assert value is None and flag == "denominator_suppressed"  # Frankfurt am Main: pupils by school type withheld
    suppressed = warehouse.execute("SELECT count(*) FROM marts.indicator_value WHERE indicator_id = 'BIL02' "
                                   "AND level = 'kreis' AND period = 2023 AND value IS NULL").fetchone()[0]
    data = maps.map_data(warehouse, "BIL02", period=2023)
    frankfurt = next(r for r in data.regions if r["key"] == "06412")
    assert frankfurt["class_id"] == "not_published" and frankfurt["rank_in_land"] is None
    assert next(s for s in data.special if s["id"] == "not_published")["count"] == suppressed == 25
    fill = region_fills(maps.render_svg(data, land="06", highlight="06412"))["06412"]
    assert fill.startswith("url(#") and fill not in {c["color"] for c in data.classes}  # hatched, never a colour


@pytest.mark.parametrize("indicator", ["ARB06", "BIL02", "DEM09"])
def test_the_legend_classes_cover_the_values(warehouse, indicator):
    data = maps.map_data(warehouse, indicator)
    classes = data.classes
    assert len(classes) == 5
    assert all(a["upper"] == b["lower"] for a, b in zip(classes, classes[1:]))  # no gaps, no overlaps
    coloured = [r for r in data.regions if r["class_id"].startswith("c")]
    values = [r["value"] for r in coloured]
    assert classes[0]["lower"] <= min(values) and max(values) <= classes[-1]["upper"]
    for region in coloured:
        holding = [c["id"] for i, c in enumerate(classes)
                   if c["lower"] <= region["value"] < c["upper"] or (i == len(classes) - 1 and region["value"] == c["upper"])]
        assert holding == [region["class_id"]], region
    assert sum(c["count"] for c in classes) == len(coloured)
    assert len(coloured) + sum(s["count"] for s in data.special) == 400


def test_keys_without_geometry_and_geometry_without_value_are_reported(warehouse):
    rows = [r for r in maps.indicator_rows(warehouse, "ARB06", "kreis") if r["period"] == 2023]
    eisenach = {**rows[0], "ags": "16056000", "name": "Eisenach, Stadt", "land_ags": "16000000"}  # merged in 2021
    rows = [r for r in rows if r["ags"] != "01001000"] + [eisenach]
    data = maps.map_data(warehouse, "ARB06", rows=rows, period=2023)
    assert data.without_geometry == [{"key": "16056", "name": "Eisenach, Stadt"}]
    assert data.without_value == [{"key": "01001", "name": "Flensburg, Stadt"}]
    assert next(r for r in data.regions if r["key"] == "01001")["class_id"] == "no_value"
    fills = region_fills(maps.render_svg(data))
    assert "16056" not in fills and fills["01001"].startswith("url(#")


def test_imon_map_writes_one_shape_per_kreis_with_its_key(built, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["map", "ARB06", "--period", "2023", "--out", str(tmp_path),
                                 "--warehouse", str(built[0].warehouse_path)])
    assert result.exit_code == 0, result.output
    svg = (tmp_path / "ARB06_kreis_2023.svg").read_bytes()
    fills = region_fills(svg)
    assert len(fills) == 400 and set(fills) == BOUNDARY_KEYS
    assert len(re.findall(rb'id="land-border-\d\d"', svg)) == 16
    text = svg.decode()
    assert "quintiles of all 3,200 official Kreis values 2015–2025" in text and "GeoBasis-DE / BKG" in text
    assert "Gebietsstand of 2023-11-30" in text


def test_imon_map_all_writes_one_svg_per_indicator_and_period(built, warehouse, tmp_path):
    result = CliRunner().invoke(app, ["map", "--all", "--level", "land", "--out", str(tmp_path),
                                      "--warehouse", str(built[0].warehouse_path)])
    assert result.exit_code == 0, result.output
    expected = {f"{i}_land_{p}.svg" for i, p in warehouse.execute(
        "SELECT DISTINCT v.indicator_id, v.period FROM marts.indicator_value v JOIN marts.indicator_catalog USING (indicator_id) "
        "WHERE v.level = 'land'").fetchall()}
    assert {p.name for p in tmp_path.iterdir()} == expected


def test_imon_map_writes_png_and_html(built, warehouse, tmp_path):
    for fmt in ("png", "html"):
        result = CliRunner().invoke(app, ["map", "ARB06", "--format", fmt, "--out", str(tmp_path),
                                          "--warehouse", str(built[0].warehouse_path)])
        assert result.exit_code == 0, result.output
    latest = warehouse.execute("SELECT max(period) FROM marts.indicator_value WHERE indicator_id = 'ARB06' "
                               "AND level = 'kreis' AND value IS NOT NULL").fetchone()[0]
    png = (tmp_path / f"ARB06_kreis_{latest}.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000
    html = (tmp_path / f"ARB06_kreis_{latest}.html").read_text(encoding="utf-8")
    assert len(set(re.findall(r'<g id="region-(\d{5})"', html))) == 400
    assert len(re.findall(r'<tr id="row-\d{5}">', html)) == 400 and "Rank in Land" in html
    # imon map reads the published snapshot, and the legend names it
    assert f"Published snapshot {built[0].run_id}." in html and "quintiles of all 3,200" in html


def test_the_caption_states_classes_unit_period_snapshot_and_territorial_status(warehouse):
    data = maps.map_data(warehouse, "BIL02", period=2023, snapshot="run-1")
    english = maps.map_caption(data)
    assert english["title"] == f"BIL02 · {data.indicator['name_en']}, 2023 (%)"
    assert [c["label"] for c in english["classes"]] == [c["label"] for c in data.classes]
    assert english["notes"]["snapshot"] == "Published snapshot run-1." and english["notes"]["territorial"] == data.territorial_note
    hesse = {r["key"] for r in data.regions if r["land"] == "06"}
    german = maps.map_caption(data, "de", keys=hesse)
    # counts over the drawn regions only: Hessen's 26 Kreise, Frankfurt among the not published
    assert sum(c["count"] for c in german["classes"] + german["special"]) == len(hesse) == 26
    suppressed_in_hesse = sum(1 for r in data.regions if r["land"] == "06" and r["class_id"] == "not_published")
    assert next(s for s in german["special"] if s["id"] == "not_published")["count"] == suppressed_in_hesse >= 1
    last = data.classes[-1]
    assert german["classes"][-1]["label"] == f"{last['lower']:.{last['decimals']}f} bis {last['upper']:.{last['decimals']}f}".replace(".", ",")
    assert german["classes"][0]["label"].count(" bis unter ") == 1
    count, first, last = warehouse.execute("SELECT count(value), min(period), max(period) FROM marts.indicator_series "
                                           "WHERE indicator_id = 'BIL02' AND level = 'kreis' AND NOT is_synthetic").fetchone()
    years = str(first) if first == last else f"{first}–{last}"
    assert german["notes"]["classification"].startswith(f"Klassen: Quintile aller {count:,} amtlichen Kreiswerte {years} "
                                                        "(in jedem Jahr dieselben Grenzen".replace(",", "."))
    assert "Gebietsstand vom 2023-11-30" in german["notes"]["territorial"]
    assert german["notes"]["snapshot"] == "Veröffentlichter Datenstand run-1."
    legend = maps.caption_html(german)
    assert legend.count("<li data-class=") == len(data.classes) + 3
    # swatches are drawn with lines: no CSS gradient and no SVG pattern (both print as a raster of the page)
    assert "gradient" not in legend and "<pattern" not in legend
    hatched = re.search(r'<li data-class="not_published"><svg class="swatch"[^>]*>(.*?)</svg>', legend).group(1)
    for swatch in re.findall(r'<svg class="swatch".*?</svg>', legend):
        ElementTree.fromstring(swatch)  # each swatch is well-formed SVG (no repeated attribute)
    # one path, one segment (M x y x y) per hatch line
    segments = re.findall(r"M[\d.]+ [\d.]+ [\d.]+ [\d.]+", re.search(r' d="([^"]+)"', hatched).group(1))
    assert 'stroke="#9a9a9a"' in hatched and hatched.count("<path ") == 1
    assert len(segments) == len(maps._hatch_segments("not_published", (0, 0, 20, 12), 4)) >= 4


def test_a_map_for_print_hatches_with_lines_cut_to_the_region_not_with_patterns(warehouse):
    data = maps.map_data(warehouse, "BIL02", period=2023)
    svg = maps.render_svg(data, land="06", legend=False, for_print=True)
    assert b"<pattern" not in svg
    fills = region_fills(svg)
    assert fills["06412"] == "#ffffff"  # Frankfurt am Main, suppressed: white under its hatch, never a class colour
    hatch = next(g for g in ElementTree.fromstring(svg).iter(f"{SVG_NS}g") if g.get("id") == "hatch-06412")
    strokes = [path for path in hatch.iter(f"{SVG_NS}path")]
    # one path per region, one segment (a moveto) per hatch line: at least 5 lines
    assert len(strokes) == 1 and strokes[0].get("d").count("M") >= 5
    # the lines are cut to the region itself (no clip path per region, which Chromium repeats in the PDF per line)
    frankfurt = maps._drawn_geometry("kreis")["06412"]
    lines = maps._hatch_lines(frankfurt, "not_published", spacing=0.005)
    segments = [shapely.LineString(segment) for segment in lines]
    assert len(segments) >= 5 and all(frankfurt.buffer(1e-9).contains(segment) for segment in segments)
    assert sum(segment.length for segment in segments) > 0.5 * frankfurt.area / 0.005  # it covers the region
    # the hatch drawn in the map is the same one, in the map's frame: its segments inside Frankfurt's outline there
    frame = maps._print_frame("kreis", "06", 7.0)  # render_svg draws 7 inches wide unless told
    drawn = [shapely.LineString(np.array(part.split(), dtype=float).reshape(-1, 2))
             for part in strokes[0].get("d").split("M")[1:]]
    assert all(frame.geometry["06412"].buffer(0.1).contains(segment) for segment in drawn)  # 0.1 pt: one decimal
    assert sum(segment.length for segment in drawn) > 0.5 * frame.geometry["06412"].area / frame.spacing
    assert all(path.get("stroke") == "#9a9a9a" for path in strokes)
    coloured = {c["color"] for c in data.classes}
    shown = {r["key"] for r in data.regions if r["land"] == "06" and r["class_id"] in {c["id"] for c in data.classes}}
    assert shown and all(fills[key] in coloured for key in shown)
    hatch_groups = {g.get("id") for g in ElementTree.fromstring(svg).iter(f"{SVG_NS}g")
                    if (g.get("id") or "").startswith("hatch-")}
    assert hatch_groups == {f"hatch-{key}" for key, fill in fills.items() if fill == "#ffffff"}  # each white one hatched


def winding_number(d: str, point) -> int:
    """How often the closed subpaths of a path `d` (M x y x y … Z) wind around a point (SVG's nonzero rule)."""
    x, y = point
    total = 0
    for part in d.split("M")[1:]:
        ring = np.array(part.rstrip("Z").split(), dtype=float).reshape(-1, 2)
        a, b = ring, np.roll(ring, -1, axis=0)
        cross = (b[:, 0] - a[:, 0]) * (y - a[:, 1]) - (x - a[:, 0]) * (b[:, 1] - a[:, 1])
        total += int(np.sum((a[:, 1] <= y) & (b[:, 1] > y) & (cross > 0)) - np.sum((a[:, 1] > y) & (b[:, 1] <= y) & (cross < 0)))
    return total


def test_a_report_map_draws_each_class_as_one_path_and_fills_every_region_once(warehouse):
    # a report prints some 50 maps: one path per class instead of a group per Kreis (Chromium's time per map
    # grows with the number of elements); Bavaria has Kreise inside Kreise (Bamberg inside the Landkreis
    # Bamberg, 09461 in 09471), which the fill rule must not leave white
    data = maps.map_data(warehouse, "BIL02", period=2023)
    svg = maps.print_map_svg(data, land="09", by_class=True)
    root = ElementTree.fromstring(svg)
    regions, *rest = [g for g in root.findall(f"{SVG_NS}g")]
    assert regions.get("fill-rule") == "nonzero"
    fills = {path.get("data-class"): path for path in regions.findall(f"{SVG_NS}path")}
    classes = {r["key"]: r["class_id"] for r in data.regions if r["key"].startswith("09")}
    frame = maps._print_frame("kreis", "09")
    assert set(fills) == set(classes.values()) | ({"no_value"} if set(frame.keys) - set(classes) else set())
    assert len(regions) == len(fills)  # nothing else in the group: one element per class
    enclosed = frame.geometry["09471"]
    assert shapely.Polygon(enclosed.interiors[0] if hasattr(enclosed, "interiors") else enclosed.geoms[0].interiors[0]
                           ).contains(frame.geometry["09461"].representative_point())
    for key in frame.keys:
        point = frame.geometry[key].representative_point()
        inside = {class_id for class_id, path in fills.items() if winding_number(path.get("d"), (point.x, point.y))}
        assert inside == {classes.get(key, "no_value")}, key  # in its class's path, in no other
    # the hatched classes: white with the class's outline, their lines one path per class
    hatched = {class_id for class_id in fills if class_id in maps.SPECIAL_CLASSES}
    assert all(fills[class_id].get("fill") == "#ffffff" for class_id in hatched)
    lines = root.findall(f"{SVG_NS}g[@stroke-width='.4']/{SVG_NS}path")
    assert sorted(path.get("data-class") for path in lines) == sorted(hatched)
    highlighted = maps.print_map_svg(data, land="09", highlight="09162", by_class=True)
    assert highlighted.count('id="highlight-09162"') == 1 and highlighted.startswith(svg[:-len("</svg>")])



def test_print_maps_draw_the_kreise_as_a_clean_coverage():
    # the boundary file's Kreise were simplified one by one: neighbours overlap and leave slivers, so each border
    # would be drawn twice, a little apart; the print maps draw them from faces of the noded outlines
    drawn, coverage = maps._drawn_geometry("kreis"), maps._kreis_coverage()
    assert not shapely.coverage_is_valid(np.array(list(drawn.values())))
    assert list(coverage) == list(drawn) and len(coverage) == 400
    assert shapely.coverage_is_valid(np.array(list(coverage.values())))
    assert all(abs(coverage[key].area - drawn[key].area) < 0.03 * drawn[key].area for key in drawn)
    # a real gap stays one: the Austrian Jungholz, enclosed by the Landkreis Oberallgäu
    jungholz = shapely.Point(10.4497 * math.cos(math.radians(51.2)), 47.5738)
    assert not drawn["09780"].contains(jungholz) and not coverage["09780"].contains(jungholz)
    assert coverage["09780"].distance(jungholz) < 0.02


def test_a_report_map_draws_each_border_once_in_the_colour_of_its_sides(warehouse):
    # a report prints some 50 maps: Bavaria's borders drawn once instead of with each of their two Kreise
    data = maps.map_data(warehouse, "ARB06", period=2025)
    data.regions = [dict(r, class_id="not_published") if r["key"] == "09162" else r for r in data.regions]
    root = ElementTree.fromstring(maps.print_map_svg(data, land="09", by_class=True))
    borders = root.findall(f"{SVG_NS}g[@stroke-width='.25']/{SVG_NS}path")
    segments: dict[tuple, str] = {}
    drawn_length = 0.0
    for path in borders:
        for part in path.get("d").split("M")[1:]:
            points = np.array(part.split(), dtype=float).reshape(-1, 2)
            drawn_length += shapely.LineString(points).length
            segments.update({tuple(sorted((tuple(a), tuple(b)))): path.get("stroke") for a, b in zip(points, points[1:])})
    lines = shapely.MultiLineString([list(segment) for segment in segments])
    frame = maps._print_frame("kreis", "09")
    outlines = shapely.boundary(np.array(list(frame.geometry.values())))
    assert drawn_length == pytest.approx(shapely.union_all(outlines).length, rel=0.01)  # each border once
    assert drawn_length < 0.6 * sum(shapely.length(outlines))  # (not once with each Kreis it separates)
    drawn_band = lines.buffer(0.1)
    shapely.prepare(drawn_band)  # one buffer, asked 96 times
    for key in frame.keys:  # every Kreis outlined (0.1 pt: one decimal)
        assert drawn_band.contains(frame.geometry[key].boundary), key
    # white between coloured Kreise; München's border in the colour of its hatch, as when it had its own outline
    munich = frame.geometry["09162"].boundary.buffer(0.1)
    shapely.prepare(munich)
    colours = {colour for segment, colour in segments.items() if munich.contains(shapely.LineString(segment))}
    assert colours == {maps.SPECIAL_CLASSES["not_published"]["color"]}
    assert {colour for colour in segments.values()} == {"#ffffff", maps.SPECIAL_CLASSES["not_published"]["color"]}
    # the fills: each class one area without its inner borders, so fewer points than the Kreise it holds
    fills = root.find(f"{SVG_NS}g[@fill-rule='nonzero']")
    assert fills.get("stroke") == "none"
    points = sum(len(path.get("d").split()) // 2 for path in fills)
    assert points < sum(shapely.get_num_coordinates(np.array(list(frame.geometry.values()))))

@pytest.fixture(scope="module")
def service(built, tmp_path_factory):
    summary = built[0]
    with running_service(tmp_path_factory.mktemp("maps"), summary.warehouse_path, summary.run_id) as running:
        yield running


def test_the_map_api_needs_a_key_and_names_what_it_cannot_draw(service):
    with service.client() as nobody:
        assert nobody.get("/api/maps/ARB06").status_code == 401
    with service.client("09162") as county:
        document = county.get("/api/maps/ARB06").json()
        # the latest period by default (real unemployment files 2015-2020, 2023, 2025: 8 periods of 400 Kreise)
        assert document["period"] == 2025 and document["snapshot"] == snapshot_label(service)
        assert len(document["regions"]) == 400 and document["without_geometry"] == [] and document["without_value"] == []
        assert county.get("/api/maps/NOPE").status_code == 404
        detail = county.get("/api/maps/ARB06", params={"period": 1999}).json()["detail"]
        assert "periods: 2015" in detail and "2025" in detail
        geometry = county.get("/api/maps/geometry/kreis").json()
        assert {f["id"] for f in geometry["features"]} == BOUNDARY_KEYS
        svg = county.get("/api/maps/ARB06/svg", params={"land": "09", "highlight": "09162"})
        assert svg.headers["content-type"] == "image/svg+xml"
        assert set(region_fills(svg.content)) == {k for k in BOUNDARY_KEYS if k.startswith("09")}
        assert b'id="highlight-09162"' in svg.content
        locator = county.get("/api/maps/locator/09162").json()
        assert locator["land"] == "09" and locator["region"] == "09162"
        regions = locator["indicators"]["ARB06"]["regions"]
        assert len(regions) == 96 and all(key.startswith("09") for key in regions)


def snapshot_label(service) -> str:
    with service.client("state") as client:
        return client.get("/api/status").json()["snapshot"]


def test_the_map_page_renders_400_kreise_in_chromium(service, tmp_path):
    with service.client("state") as client:
        document = client.get("/api/maps/ARB06", params={"period": 2023}).json()
    colour = {c["id"]: c["color"] for c in document["classes"]}[
        next(r for r in document["regions"] if r["key"] == "01001")["class_id"]]
    result = browse(f"{service.url}/map/ARB06?period=2023#key={service.keys['state']}", tmp_path / "chromium", "--dump-dom")
    dom = result.stdout
    assert 'data-ready="true"' in dom and 'data-shapes="400"' in dom, (result.stderr[-2000:], dom[:2000])
    assert "data-error" not in dom
    assert len(re.findall(r'<path class="region" id="region-\d{5}"', dom)) == 400
    assert len(re.findall(r'<path class="land-border"', dom)) == 16
    assert re.search(rf'id="region-01001" data-key="01001" d="[^"]+" fill="{colour}" data-class="c\d"', dom)
    assert len(re.findall(r'<li data-class="[a-z_0-9]+"><a href="/profile/\d{5}"', dom)) == 400  # the keyboard list
    assert "quintiles of all 3,200 official Kreis values 2015–2025" in dom and "core.region_crosswalk" in dom
    assert f"Published snapshot {document['snapshot']}." in dom and "GeoBasis-DE / BKG" in dom
    assert service.keys["state"] not in dom


def test_a_suppressed_kreis_is_hatched_on_the_page(service, tmp_path):
    dom = browse(f"{service.url}/map/BIL02?period=2023#key={service.keys['state']}", tmp_path / "chromium", "--dump-dom").stdout
    assert 'data-ready="true"' in dom
    assert re.search(r'id="region-06412" data-key="06412" d="[^"]+" fill="url\(#hatch-not_published\)"', dom)
    assert 'not published (suppressed or below the minimum) (25)' in dom


def test_screenshot_of_the_map_is_kept_as_an_artefact(service, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "map.png"
    screenshot.unlink(missing_ok=True)
    result = browse(f"{service.url}/map/ARB06#key={service.keys['state']}", tmp_path / "chromium",
                    f"--screenshot={screenshot}", "--window-size=1400,1100")
    assert screenshot.exists() and screenshot.stat().st_size > 50_000, result.stderr[-2000:]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_profile_page_has_a_locator_map_per_indicator(service, tmp_path):
    dom = browse(f"{service.url}/profile/09162#key={service.keys['09162']}", tmp_path / "chromium", "--dump-dom").stdout
    assert 'data-ready="true"' in dom and "data-locator-error" not in dom
    drawn = int(re.search(r'data-locators="(\d+)"', dom).group(1))
    assert drawn >= 9 and dom.count('class="locator"') == drawn
    assert dom.count('class="locator-highlight"') == drawn  # München outlined in each
    assert 'href="/map/ARB06?level=kreis&amp;period=2025"' in dom


@contextmanager
def page_of(url: str):
    """A Playwright page in the system's Chromium on a page of the local service, once the map is drawn."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=["--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(url)
            page.wait_for_selector("body[data-ready='true'], body[data-error]", timeout=60_000)
            assert page.get_attribute("body", "data-error") is None, page.get_attribute("body", "data-error")
            yield page
        finally:
            browser.close()


def periods_with_values(warehouse, indicator: str) -> list[int]:
    return [p for (p,) in warehouse.execute(
        "SELECT DISTINCT period FROM marts.indicator_value WHERE indicator_id = ? AND level = 'kreis' "
        "AND value IS NOT NULL ORDER BY period", [indicator]).fetchall()]


def test_the_slider_steps_through_the_periods_with_data_only(service, warehouse):
    expected = periods_with_values(warehouse, "ARB06")
    assert 2021 not in expected and len(expected) >= 3  # the real unemployment files: gaps between 2020 and 2025
    with page_of(f"{service.url}/map/ARB06#key={service.keys['state']}") as page:
        assert page.get_attribute("body", "data-period") == str(expected[-1])
        slider = page.locator("#period-slider")
        slider.focus()
        shown = []
        for step in range(len(expected) + 1):  # Home, then one step right more than there are periods
            before = page.get_attribute("body", "data-period")
            page.keyboard.press("Home" if step == 0 else "ArrowRight")
            if step == 0 or step < len(expected):
                page.wait_for_function("before => document.body.dataset.error || (document.body.dataset.ready === 'true' "
                                       "&& document.body.dataset.period !== before)", arg=before, timeout=30_000)
                assert page.get_attribute("body", "data-error") is None, page.get_attribute("body", "data-error")
            shown.append(int(page.get_attribute("body", "data-period")))
            assert page.text_content("#period-output") == str(shown[-1])
            assert slider.get_attribute("aria-valuetext") == str(shown[-1])
        assert shown[:-1] == expected and shown[-1] == expected[-1]  # past the last period the slider stays
        assert page.get_attribute("body", "data-error") is None


def test_the_tooltip_gives_value_rank_in_land_and_change_against_five_years_before(service, warehouse):
    with service.client("state") as client:
        document = client.get("/api/maps/ARB06").json()
    flensburg = next(r for r in document["regions"] if r["key"] == "01001")
    assert flensburg["change_5y"] is not None and flensburg["rank_in_land"] is not None
    value_5y_before = warehouse.execute(
        "SELECT value FROM marts.indicator_value WHERE indicator_id = 'ARB06' AND ags = '01001000' AND level = 'kreis' "
        "AND period = ?", [document["period"] - 5]).fetchone()[0]
    assert flensburg["change_5y"] == pytest.approx(flensburg["value"] - value_5y_before)
    with page_of(f"{service.url}/map/ARB06#key={service.keys['state']}") as page:
        page.hover("#region-01001")
        tooltip = page.locator("#tooltip")
        tooltip.wait_for(state="visible", timeout=10_000)
        text = tooltip.inner_text()
    assert text.startswith("Flensburg, Stadt (01001)")
    assert f"{flensburg['value']:.1f} %" in text
    assert f"Rank {flensburg['rank_in_land']} of {flensburg['ranked_in_land']} in its Land (1 = highest)" in text
    assert flensburg["ranked_in_land"] == 15
    assert f"Change against {document['period'] - 5}: {flensburg['change_5y']:+.1f} percentage points" in text


def test_a_period_without_data_is_answered_not_failed(service, tmp_path):
    with service.client("state") as client:
        for path in ("/api/maps/ARB06", "/api/maps/ARB06/svg"):
            answer = client.get(path, params={"period": 2021})
            assert answer.status_code == 404, (path, answer.status_code, answer.text[:300])
            assert "no kreis values for 2021" in answer.json()["detail"] and "2020, 2023, 2025" in answer.json()["detail"]
        assert client.get("/map/ARB06", params={"period": 2021}).status_code == 200
    with page_of(f"{service.url}/map/ARB06?period=2021#key={service.keys['state']}") as page:
        assert page.get_attribute("body", "data-error") is None
        assert page.get_attribute("body", "data-period") == "2020"  # the nearest period with data
        assert page.get_attribute("body", "data-period-missing") == "2021"
        notice = page.locator("#period-notice")
        assert notice.is_visible()
        assert notice.inner_text().startswith("ARB06 has no Kreis values for 2021; showing 2020, the nearest period with data")
        assert page.locator("path.region").count() == 400
        assert page.evaluate("location.search") == "?level=kreis&period=2020"
