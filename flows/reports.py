"""Reports after publish: the Prefect task that writes fresh reports beside a newly published snapshot."""

from __future__ import annotations

import logging
from pathlib import Path

from prefect import task
from prefect.cache_policies import NONE as NO_CACHE

from flows.settings import Settings

progress = logging.getLogger("imon.progress")


@task(name="reports", cache_policy=NO_CACHE)
def write_snapshot_reports(settings: Settings, snapshot: Path) -> Path | None:
    """The reports of every region of the levels in IMON_REPORTS_LEVELS, in <published>/reports/<snapshot>/.

    Off unless the setting names levels. A failed region is logged, not fatal: the snapshot is already published.
    """
    from service.reports import regions_of_level, write_reports
    from service.reports.batch import reports_dir

    if not settings.reports_levels:
        return None
    out_dir = reports_dir(settings.published_dir, snapshot)
    regions = [region for level in settings.reports_levels for region in regions_of_level(snapshot, level)]
    written = write_reports(snapshot, regions, out_dir, formats=settings.reports_formats, lang=settings.reports_lang)
    for key, error in written.failures:
        progress.error("report %s failed: %s", key, error)
    progress.info("wrote %d reports (%s) to %s", len(regions) - len(written.failures),
                  ", ".join(settings.reports_formats), out_dir)
    return out_dir
