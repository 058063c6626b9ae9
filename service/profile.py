"""The queries behind the read endpoints: indicator values, regions, a region's profile with its peer groups.

Peer groups (Vergleichsringe) and their values come from the models core.peer_group and
marts.indicator_comparison; a snapshot without them gets profiles without a peer group.
"""

from __future__ import annotations

import json
import re
from typing import Any

import duckdb
import pyarrow as pa

from warehouse.review import publications

LEVEL_OF_LENGTH = {2: "land", 3: "regierungsbezirk", 5: "kreis", 8: "gemeinde"}
LEVELS = ("deutschland", "land", "regierungsbezirk", "kreis", "gemeinde")
REGION_KEY = re.compile(r"[0-9]{2,8}")


class UnknownRegion(LookupError):
    """A region key that is malformed or not in the register."""


def parse_region(key: str, level: str | None = None) -> tuple[str, str]:
    """A key as users type it → (ags, level): DG Germany, 09 Land, 09162 Kreis, 09162000 Gemeinde."""
    key = key.strip(" ")
    if key.upper() in ("DG", "DE", "0", "00000000"):
        return "00000000", "deutschland"
    if not REGION_KEY.fullmatch(key) or len(key) not in LEVEL_OF_LENGTH:  # ASCII digits only: nothing else is cached
        raise UnknownRegion(f"region {key[:20]!r}: give Germany (DG), a Land (09), a Kreis (09162) or a Gemeinde (09162000)")
    return key.ljust(8, "0"), level or LEVEL_OF_LENGTH[len(key)]


def indicator_values(cursor: duckdb.DuckDBPyConnection, *, indicators: list[str] | None, region: tuple[str, str] | None,
                     level: str | None, land: str | None, period_from: int | None, period_to: int | None) -> pa.Table:
    """Rows of marts.indicator_value with the region's name, filtered."""
    # keys as literals, not parameters (see _quoted): user input, so each is quoted
    conditions = []
    if indicators:
        conditions.append(f"v.indicator_id IN ({', '.join(_quoted(i.upper()) for i in indicators)})")
    if region:
        conditions.append(f"v.ags = {_quoted(region[0])} AND v.level = {_quoted(region[1])}")
    if level:
        conditions.append(f"v.level = {_quoted(level)}")
    if land:
        conditions.append(f"left(v.ags, 2) = {_quoted(land[:2])}")
    if period_from is not None:
        conditions.append(f"v.period >= {int(period_from)}")
    if period_to is not None:
        conditions.append(f"v.period <= {int(period_to)}")
    where = " AND ".join(conditions) or "true"
    return cursor.execute(
        f"""
        SELECT v.indicator_id, v.indicator_version, v.ags, v.level, r.name AS region_name,
               v.* EXCLUDE (indicator_id, indicator_version, ags, level)
        FROM marts.indicator_value v
        LEFT JOIN core.region r USING (ags, level)
        WHERE {where}
        ORDER BY v.indicator_id, list_position(['deutschland', 'land', 'regierungsbezirk', 'kreis', 'gemeinde'], v.level),
                 v.ags, v.period
        """
    ).to_arrow_table()


def regions(cursor: duckdb.DuckDBPyConnection, *, level: str | None = None, with_data: bool = True) -> pa.Table:
    """Regions of the register (by default only those with indicator values), with their Land."""
    return cursor.execute(
        """
        SELECT r.ags, r.level, r.name, r.land_ags, l.name AS land_name, r.population,
               EXISTS (SELECT 1 FROM marts.indicator_value v WHERE v.ags = r.ags AND v.level = r.level) AS has_data
        FROM core.region r
        LEFT JOIN core.region l ON l.ags = r.land_ags AND l.level = 'land'
        WHERE r.level IN ('deutschland', 'land', 'kreis', 'gemeinde') AND (? IS NULL OR r.level = ?)
          AND (NOT ? OR EXISTS (SELECT 1 FROM marts.indicator_value v WHERE v.ags = r.ags AND v.level = r.level))
        ORDER BY r.ags, list_position(['deutschland', 'land', 'kreis', 'gemeinde'], r.level)
        """,
        [level, level, with_data],
    ).to_arrow_table()


def catalog(cursor: duckdb.DuckDBPyConnection) -> pa.Table:
    """The indicator catalogue."""
    return cursor.execute("SELECT * FROM marts.indicator_catalog ORDER BY indicator_id").to_arrow_table()


CATALOG_FIELDS = ("indicator_id", "version", "name_de", "name_en", "domain", "unit", "definition", "numerator",
                  "denominator", "sources", "lowest_level", "reference_date", "caveats", "changelog")
GROUP_VALUE_FIELDS = ("group_id", "peer_value", "peer_method", "peer_members")
REGION_FIELDS = ("ags", "level", "name", "text_code", "land_ags", "kreis_ags", "population")
# One row per indicator and period of a profile (what the CSV, Parquet and XLSX downloads contain)
PROFILE_SCHEMA = pa.schema([
    ("indicator_id", pa.string()), ("name_en", pa.string()), ("unit", pa.string()), ("period", pa.int32()),
    ("ags", pa.string()), ("level", pa.string()), ("value", pa.float64()), ("flag", pa.string()),
    ("numerator", pa.float64()), ("denominator", pa.float64()), ("land_value", pa.float64()),
    ("germany_value", pa.float64()), ("peer_value", pa.float64()), ("peer_method", pa.string()),
    ("peer_members", pa.int64()), ("peer_group", pa.string()),
    # the region's value rests on data generated for the offline sample (a series can be partly real)
    ("is_synthetic", pa.bool_()),
])


class ProfileParts:
    """What the profiles of one snapshot share, read once: regions, catalogue, peer groups and values.

    A snapshot never changes, so the service keeps one of these per snapshot (readers.Read.memo);
    the values of a level, a Land, a group are read at their first ask, so a profile after that
    is assembled without a query.
    """

    def __init__(self, cursor: duckdb.DuckDBPyConnection):
        self.catalog = [{k: entry.get(k) for k in CATALOG_FIELDS} for entry in catalog(cursor).to_pylist()]
        for entry in self.catalog:  # the version history (JSON in the catalogue; absent in older snapshots)
            entry["changelog"] = json.loads(entry["changelog"]) if entry["changelog"] else []
        self.has_comparison = _exists(cursor, "marts", "indicator_comparison")
        self.groups_of_kreis: dict[str, list[dict[str, Any]]] = {}
        self._group_values: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self._area_values: dict[tuple[str, str | None], dict[tuple[str, int], float | None]] = {}
        self._values_of_level: dict[str, dict[str, list[tuple]]] = {}
        self._comparisons: dict[str, list[dict[str, Any]]] | None = None
        self.regions = {(row[0], row[1]): dict(zip(REGION_FIELDS, row)) for row in cursor.execute(
            f"SELECT {', '.join(REGION_FIELDS)} FROM core.region WHERE ags IS NOT NULL").fetchall()}
        if _exists(cursor, "core", "peer_group"):
            self._read_groups(cursor)

    def region(self, ags: str, level: str) -> dict[str, Any]:
        """The register's row of a region; UnknownRegion if it has none."""
        if (ags, level) not in self.regions:
            raise UnknownRegion(f"no {level} with key {ags} in the register")
        return self.regions[(ags, level)]

    def brief(self, ags: str, level: str) -> dict[str, Any] | None:
        """Key, level and name of a region (a profile's Land and Germany), or None if the register has none."""
        found = self.regions.get((ags, level))
        return {k: found[k] for k in ("ags", "level", "name")} if found else None

    def _read_groups(self, cursor: duckdb.DuckDBPyConnection) -> None:
        members: dict[str, list[dict[str, str]]] = {}
        for group_id, ags, name in cursor.execute(
                "SELECT p.group_id, p.ags, r.name FROM core.peer_group p "
                "JOIN core.region r ON r.ags = p.ags AND r.level = 'kreis' ORDER BY p.group_id, p.ags").fetchall():
            members.setdefault(group_id, []).append({"ags": ags, "name": name})
        result = cursor.execute("SELECT ags, group_id, group_name, is_default, kreis_type, size_class FROM core.peer_group "
                                "ORDER BY ags, NOT is_default, group_id")
        columns = [d[0] for d in result.description][1:]
        for ags, *values in result.fetchall():
            group = dict(zip(columns, values))
            group["members"] = members.get(group["group_id"], [])
            group["definition"] = PEER_DEFINITION if group["is_default"] else PEER_DEFINITION_USER
            self.groups_of_kreis.setdefault(ags, []).append(group)

    def group_values(self, cursor: duckdb.DuckDBPyConnection, group_id: str) -> dict[str, list[dict[str, Any]]]:
        """Per indicator, the members' values of a group in its latest period (read once per group).

        The rows are shared by every profile of the group (never changed); a profile copies only its own row.
        """
        if group_id not in self._group_values:
            grouped: dict[str, list[dict[str, Any]]] = {}
            for row in _default_group_values(cursor, group_id):
                grouped.setdefault(row.pop("indicator_id"), []).append({**row, "is_region": False})
            self._group_values[group_id] = grouped
        return self._group_values[group_id]

    def values(self, cursor: duckdb.DuckDBPyConnection, ags: str, level: str) -> list[tuple]:
        """(indicator_id, period, value, flag, numerator, denominator, is_synthetic) of one region; a level is read at its first ask."""
        if level not in self._values_of_level:
            grouped: dict[str, list[tuple]] = {}
            for row in cursor.execute("SELECT ags, indicator_id, period, value, flag, numerator, denominator, is_synthetic "
                                      f"FROM marts.indicator_value WHERE level = {_quoted(level)}").fetchall():
                grouped.setdefault(row[0], []).append(row[1:])
            self._values_of_level[level] = grouped
        return self._values_of_level[level].get(ags, [])

    def comparisons(self, cursor: duckdb.DuckDBPyConnection, ags: str) -> list[dict[str, Any]]:
        """Every group value of a Kreis per indicator and period, the default group first (read at the first ask)."""
        if not self.has_comparison:
            return []
        if self._comparisons is None:
            grouped: dict[str, list[dict[str, Any]]] = {}
            for row in cursor.execute(
                    "SELECT ags, indicator_id, period, group_id, group_name, is_default, peer_value, peer_method, peer_members "
                    "FROM marts.indicator_comparison ORDER BY ags, indicator_id, period, NOT is_default, group_id"
            ).to_arrow_table().to_pylist():
                grouped.setdefault(row.pop("ags"), []).append(row)
            self._comparisons = grouped
        return self._comparisons.get(ags, [])

    def area_values(self, cursor: duckdb.DuckDBPyConnection, level: str,
                    ags: str | None = None) -> dict[tuple[str, int], float | None]:
        """The values of a Land (or of Germany: level only) by indicator and period (read once per area)."""
        if (level, ags) not in self._area_values:
            condition = f"level = {_quoted(level)}" + (f" AND ags = {_quoted(ags)}" if ags else "")
            self._area_values[(level, ags)] = {(i, p): v for i, p, v in cursor.execute(
                f"SELECT indicator_id, period, value FROM marts.indicator_value WHERE {condition}").fetchall()}
        return self._area_values[(level, ags)]


def region_profile(cursor: duckdb.DuckDBPyConnection, ags: str, level: str,
                   parts: ProfileParts | None = None) -> dict[str, Any]:
    """All indicators of one region with its Land, Germany and its peer group, as one document."""
    parts = parts or ProfileParts(cursor)
    region = parts.region(ags, level)
    land = parts.brief(region["land_ags"], "land") if region["land_ags"] and level != "land" else None
    groups = parts.groups_of_kreis.get(ags, []) if level == "kreis" else []
    default = next((g for g in groups if g["is_default"]), None)
    comparisons = parts.comparisons(cursor, ags) if groups else []
    group_values: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in comparisons:
        group_values.setdefault((row["indicator_id"], row["period"]), []).append({k: row[k] for k in GROUP_VALUE_FIELDS})
    series: dict[str, list[dict[str, Any]]] = {}
    for row in _profile_rows(cursor, region, parts, comparisons):
        mine = row.pop("indicator_id")
        row["groups"] = group_values.get((mine, row["period"]), [])
        series.setdefault(mine, []).append(row)
    peers = parts.group_values(cursor, default["group_id"]) if default else {}
    indicators = [{**entry, "series": series.get(entry["indicator_id"], []),
                   "peers": [row if row["ags"] != ags else {**row, "is_region": True}
                             for row in peers.get(entry["indicator_id"], [])]}
                  for entry in parts.catalog]
    return {"region": region, "land": land, "germany": parts.brief("00000000", "deutschland"), "peer_group": default,
            "other_groups": [g for g in groups if not g["is_default"]], "indicators": indicators}


PEER_DEFINITION = (
    "The Kreise of the same type (kreisfreie Stadt: GV100AD text codes 41, 42 and the city-states; Landkreis: 43, 44, 45) "
    "and size class (under 150,000; 150,000 to under 300,000; 300,000 and more inhabitants), this Kreis included. "
    "Group value: sum of the members' numerators / sum of their denominators for indicators with counts "
    "(peer_method counts), else the median of the members' values (median). Model: marts.indicator_comparison.")
PEER_DEFINITION_USER = ("A comparison group defined by the state office (sources/curated/peer_groups.csv); "
                        "its value is computed like the default group's.")


def profile_table(cursor: duckdb.DuckDBPyConnection, ags: str, level: str, parts: ProfileParts | None = None) -> pa.Table:
    """The profile as one long table (what the CSV, Parquet and XLSX downloads contain)."""
    parts = parts or ProfileParts(cursor)
    region = parts.region(ags, level)
    comparisons = parts.comparisons(cursor, ags) if level == "kreis" else []
    return pa.Table.from_pylist(_profile_rows(cursor, region, parts, comparisons), schema=PROFILE_SCHEMA)


def _profile_rows(cursor: duckdb.DuckDBPyConnection, region: dict[str, Any], parts: ProfileParts,
                  comparisons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per indicator and period: the region's value, its Land's, Germany's and its default peer group's.

    Periods are those of the region, its Land or Germany; indicators those of the catalogue.
    """
    ags, level = region["ags"], region["level"]
    mine = {(row[0], row[1]): row[2:] for row in parts.values(cursor, ags, level)}
    land = parts.area_values(cursor, "land", region["land_ags"]) if region["land_ags"] and level != "land" else {}
    germany = parts.area_values(cursor, "deutschland")
    peer = {(c["indicator_id"], c["period"]): c for c in comparisons if c["is_default"]} if level == "kreis" else {}
    names = {entry["indicator_id"]: (entry["name_en"], entry["unit"]) for entry in parts.catalog}
    rows = []
    for indicator_id, period in sorted(k for k in mine.keys() | land.keys() | germany.keys() if k[0] in names):
        value, flag, numerator, denominator, synthetic = mine.get((indicator_id, period), (None, None, None, None, None))
        group = peer.get((indicator_id, period), {})
        rows.append({"indicator_id": indicator_id, "name_en": names[indicator_id][0], "unit": names[indicator_id][1],
                     "period": period, "ags": ags, "level": level, "value": value, "flag": flag,
                     "numerator": numerator, "denominator": denominator,
                     "land_value": land.get((indicator_id, period)), "germany_value": germany.get((indicator_id, period)),
                     "peer_value": group.get("peer_value"), "peer_method": group.get("peer_method"),
                     "peer_members": group.get("peer_members"), "peer_group": group.get("group_name"),
                     "is_synthetic": synthetic})
    return rows


def _default_group_values(cursor: duckdb.DuckDBPyConnection, group_id: str) -> list[dict[str, Any]]:
    """The values of a group's members in each indicator's latest period (for the comparison chart)."""
    return cursor.execute(
        f"""
        WITH members AS (SELECT ags FROM core.peer_group WHERE group_id = {_quoted(group_id)}),
        latest AS (SELECT indicator_id, max(period) AS period FROM marts.indicator_value
                   WHERE level = 'kreis' AND ags IN (SELECT ags FROM members) AND value IS NOT NULL GROUP BY indicator_id)
        SELECT v.indicator_id, v.ags, r.name, v.period, v.value
        FROM marts.indicator_value v
        JOIN latest USING (indicator_id, period)
        JOIN core.region r ON r.ags = v.ags AND r.level = 'kreis'
        WHERE v.level = 'kreis' AND v.ags IN (SELECT ags FROM members) AND v.value IS NOT NULL
        ORDER BY v.indicator_id, v.value
        """
    ).to_arrow_table().to_pylist()


def _exists(cursor: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(cursor.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                               [schema, table]).fetchone()[0])


def status(cursor: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The run behind the snapshot and its validation results per table."""
    run = _one(cursor, "SELECT run_id, mode, outcome, started_at::VARCHAR AS started_at, finished_at::VARCHAR AS finished_at, "
                       "message FROM meta.run ORDER BY started_at DESC LIMIT 1", [])
    publication = None
    try:
        publication = _one(cursor, "SELECT run_id, published_at::VARCHAR AS published_at FROM meta.publication", [])
    except duckdb.CatalogException:
        pass
    return {"publication": publication, "run": run, "publications": publications(cursor)}


def validation_table(cursor: duckdb.DuckDBPyConnection) -> pa.Table:
    """The latest validation of each table in the snapshot: passed, warnings, blocking failures."""
    return cursor.execute(
        """
        WITH latest AS (SELECT table_name, max(run_id) AS run_id FROM meta.validation_result GROUP BY table_name)
        SELECT v.table_name, v.run_id,
               count(*) AS expectations,
               count(*) FILTER (WHERE v.success) AS passed,
               count(*) FILTER (WHERE NOT v.success AND v.severity <> 'critical') AS warnings,
               count(*) FILTER (WHERE NOT v.success AND v.severity = 'critical') AS blocking_failures,
               max(v.validated_at)::VARCHAR AS validated_at
        FROM meta.validation_result v JOIN latest USING (table_name, run_id)
        GROUP BY ALL ORDER BY v.table_name
        """
    ).to_arrow_table()


def _quoted(value: str) -> str:
    """A value as a SQL string literal (quotes doubled).

    The service's lookups name their keys as literals, not parameters: DuckDB plans a statement
    with parameters before it knows their values, so it cannot skip row groups by the key, and a
    lookup in marts.indicator_comparison costs ~6 ms instead of ~0.6 ms.
    """
    return "'" + str(value).replace("'", "''") + "'"


def _one(cursor: duckdb.DuckDBPyConnection, sql: str, parameters) -> dict[str, Any] | None:
    result = cursor.execute(sql, parameters)
    row = result.fetchone()
    return dict(zip([d[0] for d in result.description], row)) if row else None
