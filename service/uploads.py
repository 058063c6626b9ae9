"""County uploads: a county's own CSV tables, validated like every source, kept in its own area.

Format: UTF-8 CSV (comma or semicolon) with a header `ags,period,variable,value` and optionally
`note`: one row per region (5-digit Kreis or 8-digit Gemeinde key inside the county), reporting
year and variable, `value` a count. An upload is checked with the Great Expectations suite
`service/expectations/county_upload.json` plus "every key lies in this county"; a failing
upload gets 422 naming the lines.

Each county has two published areas, both snapshots switched by `warehouse.publish`:
`owner` (the values as delivered, for the county itself) and `shared` (counts below the disclosure
threshold replaced by NULL with `value_flag = 'suppressed_below_threshold'`, for the state office).
Which file a caller gets attached decides what it can read; nothing else needs to be enforced.

Nothing exact about a suppressed cell reaches the shared area: where a Kreis row and Gemeinde rows
of the same year and variable are delivered and a Gemeinde count is suppressed, the Kreis count is
suppressed too (`value_flag = 'suppressed_complementary'`), so no difference recovers it. This is
decided over all of a county's uploads together (a Kreis total in one upload, its Gemeinden in
another), so the shared area is rebuilt from the owner area at every upload. The raw file's SHA-256
stays in the owner area (a hash of a small file is found by trying every value).

Stores written by older versions (a digest or exact complementary totals in the shared area) are
scrubbed once when the service starts (`CountyAreas.scrub_all`, marker `counties/.disclosure-scrubbed`):
each shared area is rebuilt from its owner area and its older snapshots are discarded.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import re
import json
import logging
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pandas as pd

from warehouse.publish import current_snapshot, discard_all_but_current, publish

SUITE_DIR = Path(__file__).with_name("expectations")
SUITE_NAME = "county_upload"
REQUIRED_COLUMNS = ("ags", "period", "variable", "value")
OPTIONAL_COLUMNS = ("note",)
TABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")  # matched whole (fullmatch): no trailing newline slips through
SUPPRESSED = "suppressed_below_threshold"
COMPLEMENTARY = "suppressed_complementary"  # hidden so that a total minus the visible parts gives nothing away
AUDIENCES = ("owner", "shared")
SCRUB_MARKER = ".disclosure-scrubbed"  # in the counties' root: older stores have been scrubbed once
DELIVERED_COLUMNS = ("ags", "level", "period", "variable", "value", "note", "line_number")

progress = logging.getLogger("imon.service")


class UploadRejected(Exception):
    """An upload that is not loaded; `failures` says which rule and which lines."""

    def __init__(self, message: str, failures: list[dict[str, Any]] | None = None, status: int = 422):
        super().__init__(message)
        self.message, self.failures, self.status = message, failures or [], status


@dataclass
class UploadResult:
    """What an accepted upload stored."""

    county: str
    table: str
    rows: int
    suppressed_for_others: int
    upload_id: str
    warnings: list[str] = field(default_factory=list)


def parse_csv(body: bytes) -> pd.DataFrame:
    """The CSV as text columns plus `line_number` (the header is line 1); rejects what is not a table."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = body[: error.start].count(b"\n") + 1
        raise UploadRejected(f"line {line}: the file is not UTF-8 text ({error.reason})") from error
    if not text.strip():
        raise UploadRejected("the file is empty: expected a header `ags,period,variable,value` and rows")
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader)]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        parts = ([f"lacks {', '.join(missing)}"] if missing else []) + ([f"has unknown columns {', '.join(unknown)}"] if unknown else [])
        raise UploadRejected(f"line 1: the header {' and '.join(parts)}; expected ags, period, variable, value "
                             "and optionally note")
    rows, lines = [], []
    line_number = reader.line_num
    for row in reader:
        line_number, previous = reader.line_num, line_number
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise UploadRejected(f"line {line_number}: {len(row)} fields, the header has {len(header)}")
        rows.append([cell.strip() or None for cell in row])
        lines.append(previous + 1)  # the first physical line of the record
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    for column in OPTIONAL_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    frame["line_number"] = lines
    return frame


def shared_flags(typed: pd.DataFrame, threshold: int) -> pd.Series:
    """Why a cell is hidden from everyone but its county (None: shown).

    Counts below the threshold are suppressed; so is a Kreis count whose year and variable also have
    a suppressed Gemeinde count (the Kreis total minus the visible Gemeinden would give it away).
    """
    small = typed["value"] < threshold
    keys = [typed["period"], typed["variable"]]
    small_gemeinde = (small & (typed["level"] == "gemeinde")).groupby(keys).transform("any")
    complementary = (typed["level"] == "kreis") & ~small & small_gemeinde
    flags = pd.Series([None] * len(typed), index=typed.index, dtype=object)
    flags[small] = SUPPRESSED
    flags[complementary] = COMPLEMENTARY
    return flags


class CountyAreas:
    """The per-county upload areas under `<service dir>/counties/<county>/`."""

    def __init__(self, root: Path | str, *, disclosure_threshold: int = 3, keep: int = 3):
        self.root = Path(root)
        self.disclosure_threshold = disclosure_threshold
        self.keep = keep
        self._gate = None
        self._gate_lock = threading.Lock()
        self._county_locks: dict[str, threading.Lock] = {}

    def snapshot(self, county: str, audience: str) -> Path | None:
        """The current published file of a county's area for `owner` or `shared`, if any."""
        return current_snapshot(self.root / county / audience)

    def counties(self) -> list[str]:
        """Counties that have uploaded something."""
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and self.snapshot(p.name, "owner"))

    def attachments(self, caller) -> dict[str, Path]:
        """Catalog name → area file a caller may read: its own raw area, or every shared area for the state office."""
        if caller.is_state_office:
            found = {c: self.snapshot(c, "shared") for c in self.counties()}
        elif caller.county:
            found = {caller.county: self.snapshot(caller.county, "owner")}
        else:
            found = {}
        return {f"county_{c}": path for c, path in found.items() if path is not None}

    def tables(self, county: str, audience: str = "owner") -> list[dict[str, Any]]:
        """The uploads of a county as `audience` sees them: the owner with its files' SHA-256, others without."""
        path = self.snapshot(county, audience)
        if path is None:
            return []
        columns = ("table_name", "rows", "suppressed_for_others", "file_name", "uploaded_at", "upload_id")
        columns += ("sha256",) if audience == "owner" else ()
        connection = duckdb.connect(str(path), read_only=True)
        try:
            rows = connection.execute(f"SELECT {', '.join(columns)} FROM main._uploads ORDER BY table_name").fetchall()
        finally:
            connection.close()
        return [{"county": county, "table": row[0], **dict(zip(columns[1:], row[1:]))} for row in rows]

    def store(self, county: str, table: str, body: bytes, *, file_name: str | None, key_id: str) -> UploadResult:
        """Parse, validate and store an upload as `county_<county>.<table>`; UploadRejected if it fails."""
        if not TABLE_NAME.fullmatch(table):
            raise UploadRejected(f"table name {table!r}: use lower-case letters, digits and underscores, "
                                 "starting with a letter (at most 63 characters)", status=400)
        frame = parse_csv(body)
        report = self._validate(frame, county)
        if not report.passed:
            failures = [{"expectation": o.expectation, "column": o.column, "rule": o.notes,
                         "failing_rows": o.unexpected_count, "examples": o.examples, "message": o.describe()}
                        for o in report.blocking_failures]
            raise UploadRejected("the upload was rejected: " + "; ".join(f["message"] for f in failures), failures)
        typed = pd.DataFrame({
            "ags": frame["ags"].str.ljust(8, "0"),
            "level": frame["ags"].str.len().map({5: "kreis", 8: "gemeinde"}),
            "period": frame["period"].astype(int),
            "variable": frame["variable"],
            "value": frame["value"].astype("int64"),
            "note": frame["note"],
            "line_number": frame["line_number"].astype(int),
        })
        upload_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]
        registry = dict(table_name=table, rows=len(typed), suppressed_for_others=0, file_name=file_name,
                        sha256=hashlib.sha256(body).hexdigest(), uploaded_at=datetime.now(timezone.utc),
                        upload_id=upload_id, key_id=key_id)
        with self._locked(county):
            frames, registries = self._delivered(county)
            frames[table], registries[table] = typed, registry
            suppressed = self._publish_areas(county, frames, registries, run_id=upload_id, changed=table)
        return UploadResult(county=county, table=table, rows=len(typed), suppressed_for_others=suppressed[table],
                            upload_id=upload_id, warnings=[w.describe() for w in report.warnings])

    def scrub(self, county: str) -> None:
        """Rebuild a county's shared area from its owner area under today's rules; discard its older shared snapshots."""
        with self._locked(county):
            frames, registries = self._delivered(county)
            if frames:
                run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ-scrub")
                self._publish_areas(county, frames, registries, run_id=run_id, changed=None)
            discard_all_but_current(self.root / county / "shared")

    def scrub_all(self) -> list[str]:
        """Scrub every county's store once (stores of older versions may hold a digest or exact totals)."""
        marker = self.root / SCRUB_MARKER
        if marker.exists() or not self.root.exists():
            return []
        counties = self.counties()
        for county in counties:
            try:
                self.scrub(county)
            except Exception as error:  # the service must not start sharing an unscrubbed area
                raise RuntimeError(f"county store {self.root / county}: scrubbing its shared area failed: {error}") from error
        marker.write_text(json.dumps({"scrubbed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                      "counties": counties}) + "\n", encoding="utf-8")
        if counties:
            progress.info("disclosure: the shared areas of %d county stores rebuilt under the current rules", len(counties))
        return counties

    def _delivered(self, county: str) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, Any]]]:
        """A county's uploads as delivered (from its owner working file, else its owner snapshot), and their registry."""
        source = self.root / county / "owner.working.duckdb"
        if not source.exists():
            source = self.snapshot(county, "owner")
        if source is None or not source.exists():
            return {}, {}
        connection = duckdb.connect(str(source), read_only=True)
        try:
            cursor = connection.execute("SELECT * FROM main._uploads")
            names = [column[0] for column in cursor.description]
            registries = {row[0]: dict(zip(names, row)) for row in cursor.fetchall()}
            frames = {name: connection.execute(f'SELECT {", ".join(DELIVERED_COLUMNS)} FROM main."{name}" '
                                               "ORDER BY line_number").df() for name in registries}
        finally:
            connection.close()
        return frames, registries

    def _publish_areas(self, county: str, frames: dict[str, pd.DataFrame], registries: dict[str, dict[str, Any]], *,
                       run_id: str, changed: str | None) -> dict[str, int]:
        """Flag every upload of a county together; publish its owner area (with `changed`) and a fresh shared area."""
        combined = pd.concat([frame.assign(table_name=name) for name, frame in frames.items()], ignore_index=True)
        combined["shared_flag"] = shared_flags(combined, self.disclosure_threshold)
        flagged = {name: part.drop(columns="table_name") for name, part in combined.groupby("table_name", sort=False)}
        suppressed = {name: int(part["shared_flag"].notna().sum()) for name, part in flagged.items()}
        for name, registry in registries.items():
            registry["suppressed_for_others"] = suppressed[name]
        owner = self.root / county / "owner.working.duckdb"
        # the owner's working file keeps its other tables; each registry row gets the count under today's rule
        delivered = flagged if not owner.exists() else {changed: flagged[changed]} if changed else {}
        self._write(owner, county, delivered, registries, suppress=False)
        publish(owner, self.root / county / "owner", run_id=run_id, keep=self.keep, prefix="owner")
        shared = self.root / county / "shared.working.duckdb"
        for stale in (shared, shared.with_name(shared.name + ".wal")):  # rebuilt whole: nothing of an older rule stays
            stale.unlink(missing_ok=True)
        self._write(shared, county, flagged, registries, suppress=True)
        publish(shared, self.root / county / "shared", run_id=run_id, keep=self.keep, prefix="shared")
        return suppressed

    def _validate(self, frame: pd.DataFrame, county: str):
        from warehouse.quality import QualityGate, load_suite_document

        document = load_suite_document(SUITE_DIR, SUITE_NAME)
        document["expectations"].append({
            "type": "expect_column_values_to_match_regex",
            "kwargs": {"column": "ags", "regex": f"^{county}(?:\\d{{3}})?$"},
            "severity": "critical",
            "meta": {"notes": f"Every key lies in county {county} (the county of the API key)"},
        })
        with self._gate_lock:  # one GX context per service; it is not thread-safe
            if self._gate is None:
                self._gate = QualityGate()
            return self._gate.validate(frame, document, table_name=SUITE_NAME)

    def _write(self, working: Path, county: str, frames: dict[str, pd.DataFrame], registries: dict[str, dict[str, Any]],
               *, suppress: bool) -> None:
        """Write `frames` (and every table's registry row) into a working file: as delivered, or suppressed."""
        working.parent.mkdir(parents=True, exist_ok=True)
        connection = duckdb.connect(str(working))
        try:
            connection.execute("BEGIN TRANSACTION")
            value = "CASE WHEN shared_flag IS NULL THEN value END" if suppress else "value"
            flag = "shared_flag" if suppress else "NULL"
            for table, frame in frames.items():
                connection.register("upload", frame)
                connection.execute(
                    f'CREATE OR REPLACE TABLE main."{table}" AS SELECT ags, level, period, variable, '
                    f"{value}::BIGINT AS value, {flag}::VARCHAR AS value_flag, note, line_number FROM upload ORDER BY line_number")
                connection.unregister("upload")
                comment = f"Uploaded by county {county} (upload {registries[table]['upload_id']})" + (
                    f"; counts below {int(self.disclosure_threshold)} suppressed" if suppress else "")
                connection.execute(f"COMMENT ON TABLE main.\"{table}\" IS '{comment}'")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS main._uploads (table_name VARCHAR PRIMARY KEY, rows BIGINT, "
                "suppressed_for_others BIGINT, file_name VARCHAR, sha256 VARCHAR, uploaded_at TIMESTAMPTZ, "
                "upload_id VARCHAR, key_id VARCHAR)")
            for registry in registries.values():
                # the raw file's digest only for its owner: trying every value of the suppressed cells would find it
                connection.execute("INSERT OR REPLACE INTO main._uploads VALUES ($table_name, $rows, $suppressed_for_others, "
                                   "$file_name, $sha256, $uploaded_at, $upload_id, $key_id)",
                                   {**registry, "sha256": None} if suppress else registry)
            connection.execute("COMMIT")
        finally:
            connection.close()

    @contextmanager
    def _locked(self, county: str) -> Iterator[None]:
        """One writer per county area, across threads and processes."""
        lock = self._county_locks.setdefault(county, threading.Lock())
        (self.root / county).mkdir(parents=True, exist_ok=True)
        with lock, open(self.root / county / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
