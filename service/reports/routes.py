"""The service's report pages: /report/<region> (HTML) and /report/<region>.pdf, on the current snapshot.

Region keys as on the profile page (DG, 09, 09162, 09162000; 404 for an unknown one); the router is
included by service/app.py behind the same API-key check as the profile's data. A report is rendered
once per snapshot, region and language and then served from the snapshot's answer memo.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Query, Request

from service.formats import Answer
from service.profile import parse_region
from service.reports.document import ReportData, short_key
from service.reports.render import Printer, report_html, report_pdf

SNAPSHOT_HEADER = "X-Imon-Snapshot"
Language = Annotated[str, Query(pattern="^(de|en)$", description="de (default) or en")]

router = APIRouter(tags=["reports"])
_printing = threading.Lock()  # one Chromium at a time: a PDF takes the service's CPU for a few seconds


def _data(read) -> ReportData:
    return read.memo("report data", lambda: ReportData(read.cursor))


@router.get("/report/{region}.pdf", summary="A region's integration report as PDF",
            responses={200: {"content": {"application/pdf": {}}}, 404: {"description": "Unknown region key"}})
def get_report_pdf(request: Request, region: str, lang: Language = "de"):
    """The printable report of a region (Germany DG, Land 09, Kreis 09162, Gemeinde 09162000) as PDF."""
    ags, level = parse_region(region)
    with request.app.state.readers.reading() as read:
        def render() -> Answer:
            data = _data(read)
            html = read.memo(("report", ags, level, lang, "html"), lambda: _html_answer(read, data, ags, level, lang)).body
            with _printing, Printer() as printer:
                body = report_pdf(printer, data, ags, level, lang, html=html.decode("utf-8"))
            return Answer(body, "application/pdf", {SNAPSHOT_HEADER: read.label, "Content-Disposition":
                                                    f'inline; filename="{short_key(ags, level)}.pdf"'})
        answer = read.memo(("report", ags, level, lang, "pdf"), render)
    return answer.response()


@router.get("/report/{region}", summary="A region's integration report as HTML",
            responses={200: {"content": {"text/html": {}}}, 404: {"description": "Unknown region key"}})
def get_report_html(request: Request, region: str, lang: Language = "de"):
    """The report of a region as one self-contained HTML page (charts as SVG inside)."""
    ags, level = parse_region(region)
    with request.app.state.readers.reading() as read:
        answer = read.memo(("report", ags, level, lang, "html"), lambda: _html_answer(read, _data(read), ags, level, lang))
    return answer.response()


def _html_answer(read, data: ReportData, ags: str, level: str, lang: str) -> Answer:
    from service.maps import report_map_figure

    html = report_html(data, ags, level, lang, map_figure=report_map_figure(read.cursor))
    return Answer(html.encode("utf-8"), "text/html; charset=utf-8",
                  {SNAPSHOT_HEADER: read.label})
