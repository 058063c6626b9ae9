"""Charts of the reports, rendered server-side as SVG with matplotlib: an indicator over time, region against
Land, Germany and peer group; the legend once per report (one legend per chart would double the drawing time).

Text stays text in the SVG (svg.fonttype none), so it is searchable in the HTML and the PDF. Each thread
keeps one figure and only changes its data: building a figure costs more than drawing it. Lines carry no
markers except on a year that stands alone between gaps: each marker is an SVG <use> element (one per year
and series), and without them a Bavarian report costs about 0.08 CPU s less (24 reports, 2026-12-06).
"""

from __future__ import annotations

import io
import math
import threading

import matplotlib

matplotlib.use("svg")
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from service.reports import texts  # noqa: E402

SERIES = ("region", "land", "germany", "peer")
COLOURS = {"region": "#1f5fa8", "land": "#e08a1e", "germany": "#555555", "peer": "#3a9a5b"}
STYLES = {"region": "-", "land": "--", "germany": ":", "peer": "-."}
WIDTHS = {"region": 2.4, "land": 1.5, "germany": 1.5, "peer": 1.5}
RC = {"svg.fonttype": "none", "svg.hashsalt": "imon-report", "font.family": "DejaVu Sans", "font.size": 8}

_local = threading.local()


class _Chart:
    """One reusable figure: an axis with a line per series."""

    def __init__(self):
        with matplotlib.rc_context(RC):
            self.figure = Figure(figsize=(3.7, 1.75), dpi=72)
            self.axes = self.figure.add_subplot()
            self.lines = {key: self.axes.plot([], [], STYLES[key], color=COLOURS[key], linewidth=WIDTHS[key])[0]
                          for key in SERIES}
            # a year without a neighbouring value has no line to sit on: it alone gets a marker
            self.alone = {key: self.axes.plot([], [], linestyle="none", color=COLOURS[key], marker="o",
                                              markersize=3.5)[0] for key in SERIES}
            self.axes.spines[["top", "right"]].set_visible(False)
            # no tick marks: the years are labelled, the values have grid lines (a chart draws in 5 ms instead of 6)
            self.axes.tick_params(bottom=False, left=False)
            self.axes.grid(axis="y", color="#dddddd", linewidth=0.6)
            self.axes.yaxis.set_major_locator(MaxNLocator(nbins=4))
            self.axes.set_axisbelow(True)
            # fixed places for the (empty) axis labels: otherwise every draw measures the tick labels to place them
            self.axes.xaxis.set_label_coords(0.5, 0.0)
            self.axes.yaxis.set_label_coords(0.0, 0.5)
            self.figure.subplots_adjust(left=0.14, right=0.98, top=0.95, bottom=0.15)

    def render(self, periods: list[int], series: dict[str, list[float | None]], decimals: int, lang: str) -> str:
        with matplotlib.rc_context(RC):
            for key, line in self.lines.items():
                values = series.get(key)
                if values is None:
                    line.set_data([], [])
                    self.alone[key].set_visible(False)
                    continue
                line.set_data(periods, [math.nan if v is None else v for v in values])
                alone = [v if v is not None and _alone(values, i) else math.nan for i, v in enumerate(values)]
                self.alone[key].set_data(periods, alone)
                self.alone[key].set_visible(not all(map(math.isnan, alone)))  # an invisible line costs no drawing
            finite = [v for values in series.values() for v in values if v is not None]
            low, high = min(finite), max(finite)
            step = 10.0 ** -decimals  # the axis spans at least four steps of the shown precision, so ticks differ
            if high - low < 8 * step:
                middle = (high + low) / 2
                low, high = middle - 4 * step, middle + 4 * step
            pad = (high - low) * 0.12
            self.axes.set_ylim(0.0 if low >= 0 > low - pad else low - pad, high + pad)
            self.axes.set_xlim(periods[0] - 0.5, periods[-1] + 0.5)
            self.axes.set_xticks(periods[::max(1, math.ceil(len(periods) / 10))])  # years, at most ten labels
            self.axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: texts.number(v, decimals, lang)))
            out = io.StringIO()
            self.figure.savefig(out, format="svg", metadata=METADATA)
        return _strip_prologue(out.getvalue())


def _alone(values: list[float | None], i: int) -> bool:
    """Whether the value at i has no value beside it (so no line would show it)."""
    return (i == 0 or values[i - 1] is None) and (i == len(values) - 1 or values[i + 1] is None)


def indicator_chart(periods: list[int], series: dict[str, list[float | None]], *, decimals: int, lang: str) -> str | None:
    """An SVG line chart of an indicator over `periods`; series by key (region, land, germany, peer), None = gap."""
    if not periods or not any(v is not None for values in series.values() for v in values):
        return None
    chart = getattr(_local, "chart", None)
    if chart is None:
        chart = _local.chart = _Chart()
    return chart.render(periods, series, decimals, lang)


def legend(names: dict[str, str | None]) -> str:
    """The legend of a report's charts, as its own small SVG: one entry per series the report has."""
    keys = [key for key in SERIES if names.get(key)]
    with matplotlib.rc_context(RC):
        figure = Figure(figsize=(7.2, 0.32), dpi=72)
        handles = [Line2D([], [], linestyle=STYLES[k], color=COLOURS[k], linewidth=WIDTHS[k]) for k in keys]
        figure.legend(handles, [names[k] for k in keys], loc="center", ncols=len(keys), frameon=False, fontsize=8)
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata=METADATA)
    return _strip_prologue(out.getvalue())


# matplotlib puts `*{stroke-linejoin: round; stroke-linecap: butt}` into every SVG. Inside an HTML page a <style> is
# global: fifty charts made fifty rules for the whole report, and butt caps turned the maps' dotted "no value" hatch
# (round caps on 0.1 pt dashes) invisible. The rule is dropped here and scoped to the charts in report.css.
MATPLOTLIB_STYLE = '<style type="text/css">*{stroke-linejoin: round; stroke-linecap: butt}</style>'
METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}  # no RDF block in each chart


def _strip_prologue(svg: str) -> str:
    """The <svg> element alone, to sit inside HTML (no XML declaration or doctype, no document-wide style)."""
    return svg[svg.index("<svg"):].replace(MATPLOTLIB_STYLE, "", 1)
