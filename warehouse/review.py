"""Indicator review before publishing: what the working warehouse would change in the published snapshot.

`diff_indicators(working, published)` compares two DuckDB connections per published indicator id
(marts.indicator_catalog and marts.indicator_value, whatever file an indicator comes from):

- added / retired: the id is only in the working warehouse / only in the snapshot;
- changed definition: another version, or a changed catalogue entry (header);
- changed values: rows added, removed or changed, with the largest absolute and relative change,
  and how many Kreise move by more than a threshold (in the indicator's unit);
- unchanged.

A changed formula (the catalogue's definition_sha256: the SQL and the keys the roll-up reads) whose
values moved while the version stayed is an error, as is a version that went back: the state office
bumps the version (and writes a changelog line) before anything is published. Where the published
entry has no definition_sha256 (a snapshot from before the hash), the diff cannot tell whether the
definition changed and says so in its notes instead of calling the indicator unchanged.
"""

from __future__ import annotations

import getpass
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from warehouse.connection import connect, table_exists
from warehouse.publish import current_snapshot, open_snapshot, publish

ADDED, RETIRED, CHANGED_DEFINITION, CHANGED_VALUES, UNCHANGED = (
    "added", "retired", "changed definition", "changed values", "unchanged")
STATUSES = (ADDED, RETIRED, CHANGED_DEFINITION, CHANGED_VALUES, UNCHANGED)
# catalogue columns that say where an indicator lives or what it rests on, not what it is
NOT_DEFINITION = frozenset({"indicator_id", "version", "table_name", "sql_file", "is_synthetic", "definition_sha256"})
TOLERANCE = 1e-9  # relative: a rebuild of the same inputs gives the same doubles, this only absorbs summation order
DEFAULT_THRESHOLD = 1.0


class ReviewError(RuntimeError):
    """The diff has errors the state office resolves before publishing (a formula changed under the same version)."""


@dataclass(frozen=True)
class ValueChange:
    """One region's value before and after."""

    ags: str
    level: str
    period: int
    region_name: str | None
    before: float
    after: float
    change: float  # after - before, in the indicator's unit
    relative_change: float | None  # change / |before|; None when before is 0


@dataclass
class IndicatorDiff:
    """What publishing the working warehouse would do to one indicator."""

    indicator_id: str
    status: str
    name_en: str | None = None
    unit: str | None = None
    version_before: int | None = None
    version_after: int | None = None
    changed_fields: list[str] = field(default_factory=list)  # catalogue entries that differ
    sql_changed: bool | None = None  # definition hash differs; None when the snapshot has none
    rows_before: int = 0
    rows_after: int = 0
    rows_added: int = 0
    rows_removed: int = 0
    rows_changed: int = 0
    largest_absolute: ValueChange | None = None
    largest_relative: ValueChange | None = None
    kreise_beyond_threshold: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the diff cannot tell (no definition hash to compare)

    @property
    def values_changed(self) -> bool:
        return bool(self.rows_added or self.rows_removed or self.rows_changed)


@dataclass
class Diff:
    """The diff of every indicator, against the snapshot `published` (None: nothing published yet)."""

    published: str | None
    threshold: float
    indicators: list[IndicatorDiff]

    @property
    def errors(self) -> list[str]:
        return [error for indicator in self.indicators for error in indicator.errors]

    @property
    def notes(self) -> list[str]:
        return [note for indicator in self.indicators for note in indicator.notes]

    @property
    def counts(self) -> dict[str, int]:
        return {status: sum(1 for i in self.indicators if i.status == status) for status in STATUSES}

    @property
    def has_changes(self) -> bool:
        return any(i.status != UNCHANGED for i in self.indicators)

    def summary(self) -> str:
        """One line: 1 added, 2 changed values, 55 unchanged (and the errors)."""
        parts = [f"{count} {status}" for status, count in self.counts.items() if count]
        line = ", ".join(parts) or "no indicators"
        if not self.has_changes:
            line = f"no changes ({line})"
        untold = sum(1 for i in self.indicators if i.notes)
        if untold:
            line += f"; cannot tell whether the definition changed for {untold} (no definition_sha256 to compare)"
        if self.errors:
            line += f"; {len(self.errors)} error{'s' if len(self.errors) > 1 else ''}: " + "; ".join(self.errors)
        return line

    def to_dict(self) -> dict[str, Any]:
        """A plain document; keys and order are stable (sorted by indicator id)."""
        return {"published": self.published, "threshold": self.threshold, "summary": self.summary(),
                "counts": self.counts, "errors": self.errors, "notes": self.notes,
                "indicators": [asdict(i) for i in self.indicators]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, sort_keys=False)


def diff_indicators(working: duckdb.DuckDBPyConnection, published: duckdb.DuckDBPyConnection | None, *,
                    threshold: float = DEFAULT_THRESHOLD) -> Diff:
    """Compare the working warehouse with the published snapshot (None: nothing published), per indicator id."""
    after_catalog = _catalog(working)
    before_catalog = _catalog(published) if published is not None else {}
    label = _label(published) if published is not None else None
    compare = duckdb.connect()  # the two sides meet here, so neither file is attached to the other
    try:
        _copy_values(compare, "after_values", working)
        _copy_values(compare, "before_values", published)
        if table_exists(working, "core", "region"):
            names = working.execute("SELECT ags, level, any_value(name) AS name FROM core.region GROUP BY ALL").to_arrow_table()
            compare.execute("CREATE TEMPORARY TABLE region_names AS SELECT * FROM names")
        else:
            compare.execute("CREATE TEMPORARY TABLE region_names (ags VARCHAR, level VARCHAR, name VARCHAR)")
        compare.execute(_ROWS_SQL)
        counts = {row[0]: row[1:] for row in compare.execute(
            "SELECT indicator_id, count(*) FILTER (WHERE kind <> 'added'), count(*) FILTER (WHERE kind <> 'removed'), "
            "count(*) FILTER (WHERE kind = 'added'), count(*) FILTER (WHERE kind = 'removed'), "
            "count(*) FILTER (WHERE kind = 'changed'), "
            "count(DISTINCT ags) FILTER (WHERE kind = 'changed' AND level = 'kreis' AND abs(after - before) > ?) "
            "FROM compared GROUP BY indicator_id", [threshold]).fetchall()}
        largest_absolute = _largest(compare, "abs(after - before)")
        largest_relative = _largest(compare, "abs(after - before) / abs(before)", "before <> 0")
    finally:
        compare.close()

    indicators = []
    for indicator_id in sorted(set(after_catalog) | set(before_catalog) | set(counts)):
        before, after = before_catalog.get(indicator_id), after_catalog.get(indicator_id)
        entry = after or before or {}
        diff = IndicatorDiff(indicator_id=indicator_id, status=UNCHANGED, name_en=entry.get("name_en"),
                             unit=entry.get("unit"), version_before=_version(before), version_after=_version(after))
        (diff.rows_before, diff.rows_after, diff.rows_added, diff.rows_removed, diff.rows_changed,
         diff.kreise_beyond_threshold) = counts.get(indicator_id, (0, 0, 0, 0, 0, 0))
        diff.largest_absolute = largest_absolute.get(indicator_id)
        diff.largest_relative = largest_relative.get(indicator_id)
        if before is None:
            diff.status = ADDED
        elif after is None:
            diff.status = RETIRED
        else:
            diff.changed_fields = sorted(key for key in set(before) & set(after)
                                         if key not in NOT_DEFINITION and _plain(before[key]) != _plain(after[key]))
            if before.get("definition_sha256") and after.get("definition_sha256"):
                diff.sql_changed = before["definition_sha256"] != after["definition_sha256"]
            else:
                diff.notes = [_untold(diff, "published" if not before.get("definition_sha256") else "working")]
            if diff.version_before != diff.version_after or diff.changed_fields:
                diff.status = CHANGED_DEFINITION
            elif diff.values_changed:
                diff.status = CHANGED_VALUES
            diff.errors = _version_errors(diff)
        indicators.append(diff)
    return Diff(published=label, threshold=threshold, indicators=indicators)


def _untold(diff: IndicatorDiff, side: str) -> str:
    """The note for an indicator whose definitions cannot be compared (one side has no definition hash)."""
    return (f"cannot tell whether the definition of {diff.indicator_id} changed: the {side} catalogue has no "
            f"definition_sha256 for it (built before definitions were hashed), so a formula changed under "
            f"version {diff.version_after} would go unnoticed")


def _version_errors(diff: IndicatorDiff) -> list[str]:
    """A formula changed under the same version, or a version that went back."""
    errors = []
    if diff.version_before is not None and diff.version_after is not None and diff.version_after < diff.version_before:
        errors.append(f"version of {diff.indicator_id} went back from {diff.version_before} to {diff.version_after}")
    elif diff.version_before == diff.version_after and diff.sql_changed and (diff.rows_changed or diff.rows_removed):
        errors.append(f"values of {diff.indicator_id} changed but version is still {diff.version_after}")
    return errors


_ROWS_SQL = f"""
CREATE TEMPORARY TABLE compared AS
WITH joined AS (
    SELECT coalesce(a.indicator_id, b.indicator_id) AS indicator_id, coalesce(a.ags, b.ags) AS ags,
           coalesce(a.level, b.level) AS level, coalesce(a.period, b.period) AS period,
           b.value AS before, a.value AS after,
           CASE
               WHEN b.indicator_id IS NULL THEN 'added'
               WHEN a.indicator_id IS NULL THEN 'removed'
               WHEN {{same_value}} AND {{same_numerator}} AND {{same_denominator}}
                    AND a.flag IS NOT DISTINCT FROM b.flag THEN 'same'
               ELSE 'changed'
           END AS kind
    FROM after_values AS a
    FULL JOIN before_values AS b
      ON a.indicator_id = b.indicator_id AND a.ags = b.ags AND a.level = b.level AND a.period = b.period
)
SELECT j.*, r.name AS region_name FROM joined AS j LEFT JOIN region_names AS r USING (ags, level)
""".format(**{
    f"same_{column}": f"(a.{column} IS NULL AND b.{column} IS NULL OR "
                      f"abs(a.{column} - b.{column}) <= {TOLERANCE} * greatest(1, abs(b.{column})))"
    for column in ("value", "numerator", "denominator")
})


def _largest(compare: duckdb.DuckDBPyConnection, size: str, condition: str = "true") -> dict[str, ValueChange]:
    """Per indicator the changed row with the largest `size`; ties go to the smallest key, so answers are stable."""
    rows = compare.execute(
        f"""
        SELECT indicator_id, ags, level, period, region_name, before, after FROM compared
        WHERE kind = 'changed' AND before IS NOT NULL AND after IS NOT NULL AND {condition} AND {size} > 0
        QUALIFY row_number() OVER (PARTITION BY indicator_id ORDER BY {size} DESC, ags, level, period) = 1
        """
    ).fetchall()
    return {row[0]: ValueChange(ags=row[1], level=row[2], period=row[3], region_name=row[4], before=row[5],
                                after=row[6], change=row[6] - row[5],
                                relative_change=(row[6] - row[5]) / abs(row[5]) if row[5] else None)
            for row in rows}


def _copy_values(compare: duckdb.DuckDBPyConnection, name: str, connection: duckdb.DuckDBPyConnection | None) -> None:
    """marts.indicator_value of one side as a table of the comparing connection (empty when there is none)."""
    compare.execute(f"CREATE TEMPORARY TABLE {name} (indicator_id VARCHAR, ags VARCHAR, level VARCHAR, period INTEGER, "
                    "value DOUBLE, numerator DOUBLE, denominator DOUBLE, flag VARCHAR)")
    if connection is not None and _has_columns(connection, "indicator_value", VALUE_COLUMNS):
        side = connection.execute(  # noqa: F841 - read by name below (Arrow replacement scan)
            f"SELECT {', '.join(VALUE_COLUMNS)} FROM marts.indicator_value").to_arrow_table()
        compare.execute(f"INSERT INTO {name} SELECT * FROM side")


VALUE_COLUMNS = ("indicator_id", "ags", "level", "period", "value", "numerator", "denominator", "flag")


def _has_columns(connection: duckdb.DuckDBPyConnection, table: str, columns) -> bool:
    """Does marts.<table> exist with these columns (a warehouse built before the models, or a test's toy, may not)?"""
    present = {row[0] for row in connection.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'marts' AND table_name = ?", [table]).fetchall()}
    return set(columns) <= present


def _catalog(connection: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    if not _has_columns(connection, "indicator_catalog", ("indicator_id", "version")):
        return {}
    cursor = connection.execute("SELECT * FROM marts.indicator_catalog")
    columns = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(columns, row)) for row in cursor.fetchall()}


def _label(connection: duckdb.DuckDBPyConnection) -> str:
    try:
        row = connection.execute("SELECT run_id FROM meta.publication").fetchone()
    except duckdb.CatalogException:
        row = None
    return row[0] if row else "published snapshot"


def _version(entry: dict[str, Any] | None) -> int | None:
    return None if entry is None or entry.get("version") is None else int(entry["version"])


def _plain(value: Any) -> Any:
    """JSON columns compare by content, not by spelling."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# --- the diff as text ------------------------------------------------------------------------------


def describe_change(change: ValueChange | None, unit: str | None, *, relative: bool = False) -> str:
    """'+3.2 pct in Landkreis X (kreis 09162000, 2023): 12.0 → 15.2'."""
    if change is None:
        return ""
    amount = (f"{change.relative_change:+.1%}" if relative and change.relative_change is not None
              else f"{change.change:+,.4g} {unit or ''}".rstrip())
    where = f"{change.region_name or change.ags} ({change.level} {change.ags}, {change.period})"
    return f"{amount} in {where}: {change.before:,.4g} → {change.after:,.4g}"


def version_text(diff: IndicatorDiff) -> str:
    if diff.version_before == diff.version_after:
        return str(diff.version_after)
    return f"{'' if diff.version_before is None else diff.version_before} → {'' if diff.version_after is None else diff.version_after}".strip()


def rows_text(diff: IndicatorDiff) -> str:
    if diff.status in (ADDED, RETIRED):
        return f"{diff.rows_after if diff.status == ADDED else diff.rows_before:,} rows"
    if not diff.values_changed:
        return "identical" + (" (SQL changed)" if diff.sql_changed else " (definition: cannot tell)" if diff.notes else "")
    return f"+{diff.rows_added:,} −{diff.rows_removed:,} ~{diff.rows_changed:,} of {diff.rows_before:,}"


def diff_markdown(diff: Diff) -> str:
    """The diff as a Markdown page for tickets, e-mails and the flow run's artifact."""
    lines = [f"# Indicator diff against {diff.published or 'nothing published'}", "", f"**{diff.summary()}**", ""]
    if diff.errors:
        lines += ["## Errors to resolve before publishing", ""] + [f"- {error}" for error in diff.errors] + [""]
    if diff.notes:
        lines += ["## What this diff cannot tell", ""] + [f"- {note}" for note in diff.notes] + [""]
    changed = [i for i in diff.indicators if i.status != UNCHANGED]
    if changed:
        lines += ["| indicator | status | version | rows (+ added − removed ~ changed) | largest change | largest relative change "
                  f"| Kreise moving > {diff.threshold:g} | changed header fields |",
                  "|---|---|---|---|---|---|---|---|"]
        for i in changed:
            cells = [f"{i.indicator_id} {i.name_en or ''}".strip(), i.status, version_text(i), rows_text(i),
                     describe_change(i.largest_absolute, i.unit), describe_change(i.largest_relative, i.unit, relative=True),
                     str(i.kreise_beyond_threshold) if i.status not in (ADDED, RETIRED) else "",
                     ", ".join(i.changed_fields)]
            lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
        lines.append("")
    unchanged = [i.indicator_id for i in diff.indicators if i.status == UNCHANGED]
    if unchanged:
        lines += [f"Unchanged ({len(unchanged)}): {', '.join(unchanged)}", ""]
    return "\n".join(lines)


# --- the publish record -----------------------------------------------------------------------------


def default_operator() -> str:
    """The user name of this process: who approved a publish unless `--by` names someone."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def record_publication(connection: duckdb.DuckDBPyConnection, diff: Diff, *, run_id: str, operator: str, via: str,
                       previous_snapshot: str | None) -> None:
    """Write the publish record into meta.publish_log of the working warehouse (before it is copied)."""
    connection.execute(
        "INSERT INTO meta.publish_log (published_at, run_id, operator, via, previous_snapshot, summary, diff) "
        "VALUES (now(), ?, ?, ?, ?, ?, ?)",
        [run_id, operator, via, previous_snapshot, diff.summary(), diff.to_json()])


def withdraw_record(connection: duckdb.DuckDBPyConnection, *, run_id: str) -> None:
    """Remove the newest record of `run_id`: its publish failed after the record was written."""
    connection.execute("DELETE FROM meta.publish_log WHERE run_id = ? AND published_at = "
                       "(SELECT max(published_at) FROM meta.publish_log WHERE run_id = ?)", [run_id, run_id])


def publications(connection: duckdb.DuckDBPyConnection, limit: int = 5) -> list[dict[str, Any]]:
    """The newest publish records (without the full diff), newest first; [] when there are none."""
    if not table_exists(connection, "meta", "publish_log"):
        return []
    cursor = connection.execute(
        "SELECT published_at::VARCHAR AS published_at, run_id, operator, via, previous_snapshot, summary "
        "FROM meta.publish_log ORDER BY published_at DESC LIMIT ?", [limit])
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def diff_files(working_path: Path | str, published_dir: Path | str, *, threshold: float = DEFAULT_THRESHOLD) -> Diff:
    """The diff of the working warehouse file against the current snapshot, both opened read-only."""
    working, published = connect(working_path, read_only=True), None
    try:
        published = open_snapshot(published_dir) if current_snapshot(published_dir) is not None else None
        return diff_indicators(working, published, threshold=threshold)
    finally:
        working.close()
        if published is not None:
            published.close()


def publish_reviewed(working_path: Path | str, published_dir: Path | str, diff: Diff, *, run_id: str, operator: str,
                     via: str, keep: int = 5) -> Path:
    """Record the publish (diff, run, operator) in the working warehouse, then publish it, so the snapshot carries it.

    Refuses a diff with errors (a changed formula under the same version); a failed copy removes the record again.
    """
    if diff.errors:
        raise ReviewError("; ".join(diff.errors))
    previous = current_snapshot(published_dir)
    connection = connect(working_path)
    try:
        record_publication(connection, diff, run_id=run_id, operator=operator, via=via,
                           previous_snapshot=previous.name if previous else None)
    finally:
        connection.close()
    try:
        return publish(working_path, published_dir, run_id=run_id, keep=keep)
    except BaseException:
        connection = connect(working_path)
        try:
            withdraw_record(connection, run_id=run_id)
        finally:
            connection.close()
        raise
