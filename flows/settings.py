"""Settings, read in one place: paths and thresholds from the environment, secrets only from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

PROJECT_ROOT = Path(__file__).resolve().parent.parent

GENESIS_INSTANCES = ("destatis", "regio", "zensus", "nrw", "bayern", "st", "bildung")


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know that is not code."""

    warehouse_path: Path
    landing_dir: Path
    tables_file: Path
    sample_dir: Path
    sql_dir: Path
    expectations_dir: Path
    register_file: Path
    register_dir: Path  # later GV100AD editions a user drops in (GV100AD_*.txt), loaded beside register_file
    min_denominator: int
    territorial_date: str | None  # target Gebietsstand (YYYY-MM-DD); None = the newest register edition
    published_dir: Path  # published read-only snapshots and the CURRENT pointer
    service_dir: Path  # the query service's own store: API keys, county uploads, request log
    snapshots_to_keep: int = 5
    disclosure_threshold: int = 3  # county-delivered counts below this are suppressed for all but the owner
    sql_time_limit_seconds: float = 10.0
    sql_row_limit: int = 10_000
    sql_memory_limit: str = "512MB"
    warehouse_memory_limit: str = "512MB"  # DuckDB memory of a pipeline run; beyond it DuckDB spills to disk
    # --- query service limits (service hardening) ---
    sql_statement_max_bytes: int = 100_000  # a longer /api/sql statement is refused (413) before it is parsed
    sql_workers: int = 4  # /api/sql worker processes, each one query at a time
    sql_worker_memory: str = "2GB"  # address space of a worker (RLIMIT_AS): parse, plan, run and encode together
    answer_max_bytes: int = 64 * 1024 * 1024  # no answer body larger than this (413 instead)
    upload_max_bytes: int = 10 * 1024 * 1024  # a county upload larger than this is refused before it is read
    county_data_dir: Path = PROJECT_ROOT / "sources" / "county"  # county_file tables with a relative path
    regionalatlas_url: str = ""  # the Regionalatlas query service (imon reconcile); "" = sources.regionalatlas.DEFAULT_URL
    lake: str | None = None  # DuckLake catalog (IMON_LAKE, e.g. "postgres:dbname=imon host=127.0.0.1"): publish there
    lake_data_path: str | None = None  # where the lake's Parquet files live (IMON_LAKE_DATA_PATH)
    lake_office: str | None = None  # the state office publishing into a shared lake (IMON_LAKE_OFFICE, e.g. "nrw")
    lake_regions: tuple[str, ...] = ()  # AGS prefixes that office owns (IMON_LAKE_REGIONS, e.g. "05" or "09,10")
    # reports written after each publish (flows/reports.py): levels (empty = none), formats, language
    reports_levels: tuple[str, ...] = ()
    reports_formats: tuple[str, ...] = ("html", "pdf")
    reports_lang: str = "de"
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    def genesis_instance(self, name: str):
        """The GENESIS instance `name` with URL and credentials from IMON_<NAME>_* variables."""
        from sources.genesis import instance_from_env

        return instance_from_env(name, self.environ)

    def model_variables(self) -> dict[str, object]:
        """DuckDB variables the SQL models read with getvariable()."""
        variables: dict[str, object] = {"min_denominator": self.min_denominator}
        if self.territorial_date:
            variables["territorial_date"] = self.territorial_date
        return variables

    def lake_target(self):
        """The DuckLake readers use when IMON_LAKE is set (warehouse.lake.Lake), else None."""
        if not self.lake:
            return None
        from warehouse.lake import Lake

        return Lake(self.lake, self.lake_data_path or str(self.warehouse_path.parent / "lake"))

    def lake_office_claim(self):
        """The office and its region prefixes when IMON_LAKE_OFFICE is set (warehouse.lake.Office), else None:
        then one pipeline owns the whole lake."""
        from warehouse.lake import LakeError, Office

        if not self.lake_office:
            if self.lake_regions:
                raise LakeError("IMON_LAKE_REGIONS is set but IMON_LAKE_OFFICE is not: name the office that owns "
                                f"{','.join(self.lake_regions)}")
            return None
        return Office(self.lake_office, self.lake_regions)

    def live_instances(self) -> list[str]:
        """Names of the instances whose credentials are set: these are pulled live."""
        return [name for name in GENESIS_INSTANCES if self.genesis_instance(name).has_credentials]


def load_settings(environ: Mapping[str, str] | None = None, *, warehouse: str | Path | None = None) -> Settings:
    """Settings from the environment (IMON_*), with `warehouse` overriding IMON_WAREHOUSE."""
    env = dict(os.environ if environ is None else environ)
    warehouse_path = Path(warehouse or env.get("IMON_WAREHOUSE") or PROJECT_ROOT / "warehouse" / "imon.duckdb")
    landing_default = warehouse_path.parent / "landing"
    sample_dir = PROJECT_ROOT / "offline" / "sample"
    return Settings(
        warehouse_path=warehouse_path.resolve(),
        landing_dir=Path(env.get("IMON_LANDING_DIR") or landing_default).resolve(),
        tables_file=Path(env.get("IMON_TABLES_FILE") or PROJECT_ROOT / "sources" / "tables.yaml"),
        sample_dir=sample_dir,
        sql_dir=PROJECT_ROOT / "sql",
        expectations_dir=Path(env.get("IMON_EXPECTATIONS_DIR") or PROJECT_ROOT / "expectations"),
        register_file=Path(env.get("IMON_REGISTER_FILE") or sample_dir / "GV100AD_301123.txt"),
        register_dir=Path(env.get("IMON_REGISTER_DIR") or warehouse_path.parent / "register").resolve(),
        min_denominator=int(env.get("IMON_MIN_DENOMINATOR") or 50),
        territorial_date=env.get("IMON_TERRITORIAL_DATE") or None,
        county_data_dir=Path(env.get("IMON_COUNTY_DATA_DIR") or PROJECT_ROOT / "sources" / "county").resolve(),
        published_dir=Path(env.get("IMON_PUBLISHED_DIR") or warehouse_path.parent / "published").resolve(),
        service_dir=Path(env.get("IMON_SERVICE_DIR") or warehouse_path.parent / "service").resolve(),
        snapshots_to_keep=int(env.get("IMON_SNAPSHOTS_KEEP") or 5),
        disclosure_threshold=int(env.get("IMON_DISCLOSURE_THRESHOLD") or 3),
        sql_time_limit_seconds=float(env.get("IMON_SQL_TIME_LIMIT") or 10),
        sql_row_limit=int(env.get("IMON_SQL_ROW_LIMIT") or 10_000),
        sql_memory_limit=env.get("IMON_SQL_MEMORY_LIMIT") or "512MB",
        warehouse_memory_limit=env.get("IMON_WAREHOUSE_MEMORY_LIMIT") or "512MB",
        regionalatlas_url=env.get("IMON_REGIONALATLAS_URL") or "",
        lake=env.get("IMON_LAKE") or None,
        lake_data_path=env.get("IMON_LAKE_DATA_PATH") or None,
        lake_office=(env.get("IMON_LAKE_OFFICE") or "").strip() or None,
        lake_regions=tuple(_listed(env.get("IMON_LAKE_REGIONS"))),
        sql_statement_max_bytes=_bytes(env.get("IMON_SQL_STATEMENT_MAX_BYTES") or "100000"),
        sql_workers=int(env.get("IMON_SQL_WORKERS") or 4),
        sql_worker_memory=env.get("IMON_SQL_WORKER_MEMORY") or "2GB",
        answer_max_bytes=_bytes(env.get("IMON_ANSWER_MAX_BYTES") or "64MB"),
        upload_max_bytes=_bytes(env.get("IMON_UPLOAD_MAX_BYTES") or "10MB"),
        reports_levels=tuple(_listed(env.get("IMON_REPORTS_LEVELS"))),
        reports_formats=tuple(_listed(env.get("IMON_REPORTS_FORMATS")) or ("html", "pdf")),
        reports_lang=env.get("IMON_REPORTS_LANG") or "de",
        environ=env,
    )


def _bytes(text: str) -> int:
    """`64MB`, `2GB`, `100kB` or a number of bytes → bytes (powers of 1024)."""
    value = text.strip().upper().replace(" ", "").removesuffix("IB").removesuffix("B")
    units = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}
    return int(float(value[:-1]) * units[value[-1]]) if value and value[-1] in units else int(value)


def _listed(value: str | None) -> list[str]:
    """A comma-separated setting as a list ("kreis, land" -> ["kreis", "land"])."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]
