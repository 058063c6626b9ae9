"""A plain current ffcsv file read by DuckDB straight into a table in the long format: no Python row ever.

The same long format as sources/ffcsv.py (one row per value, the region slot found by its codes,
one code/label pair per classifying variable, a special sign as NULL plus `value_flag`), built in
SQL. Only the happy path is taken here: a file that is not plain (quotes, blank lines, a repeated
or unknown column, not UTF-8) or that breaks any rule (wrong statistic, no single regional
slot, a value that is neither number nor sign, a label with whitespace other than spaces at its
ends) returns False, and the caller reads it with sources/ffcsv.py, which names the fault and its
line. So both readers give the same rows, and every error message stays the Python reader's.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import numpy

from sources.errors import ParseError
from sources.ffcsv import expected_statistics_code, find_region_slot, variable_slots
from sources.long_format import GENESIS_SIGNS
from sources.parse import UTF8_BOM, ZIP_MAGIC

HEADER_START = b"statistics_code;"
SCAN_CHUNK = 1 << 22  # bytes read at a time when checking that a file is plain
NUMBER = r"-?[0-9]+(?:[.,][0-9]+)?"  # GENESIS_NUMBER in RE2 (ASCII digits)


def stage_ffcsv(connection: duckdb.DuckDBPyConnection, path: Path, *, table: str, name: str,
                source_file: str, source_sha256: str) -> bool:
    """Create the temporary table `name` from the ffcsv file at `path` (plain or zipped); False if it is not plain."""
    with _unzipped(path) as text_path:
        if text_path is None:
            return False
        plain = _plain_header(text_path)
        if plain is None:
            return False
        header, slots = plain
        rows = quoted(f"{name}_lines")
        columns = "{" + ", ".join(f"{literal(column)}: 'VARCHAR'" for column in header) + "}"
        try:
            # a plain file: data line n is the table's row n - 2 (rowid from 0; read in order: preserve_insertion_order),
            # so no row_number() window, which reads the whole file on one thread (it took 40 % of the read)
            connection.execute(f"""
                CREATE OR REPLACE TEMP TABLE {rows} AS
                SELECT {', '.join(f'coalesce({quoted(c)}, {literal("")}) AS {quoted(c)}' for c in header)}
                FROM read_csv({literal(str(text_path))}, delim=';', quote='', escape='', header=true,
                              auto_detect=false, strict_mode=true, encoding='utf-8', columns={columns})""")
        except duckdb.Error:
            return False  # wrong number of fields, not UTF-8, …: the Python reader says which line
    try:
        select = _long_select(connection, rows, header, slots, table=table, source_file=source_file,
                              source_sha256=source_sha256)
        if select is None:
            return False
        # in file order: a projection of a table is not always written in its order (parallel scan)
        connection.execute(f"CREATE OR REPLACE TEMP TABLE {quoted(name)} AS {select} ORDER BY line_number")
        return True
    finally:
        connection.execute(f"DROP TABLE IF EXISTS {rows}")


@contextmanager
def _unzipped(path: Path) -> Iterator[Path | None]:
    """The text file itself, or its one ZIP member unpacked to a temporary file (DuckDB cannot read inside a zip)."""
    with open(path, "rb") as handle:
        zipped = handle.read(len(ZIP_MAGIC)) == ZIP_MAGIC
    if not zipped:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="imon-ffcsv-") as directory:
        yield _unzip_single_member(path, Path(directory) / "member.csv")


def _unzip_single_member(path: Path, target: Path) -> Path | None:
    """Stream the archive's one member to `target`; None for anything else (the Python reader names the fault)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.namelist()
            if len(members) != 1:
                return None
            with archive.open(members[0]) as member, open(target, "wb") as out:
                shutil.copyfileobj(member, out, 1 << 20)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
        return None
    return target


def _plain_header(path: Path) -> tuple[list[str], list[str]] | None:
    """Header and variable slots of a plain current ffcsv file (no quotes, no blank lines, unique known names), else None.

    The file is scanned in chunks, not mapped: a mapped 1 GB file counts 1 GB towards the run's memory.
    """
    size = path.stat().st_size
    if size == 0:
        return None
    with open(path, "rb") as handle:
        first = handle.read(SCAN_CHUNK)
        start = len(UTF8_BOM) if first[: len(UTF8_BOM)] == UTF8_BOM else 0  # GENESIS writes one
        if first[start: start + len(HEADER_START)] != HEADER_START:
            return None
        end = _content_end(handle, size)  # trailing line breaks are not blank lines
        first_line_end = first.find(b"\n", 0, end)  # a header longer than a chunk is not plain either
        if first_line_end < 0 or not _no_quotes_or_blank_lines(handle, end):
            return None
        try:
            header = first[start:first_line_end].decode("utf-8").rstrip("\r").split(";")
        except UnicodeDecodeError:
            return None
    if len(set(header)) != len(header):
        return None
    try:
        return header, variable_slots(header, source="", table="")  # the Python reader names the column
    except ParseError:
        return None


def _content_end(handle, size: int) -> int:
    """Offset after the file's last byte that is not a line break."""
    position = size
    while position > 0:
        length = min(SCAN_CHUNK, position)
        handle.seek(position - length)
        block = handle.read(length)
        kept = block.rstrip(b"\r\n")
        if kept:
            return position - length + len(kept)
        position -= length
    return 0


def _no_quotes_or_blank_lines(handle, end: int) -> bool:
    """No `"` anywhere, and no blank line (`\\n\\n`, `\\n\\r\\n`) before `end`.

    bytes.find of a two-byte pattern goes byte by byte where line breaks are frequent (about 1 s per GB
    here); numpy compares whole chunks (DuckDB's reader skips a blank line, which would shift the line
    numbers, so the file goes to the Python reader).
    """
    handle.seek(0)
    carry, offset = b"", 0  # the last bytes of the previous chunk: a blank line can span two chunks
    while chunk := handle.read(SCAN_CHUNK):
        if chunk.find(b'"') >= 0:
            return False
        joined = carry + chunk
        window = numpy.frombuffer(joined, dtype=numpy.uint8)
        base = offset - len(carry)
        newline = window == 10
        for blank, length in ((newline[:-1] & newline[1:], 2),
                              (newline[:-2] & (window[1:-1] == 13) & newline[2:], 3)):
            first = int(blank.argmax()) if len(blank) else None  # the first one decides
            if first is not None and blank[first] and base + first + length <= end:
                return False
        carry, offset = joined[-2:], offset + len(chunk)
    return True


def _long_select(connection, rows: str, header: list[str], slots: list[str], *, table: str, source_file: str,
                 source_sha256: str) -> str | None:
    """The SELECT that turns the file's rows into the long format, or None when a rule is broken."""
    expected = expected_statistics_code(table)
    signs = ", ".join(literal(sign) for sign in sorted(GENESIS_SIGNS))
    label_columns = [f"{slot}_variable_attribute_label" for slot in slots]
    # one scan of the lines for every rule: a foreign statistic, a value that is neither a number nor
    # a special sign, each slot's variable codes and each slot's distinct labels
    rules = [f"count(*) FILTER (WHERE statistics_code <> {literal(expected)})" if expected else "0",
             f"count(*) FILTER (WHERE value NOT IN ({signs}) AND NOT regexp_full_match(value, '{NUMBER}'))",
             *(f"list(DISTINCT {quoted(f'{slot}_variable_code')})" for slot in slots),
             *(f"list(DISTINCT {quoted(column)})" for column in label_columns)]
    foreign, not_numbers, *found = connection.execute(f"SELECT {', '.join(rules)} FROM {rows}").fetchone()
    if foreign or not_numbers:
        return None
    codes = {slot: sorted(found[i] or []) for i, slot in enumerate(slots)}
    try:
        region = find_region_slot(codes, source="", table=table)  # the Python reader says why
    except ParseError:
        return None
    for labels in found[len(slots):]:  # Python's str.strip() and SQL trim() agree on every label, or Python reads it
        if any(label.strip() != label.strip(" ") for label in labels or []):
            return None

    def slot_column(slot: str, part: str) -> str:
        return quoted(f"{slot}_{part}")

    variables: dict[str, list[tuple[str, str]]] = {}  # classifier name → (slot, code as written), in slot order
    for slot in slots:
        if slot != region:
            for code in codes[slot]:
                if code:
                    variables.setdefault(code.lower(), []).append((slot, code))
    classifiers = []
    for name in sorted(variables):
        applies = {slot: f"{slot_column(slot, 'variable_code')} = {literal(code)}" for slot, code in variables[name]}
        code = " ".join(f"WHEN {condition} THEN nullif({slot_column(slot, 'variable_attribute_code')}, '')"
                        for slot, condition in applies.items())
        label = " ".join(f"WHEN {condition} THEN trim({slot_column(slot, 'variable_attribute_label')}, ' ')"
                         for slot, condition in applies.items())
        classifiers += [f"CASE {code} END AS {quoted(name)}", f"CASE {label} END AS {quoted(name + '_label')}"]
    quality = "nullif(value_q, '')" if "value_q" in header else "NULL::VARCHAR"
    return f"""
        SELECT {literal(table)} AS table_code, CAST(rowid + 2 AS BIGINT) AS line_number, time_code,
               CASE WHEN regexp_full_match(time, '[0-9]{{2}}\\.[0-9]{{2}}\\.[0-9]{{4}}')
                    THEN substr(time, 7, 4) || '-' || substr(time, 4, 2) || '-' || substr(time, 1, 2)
                    ELSE time END AS reference_time,
               {slot_column(region, 'variable_code')} AS region_variable,
               {slot_column(region, 'variable_attribute_code')} AS region_key,
               trim({slot_column(region, 'variable_attribute_label')}, ' ') AS region_label,
               {''.join(c + ', ' for c in classifiers)}
               value_variable_code AS value_variable, value_variable_label, value_unit,
               CASE WHEN value IN ({signs}) THEN NULL ELSE CAST(replace(value, ',', '.') AS DOUBLE) END AS value,
               CASE WHEN value IN ({signs}) THEN value END AS value_flag,
               {quality} AS value_quality,
               {literal(source_file)} AS source_file, {literal(source_sha256)} AS source_sha256
        FROM {rows}"""


def quoted(name: str) -> str:
    """A SQL identifier (also used by sources/classic_sql.py)."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str | None) -> str:
    """A SQL string literal, NULL for None (also used by sources/classic_sql.py)."""
    return "NULL" if text is None else "'" + text.replace("'", "''") + "'"
