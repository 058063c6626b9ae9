"""The configured source tables (sources/tables.yaml) as typed specs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FILE_SOURCES = ("file", "ba_file", "county_file")


@dataclass(frozen=True)
class TableSpec:
    """One source table: where it comes from and how to read it."""

    name: str
    source: str
    table: str
    title: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    variables: tuple[str, ...] = ()
    value_variables: tuple[str, ...] = ()
    layout: str = "ffcsv"
    # How to read the file beyond its layout: `classic_layout`, or for `layout: declared` the
    # `declaration` (the flow hands this one field to parse_table).
    classic_layout: dict[str, Any] | None = None
    path: str | None = None

    @property
    def is_file_source(self) -> bool:
        return self.source in FILE_SOURCES

    @property
    def declaration(self) -> dict[str, Any] | None:
        """The declaration of a `layout: declared` file (format, key, period and value columns)."""
        return self.classic_layout if self.layout == "declared" else None

    @property
    def label(self) -> str:
        """How messages name the table: source and code."""
        return f"{self.source} {self.table}"


def load_table_specs(path: Path) -> list[TableSpec]:
    """Read and check tables.yaml; a malformed entry is an error naming the entry."""
    document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    specs: list[TableSpec] = []
    for position, entry in enumerate(document.get("tables") or [], start=1):
        missing = [key for key in ("name", "source", "table") if not entry.get(key)]
        if entry.get("layout") == "declared":
            missing += [key for key in ("path", "declaration") if not entry.get(key)]
        if missing:
            raise ValueError(f"{path}: table entry {position} lacks {', '.join(missing)}")
        specs.append(
            TableSpec(
                name=entry["name"],
                source=entry["source"],
                table=str(entry["table"]),
                title=entry.get("title", ""),
                parameters={k: str(v) for k, v in (entry.get("parameters") or {}).items()},
                variables=tuple(entry.get("variables") or ()),
                value_variables=tuple(entry.get("value_variables") or ()),
                layout=entry.get("layout", "ffcsv"),
                classic_layout=entry.get("declaration") if entry.get("layout") == "declared" else entry.get("classic_layout"),
                path=entry.get("path"),
            )
        )
    names = [s.name for s in specs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{path}: table names must be unique, repeated: {', '.join(duplicates)}")
    return specs
