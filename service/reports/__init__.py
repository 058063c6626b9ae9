"""Integration reports: a printable report per region (Germany, Land, Kreis, Gemeinde) from the published snapshot.

- `document`: the numbers of one region, its comparisons, flags and the sentences (fixed templates, de/en)
- `charts`: matplotlib SVG charts; `render`: Jinja2 HTML and the PDF through headless Chromium
- `batch`: many regions in parallel with an index page; `routes`: /report/<region> and /report/<region>.pdf

Reads published snapshots only (a read-only DuckDB connection).
"""

from service.reports.batch import FORMATS, Written, batches, regions_of_level, write_reports
from service.reports.document import ReportData, region_report, short_key
from service.reports.render import Printer, report_html, report_pdf

__all__ = ["FORMATS", "Printer", "batches", "ReportData", "Written", "region_report", "regions_of_level", "report_html", "report_pdf",
           "short_key", "write_reports"]
