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
import time
from pathlib import Path

TARGET_REPORTS_S = 300.0


def run_reports(warehouse: Path, out: Path, *, level: str = "kreis", formats: tuple[str, ...] = ("pdf",),
                workers: int | None = None, land: str | None = None) -> dict:
    """Write every report of `level` from the warehouse's published snapshot; what it took."""
    from flows.settings import load_settings
    from service.reports import regions_of_level, write_reports
    from warehouse.publish import current_snapshot

    settings = load_settings(warehouse=warehouse)
    snapshot = current_snapshot(settings.published_dir)
    if snapshot is None:
        raise SystemExit(f"nothing published beside {warehouse}")
    began, cpu_before = time.perf_counter(), _cpu_seconds()
    regions = regions_of_level(snapshot, level)
    if land:  # one Land's regions only (the tiny workload has one Land)
        regions = [(ags, lvl) for ags, lvl in regions if ags.startswith(land)]
    written = write_reports(snapshot, regions, out, formats=formats, workers=workers)
    seconds = time.perf_counter() - began
    cpu = _cpu_seconds() - cpu_before  # this process and its finished workers, their Chromiums included
    pdfs = [p for p in written.files if p.suffix == ".pdf"]
    return {"snapshot": snapshot.name, "level": level, "land": land, "formats": list(formats), "workers": workers or os.cpu_count(),
            "regions": len(regions), "files": len(written.files), "failures": written.failures,
            "seconds": round(seconds, 1), "seconds_per_region": round(seconds / max(len(regions), 1), 2),
            "pdf_bytes": sum(p.stat().st_size for p in pdfs), "target_s": TARGET_REPORTS_S,
            "met": seconds < TARGET_REPORTS_S and not written.failures,
            "cpu_seconds": round(cpu, 1), "cpu_seconds_per_region": round(cpu / max(len(regions), 1), 2),
            "load_average": os.getloadavg(), "cpu_count": os.cpu_count(),
            "children_maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}


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
          f"target < {TARGET_REPORTS_S:g} s: {'met' if result['met'] else 'missed'}"
          + (f"; {len(result['failures'])} failed" if result["failures"] else ""))
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
