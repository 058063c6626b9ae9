"""Many reports at once: regions in parallel worker processes, a progress bar, an index page linking them.

Each worker opens the snapshot read-only, reads what the reports share once (ReportData) and keeps
one headless Chromium for its PDFs; the parent hands out batches of regions (`batches`: whole Länder, so a
worker draws a Land's maps once and reuses them for each of its Kreise) and counts what comes back.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import duckdb

from service.reports import texts
from service.reports.document import LEVELS, ReportData, short_key
from warehouse.publish import snapshot_label
from service.reports.render import ENVIRONMENT, TEMPLATES, Printer, chromium_path, report_html, report_pdf

FORMATS = ("html", "pdf")
INDEX = "index.html"


@dataclass
class Written:
    """What a run of reports wrote."""

    out_dir: Path
    files: list[Path] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (region key, error)
    index: Path | None = None


def reports_dir(published_dir: Path, snapshot: Path) -> Path:
    """Where the reports of a snapshot go by default: beside the snapshots, in reports/<snapshot name>/."""
    return Path(published_dir) / "reports" / Path(snapshot).stem


def regions_of_level(snapshot: Path, level: str) -> list[tuple[str, str]]:
    """Every region of a level with indicator values in the snapshot, as (ags, level)."""
    if level not in LEVELS:
        raise ValueError(f"level {level!r}: give one of {', '.join(LEVELS)}")
    connection = duckdb.connect(str(snapshot), read_only=True)
    try:
        return connection.execute(
            "SELECT DISTINCT v.ags, v.level FROM marts.indicator_value v JOIN core.region r USING (ags, level) "
            "WHERE v.level = ? ORDER BY v.ags", [level]).fetchall()
    finally:
        connection.close()


def write_reports(snapshot: Path, regions: Iterable[tuple[str, str]], out_dir: Path, *, formats: Iterable[str] = ("html",),
                  lang: str = "de", workers: int | None = None,
                  on_done: Callable[[str, str | None], None] | None = None) -> Written:
    """Write the report of each region into `out_dir` (named by region key: 01001.html, 01001.pdf) and an index page.

    `on_done(key, error)` is called in the parent after each region (for a progress bar).
    """
    formats = tuple(dict.fromkeys(formats))
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"format {', '.join(sorted(unknown))}: give html or pdf")
    if lang not in texts.LANGUAGES:
        raise ValueError(f"language {lang!r}: give one of {', '.join(texts.LANGUAGES)}")
    if "pdf" in formats:
        chromium_path()  # fail before starting workers when Chromium is missing
    regions = list(regions)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = Written(out_dir)
    workers = max(1, min(workers or os.cpu_count() or 1, len(regions) or 1))
    plan = batches(regions, workers)
    workers = min(workers, len(plan) or 1)
    entries = []
    if workers == 1:
        _start_worker(str(snapshot), formats, lang, str(out_dir))
        try:
            for batch in plan:
                for ags, level in batch:
                    _collect(_write_one(ags, level), written, entries, on_done)
        finally:
            _stop_worker()
    else:
        # spawn, not fork: each worker starts its own DuckDB connection and Chromium (neither survives a fork)
        context = multiprocessing.get_context("spawn")
        done = context.Queue()  # each region's result as it is written (a batch returns only at its end)
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                                 initargs=(str(snapshot), formats, lang, str(out_dir), done)) as pool:
            futures = {pool.submit(_write_batch, batch): batch for batch in plan}
            pending = {short_key(ags, level): (ags, level) for ags, level in regions}
            finished = False
            while pending:
                try:
                    result = done.get(timeout=0.5 if not finished else 5)
                except queue.Empty:
                    if finished:  # every batch returned and nothing more came: what is left failed with its worker
                        break
                    finished = all(f.done() for f in futures)
                    continue
                if pending.pop(result["key"], None) is not None:
                    _collect(result, written, entries, on_done)
            for future, batch in futures.items():
                error = future.exception()
                for ags, level in batch:
                    key = short_key(ags, level)
                    if key in pending:
                        pending.pop(key)
                        _collect({"key": key, "ags": ags, "level": level, "files": [],
                                  "error": f"{type(error).__name__}: {error}" if error else "no result from its worker"},
                                 written, entries, on_done)
    written.index = _write_index(snapshot, out_dir, entries, formats, lang)
    return written


def batches(regions: Iterable[tuple[str, str]], workers: int = 1) -> list[list[tuple[str, str]]]:
    """The regions in batches for the workers: each Land's Kreise and Gemeinden together (a worker draws the Land's
    maps once for all of them), the largest first so that the small ones even out the end; Land and Germany reports
    (all on the one map of the Länder) spread over the workers. While there are fewer batches than workers (one
    Land), the largest is halved: both workers then draw that Land's maps."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for ags, level in regions:
        groups.setdefault(ags[:2] if level in ("kreis", "gemeinde") else "", []).append((ags, level))
    shared = groups.pop("", [])
    plan = sorted(groups.values(), key=len, reverse=True)
    if shared:
        count = max(1, min(workers, len(shared)))
        plan += [shared[i::count] for i in range(count)]
    while len(plan) < workers and plan and len(plan[0]) > 1:
        largest = plan.pop(0)
        half = (len(largest) + 1) // 2
        plan = sorted(plan + [largest[:half], largest[half:]], key=len, reverse=True)
    return plan


def _collect(result: dict, written: Written, entries: list[dict], on_done) -> None:
    if result["error"]:
        written.failures.append((result["key"], result["error"]))
    else:
        written.files.extend(Path(p) for p in result["files"])
        entries.append(result)
    if on_done:
        on_done(result["key"], result["error"])


# --- the worker -------------------------------------------------------------------------------------

_worker: dict = {}


def _start_worker(snapshot: str, formats: tuple[str, ...], lang: str, out_dir: str, done=None) -> None:
    connection = duckdb.connect(snapshot, read_only=True)
    from service.maps import report_map_figure

    _worker.update(connection=connection, data=ReportData(connection), maps=report_map_figure(connection), formats=formats, lang=lang, out_dir=Path(out_dir),
                   printer=Printer() if "pdf" in formats else None, done=done)
    if _worker["printer"] is not None:
        import atexit

        atexit.register(_stop_worker)


def _write_batch(batch: list[tuple[str, str]]) -> int:
    """The regions of one batch, in order; each result goes to the parent as soon as it is written."""
    for ags, level in batch:
        _worker["done"].put(_write_one(ags, level))
    return len(batch)


def _stop_worker() -> None:
    if _worker.get("printer") is not None:
        _worker["printer"].close()
        _worker["printer"] = None
    if _worker.get("connection") is not None:
        _worker["connection"].close()
        _worker["connection"] = None


def _write_one(ags: str, level: str) -> dict:
    data: ReportData = _worker["data"]
    key = short_key(ags, level)
    try:
        region = data.parts.region(ags, level)
        html = report_html(data, ags, level, _worker["lang"], map_figure=_worker["maps"])
        files = []
        if "html" in _worker["formats"]:
            files.append(_write(_worker["out_dir"] / f"{key}.html", html.encode("utf-8")))
        if "pdf" in _worker["formats"]:
            files.append(_write(_worker["out_dir"] / f"{key}.pdf",
                                report_pdf(_worker["printer"], data, ags, level, _worker["lang"], html=html)))
        return {"key": key, "ags": ags, "level": level, "name": region["name"], "land_ags": region["land_ags"],
                "files": [str(f) for f in files], "error": None}
    except Exception as error:  # one region's failure is reported, the others are still written
        return {"key": key, "ags": ags, "level": level, "files": [], "error": f"{type(error).__name__}: {error}"}


def _write(path: Path, content: bytes) -> Path:
    """Write through a temporary name, so a reader never sees half a report."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(content)
    os.replace(partial, path)
    return path


def _write_index(snapshot: Path, out_dir: Path, entries: list[dict], formats: tuple[str, ...], lang: str) -> Path:
    """index.html: the reports of this run, grouped by Land, linking each file."""
    connection = duckdb.connect(str(snapshot), read_only=True)
    try:
        data_label = snapshot_label(connection) or snapshot.stem
        lands = dict(connection.execute("SELECT ags, name FROM core.region WHERE level = 'land'").fetchall())
    finally:
        connection.close()
    groups: dict[str, list[dict]] = {}
    for entry in sorted(entries, key=lambda e: (LEVELS.index(e["level"]), e["ags"])):
        land = lands.get(entry["land_ags"], "") if entry["level"] not in ("deutschland", "land") else ""
        groups.setdefault(land, []).append({**entry, "links": {f: f"{entry['key']}.{f}" for f in formats}})
    html = ENVIRONMENT.get_template("index.html.j2").render(
        labels=texts.LABELS[lang], lang=lang, snapshot=data_label, groups=groups, formats=formats,
        css=(TEMPLATES / "report.css").read_text(encoding="utf-8"),
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    return _write(out_dir / INDEX, html.encode("utf-8"))
