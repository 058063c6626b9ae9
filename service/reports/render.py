"""A report as HTML (Jinja2 templates, SVG charts inside) and as PDF (the same HTML printed by headless Chromium)."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import jinja2
from markupsafe import escape

from service.reports import charts, texts
from service.reports.document import ReportData, region_report, short_key

TEMPLATES = Path(__file__).with_name("templates")
ENVIRONMENT = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(["html", "j2"]),
                                 trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)

# figure(indicator_id, region, lang) -> HTML (the map SVG and its legend) or None: a per-indicator map (service/maps.py)
MapFigure = Callable[[str, dict[str, Any], str], str | None]


def report_html(data: ReportData, ags: str, level: str, lang: str = "de", *, map_figure: MapFigure | None = None,
                links: dict[str, str] | None = None) -> str:
    """The whole report of one region as one self-contained HTML page."""
    document = region_report(data, ags, level, lang)
    _add_figures(document, map_figure)
    return ENVIRONMENT.get_template("report.html.j2").render(
        **document, css=(TEMPLATES / "report.css").read_text(encoding="utf-8"), legend=charts.legend(_legend_names(document)),
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), links=links or {},
        number=lambda v, d=1: texts.number(v, d, lang), flag_reason=lambda f: texts.flag_reason(f, lang))


def _legend_names(document: dict[str, Any]) -> dict[str, str | None]:
    labels, names = document["labels"], document["names"]
    return {"region": names["region"], "land": f"{labels['land']} {names['land']}" if names["land"] else None,
            "germany": labels["germany"] if names["germany"] else None,
            "peer": labels["peer"] if names["peer"] else None}


def _add_figures(document: dict[str, Any], map_figure: MapFigure | None) -> None:
    """Each indicator's chart (and map, when a map maker is given)."""
    for section in document["sections"]:
        for indicator in section["indicators"]:
            rows = indicator["rows"]
            series = {"region": [r["value"] for r in rows]}
            for key in ("land", "germany", "peer"):
                if document["names"][key]:
                    series[key] = [r[key] for r in rows]
            decimals, _, _ = texts.unit_of(indicator["unit"], document["lang"])
            indicator["chart_svg"] = charts.indicator_chart([r["period"] for r in rows], series, decimals=decimals,
                                                            lang=document["lang"])
            if map_figure is not None:
                indicator["map_html"] = map_figure(indicator["indicator_id"], document["region"], document["lang"])


def footer_html(document_labels: dict[str, str], title: str, synthetic: bool) -> str:
    """Chromium's page footer: region, page n of m and, for generated data, the warning on every page."""
    warning = (f'<span style="color:#b00020;font-weight:bold">{document_labels["synthetic"]}: '
               f'{document_labels["synthetic_text"]}</span> · ') if synthetic else ""
    return ('<div style="font-size:6.5pt;width:100%;padding:0 14mm;gap:4mm;font-family:DejaVu Sans,sans-serif;color:#444;'
            'font-variant-ligatures:none;'
            'display:flex;justify-content:space-between">'
            f'<span>{warning}{escape(title)}</span>'
            f'<span style="white-space:nowrap">{document_labels["page"]} <span class="pageNumber"></span> {document_labels["of"]} '
            '<span class="totalPages"></span></span></div>')


# The browsers that can print a report, best first. Chromium's headless shell (Debian package
# chromium-headless-shell, the "old" headless mode) prints in the page's own renderer; the full browser's headless
# mode hands every page's drawing to a print compositor process and the PDF back through the browser process: 24
# Bavarian Kreis reports took 25.0 s with the shell against 28.0 s with Chromium (2 workers, 2026-12-06).
PRINTING_BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser")


def chromium_path() -> str:
    """The browser that prints the PDFs: Chromium's headless shell when installed, else Chromium itself."""
    found = next((path for path in map(shutil.which, PRINTING_BROWSERS) if path), None)
    if not found:
        raise RuntimeError("PDF reports need Chromium: `apt-get install -y chromium-headless-shell` "
                           "(Debian package; `chromium` works too, more slowly)")
    return found


class Printer:
    """Headless Chromium through Playwright, started once and reused for every PDF of a worker: one browser,
    one page, each report loaded from a temporary file (no data URL, no page or process per report).

    Playwright objects belong to the thread that made them: use one Printer per thread.
    """

    def __init__(self, executable: str | None = None):
        self.executable = executable or chromium_path()
        self._playwright = None
        self._browser = None
        self._page = None
        self._dir = None
        self._count = 0

    def __enter__(self) -> "Printer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _open(self):
        if self._page is None or self._page.is_closed():
            if self._browser is None:
                import tempfile

                from playwright.sync_api import sync_playwright

                self._playwright = sync_playwright().start()
                self._browser = self._playwright.chromium.launch(
                    executable_path=self.executable, args=["--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"])
                self._dir = tempfile.TemporaryDirectory(prefix="imon-print-")
            self._page = self._browser.new_page()
        return self._page

    def pdf(self, html: str, *, footer: str) -> bytes:
        """The HTML printed to A4 with the footer on every page."""
        page = self._open()
        self._count += 1
        source = Path(self._dir.name) / f"report-{self._count}.html"  # a new address: a navigation, never a reload
        source.write_text(html, encoding="utf-8")
        try:
            page.goto(source.as_uri(), wait_until="load")
            return page.pdf(format="A4", print_background=True, display_header_footer=True,
                            header_template="<span></span>", footer_template=footer,
                            margin={"top": "14mm", "bottom": "16mm", "left": "14mm", "right": "14mm"})
        except Exception:
            page.close()  # a fresh page for the next report
            raise
        finally:
            source.unlink(missing_ok=True)

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._playwright.stop()
            self._browser = self._playwright = self._page = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


def report_pdf(printer: Printer, data: ReportData, ags: str, level: str, lang: str = "de", *,
               html: str | None = None, map_figure: MapFigure | None = None) -> bytes:
    """The report of one region as PDF (pass `html` when it is already rendered)."""
    html = html or report_html(data, ags, level, lang, map_figure=map_figure)
    region = data.parts.region(ags, level)
    labels = texts.LABELS[lang]
    synthetic = _is_synthetic(data, ags, level)
    return printer.pdf(html, footer=footer_html(labels, f"{labels['report']} {region['name']} ({short_key(ags, level)}) · "
                                                       f"{labels['snapshot']} {data.label}", synthetic))


def _is_synthetic(data: ReportData, ags: str, level: str) -> bool:
    data.read_level(level)
    return any(p.is_synthetic for series in data.series.get((ags, level), {}).values() for p in series.values())
