"""Issue #7 workload: every configured table as landing files in the real formats, generated at federal scale.

`write_workload(directory)` writes `<directory>/<source>/<table>/<table>_<hash>.<ext>` with its JSON
sidecar, exactly as `imon pull` lands a download, so `pipeline(pull=False)` runs on it without a
network. Every generated file is marked synthetic (statistics_label "SYNTHETIC – ", sidecar
`"synthetic": true`); see tests/bench/README.md.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sources.catalog import TableSpec, load_table_specs
from sources.genesis import DEFAULT_BASE_URLS, SYNTHETIC_HEADER, TABLEFILE_DEFAULTS, Download
from sources.landing import land
from offline.synthetic import (REGISTER_FILE, KreisHistory, generate_declared_file, generate_table,
                               load_register, make_plan, zip_body)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TABLES_FILE = PROJECT_ROOT / "sources" / "tables.yaml"
SAMPLE_DIR = PROJECT_ROOT / "offline" / "sample"
LAST_YEAR = 2024  # the newest year: 25 years = 2000–2024, 3 years = 2022–2024 (each year with the Kreise of its day,
# from the change list); the incremental scenario appends 2025
TINY_LAND = "10"  # Saarland: 6 Kreise, 52 Gemeinden
TINY_YEARS = 2
FETCHED_AT = datetime(2026, 11, 26, tzinfo=timezone.utc)  # fixed, so sidecars are the same on every run

# The tables of tables.yaml are real files offline and carry no `synthetic:` block: here is how to
# generate them, at their real regional depth and with the breakdowns their real files have.
NATIONALITIES = {"ST166": "Ukraine", "ST475": "Syrien", "ST423": "Afghanistan", "ST438": "Irak", "ST163": "Türkei",
                 "ST224": "Eritrea", "ST439": "Iran, Islamische Republik", "ST160": "Russische Föderation"}
AGE_GROUPS_10 = {"ALT000B009": "Unter 10 Jahre", "ALT010B019": "10 bis 19 Jahre", "ALT020B029": "20 bis 29 Jahre",
                 "ALT030B039": "30 bis 39 Jahre", "ALT040B049": "40 bis 49 Jahre", "ALT050B059": "50 bis 59 Jahre",
                 "ALT060B069": "60 bis 69 Jahre", "ALT070B079": "70 bis 79 Jahre", "ALT080BXXX": "80 Jahre und älter"}
REAL_TABLE_SHAPES: dict[str, dict[str, Any]] = {
    "population_by_sex": {
        "categories": {"ges": ["GESM", "GESW"]},
        "synthetic": {"levels": ["kreis"], "time": {"code": "STAG", "day": "12-31"}, "rates": {"BEVSTD": 1.0},
                      "shares": {"ges": {"GESM": [0.48, 0.5], "GESW": [0.5, 0.52]}}, "suppress": 0,
                      "labels": {"BEVSTD": "Bevölkerungsstand"}},
    },
    "employees_at_workplace_by_nationality": {
        "categories": {"nat": ["NATA"], "ges": ["GESM", "GESW"]},
        "synthetic": {"levels": ["kreis", "regierungsbezirk", "land", "deutschland"], "time": {"code": "STAG", "day": "06-30"},
                      "rates": {"ERW032": [0.28, 0.55]},
                      "shares": {"nat": {"NATA": [0.06, 0.22]}, "ges": {"GESM": [0.5, 0.56], "GESW": [0.44, 0.5]}},
                      "labels": {"ERW032": "Sozialversicherungspfl. Beschäftigte (Arbeitsort)"}},
    },
    "unemployed_by_group": {  # cells, categories: from its classic_layout
        "synthetic": {"levels": ["kreis", "land", "deutschland"], "time": {"code": "JAHR"}, "subsets": ["erwaq7"],
                      "units": {"ERWP09": "Prozent", "ERWP10": "Prozent"},
                      "rates": {"ERWP06": [0.02, 0.07], "ERWP09": [3.5, 12.0], "ERWP10": [3.0, 11.0]},
                      "shares": {"erwaq7": {"ARBEITSLOS08": [0.15, 0.45], "label:schwerbehindert": [0.04, 0.08],
                                            "label:15-bis-unter-20-jahre": [0.01, 0.03], "label:15-bis-unter-25-jahre": [0.07, 0.11],
                                            "label:55-bis-unter-65-jahre": [0.18, 0.26], "label:langzeitarbeitslos": [0.25, 0.42]},
                                 "erwaq8": {"ARBEITSQUO05": [1.0, 1.1], "ARBEITSQUO06": [0.85, 1.0],
                                            "ARBEITSQUO07": [1.8, 2.6], "ARBEITSQUO09": [0.8, 1.2]}}},
    },
    "pupils_by_school_type": {  # cells, categories: from its classic_layout
        "synthetic": {"levels": ["kreis", "land", "deutschland"], "time": {"code": "STAG"},
                      "rates": {"BIL013": [0.0003, 0.0005], "BIL003": [0.09, 0.11]},
                      "shares": {"bilsa8": {"SCHULE29": 0.005, "SCHULE03": 0.35, "SCHULE04": 0.005, "SCHULE05": 0.04,
                                            "SCHULE06": 0.06, "SCHULE07": 0.09, "SCHULE08": 0.27, "SCHULE09": 0.12,
                                            "SCHULE10": 0.01, "SCHULE11": 0.04, "SCHULE28": 0.01},
                                 "ges": {"GESW": [0.48, 0.5]}, "nat": {"NATA": [0.05, 0.2]},
                                 "bilkl2": {"JGSTUFE7": [0.08, 0.1], "JGSTUFE11": [0.03, 0.06]}}},
    },
    "protection_seekers": {
        "categories": {"schst2": ["SCHUTZST-OF", "SCHUTZST-AK-1", "SCHUTZST-AK-2", "SCHUTZST-AK-3", "SCHUTZST-AK-4",
                                  "SCHUTZST-AK-5", "SCHUTZST-X", "AUSRPFL-G", "AUSRPFL-L", "AUSRPFL-V"],
                       "ges": ["GESM", "GESW"], "staag5": list(NATIONALITIES)},
        "synthetic": {"levels": ["kreis"], "time": {"code": "STAG", "day": "12-31"}, "rates": {"BEV030": [0.015, 0.05]},
                      "round_to": 5,
                      "shares": {"schst2": {"SCHUTZST-OF": [0.15, 0.3], "SCHUTZST-AK-1": [0.55, 0.7], "SCHUTZST-X": [0.08, 0.15],
                                            "SCHUTZST-AK-2": {"share": 0.6, "within": "SCHUTZST-AK-1"},
                                            "SCHUTZST-AK-3": {"share": 0.45, "within": "SCHUTZST-AK-2"},
                                            "SCHUTZST-AK-4": {"share": 0.55, "within": "SCHUTZST-AK-2"},
                                            "SCHUTZST-AK-5": {"share": 0.4, "within": "SCHUTZST-AK-1"},
                                            "AUSRPFL-G": {"share": 0.6, "within": "SCHUTZST-X"},
                                            "AUSRPFL-L": {"share": 0.1, "within": "SCHUTZST-X"},
                                            "AUSRPFL-V": {"share": 0.2, "within": "SCHUTZST-X"}},
                                 "ges": {"GESM": [0.55, 0.62], "GESW": [0.38, 0.45]},
                                 "staag5": {"ST166": [0.3, 0.4], "ST475": [0.15, 0.25], "ST423": [0.08, 0.12],
                                            "ST438": [0.04, 0.06], "ST163": [0.02, 0.04]}},
                      "labels": {"BEV030": "Schutzsuchende", "SCHST2": "Schutzstatuskategorie", "STAAG5": "Staatsangehörigkeit",
                                 "SCHUTZST-OF": "Offener Schutzstatus", "SCHUTZST-AK-1": "Anerkannter Schutzstatus",
                                 "SCHUTZST-X": "Ohne Schutzsstatus", **NATIONALITIES}},
    },
    "census_population_gemeinden": {
        "synthetic": {"years": 2022, "levels": ["gemeinde", "deutschland"], "time": {"code": "STAG", "day": "05-15"},
                      "rates": {"PRS001": 1.0, "PRS018": 1.0}, "value_variable_by_level": {"deutschland": "PRS001", "gemeinde": "PRS018"},
                      "statistics_label": "Bevölkerung kompakt (Gebietsstand 15.05.2022)", "labels": {"PRS001": "Personen", "PRS018": "Personen"}},
    },
    "census_population_by_immigration_history": {
        "categories": {"altgr2": list(AGE_GROUPS_10), "wdgat1": ["EINGEWANDERTE", "NACHKOMMEN", "WANDERUNG-EINS", "WANDERUNG-X"],
                       "wdgat2": ["WANDERUNG-BEID", "WANDERUNG-EINS", "WANDERUNG-X"]},
        "synthetic": {"years": 2022, "levels": ["land", "deutschland"], "time": {"code": "STAG", "day": "05-15"},
                      "rates": {"PRS001": 1.0, "PRS018": 1.0},
                      "shares": {"wdgat2": {"WANDERUNG-BEID": [0.2, 0.3], "WANDERUNG-EINS": [0.04, 0.06]},
                                 "wdgat1": {"EINGEWANDERTE": [0.15, 0.2], "NACHKOMMEN": [0.05, 0.08], "WANDERUNG-EINS": [0.04, 0.06]}},
                      # as the real file: Einwanderungsgeschichte summarised (WDGAT2, with its total) and in detail (WDGAT1)
                      "cells": [{"classifiers": {"altgr2": "*", "wdgat2": "*"}},
                                {"classifiers": {"altgr2": "*", "wdgat1": ["EINGEWANDERTE", "NACHKOMMEN", "WANDERUNG-EINS", "WANDERUNG-X"]}}],
                      "statistics_label": "Bevölkerung kompakt (Gebietsstand 15.05.2022)",
                      "labels": {"PRS001": "Personen", "PRS018": "Personen", **AGE_GROUPS_10}},
    },
}


def write_workload(directory: Path, *, seed: int = 1, years: int = 25, scale: str = "federal",
                   tables: list[str] | None = None, specs: list[TableSpec] | None = None,
                   last_year: int = LAST_YEAR) -> dict:
    """Land every configured table (or those named in `tables`) in `directory`; return files, rows and bytes.

    `federal`: every region of the register, the `years` years up to `last_year`. `tiny`: the regions of
    Saarland and the last two of those years (the register itself is landed whole either way).
    """
    if scale not in ("federal", "tiny"):
        raise ValueError(f"scale must be federal or tiny, not {scale!r}")
    directory = Path(directory)
    specs = list(specs) if specs is not None else load_table_specs(TABLES_FILE)
    span = list(range(last_year - years + 1, last_year + 1))
    register_body = REGISTER_FILE.read_bytes()  # landed unchanged: the register's suite wants a whole edition
    register = load_register()
    history = kreis_history(specs)
    if scale == "tiny":
        span = span[-TINY_YEARS:]
        register = register[register["land_key"] == TINY_LAND].reset_index(drop=True)
    summary: dict[str, Any] = {"files": 0, "rows": 0, "bytes": 0, "uncompressed_bytes": 0, "synthetic_files": 0,
                               "scale": scale, "years": [span[0], span[-1]], "seed": seed, "per_table": {}}
    started = time.perf_counter()
    for spec in specs:
        if tables is not None and spec.name not in tables:
            continue
        began = time.perf_counter()
        body, download, synthetic = _table_file(spec, specs, register, register_body, seed=seed, years=span,
                                                history=history)
        if download is None:
            summary["per_table"][spec.name] = {"skipped": body.decode()}
            continue
        landed = land(download, landing_dir=directory, source=spec.source, table=spec.table, synthetic=synthetic)
        rows = max(body.count(b"\n") - 1, 0) if spec.layout not in ("gv100ad", "seed") else body.count(b"\n")
        summary["per_table"][spec.name] = {"file": landed.path.relative_to(directory).as_posix(), "rows": rows,
                                           "bytes": landed.size, "uncompressed_bytes": len(body), "synthetic": synthetic,
                                           "seconds": round(time.perf_counter() - began, 2)}
        summary["files"] += 1
        summary["rows"] += rows
        summary["bytes"] += landed.size
        summary["uncompressed_bytes"] += len(body)
        summary["synthetic_files"] += int(synthetic)
    summary["seconds"] = round(time.perf_counter() - started, 2)
    return summary


def workload_spec(spec: TableSpec) -> TableSpec:
    """The spec with what generating it needs: its own `synthetic:` block, or the shape of its real file above."""
    if spec.name not in REAL_TABLE_SHAPES and not (spec.layout == "classic" and spec.classic_layout):
        return spec
    shape = REAL_TABLE_SHAPES.get(spec.name, {})
    synthetic = dict(shape.get("synthetic") or {})
    categories = dict(shape.get("categories") or spec.categories)
    if spec.classic_layout and spec.layout == "classic":
        classic_categories, cells, total_codes = classic_cells(spec.classic_layout)
        categories = {**classic_categories, **categories}
        synthetic = {"cells": cells, "total_codes": total_codes, **synthetic}
    return dataclasses.replace(spec, categories=categories, synthetic=synthetic, layout="ffcsv", classic_layout=None)


def classic_cells(classic_layout: dict) -> tuple[dict[str, list[str]], list[dict], dict[str, str]]:
    """Categories, cells and total codes that give the ffcsv of a classic table the same rows as its columns."""
    categories: dict[str, list[str]] = {}
    row = classic_layout.get("row_classifier") or {}
    total_codes = {}
    if row:
        for label, code in row["codes"].items():
            if label == "Insgesamt":
                total_codes[row["variable"]] = code
            else:
                categories.setdefault(row["variable"], []).append(code)
    cells = []
    for column in classic_layout["columns"]:
        classifiers = dict(column.get("classifiers") or {})
        for variable, code in classifiers.items():
            if code is not None and code not in categories.setdefault(variable, []):
                categories[variable].append(code)
            categories.setdefault(variable, [])
        if row:
            classifiers[row["variable"]] = "*"
        cells.append({"value_variable": column["value_variable"], "classifiers": classifiers})
    return {k: v for k, v in categories.items() if v}, cells, total_codes


def kreis_history(specs: list[TableSpec]) -> KreisHistory | None:
    """The change list the pipeline loads (table territorial_changes): each year is written with its own Kreise."""
    changes = next((s for s in specs if s.name == "territorial_changes" and s.path), None)
    return KreisHistory.from_csv(SAMPLE_DIR / changes.path) if changes else None


def _table_file(spec: TableSpec, specs: list[TableSpec], register, register_body: bytes, *, seed: int,
                years: list[int], history: KreisHistory | None = None) -> tuple[bytes, Download | None, bool]:
    """(file body, the download that lands it, synthetic?) for one table; (reason, None, False) if it cannot be written."""
    if spec.source == "file":
        body = register_body if spec.layout == "gv100ad" else (SAMPLE_DIR / (spec.path or "")).read_bytes()
        return body, _file_download(body, Path(spec.path or spec.table).name), False
    if spec.source == "ba_file":  # a Germany-only BA export: the real file, not generated
        body = (SAMPLE_DIR / (spec.path or "")).read_bytes()
        return body, _file_download(body, Path(spec.path or spec.table).name), False
    if spec.layout == "declared":
        if (spec.declaration or {}).get("format", "csv") != "csv":
            return b"xlsx declarations are not generated", None, False
        body = generate_declared_file(spec, register, seed=seed, years=_years(spec, years), specs=specs,
                                      kreis_history=history)
        return body, _file_download(body, Path(spec.path or spec.table).name), True
    shaped = workload_spec(spec)
    body = generate_table(shaped, register, seed=seed, years=_years(shaped, years), specs=[workload_spec(s) for s in specs],
                          kreis_history=history)
    content, filename = zip_body(spec.table, body)
    parameters = {"name": spec.table, **TABLEFILE_DEFAULTS, **spec.parameters, "job": "false"}
    download = Download(body=content, content_type="application/zip", filename=filename, parameters=parameters,
                        http_status=200, fetched_at=FETCHED_AT, url=DEFAULT_BASE_URLS.get(spec.source, "") + "data/tablefile",
                        headers={"Content-Type": "application/zip", "Content-Disposition": f"attachment; filename={filename}",
                                 SYNTHETIC_HEADER: "true"})
    return body, download, True


def _years(spec: TableSpec, years: list[int]) -> list[int]:
    """The workload's years, except for a table of one reference day (the Zensus 2022)."""
    own = make_plan(spec).years
    return list(own) if len(own) == 1 else years


def _file_download(body: bytes, name: str) -> Download:
    """A file source as the pull reads it (flows/pipeline.py `_file_download`)."""
    return Download(body=body, content_type="text/plain", filename=name, parameters={"file": name}, http_status=0,
                    headers={}, fetched_at=FETCHED_AT, url=f"file:///{name}")


def main() -> int:
    """`python -m tests.bench.workload DIRECTORY [federal|tiny] [YEARS]`: write the workload and print its counts."""
    import json
    import sys

    args = sys.argv[1:]
    if not args:
        print(main.__doc__)
        return 2
    summary = write_workload(Path(args[0]), scale=args[1] if len(args) > 1 else "federal",
                             years=int(args[2]) if len(args) > 2 else 25)
    print(json.dumps({k: v for k, v in summary.items() if k != "per_table"}, indent=1))
    for name, table in summary["per_table"].items():
        print(f"{name:50s} {table.get('rows', 0):>10,} rows {table.get('uncompressed_bytes', 0) / 1e6:8.1f} MB "
              f"{table.get('bytes', 0) / 1e6:7.1f} MB landed {table.get('seconds', 0):6.1f} s {table.get('skipped', '')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
