"""Integration reports from the offline sample's published snapshot: sections, sentences against the warehouse,
flags, the PDF's pages and text, a page image, `imon report --all`, the service's /report routes and the flow's task."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from pypdf import PdfReader

from service.reports import ReportData, batches, report_html, write_reports
from warehouse.publish import current_snapshot

try:
    from service_support import running_service
except ImportError:
    from tests.service_support import running_service

ARTIFACTS = Path(__file__).with_name("artifacts")
IMON = str(Path(sys.executable).with_name("imon"))
REGIONS = [("01001000", "kreis"), ("05315000", "kreis"), ("05000000", "land"), ("00000000", "deutschland")]
KEYS = {"01001000": "01001", "05315000": "05315", "05000000": "05", "00000000": "DG"}
DECIMALS = {"ratio": 2}
DIFFERENCE_UNIT = {"pct": "Prozentpunkte", "percentage_points": "Prozentpunkte", "per_1000": "je 1.000",
                   "net_per_1000": "je 1.000"}
NUMBER = r"−?\d{1,3}(?:\.\d{3})*(?:,\d+)?"  # a number as the German reports write it: −1.234,5
COMPARED = {"Landeswert": "land", "Bundeswert": "deutschland", "Wert des Vergleichsrings": "peer"}


# --- a small reader for the report's HTML ------------------------------------------------------------


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent, self.children, self.parts = tag, dict(attrs), parent, [], []

    @property
    def text(self) -> str:
        return " ".join("".join(p if isinstance(p, str) else p.text for p in self.parts).split())

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def find_all(self, tag=None, cls=None, **attrs):
        for child in self.children:
            if ((tag is None or child.tag == tag) and (cls is None or cls in child.classes)
                    and all(child.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())):
                yield child
            yield from child.find_all(tag, cls, **attrs)


class Tree(HTMLParser):
    VOID = {"meta", "br", "img", "link", "input", "hr"}

    def __init__(self, html: str):
        super().__init__()
        self.root = self.current = Node("root", {})
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)
        self.current.parts.append(node)
        if tag not in self.VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.parts.append(data)


def parse(html: str) -> Node:
    return Tree(html).root


def german_number(text: str) -> float:
    return float(text.replace(".", "").replace(",", ".").replace("−", "-"))


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def snapshot(built) -> Path:
    return current_snapshot(built[1] / "published")


@pytest.fixture(scope="module")
def written(snapshot, tmp_path_factory):
    """The reports of Flensburg, Köln, Nordrhein-Westfalen and Germany, HTML and PDF, by the batch code path."""
    out = tmp_path_factory.mktemp("reports")
    result = write_reports(snapshot, REGIONS, out, formats=("html", "pdf"), lang="de", workers=2)
    assert result.failures == []
    return out


@pytest.fixture(scope="module")
def data(snapshot):
    connection = duckdb.connect(str(snapshot), read_only=True)
    yield ReportData(connection)
    connection.close()


def values(connection, ags: str, level: str) -> dict[tuple[str, int], tuple]:
    return {(i, p): (v, f) for i, p, v, f in connection.execute(
        "SELECT indicator_id, period, value, flag FROM marts.indicator_value WHERE ags = ? AND level = ?", [ags, level]).fetchall()}


# --- tests -------------------------------------------------------------------------------------------


def test_every_report_has_title_summary_and_a_section_per_topic(written, warehouse):
    catalogue = {row[0]: row[1:] for row in warehouse.execute(
        "SELECT indicator_id, domain, definition, numerator, denominator FROM marts.indicator_catalog").fetchall()}
    for ags, level in REGIONS:
        tree = parse((written / f"{KEYS[ags]}.html").read_text(encoding="utf-8"))
        assert next(tree.find_all("section", id="title")) and next(tree.find_all("section", id="summary"))
        published = {i for (i,) in warehouse.execute(
            "SELECT DISTINCT indicator_id FROM marts.indicator_value WHERE level = ?", [level]).fetchall()}
        articles = {a.attrs["data-indicator"]: a for a in tree.find_all("article", cls="indicator")}
        assert set(articles) == published, ags
        sections = list(tree.find_all("section", cls="topic"))
        assert {s.attrs["data-domain"] for s in sections} == {catalogue[i][0] for i in published}
        charted = {i for (i,) in warehouse.execute(
            "SELECT DISTINCT indicator_id FROM marts.indicator_value WHERE ags = ? AND level = ? AND value IS NOT NULL",
            [ags, level]).fetchall()}
        for indicator_id, article in articles.items():
            sentences = [p.text for p in article.find_all("p", cls="sentence")]
            assert 1 <= len(sentences) <= 2
            chart = next(article.find_all("figure", cls="chart"), None)
            if indicator_id in charted:
                assert chart is not None and next(chart.find_all("svg")), f"{ags} {indicator_id}: no chart"
            else:  # nothing of the region to draw: the sentence says so
                assert "nicht verfügbar" in sentences[0], (ags, indicator_id, sentences)
            catalogue_text = next(article.find_all("dl", cls="catalogue")).text
            for text in catalogue[indicator_id][1:]:
                assert " ".join(text.split()) in catalogue_text
        name = warehouse.execute("SELECT name FROM core.region WHERE ags = ? AND level = ?", [ags, level]).fetchone()[0]
        assert next(tree.find_all("h1")).text == name
    summary = parse((written / "01001.html").read_text(encoding="utf-8"))
    rows = {r.attrs["data-indicator"] for r in next(summary.find_all("table", cls="summary-table")).find_all("tr")
            if "data-indicator" in r.attrs}
    assert {"DEM01", "ARB06", "SOZ01"} <= rows


@pytest.mark.parametrize("ags, level", REGIONS)
def test_the_numbers_in_the_sentences_are_those_of_the_warehouse(written, warehouse, ags, level):
    units = dict(warehouse.execute("SELECT indicator_id, unit FROM marts.indicator_catalog").fetchall())
    own = values(warehouse, ags, level)
    land = values(warehouse, ags[:2] + "000000", "land") if level == "kreis" else {}
    germany = values(warehouse, "00000000", "deutschland") if level != "deutschland" else {}
    peer = dict(((i, p), v) for i, p, v in warehouse.execute(
        "SELECT indicator_id, period, peer_value FROM marts.indicator_comparison WHERE ags = ? AND is_default",
        [ags]).fetchall()) if level == "kreis" else {}
    tree = parse((written / f"{KEYS[ags]}.html").read_text(encoding="utf-8"))
    checked = 0
    for article in tree.find_all("article", cls="indicator"):
        indicator_id = article.attrs["data-indicator"]
        decimals = DECIMALS.get(units[indicator_id], 1)
        sentences = [p.text for p in article.find_all("p", cls="sentence")]
        years = sorted(p for (i, p) in own if i == indicator_id)
        if not years:
            assert sentences == ["nicht verfügbar (kein Wert für diese Region im Datenstand)."]
            continue
        year = years[-1]
        value, flag = own[(indicator_id, year)]
        if value is None:
            assert sentences[0].startswith(f"{year}: nicht verfügbar (")
            continue
        match = re.match(rf"(\d{{4}}) lag der Wert bei ({NUMBER})", sentences[0])
        assert match, sentences[0]
        assert int(match.group(1)) == year and german_number(match.group(2)) == round(value, decimals)
        for gap, direction, area, shown in re.findall(
                rf"({NUMBER}) [^,]*?(über|unter) (dem Landeswert|dem Bundeswert|dem Wert des Vergleichsrings) \(({NUMBER})",
                sentences[0]):
            source = COMPARED[area.removeprefix("dem ")]
            other = {"land": land, "deutschland": germany}.get(source)
            other_value = other[(indicator_id, year)][0] if other is not None else peer[(indicator_id, year)]
            assert german_number(shown) == round(other_value, decimals)
            expected = round(value - other_value, decimals)
            assert german_number(gap) == abs(expected) and (direction == "über") == (expected > 0), sentences[0]
            checked += 1
        if level == "kreis":
            assert "Landeswert" in sentences[0] and "Bundeswert" in sentences[0]
        previous = own.get((indicator_id, year - 1), (None, None))[0]
        change = re.search(rf"Gegenüber {year - 1} (stieg|sank) der Wert um ({NUMBER})", sentences[1])
        if previous is None:
            assert f"Veränderung gegenüber {year - 1}: nicht verfügbar" in sentences[1]
        elif round(value - previous, decimals) == 0:
            assert f"Gegenüber {year - 1} blieb der Wert unverändert" in sentences[1]
        else:
            assert change, sentences[1]
            assert german_number(change.group(2)) == abs(round(value - previous, decimals))
            assert (change.group(1) == "stieg") == (value > previous)
        if (indicator_id, year - 5) not in own:
            assert f"Veränderung gegenüber {year - 5}: nicht verfügbar (kein Wert für {year - 5})." in sentences[1]
        checked += 1
    assert checked >= 20


def test_suppressed_values_say_not_available_with_the_reason(data, warehouse):
    ags, indicator_id, year = warehouse.execute(
        """SELECT v.ags, v.indicator_id, v.period FROM marts.indicator_value v
           WHERE v.level = 'kreis' AND v.value IS NULL AND v.flag = 'numerator_suppressed'
             AND v.period = (SELECT max(period) FROM marts.indicator_value w
                             WHERE w.ags = v.ags AND w.level = 'kreis' AND w.indicator_id = v.indicator_id)
           ORDER BY v.ags, v.indicator_id LIMIT 1""").fetchone()
    tree = parse(report_html(data, ags, "kreis", "de"))
    article = next(tree.find_all("article", id=indicator_id))
    sentence = next(article.find_all("p", cls="sentence")).text
    assert sentence.startswith(f"{year}: nicht verfügbar (Zähler geheim gehalten).")
    flags = [li.text for li in article.find_all("li", cls="flag") if li.attrs["data-kind"] == "suppressed"]
    assert f"Geheimhaltung {year}: Zähler geheim gehalten (Wert fehlt)" in flags
    cell = [r for r in article.find_all("tr") if r.children and r.children[0].text == str(year)][0]
    assert "nicht verfügbar (Zähler geheim gehalten)" in cell.text
    english = parse(report_html(data, ags, "kreis", "en"))
    sentence = next(next(english.find_all("article", id=indicator_id)).find_all("p", cls="sentence")).text
    assert sentence.startswith(f"{year}: not available (numerator suppressed for confidentiality).")


def test_series_breaks_territorial_changes_and_synthetic_data_are_flagged(written, data, warehouse):
    tree = parse((written / "01001.html").read_text(encoding="utf-8"))
    breaks = {i: b for i, b in warehouse.execute(
        "SELECT indicator_id, series_breaks FROM marts.indicator_catalog").fetchall()}
    shown = 0
    for article in tree.find_all("article", cls="indicator"):
        indicator_id = article.attrs["data-indicator"]
        years = [r.children[0].text for r in article.find_all("tr")][1:]
        flags = {li.text for li in article.find_all("li", cls="flag")}
        for entry in __import__("json").loads(breaks[indicator_id]):
            if years and int(min(years)) < entry["year"] <= int(max(years)):
                assert f"Reihenbruch {entry['year']}: {entry['reason']}" in flags
                shown += 1
        synthetic = article.attrs["data-synthetic"] == "true"
        assert synthetic == any(f.startswith("SYNTHETISCHE DATEN") for f in flags)
        assert synthetic == (next(article.find_all("span", cls="synthetic-badge"), None) is not None)
    assert shown >= 2  # e.g. DEM06 and REC01: the StAG reform of 2024
    germany = parse((written / "DG.html").read_text(encoding="utf-8"))
    assert next(germany.find_all("article", id="ARB06")).attrs["data-synthetic"] == "false"  # real regio table
    assert next(germany.find_all("article", id="DEM01")).attrs["data-synthetic"] == "true"
    ags, indicator_id, flag = warehouse.execute(
        "SELECT ags, indicator_id, flag FROM marts.indicator_value WHERE level = 'kreis' AND flag = 'merged_authority_area' "
        "ORDER BY ags, indicator_id, period DESC LIMIT 1").fetchone()
    article = next(parse(report_html(data, ags, "kreis", "de")).find_all("article", id=indicator_id))
    assert any("Ausländerbehörde für mehrere Kreise zusammen" in li.text
               for li in article.find_all("li", cls="flag") if li.attrs["data-kind"] == "territorial")


@pytest.mark.parametrize("ags, level", REGIONS)
def test_every_map_section_has_the_legend_of_the_map_page(written, warehouse, built, ags, level):
    from service import maps

    tree = parse((written / f"{KEYS[ags]}.html").read_text(encoding="utf-8"))
    map_level, land = ("kreis", ags[:2]) if level == "kreis" else ("land", None)
    drawn = 0
    for article in tree.find_all("article", cls="indicator"):
        figure = next(article.find_all("figure", cls="map"), None)
        if figure is None:
            continue
        drawn += 1
        assert next(figure.find_all("svg"), None) is not None
        legend = next(figure.find_all("div", cls="map-legend"), None)
        assert legend is not None, f"{ags} {article.attrs['data-indicator']}: a map without its legend"
        data = maps.map_data(warehouse, article.attrs["data-indicator"], level=map_level)
        shown = [r for r in data.regions if land is None or r["land"] == land]
        assert legend.attrs["data-period"] == str(data.period)
        title = next(legend.find_all("p", cls="map-legend-title")).text
        assert title.startswith(f"{data.indicator['indicator_id']} · {data.indicator['name_de']}, {data.period} (")
        items = {li.attrs["data-class"]: li.text for li in legend.find_all("li")}
        assert list(items) == [c["id"] for c in data.classes] + ["not_published", "generated", "no_value"]
        for i, c in enumerate(data.classes):  # the class bounds in German, counted over the regions drawn
            bounds = [german_text(b, c["decimals"]) for b in (c["lower"], c["upper"])]
            words = " bis " if i == len(data.classes) - 1 else " bis unter "
            count = sum(1 for r in shown if r["class_id"] == c["id"])
            assert items[c["id"]] == f"{bounds[0]}{words}{bounds[1]} ({count})", items[c["id"]]
        suppressed = sum(1 for r in shown if r["class_id"] == "not_published")
        assert items["not_published"] == f"nicht veröffentlicht (geheim gehalten oder unter der Mindestgröße) ({suppressed})"
        assert items["generated"].startswith("generierte Daten (Offline-Stichprobe, nicht amtlich)")
        notes = next(legend.find_all("p", cls="map-legend-notes")).text
        assert ("Klassen: Quintile aller" in notes if data.classes else "Keine amtlichen Werte: keine Farbklassen." in notes)
        assert "Gebietsstand vom" in notes and "core.region_crosswalk" in notes
        assert f"Veröffentlichter Datenstand {built[0].run_id}." in notes and "GeoBasis-DE / BKG" in notes
    assert drawn >= 9, (ags, drawn)


def german_text(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def test_the_pdf_has_its_pages_text_and_the_synthetic_warning_on_every_page(written, built):
    reader = PdfReader(written / "01001.pdf")
    pages = [page.extract_text() for page in reader.pages]
    assert 10 <= len(pages) <= 60
    assert "Flensburg, Stadt" in pages[0] and built[0].run_id in pages[0]
    assert "Zusammenfassung" in pages[1]
    for number, text in enumerate(pages, start=1):
        flat = " ".join(text.split())
        assert "SYNTHETISCHE DATEN" in flat, number
        assert f"Seite {number} von {len(pages)}" in flat, number
    everything = " ".join(" ".join(pages).split())
    for title in ("Bevölkerung und Migration", "Arbeitsmarkt", "Kinderbetreuung", "Soziale Leistungen"):
        assert title in everything
    assert "lag der Wert bei" in everything and "Landeswert" in everything
    # words with ff/fi/fl (Schutzsuchende mit Aufenthaltstitel, Einbürgerungen, Pflege …) come out as letters, not
    # ligatures: snapshot ids and keys copied out of the PDF stay searchable
    assert re.search(r"f[fil]", everything) and not re.search("[\ufb00-\ufb06]", everything)
    germany = PdfReader(written / "DG.pdf")
    assert len(germany.pages) >= 10 and "Deutschland" in germany.pages[0].extract_text()


def test_the_pdf_is_printed_as_vectors_not_as_page_images(written):
    # Chromium prints CSS gradients and SVG pattern fills as a raster image of the whole page: a 52-page
    # Flensburg report was 20 MB that way. Maps, charts and legends must stay vector graphics and text.
    for name in ("01001.pdf", "DG.pdf"):
        reader = PdfReader(written / name)
        images = [(number, image.name) for number, page in enumerate(reader.pages, start=1) for image in page.images]
        assert images == [], (name, images[:5])
        assert (written / name).stat().st_size < 100_000 * len(reader.pages), name  # under 100 kB a page


def test_a_rendered_page_is_kept_as_an_artefact(written):
    from playwright.sync_api import sync_playwright

    from service.reports.render import chromium_path

    ARTIFACTS.mkdir(exist_ok=True)
    image = ARTIFACTS / "report-01001.png"
    image.unlink(missing_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path())
        page = browser.new_page(viewport={"width": 820, "height": 1160})
        page.goto((written / "01001.html").as_uri())
        page.emulate_media(media="print")
        page.screenshot(path=str(image), clip={"x": 0, "y": page.locator("#topic-1").bounding_box()["y"],
                                                "width": 820, "height": 1160}, full_page=True)
        browser.close()
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.stat().st_size > 30_000


def test_the_charts_styles_stay_in_the_charts(written):
    # matplotlib writes `*{stroke-linecap: butt}` into each SVG; inline in HTML that rule is global, and it turned
    # the maps' dotted "no value" hatch (round caps on 0.1 pt dashes) into nothing. One stylesheet, scoped rules.
    from playwright.sync_api import sync_playwright

    from service.reports.render import chromium_path

    html = (written / "01001.html").read_text(encoding="utf-8")
    assert html.count("<style") == 1 and "<metadata" not in html
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path())
        page = browser.new_page()
        page.goto((written / "01001.html").as_uri())
        caps = page.evaluate("""() => ({
            dots: [...document.querySelectorAll('li[data-class="no_value"] svg path[stroke-dasharray]')]
                  .map(p => getComputedStyle(p).strokeLinecap),
            chart: getComputedStyle(document.querySelector('figure.chart svg path')).strokeLinecap,
            chartJoin: getComputedStyle(document.querySelector('figure.chart svg path')).strokeLinejoin})""")
        browser.close()
    assert caps["dots"] and set(caps["dots"]) == {"round"}  # the dots of every "no value" swatch are drawn
    assert caps["chart"] == "butt" and caps["chartJoin"] == "round"  # the charts look as matplotlib drew them


def test_an_english_report_uses_the_english_templates(data, warehouse):
    tree = parse(report_html(data, "01001000", "kreis", "en"))
    value = warehouse.execute("SELECT value FROM marts.indicator_value WHERE ags = '01001000' AND level = 'kreis' "
                              "AND indicator_id = 'DEM01' ORDER BY period DESC LIMIT 1").fetchone()[0]
    sentence = next(next(tree.find_all("article", id="DEM01")).find_all("p", cls="sentence")).text
    assert sentence.startswith(f"In 2024 the value was {value:.1f} %, ") and "the Land" in sentence
    assert next(tree.find_all("html")).attrs["lang"] == "en"
    assert any(s.text.startswith("Population and migration") for s in tree.find_all("h2"))


def test_a_gemeinde_report_shows_what_the_gemeinde_level_has(data):
    tree = parse(report_html(data, "01001000", "gemeinde", "de"))
    articles = {a.attrs["data-indicator"] for a in tree.find_all("article", cls="indicator")}
    assert articles == {"ARB03_GEM", "ARB06_GEM"}
    unpublished = next(p for p in tree.find_all("p", cls="note") if "keine Werte auf der Ebene Gemeinde" in p.text)
    assert "(DEM01)" in unpublished.text


def test_all_kreise_of_a_land_in_one_run_with_an_index(built, warehouse, tmp_path):
    out = tmp_path / "all"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("IMON_")}
    result = subprocess.run([IMON, "report", "--all", "--level", "kreis", "--land", "01", "--format", "pdf",
                             "--format", "html", "--out", str(out), "--workers", "2"],
                            env={**environ, "IMON_WAREHOUSE": str(built[0].warehouse_path)},
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    kreise = [ags[:5] for (ags,) in warehouse.execute(
        "SELECT DISTINCT ags FROM marts.indicator_value WHERE level = 'kreis' AND ags LIKE '01%' ORDER BY ags").fetchall()]
    assert len(kreise) == 15
    assert sorted(p.stem for p in out.glob("*.pdf")) == kreise
    assert sorted(p.stem for p in out.glob("*.html") if p.name != "index.html") == kreise
    assert all(PdfReader(out / f"{key}.pdf").pages for key in kreise)
    index = parse((out / "index.html").read_text(encoding="utf-8"))
    links = {a.attrs["href"] for a in index.find_all("a")}
    assert links == {f"{key}.{fmt}" for key in kreise for fmt in ("pdf", "html")}
    assert "15 reports (pdf, html)" in " ".join(result.stdout.split())


def test_the_service_serves_reports_with_the_profile_key_rules(built, tmp_path_factory):
    summary = built[0]
    with running_service(tmp_path_factory.mktemp("report-service"), summary.warehouse_path, summary.run_id) as service:
        with service.client() as anonymous:
            assert anonymous.get("/report/01001").status_code == 401
        with service.client("09162") as client:
            page = client.get("/report/01001")
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
            assert page.headers["x-imon-snapshot"] == summary.run_id
            assert "<h1>Flensburg, Stadt</h1>" in page.text
            english = client.get("/report/DG", params={"lang": "en"})
            assert english.status_code == 200 and 'lang="en"' in english.text
            assert client.get("/report/99999").status_code == 404
            assert client.get("/report/abc").status_code == 404
            assert client.get("/report/01001", params={"lang": "fr"}).status_code == 422
            pdf = client.get("/report/01001.pdf")
            assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
            assert pdf.content[:5] == b"%PDF-"
            path = tmp_path_factory.mktemp("served") / "01001.pdf"
            path.write_bytes(pdf.content)
            assert "Flensburg, Stadt" in PdfReader(path).pages[0].extract_text()


def test_the_flow_task_writes_reports_beside_the_snapshot(built, snapshot, tmp_path):
    from flows.reports import write_snapshot_reports
    from flows.settings import load_settings

    settings = replace(load_settings({}, warehouse=built[0].warehouse_path), published_dir=tmp_path / "published",
                       reports_levels=("deutschland", "land"), reports_formats=("html",))
    out = write_snapshot_reports.fn(settings, snapshot)
    assert out == tmp_path / "published" / "reports" / snapshot.stem
    assert sorted(p.name for p in out.iterdir()) == sorted(["DG.html", "index.html"] + [f"{n:02d}.html" for n in range(1, 17)])



def test_a_chart_marks_only_the_years_that_stand_alone():
    # markers cost Chromium (each an SVG <use>); a year between two gaps has no line and must still show
    from service.reports import charts

    periods = list(range(2015, 2022))
    gappy = {"region": [1.0, 2.0, None, 3.0, None, 4.0, 5.0], "land": [1.5] * 7, "peer": [None] * 6 + [2.5]}
    assert charts.indicator_chart(periods, gappy, decimals=1, lang="de").count("<use ") == 2  # 2018, and the peer's 2021
    assert charts.indicator_chart(periods, {"region": [1.0] * 7}, decimals=1, lang="de").count("<use ") == 0
    assert charts.indicator_chart([2020], {"region": [3.0]}, decimals=1, lang="de").count("<use ") == 1

def test_batches_give_each_worker_whole_laender():
    kreise = [(f"{land}{n:03d}000", "kreis") for land, count in (("01", 15), ("09", 96), ("10", 6), ("11", 1))
              for n in range(1, count + 1)]
    shared = [("05000000", "land"), ("09000000", "land"), ("00000000", "deutschland")]
    plan = batches(kreise + shared, workers=2)
    assert sorted(r for batch in plan for r in batch) == sorted(kreise + shared)  # every region once
    # one batch per Land, the largest first; Land and Germany reports (one map of the Länder) over both workers
    assert [len(b) for b in plan[:4]] == [96, 15, 6, 1]
    assert all(len({ags[:2] for ags, _ in batch}) == 1 for batch in plan[:4])
    assert sorted(r for batch in plan[4:] for r in batch) == sorted(shared) and len(plan[4:]) == 2
    # one Land and two workers: halved, so that both work
    one = batches(kreise[:15], workers=2)
    assert [len(b) for b in one] == [8, 7] and one[0] + one[1] == kreise[:15]
    assert batches(kreise[:15], workers=1) == [kreise[:15]] and batches([], workers=2) == []
