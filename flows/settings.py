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
    min_denominator: int
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    def genesis_instance(self, name: str):
        """The GENESIS instance `name` with URL and credentials from IMON_<NAME>_* variables."""
        from sources.genesis import instance_from_env

        return instance_from_env(name, self.environ)

    def live_instances(self) -> list[str]:
        """Names of the instances whose credentials are set: these are pulled live."""
        return [name for name in GENESIS_INSTANCES if self.genesis_instance(name).has_credentials]


def load_settings(environ: Mapping[str, str] | None = None, *, warehouse: str | Path | None = None) -> Settings:
    """Settings from the environment (IMON_*), with `warehouse` overriding IMON_WAREHOUSE."""
    env = dict(os.environ if environ is None else environ)
    warehouse_path = Path(warehouse or env.get("IMON_WAREHOUSE") or PROJECT_ROOT / "warehouse" / "imon.duckdb")
    landing_default = warehouse_path.parent / "landing"
    sample_dir = PROJECT_ROOT / "sources" / "sample"
    return Settings(
        warehouse_path=warehouse_path.resolve(),
        landing_dir=Path(env.get("IMON_LANDING_DIR") or landing_default).resolve(),
        tables_file=Path(env.get("IMON_TABLES_FILE") or PROJECT_ROOT / "sources" / "tables.yaml"),
        sample_dir=sample_dir,
        sql_dir=PROJECT_ROOT / "sql",
        expectations_dir=PROJECT_ROOT / "expectations",
        register_file=Path(env.get("IMON_REGISTER_FILE") or sample_dir / "GV100AD_301123.txt"),
        min_denominator=int(env.get("IMON_MIN_DENOMINATOR") or 50),
        environ=env,
    )
