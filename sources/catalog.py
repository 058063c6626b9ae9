"""The configured source tables (sources/tables.yaml and sources/tables.d/*.yaml) as typed specs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# libyaml's loader when PyYAML was built with it: the same documents, about 8× faster to read
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

FILE_SOURCES = ("file", "ba_file", "county_file")


@dataclass(frozen=True)
class TableSpec:
    """One source table: where it comes from and how to read it."""

    name: str
    source: str
    table: str
    title: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    # One data/tablefile request per slice (startyear/endyear …), each landing as a file of its own.
    time_slices: tuple[dict[str, str], ...] = ()
    variables: tuple[str, ...] = ()
    value_variables: tuple[str, ...] = ()
    layout: str = "ffcsv"
    # How to read the file beyond its layout: `classic_layout`, or for `layout: declared` the
    # `declaration` (the flow hands this one field to parse_table).
    classic_layout: dict[str, Any] | None = None
    path: str | None = None
    # Codes of each classifying variable (without the total); what SQL models and the
    # synthetic offline sample rely on.
    categories: dict[str, list[str]] = field(default_factory=dict)
    # How the offline sample answers: `real` (a recorded or downloaded file in offline/sample/)
    # or `synthetic` (generated in the real format, marked synthetic everywhere it appears).
    offline: str = "real"
    synthetic: dict[str, Any] = field(default_factory=dict)
    verified: bool = True  # table code checked against a real download or the recorded catalogue
    defined_in: str = ""

    @property
    def is_file_source(self) -> bool:
        return self.source in FILE_SOURCES

    @property
    def declaration(self) -> dict[str, Any] | None:
        """The declaration of a `layout: declared` file (format, key, period and value columns)."""
        return self.classic_layout if self.layout == "declared" else None

    @property
    def requests(self) -> list[dict[str, str]]:
        """The parameters of each data/tablefile request: one per time slice, else one."""
        return [{**self.parameters, **time_slice} for time_slice in self.time_slices] or [dict(self.parameters)]

    @property
    def label(self) -> str:
        """How messages name the table: source and code."""
        return f"{self.source} {self.table}"


def table_files(path: Path) -> list[Path]:
    """tables.yaml and, beside it, every tables.d/*.yaml (one file per domain)."""
    path = Path(path)
    return [path, *sorted((path.parent / "tables.d").glob("*.yaml"))]


def load_table_specs(path: Path) -> list[TableSpec]:
    """Read and check tables.yaml and tables.d/*.yaml; a malformed entry is an error naming file and entry."""
    specs: list[TableSpec] = []
    for file in table_files(path):
        specs.extend(_read_specs(file))
    names = [s.name for s in specs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{path}: table names must be unique, repeated: {', '.join(duplicates)}")
    return specs


# one parse per file version: the offline replay and the synthetic generator ask for the specs once per
# table, and a run has dozens of tables (keyed by path, modification time and size, so an edit is read)
_SPECS_READ: dict[tuple[str, int, int], tuple[TableSpec, ...]] = {}


def _read_specs(path: Path) -> list[TableSpec]:
    status = Path(path).stat()
    key = (str(Path(path).resolve()), status.st_mtime_ns, status.st_size)
    if key not in _SPECS_READ:
        _SPECS_READ[key] = tuple(_parse_specs(path))
    return list(_SPECS_READ[key])


def _parse_specs(path: Path) -> list[TableSpec]:
    document = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
    specs: list[TableSpec] = []
    for position, entry in enumerate(document.get("tables") or [], start=1):
        missing = [key for key in ("name", "source", "table") if not entry.get(key)]
        if entry.get("layout") == "declared":
            missing += [key for key in ("path", "declaration") if not entry.get(key)]
        if missing:
            raise ValueError(f"{path}: table entry {position} lacks {', '.join(missing)}")
        if entry.get("offline", "real") not in ("real", "synthetic"):
            raise ValueError(f"{path}: table entry {position}: offline must be real or synthetic")
        specs.append(
            TableSpec(
                name=entry["name"],
                source=entry["source"],
                table=str(entry["table"]),
                title=entry.get("title", ""),
                parameters={k: str(v) for k, v in (entry.get("parameters") or {}).items()},
                time_slices=tuple({k: str(v) for k, v in time_slice.items()} for time_slice in entry.get("time_slices") or ()),
                variables=tuple(entry.get("variables") or ()),
                value_variables=tuple(entry.get("value_variables") or ()),
                layout=entry.get("layout", "ffcsv"),
                classic_layout=entry.get("declaration") if entry.get("layout") == "declared" else entry.get("classic_layout"),
                path=entry.get("path"),
                categories={k: [str(c) for c in v] for k, v in (entry.get("categories") or {}).items()},
                offline=entry.get("offline", "real"),
                synthetic=entry.get("synthetic") or {},
                verified=bool(entry.get("verified", True)),
                defined_in=Path(path).name,
            )
        )
    return specs
