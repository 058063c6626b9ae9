"""County uploads under load: what a 10 MB and a 30 MB upload cost the service while another county uploads.

`python -m tests.bench.uploads [--json out.json]` (run by `make bench`; never a timed unit test)

`imon serve` runs on 127.0.0.1 in a temporary directory (no snapshot is needed for uploads). One
client (county 09162) sends, one after the other, each big file below; meanwhile a second client
(county 09163) keeps uploading a small file. For each big file the benchmark reports the wall time
of its request, its status, the service process's resident memory before it and at its peak
(psutil, every 50 ms), and the small uploads answered meanwhile (count, median and longest wait).

| case | file | the service's limit | expected |
|---|---|---|---|
| `10 MB accepted` | 10 MB of valid rows | default (10 MB) | 201 |
| `10 MB rejected` | the same with a bad count on its last line | default | 422 |
| `30 MB refused` | 30 MB of valid rows | default | 413 before the body is read |
| `30 MB accepted` | 30 MB of valid rows | 40 MB | 201 |
| `30 MB rejected` | the same with a bad count on its last line | 40 MB | 422 |
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

MB = 1000 * 1000
SAMPLE_INTERVAL_S = 0.05
BIG_COUNTY, SMALL_COUNTY = "09162", "09163"
CASES = (  # name, file size, bad last line, the service's upload limit (None: the default)
    ("10 MB accepted", 10 * MB, False, None),
    ("10 MB rejected", 10 * MB, True, None),
    ("30 MB refused", 30 * MB, False, None),
    ("30 MB accepted", 30 * MB, False, "40MB"),
    ("30 MB rejected", 30 * MB, True, "40MB"),
)


def county_csv(county: str, size: int, *, bad_last_line: bool = False) -> bytes:
    """About `size` bytes of distinct rows (Gemeinde × year × variable) of `county`; optionally a bad last count."""
    lines, total, number = ["ags,period,variable,value\n"], 26, 0
    while total < size:
        gemeinde, year, variable = number % 1000, 2000 + (number // 1000) % 25, number // 25_000
        line = f"{county}{gemeinde:03d},{year},participants_{variable:05d},{(number * 7919) % 5000}\n"
        lines.append(line)
        total += len(line)
        number += 1
    if bad_last_line:
        lines[-1] = lines[-1].rsplit(",", 1)[0] + ",12a\n"
    return "".join(lines).encode()


def _peak_rss(pid: int, stop: threading.Event, peak: list[int]) -> None:
    import psutil

    process = psutil.Process(pid)
    while not stop.is_set():
        try:
            peak[0] = max(peak[0], process.memory_info().rss)
        except psutil.Error:
            return
        time.sleep(SAMPLE_INTERVAL_S)


def _small_uploads(url: str, key: str, stop: threading.Event, waits: list[tuple[float, int]]) -> None:
    """The other county: a small upload after another until `stop`."""
    import httpx

    body = county_csv(SMALL_COUNTY, 2_000)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=300) as client:
        while not stop.is_set():
            started = time.perf_counter()
            response = client.post("/api/uploads/small", files={"file": ("small.csv", body, "text/csv")})
            waits.append((time.perf_counter() - started, response.status_code))


def run_case(url: str, pid: int, keys: dict[str, str], name: str, body: bytes) -> dict[str, Any]:
    """One big upload while the other county uploads; its time, status, memory and the other's waits."""
    import httpx
    import psutil

    stop, peak, waits = threading.Event(), [0], []
    baseline = psutil.Process(pid).memory_info().rss
    threads = [threading.Thread(target=_peak_rss, args=(pid, stop, peak)),
               threading.Thread(target=_small_uploads, args=(url, keys[SMALL_COUNTY], stop, waits))]
    for thread in threads:
        thread.start()
    time.sleep(1)  # the other county is uploading
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {keys[BIG_COUNTY]}"}, timeout=600) as client:
        started = time.perf_counter()
        response = client.post("/api/uploads/big", files={"file": ("big.csv", body, "text/csv")})
        seconds = time.perf_counter() - started
    stop.set()
    for thread in threads:
        thread.join()
    during = [w for w, _ in waits]
    return {"case": name, "file_mb": round(len(body) / MB, 1), "status": response.status_code, "seconds": round(seconds, 2),
            "rss_before_mb": round(baseline / 2 ** 20), "rss_peak_mb": round(max(peak[0], baseline) / 2 ** 20),
            "rss_added_mb": round((max(peak[0], baseline) - baseline) / 2 ** 20),
            "other_uploads": len(waits), "other_failed": sum(1 for _, status in waits if status != 201),
            "other_median_s": round(statistics.median(during), 2) if during else None,
            "other_max_s": round(max(during), 2) if during else None,
            "detail": response.text[:160] if response.status_code >= 400 else None}


def measure(workdir: Path) -> dict[str, Any]:
    """Every case of CASES, one service per upload limit; the machine's load average before and after."""
    from service.auth import COUNTY, KeyStore
    from tests.bench.service_load import Served

    results, load_before = [], os.getloadavg()
    for limit in dict.fromkeys(case[3] for case in CASES):
        directory = workdir / (limit or "default")
        environ = {"IMON_WAREHOUSE": str(directory / "imon.duckdb"), "IMON_PUBLISHED_DIR": str(directory / "published"),
                   "IMON_SERVICE_DIR": str(directory / "service"), "IMON_SQL_WORKERS": "1",
                   **({"IMON_UPLOAD_MAX_BYTES": limit} if limit else {})}
        store = KeyStore(directory / "service" / "access.sqlite3")
        keys = {county: store.create(role=COUNTY, county=county)[1] for county in (BIG_COUNTY, SMALL_COUNTY)}
        store.close()
        with Served(environ, directory / "serve.log") as served:
            for name, size, bad, case_limit in CASES:
                if case_limit == limit:
                    results.append(run_case(served.url, served.process.pid, keys, name,
                                            county_csv(BIG_COUNTY, size, bad_last_line=bad)))
                    print(_row(results[-1]), flush=True)
    return {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
            "load_before": [round(x, 1) for x in load_before], "load_after": [round(x, 1) for x in os.getloadavg()],
            "cases": results}


def _row(result: dict[str, Any]) -> str:
    return (f"{result['case']:<16} {result['status']}  {result['seconds']:>6.1f} s  RSS {result['rss_before_mb']:>5} → "
            f"{result['rss_peak_mb']:>5} MB (+{result['rss_added_mb']})  other county: {result['other_uploads']} uploads, "
            f"median {result['other_median_s']} s, longest {result['other_max_s']} s, failed {result['other_failed']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.uploads", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--workdir", type=Path, help="work directory (default: a new temporary one, removed after)")
    options = parser.parse_args(argv)
    if options.workdir:
        report = measure(options.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="imon-bench-uploads-") as directory:
            report = measure(Path(directory))
    print(f"load average before {report['load_before']}, after {report['load_after']} ({report['cpus']} CPUs)")
    if options.json:
        options.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
