"""The queries behind the read endpoints: indicator values, regions, a region's profile with its peer groups.

Peer groups (Vergleichsringe) and their values come from the models core.peer_group and
marts.indicator_comparison; a snapshot without them gets profiles without a peer group.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

LEVEL_OF_LENGTH = {2: "land", 3: "regierungsbezirk", 5: "kreis", 8: "gemeinde"}
LEVELS = ("deutschland", "land", "regierungsbezirk", "kreis", "gemeinde")


class UnknownRegion(LookupError):
    """A region key that is malformed or not in the register."""


def parse_region(key: str, level: str | None = None) -> tuple[str, str]:
    """A key as users type it → (ags, level): DG Germany, 09 Land, 09162 Kreis, 09162000 Gemeinde."""
    key = key.strip()
    if key.upper() in ("DG", "DE", "0", "00000000"):
        return "00000000", "deutschland"
    if not key.isdigit() or len(key) not in LEVEL_OF_LENGTH:
        raise UnknownRegion(f"region {key!r}: give Germany (DG), a Land (09), a Kreis (09162) or a Gemeinde (09162000)")
    return key.ljust(8, "0"), level or LEVEL_OF_LENGTH[len(key)]


def indicator_values(cursor: duckdb.DuckDBPyConnection, *, indicators: list[str] | None, region: tuple[str, str] | None,
                     level: str | None, land: str | None, period_from: int | None, period_to: int | None) -> pa.Table:
    """Rows of marts.indicator_value with the region's name, filtered."""
    conditions, parameters = [], []
    if indicators:
        conditions.append("v.indicator_id IN (SELECT unnest(?))")
        parameters.append([i.upper() for i in indicators])
    if region:
        conditions.append("v.ags = ? AND v.level = ?")
        parameters += list(region)
    if level:
        conditions.append("v.level = ?")
        parameters.append(level)
    if land:
        conditions.append("left(v.ags, 2) = ?")
        parameters.append(land[:2])
    if period_from is not None:
        conditions.append("v.period >= ?")
        parameters.append(period_from)
    if period_to is not None:
        conditions.append("v.period <= ?")
        parameters.append(period_to)
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
        """,
        parameters,
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


def region_profile(cursor: duckdb.DuckDBPyConnection, ags: str, level: str) -> dict[str, Any]:
    """All indicators of one region with its Land, Germany and its peer group, as one document."""
    region = _one(cursor, "SELECT ags, level, name, text_code, land_ags, kreis_ags, population FROM core.region "
                          "WHERE ags = ? AND level = ?", [ags, level])
    if region is None:
        raise UnknownRegion(f"no {level} with key {ags} in the register")
    land = _one(cursor, "SELECT ags, level, name FROM core.region WHERE ags = ? AND level = 'land'", [region["land_ags"]]) \
        if region["land_ags"] and level != "land" else None
    germany = _one(cursor, "SELECT ags, level, name FROM core.region WHERE level = 'deutschland'", [])
    groups = peer_groups(cursor, ags) if level == "kreis" else []
    default = next((g for g in groups if g["is_default"]), None)
    rows = profile_rows(cursor, ags, level)
    comparisons = _comparisons(cursor, ags) if groups else []
    peers = _default_group_values(cursor, default["group_id"], ags) if default else []
    indicators = []
    for entry in catalog(cursor).to_pylist():
        mine = entry["indicator_id"]
        series = []
        for row in (r for r in rows if r["indicator_id"] == mine):
            row = {k: v for k, v in row.items() if k != "indicator_id"}
            row["groups"] = [{k: c[k] for k in ("group_id", "peer_value", "peer_method", "peer_members")}
                             for c in comparisons if c["indicator_id"] == mine and c["period"] == row["period"]]
            series.append(row)
        indicators.append({**{k: entry.get(k) for k in ("indicator_id", "version", "name_de", "name_en", "domain", "unit",
                                                         "definition", "numerator", "denominator", "sources", "lowest_level",
                                                         "reference_date", "caveats")},
                           "series": series,
                           "peers": [{k: v for k, v in r.items() if k != "indicator_id"} for r in peers if r["indicator_id"] == mine]})
    return {"region": region, "land": land, "germany": germany, "peer_group": default,
            "other_groups": [g for g in groups if not g["is_default"]], "indicators": indicators}


def peer_groups(cursor: duckdb.DuckDBPyConnection, ags: str) -> list[dict[str, Any]]:
    """The comparison groups (core.peer_group) a Kreis belongs to, the default one first, with their members."""
    if not _exists(cursor, "core", "peer_group"):
        return []
    result = cursor.execute(
        "SELECT group_id, group_name, is_default, kreis_type, size_class FROM core.peer_group WHERE ags = ? "
        "ORDER BY NOT is_default, group_id", [ags])
    columns = [d[0] for d in result.description]
    groups = [dict(zip(columns, row)) for row in result.fetchall()]
    for group in groups:
        group["members"] = [{"ags": a, "name": n} for a, n in cursor.execute(
            "SELECT p.ags, r.name FROM core.peer_group p JOIN core.region r ON r.ags = p.ags AND r.level = 'kreis' "
            "WHERE p.group_id = ? ORDER BY p.ags", [group["group_id"]]).fetchall()]
        group["definition"] = PEER_DEFINITION if group["is_default"] else PEER_DEFINITION_USER
    return groups


PEER_DEFINITION = (
    "The Kreise of the same type (kreisfreie Stadt: GV100AD text codes 41, 42 and the city-states; Landkreis: 43, 44, 45) "
    "and size class (under 150,000; 150,000 to under 300,000; 300,000 and more inhabitants), this Kreis included. "
    "Group value: sum of the members' numerators / sum of their denominators for indicators with counts "
    "(peer_method counts), else the median of the members' values (median). Model: marts.indicator_comparison.")
PEER_DEFINITION_USER = ("A comparison group defined by the state office (sources/curated/peer_groups.csv); "
                        "its value is computed like the default group's.")


def _comparisons(cursor: duckdb.DuckDBPyConnection, ags: str) -> list[dict[str, Any]]:
    """Every group value of a Kreis per indicator and period (marts.indicator_comparison)."""
    if not _exists(cursor, "marts", "indicator_comparison"):
        return []
    return cursor.execute(
        "SELECT indicator_id, period, group_id, peer_value, peer_method, peer_members FROM marts.indicator_comparison "
        "WHERE ags = ? ORDER BY indicator_id, period, NOT is_default, group_id", [ags]).to_arrow_table().to_pylist()


def _default_group_values(cursor: duckdb.DuckDBPyConnection, group_id: str, ags: str) -> list[dict[str, Any]]:
    """The values of the default group's members in each indicator's latest period (for the comparison chart)."""
    return cursor.execute(
        """
        WITH members AS (SELECT ags FROM core.peer_group WHERE group_id = ?),
        latest AS (SELECT indicator_id, max(period) AS period FROM marts.indicator_value
                   WHERE level = 'kreis' AND ags IN (SELECT ags FROM members) AND value IS NOT NULL GROUP BY indicator_id)
        SELECT v.indicator_id, v.ags, r.name, v.period, v.value, v.ags = ? AS is_region
        FROM marts.indicator_value v
        JOIN latest USING (indicator_id, period)
        JOIN core.region r ON r.ags = v.ags AND r.level = 'kreis'
        WHERE v.level = 'kreis' AND v.ags IN (SELECT ags FROM members) AND v.value IS NOT NULL
        ORDER BY v.indicator_id, v.value
        """,
        [group_id, ags],
    ).to_arrow_table().to_pylist()


def profile_rows(cursor: duckdb.DuckDBPyConnection, ags: str, level: str) -> list[dict[str, Any]]:
    """One row per indicator and period: the region, its Land, Germany and its default peer group."""
    return profile_table(cursor, ags, level).to_pylist()


def profile_table(cursor: duckdb.DuckDBPyConnection, ags: str, level: str) -> pa.Table:
    """The profile as one long table (what the CSV, Parquet and XLSX downloads contain)."""
    if _exists(cursor, "marts", "indicator_comparison"):
        peer = ("SELECT indicator_id, period, peer_value, peer_method, peer_members, group_name AS peer_group "
                "FROM marts.indicator_comparison WHERE ags = $ags AND $level = 'kreis' AND is_default")
    else:  # a snapshot from before the comparison model
        peer = ("SELECT NULL::VARCHAR AS indicator_id, NULL::INTEGER AS period, NULL::DOUBLE AS peer_value, "
                "NULL::VARCHAR AS peer_method, NULL::BIGINT AS peer_members, NULL::VARCHAR AS peer_group WHERE false")
    return cursor.execute(
        f"""
        WITH peer AS ({peer}),
        mine AS (SELECT * FROM marts.indicator_value WHERE ags = $ags AND level = $level),
        land AS (SELECT v.* FROM marts.indicator_value v JOIN core.region r ON r.ags = $ags AND r.level = $level
                 WHERE v.level = 'land' AND v.ags = r.land_ags AND $level <> 'land'),
        germany AS (SELECT * FROM marts.indicator_value WHERE level = 'deutschland'),
        periods AS (SELECT indicator_id, period FROM mine UNION SELECT indicator_id, period FROM land
                    UNION SELECT indicator_id, period FROM germany)
        SELECT p.indicator_id, c.name_en, c.unit, p.period,
               $ags AS ags, $level AS level,
               m.value, m.flag, m.numerator, m.denominator,
               l.value AS land_value, g.value AS germany_value,
               peer.peer_value, peer.peer_method, peer.peer_members, peer.peer_group
        FROM periods p
        JOIN marts.indicator_catalog c USING (indicator_id)
        LEFT JOIN mine m USING (indicator_id, period)
        LEFT JOIN land l USING (indicator_id, period)
        LEFT JOIN germany g USING (indicator_id, period)
        LEFT JOIN peer USING (indicator_id, period)
        ORDER BY p.indicator_id, p.period
        """,
        {"ags": ags, "level": level},
    ).to_arrow_table()


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
    return {"publication": publication, "run": run}


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


def _one(cursor: duckdb.DuckDBPyConnection, sql: str, parameters) -> dict[str, Any] | None:
    result = cursor.execute(sql, parameters)
    row = result.fetchone()
    return dict(zip([d[0] for d in result.description], row)) if row else None
