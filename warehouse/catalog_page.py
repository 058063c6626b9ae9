"""The indicator catalogue as a Markdown page, generated from the headers of sql/indicators/*.sql."""

from __future__ import annotations

from pathlib import Path

from warehouse.models import Model, changelog, discover_models, indicator_models

PAGE = Path("sql") / "indicators" / "CATALOG.md"


def _cell(value) -> str:
    if isinstance(value, list):
        value = ", ".join(str(v.get("year", "")) + ": " + str(v.get("reason", "")) if isinstance(v, dict) else str(v) for v in value)
    return str(value if value is not None else "").replace("|", "/").replace("\n", " ").strip()


def catalog_markdown(sql_dir: Path) -> str:
    """One overview table, then one section per indicator with its whole definition."""
    indicators: list[Model] = indicator_models(discover_models(sql_dir))
    lines = [
        "# Indicator catalogue",
        "",
        "Generated from the headers of `sql/indicators/*.sql` by `imon catalog --markdown`; do not edit by hand.",
        "",
        "| id | indicator | unit | lowest level | sources | version |",
        "|---|---|---|---|---|---|",
    ]
    for m in indicators:
        h = m.header
        lines.append(f"| [{h['id']}](#{h['id'].lower()}) | {_cell(h.get('name_en'))} | {_cell(h.get('unit'))} | "
                     f"{_cell(h.get('lowest_level'))} | {_cell(h.get('sources'))} | {_cell(h.get('version'))} |")
    for m in indicators:
        h = m.header
        lines += ["", f"## {h['id']}", "", f"**{_cell(h.get('name_de'))}** / {_cell(h.get('name_en'))}", ""]
        for key, label in (("domain", "Domain"), ("formula", "Formula"), ("definition", "Definition"), ("numerator", "Numerator"),
                           ("denominator", "Denominator"), ("sources", "Source tables"), ("unit", "Unit"),
                           ("lowest_level", "Lowest level"), ("reference_date", "Reference date"),
                           ("reference_sets", "Reference sets"), ("series_breaks", "Series breaks"),
                           ("caveats", "Caveats"), ("version", "Version")):
            if h.get(key) not in (None, "", []):
                lines.append(f"- {label}: {_cell(h.get(key))}")
        history = changelog(h, m.path.name)
        if history:
            lines.append("- Version history:")
            for entry in history:
                date = f" ({entry['date']})" if entry["date"] else ""
                lines.append(f"  - {entry['version']}{date}: {_cell(entry['change'])}")
        lines.append(f"- File: [`{m.path.name}`]({m.path.name})")
    return "\n".join(lines) + "\n"
