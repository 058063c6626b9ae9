"""The report scenario: every Kreis report as PDF from a published snapshot, in parallel (issue #17).

Target: all ~400 Kreis PDFs in under 5 minutes on 2 cores. `make bench` runs it on the federal
workload's snapshot (scenario "reports", after "incremental"); on its own it runs on the offline
sample's snapshot (built first unless --warehouse names one already built):

    .venv/bin/python -m tests.bench.reports [--warehouse /tmp/x/imon.duckdb] [--workers 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

TARGET_REPORTS_S = 300.0
KREISE = 400  # the Kreise of the boundaries (status from 2021 on): what "every Kreis report" means
SAMPLE_INTERVAL_S = 0.2


class TreeCpu:
    """CPU seconds of this process and every process below it (workers, Playwright's driver, Chromium and its
    renderers), sampled with psutil while the reports are written.

    `RUSAGE_CHILDREN` alone misses Chromium: its processes are reaped by the browser and the driver, not by us,
    and a worker's Chromium may still run when the parent reads its usage. Each descendant's last sample is kept
    (a process that ends loses at most one interval); the total is never below what `getrusage` reports.
    """

    def __init__(self, interval: float = SAMPLE_INTERVAL_S):
        import psutil

        self._psutil, self._interval = psutil, interval
        self._me = psutil.Process()
        self._seen: dict[tuple[int, float], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._began_self = self._own()
        self._began_rusage = _cpu_seconds()

    def _own(self) -> float:
        times = self._me.cpu_times()
        return times.user + times.system

    def sample(self) -> None:
        for child in self._me.children(recursive=True):
            try:
                times = child.cpu_times()
                self._seen[child.pid, child.create_time()] = times.user + times.system
            except self._psutil.Error:  # ended between listing and reading
                continue

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def __enter__(self) -> "TreeCpu":
        self.sample()
        self._before = dict(self._seen)  # processes already running: only their CPU from now on counts
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.sample()
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> float:
        descendants = sum(cpu - self._before.get(key, 0.0) for key, cpu in self._seen.items())
        tree = self._own() - self._began_self + descendants
        return max(tree, _cpu_seconds() - self._began_rusage)


def projection(seconds: float, regions: int, total: int) -> float:
    """The wall time of all `total` reports at the rate measured for `regions` of them (linear: the same workers,
    each report about as costly as the others)."""
    return seconds * total / max(regions, 1)


def run_reports(warehouse: Path, out: Path, *, level: str = "kreis", formats: tuple[str, ...] = ("pdf",),
                workers: int | None = None, land: str | None = None) -> dict:
    """Write every report of `level` from the warehouse's published snapshot; what it took."""
    from flows.settings import load_settings
    from service.reports import regions_of_level, write_reports
    from service.reports.render import chromium_path
    from warehouse.publish import current_snapshot

    settings = load_settings(warehouse=warehouse)
    snapshot = current_snapshot(settings.published_dir)
    if snapshot is None:
        raise SystemExit(f"nothing published beside {warehouse}")
    with TreeCpu() as cpu:
        began = time.perf_counter()
        regions = regions_of_level(snapshot, level)
        every = len(regions)
        if land:  # one Land's regions only (the tiny workload has one Land)
            regions = [(ags, lvl) for ags, lvl in regions if ags.startswith(land)]
        written = write_reports(snapshot, regions, out, formats=formats, workers=workers)
        seconds = time.perf_counter() - began
    # all Kreise: 400 even when the snapshot has values for fewer (the tiny workload has one Land)
    total = max(every, KREISE) if level == "kreis" else every
    projected = projection(seconds, len(regions), total)
    pdfs = [p for p in written.files if p.suffix == ".pdf"]
    return {"snapshot": snapshot.name, "level": level, "land": land, "formats": list(formats), "workers": workers or os.cpu_count(),
            "regions": len(regions), "files": len(written.files), "failures": written.failures,
            "seconds": round(seconds, 1), "seconds_per_region": round(seconds / max(len(regions), 1), 2),
            "total_regions": total, "projected_seconds": round(projected, 1), "projected": len(regions) < total,
            "pdf_bytes": sum(p.stat().st_size for p in pdfs), "target_s": TARGET_REPORTS_S,
            "printer": Path(chromium_path()).name if "pdf" in formats else None,
            "met": projected < TARGET_REPORTS_S and not written.failures,
            "cpu_seconds": round(cpu.seconds, 1), "cpu_seconds_per_region": round(cpu.seconds / max(len(regions), 1), 2),
            "cpu": "process tree (workers, Playwright, Chromium), sampled every 0.2 s",
            "load_average": os.getloadavg(), "cpu_count": os.cpu_count(),
            "children_maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}


def verdict(result: dict) -> str:
    """Met or missed against the target, for all reports of the level: projected when only a part was written."""
    judged = "met" if result["met"] else "missed"
    if result.get("projected"):
        return (f"projected {result['projected_seconds']:.0f} s for {result['total_regions']} from {result['regions']} "
                f"(target < {TARGET_REPORTS_S:g} s): {judged}")
    return f"target < {TARGET_REPORTS_S:g} s: {judged}"


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, help="a built warehouse with a published snapshot beside it "
                        "(default: build the offline sample in a temporary folder first)")
    parser.add_argument("--out", type=Path, help="where the reports go (default: a temporary folder)")
    parser.add_argument("--level", default="kreis")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--land", help="only the regions of this Land (2-digit key)")
    parser.add_argument("--result", "--json", dest="result", type=Path, help="write the numbers as JSON here")
    args = parser.parse_args(argv)
    warehouse = args.warehouse
    if warehouse is None:
        from flows.pipeline import pipeline

        warehouse = Path(tempfile.mkdtemp(prefix="imon-bench-reports-")) / "imon.duckdb"
        print(f"bench reports: building the offline sample into {warehouse.parent} …", file=sys.stderr)
        pipeline(warehouse=str(warehouse))
    out = args.out or Path(tempfile.mkdtemp(prefix="imon-reports-"))
    print(f"bench reports: every {args.level} report as PDF into {out} …", file=sys.stderr)
    result = run_reports(warehouse, out, level=args.level, workers=args.workers, land=args.land)
    if args.result:
        args.result.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    print(f"{result['regions']} {args.level} PDFs in {result['seconds']} s ({result['seconds_per_region']} s per region, "
          f"{result['cpu_seconds']} CPU s, "
          f"{result['workers']} workers, load average {', '.join(f'{v:.1f}' for v in result['load_average'])}); "
          + verdict(result)
          + (f"; {len(result['failures'])} failed" if result["failures"] else ""))
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
