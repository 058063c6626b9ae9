"""The floor: the pipeline's work written as bare DuckDB, in one process.

For every configured table, every file in the landing zone is read with DuckDB's `read_csv` into
`raw.<table>` with the columns the staging models read (of the long format of sources/README.md:
region, time, one code/label column pair per classifying variable, value as DOUBLE with the
special sign as NULL + `value_flag`; a table no model reads keeps all of them), all in SQL; then `warehouse.models.build_models` runs the SQL
models on that database, which is one `CREATE TABLE AS` per model. No Great Expectations, no
Prefect, no Python parsing of rows, no landing bookkeeping, no audit and no publishing.

What Python still does: it reads the header line and the first data row of a file (to map the
`N_variable_*` slots, the header block of a classic table, the metadata block of a BA export),
and it unzips a zipped ffcsv to a temporary file, because DuckDB cannot read inside a zip. The
unzip time is included in the floor's wall time and also reported on its own (`unzip_s`).

Run as a child of the benchmark (`python -m tests.bench.floor --landing … --database … --result …`)
so that its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import duckdb

from sources.catalog import TableSpec, load_table_specs
from sources.ffcsv import REGIONAL_VARIABLE
from sources.long_format import GENESIS_SIGNS, TOTAL_LABEL
from warehouse import models

META_DDL = Path(models.__file__).with_name("meta.sql")
ZIP_MAGIC = b"PK\x03\x04"
LINE_DELIMITER = "\x01"  # a delimiter no text file contains: read_csv then yields whole lines
BA_SIGNS = ("*", "x", "X")
YEAR = r"\d{4}"
CLASSIC_KEY = r"DG|\d{2,12}"


class FloorUnsupported(RuntimeError):
    """A landing file the floor has no bare-DuckDB reading for (it says which)."""


def quote(text: Any) -> str:
    """A SQL string literal (NULL for None)."""
    return "NULL" if text is None else "'" + str(text).replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_list(values) -> str:
    return "(" + ", ".join(quote(v) for v in sorted(values)) + ")"


def value_sql(raw: str, signs, *, thousands: str | None = None, decimal: str = ",") -> tuple[str, str]:
    """`value` (DOUBLE, NULL for a sign) and `value_flag` (the sign) from a VARCHAR expression."""
    digits = raw if not thousands else f"replace({raw}, {quote(thousands)}, '')"
    number = f"CAST(replace({digits}, {quote(decimal)}, '.') AS DOUBLE)" if decimal != "." else f"CAST({digits} AS DOUBLE)"
    signs = sql_list(signs)
    return (f"CASE WHEN {raw} IN {signs} THEN NULL ELSE {number} END",
            f"CASE WHEN {raw} IN {signs} THEN {raw} END")


def region_variable_sql(key: str) -> str:
    """sources.long_format.region_variable_for_key in SQL."""
    return (f"CASE WHEN {key} = 'DG' THEN 'DINSG' WHEN length({key}) = 2 THEN 'DLAND' WHEN length({key}) = 3 THEN 'REGBEZ' "
            f"WHEN length({key}) IN (5, 8) THEN 'KREISE' END")


def lines_sql(path: Path, encoding: str = "utf-8") -> str:
    """Every line of a text file as (line_number, line), read by read_csv with a delimiter that never occurs."""
    return (f"SELECT row_number() OVER () AS line_number, line FROM read_csv({quote(path)}, columns={{'line': 'VARCHAR'}}, "
            f"delim={quote(LINE_DELIMITER)}, quote='', escape='', header=false, auto_detect=false, strict_mode=false, "
            f"encoding={quote(encoding)})")


def text_encoding(path: Path) -> str:
    """utf-8, or latin-1 (DuckDB's reading of the Windows-1252 classic download) when the file is not UTF-8."""
    with open(path, "rb") as handle:
        head = handle.read(1 << 20)
    head = head[: head.rfind(b"\n") + 1] or head
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "latin-1"


def head_rows(path: Path, count: int, *, encoding: str = "utf-8-sig", delimiter: str = ";") -> list[list[str]]:
    """The first `count` rows of a text file, read by the csv module (header and first row only)."""
    rows = []
    with open(path, encoding="utf-8-sig" if encoding in ("utf-8", "utf-8-sig") else "cp1252", newline="") as handle:
        for row in csv.reader(handle, delimiter=delimiter):
            rows.append(row)
            if len(rows) >= count:
                break
    return rows


# --- one SELECT per layout -------------------------------------------------------------------------------


def ffcsv_select(spec: TableSpec, path: Path, source_file: str) -> str:
    """A GENESIS flat file: slots mapped by the header and the first data row, values typed in SQL."""
    rows = head_rows(path, 2)
    if len(rows) < 2:
        raise FloorUnsupported(f"{path}: no data row")
    header, first = rows
    if header[0] != "statistics_code":
        raise FloorUnsupported(f"{path}: not a current ffcsv header ({header[0][:40]!r})")
    slots = sorted((m[1] for m in map(re.compile(r"(\d+)_variable_code").fullmatch, header) if m), key=int)
    position = {name: index for index, name in enumerate(header)}
    region = next((s for s in slots if REGIONAL_VARIABLE.fullmatch(first[position[f"{s}_variable_code"]])), None)
    if region is None:
        raise FloorUnsupported(f"{path}: no regional variable in the first row")
    others = [s for s in slots if s != region]
    variables = list(dict.fromkeys([*spec.variables, *(first[position[f"{s}_variable_code"]].lower() for s in others)]))
    classifiers = []
    for variable in (v for v in variables if v):
        code = variable.upper()
        when = [f"WHEN {ident(f'{s}_variable_code')} = {quote(code)}" for s in others]
        codes = " ".join(f"{w} THEN {ident(f'{s}_variable_attribute_code')}" for w, s in zip(when, others))
        labels = " ".join(f"{w} THEN trim({ident(f'{s}_variable_attribute_label')})" for w, s in zip(when, others))
        classifiers += [f"CASE {codes} END AS {ident(variable)}" if others else f"NULL::VARCHAR AS {ident(variable)}",
                        f"CASE {labels} END AS {ident(variable + '_label')}" if others else
                        f"NULL::VARCHAR AS {ident(variable + '_label')}"]
    value, flag = value_sql("value", GENESIS_SIGNS)
    columns = "{" + ", ".join(f"{quote(name)}: 'VARCHAR'" for name in header) + "}"
    quality = "value_q" if "value_q" in position else "NULL::VARCHAR"
    return f"""
        SELECT {quote(spec.table)} AS table_code, row_number() OVER () + 1 AS line_number, time_code,
               time AS reference_time,
               {ident(f'{region}_variable_code')} AS region_variable,
               {ident(f'{region}_variable_attribute_code')} AS region_key,
               trim({ident(f'{region}_variable_attribute_label')}) AS region_label,
               {', '.join(classifiers) + ',' if classifiers else ''}
               value_variable_code AS value_variable, value_variable_label, value_unit,
               {value} AS value, {flag} AS value_flag, {quality} AS value_quality,
               {quote(source_file)} AS source_file
        FROM read_csv({quote(path)}, delim=';', quote='"', escape='"', header=true, auto_detect=false,
                      columns={columns})"""


def classic_select(spec: TableSpec, path: Path, source_file: str) -> str:
    """The classic table download: header block read for the units, data rows split and unpivoted in SQL."""
    layout = spec.classic_layout or {}
    if layout.get("time_column") in ("none", "date"):  # the 2015-2020 real-series variants (issue #16)
        raise FloorUnsupported(f"{spec.name}: the classic layout with time_column {layout['time_column']!r} "
                               "is not read by the floor yet")
    columns = layout.get("columns") or []
    first_value = 4 if layout.get("row_classifier") else 3
    width = first_value + len(columns)
    encoding = text_encoding(path)
    head = head_rows(path, 200, encoding=encoding)
    data_index = next((i for i, row in enumerate(head) if len(row) >= 4 and re.fullmatch(YEAR, row[0])
                       and re.fullmatch(CLASSIC_KEY, row[1])), None)
    if not data_index:
        raise FloorUnsupported(f"{path}: no data row in the first 200 lines")
    units = [field.strip() for field in head[data_index - 1][first_value:]]
    variables = sorted({name for column in columns for name in column.get("classifiers") or {}})
    row_classifier = ""
    if layout.get("row_classifier"):
        declaration = layout["row_classifier"]
        cases = " ".join(f"WHEN {quote(label)} THEN {quote(code)}" for label, code in (declaration.get("codes") or {}).items())
        row_classifier = (f"CASE trim(f[4]) {cases} END AS {ident(declaration['variable'])}, "
                          f"trim(f[4]) AS {ident(declaration['variable'] + '_label')},")
    parts = []
    for number, column in enumerate(columns):
        declared = column.get("classifiers") or {}
        pairs = []
        for variable in variables:
            code = declared.get(variable)
            label = None if variable not in declared else (column["header"][-1] if code else TOTAL_LABEL)
            pairs += [f"{quote(code)}::VARCHAR AS {ident(variable)}", f"{quote(label)}::VARCHAR AS {ident(variable + '_label')}"]
        parts.append(f"""
            SELECT line_number, f, f[{first_value + 1 + number}] AS raw_value, {quote(column['value_variable'])} AS value_variable,
                   {quote(column['header'][0])} AS value_variable_label, {quote(units[number] if number < len(units) else None)} AS value_unit
                   {''.join(', ' + p for p in pairs)}
            FROM data""")
    value, flag = value_sql("raw_value", GENESIS_SIGNS)
    return f"""
        WITH lines AS ({lines_sql(path, encoding)}),
        data AS (
            SELECT line_number, string_split(line, ';') AS f FROM lines
            WHERE line IS NOT NULL AND len(string_split(line, ';')) = {width}
              AND regexp_full_match(string_split(line, ';')[1], '{YEAR}')
              AND regexp_full_match(string_split(line, ';')[2], '{CLASSIC_KEY}')
        ),
        long AS ({' UNION ALL '.join(parts)})
        SELECT {quote(spec.table)} AS table_code, line_number, {quote(layout.get('time_code'))} AS time_code,
               f[1] AS reference_time, {region_variable_sql('f[2]')} AS region_variable, f[2] AS region_key,
               trim(f[3]) AS region_label, {row_classifier}
               * EXCLUDE (line_number, f, raw_value),
               {value} AS value, {flag} AS value_flag, NULL::VARCHAR AS value_quality,
               {quote(source_file)} AS source_file
        FROM long"""


def ba_export_select(spec: TableSpec, path: Path, source_file: str) -> str:
    """A BA export: the metadata block read for region, nationality and columns; the year rows unpivoted in SQL."""
    from sources.ba_export import INDICATORS, NATIONALITIES, SEXES

    encoding = text_encoding(path)
    head = [[field.strip() for field in row] for row in head_rows(path, 60, encoding=encoding)]
    meta = {("Staatsangehörigkeit" if row[0].startswith("Staatsangehörigkeit") else row[0]): row for row in head if row and row[0]}
    header_index = next((i for i, row in enumerate(head) if row and row[0] == "Berichtsjahr"), None)
    if header_index is None:
        raise FloorUnsupported(f"{path}: no 'Berichtsjahr' header")
    header = head[header_index]
    indicator = meta.get("Indikator", ["", ""])[1]
    region_row = meta.get("Region", ["Region", "", "", ""])
    key = "DG" if region_row[1] == "Deutschland" or region_row[3] == "d" else region_row[3]
    nationality = meta.get("Staatsangehörigkeit", ["", "Insgesamt"])[1]
    parts = []
    for position, title in enumerate(header[1:], start=2):
        first_word = title.split(" ", 1)[0]
        code, label = (None, TOTAL_LABEL) if title == indicator else (SEXES.get(first_word), first_word)
        parts.append(f"SELECT line_number, f[1] AS reference_time, f[{position}] AS raw_value, "
                     f"{quote(code)}::VARCHAR AS ges, {quote(label)} AS ges_label FROM data")
    value, flag = value_sql("raw_value", BA_SIGNS, thousands=".")
    return f"""
        WITH lines AS ({lines_sql(path, encoding)}),
        data AS (
            SELECT line_number, list_transform(string_split(line, ';'), x -> trim(x, '" ')) AS f FROM lines
            WHERE line IS NOT NULL AND line_number > {header_index + 1}
        ),
        rows AS (SELECT * FROM data WHERE regexp_full_match(f[1], '{YEAR}') AND len(f) = {len(header)}),
        long AS ({' UNION ALL '.join(p.replace('FROM data', 'FROM rows') for p in parts)})
        SELECT {quote(spec.table)} AS table_code, line_number, 'JAHR' AS time_code, reference_time,
               {quote({'DG': 'DINSG'}.get(key, 'KREISE'))} AS region_variable, {quote(key)} AS region_key,
               {quote(region_row[1])} AS region_label, ges, ges_label,
               {quote(NATIONALITIES.get(nationality))}::VARCHAR AS nat, {quote(nationality)} AS nat_label,
               {quote(INDICATORS.get(indicator))} AS value_variable, {quote(indicator)} AS value_variable_label,
               'Anzahl' AS value_unit, {value} AS value, {flag} AS value_flag, NULL::VARCHAR AS value_quality,
               {quote(source_file)} AS source_file
        FROM long"""


def declared_select(spec: TableSpec, path: Path, source_file: str) -> str:
    """A county's declared CSV: columns named by the declaration, unpivoted in SQL."""
    from sources.declared_file import DEFAULT_SIGNS, KEY_LENGTHS, PERIOD_TYPES

    declaration = spec.declaration or {}
    if declaration.get("format") != "csv":
        raise FloorUnsupported(f"{path}: the floor reads declared CSV files only, not {declaration.get('format')}")
    delimiter = declaration.get("delimiter", ";")
    encoding = "utf-8" if declaration.get("encoding", "utf-8").lower() == "utf-8" else "latin-1"
    header_row = int(declaration.get("header_row", 1))
    header = [h.strip() for h in head_rows(path, header_row, encoding=encoding, delimiter=delimiter)[-1]]
    region, period = declaration["region"], declaration["period"]
    lengths = KEY_LENGTHS[region["key"]]
    raw_key = f"trim({ident(region['column'])})"
    key = (f"CASE WHEN upper({raw_key}) = 'DG' THEN 'DG' WHEN length({raw_key}) + 1 IN {tuple(lengths) + (-1,)} "
           f"AND {raw_key} NOT LIKE '0%' THEN '0' || {raw_key} ELSE {raw_key} END")
    if period["type"] == "year":
        reference = f"trim({ident(period['column'])})"
    else:
        column = f"trim({ident(period['column'])})"
        reference = (f"CASE WHEN {column} LIKE '%.%' THEN strftime(strptime({column}, '%d.%m.%Y'), '%Y-%m-%d') "
                     f"ELSE {column} END")
    variables = sorted({name for column in declaration["values"] for name in column.get("classifiers") or {}})
    signs = set(DEFAULT_SIGNS) | {str(s) for s in declaration.get("signs") or ()}
    parts = []
    for column in declaration["values"]:
        declared = column.get("classifiers") or {}
        pairs = []
        for variable in variables:
            attribute = declared.get(variable)
            code, label = (attribute.get("code"), attribute.get("label")) if isinstance(attribute, dict) else (attribute, None)
            label = None if variable not in declared else (str(label or column["column"]) if code is not None else TOTAL_LABEL)
            pairs += [f"{quote(code)}::VARCHAR AS {ident(variable)}", f"{quote(label)}::VARCHAR AS {ident(variable + '_label')}"]
        parts.append(f"""
            SELECT line_number, region_key, region_label, reference_time, trim({ident(column['column'])}) AS raw_value
                   {''.join(', ' + p for p in pairs)},
                   {quote(column['value_variable'])} AS value_variable,
                   {quote(column.get('label') or column['column'])} AS value_variable_label, {quote(column['unit'])} AS value_unit
            FROM rows""")
    label_column = f"trim({ident(region['label_column'])})" if region.get("label_column") else "NULL::VARCHAR"
    value, flag = value_sql("raw_value", signs, thousands=declaration.get("thousands"), decimal=declaration.get("decimal", ","))
    columns = "{" + ", ".join(f"{quote(name)}: 'VARCHAR'" for name in header) + "}"
    region_variable = (f"CASE WHEN region_key = 'DG' THEN 'DINSG' WHEN length(region_key) = 2 THEN 'DLAND' "
                       f"WHEN length(region_key) = 5 THEN 'KREISE' WHEN length(region_key) = 8 THEN 'GEMEIN' ELSE 'ARS' END")
    return f"""
        WITH rows AS (
            SELECT row_number() OVER () + {header_row} AS line_number, {key} AS region_key,
                   {label_column} AS region_label, {reference} AS reference_time, *
            FROM read_csv({quote(path)}, delim={quote(delimiter)}, quote='"', escape='"', header=true, skip={header_row - 1},
                          auto_detect=false, columns={columns}, encoding={quote(encoding)})
        ),
        long AS ({' UNION ALL '.join(parts)})
        SELECT {quote(spec.table)} AS table_code, line_number, {quote(PERIOD_TYPES[period['type']])} AS time_code,
               reference_time, {region_variable} AS region_variable, region_key, region_label,
               * EXCLUDE (line_number, region_key, region_label, reference_time, raw_value, value_variable,
                          value_variable_label, value_unit),
               value_variable, value_variable_label, value_unit,
               {value} AS value, {flag} AS value_flag, NULL::VARCHAR AS value_quality, {quote(source_file)} AS source_file
        FROM long"""


def gv100ad_select(spec: TableSpec, path: Path, source_file: str) -> str:
    """The fixed-width register: one substr per field, as sources/gv100ad.py decodes it."""
    from sources.gv100ad import FIELDS, LEVELS

    def field(name: str) -> str:
        start, end = FIELDS[name]
        return f"substr(line, {start + 1}, {end - start})"

    rt = field("record_type")
    land, rb = field("land"), f"{field('land')} || {field('regierungsbezirk')}"
    kreis = f"{rb} || {field('kreis')}"
    gv = f"{kreis} || {field('gemeindeverband')}"
    gemeinde = f"{kreis} || {field('gemeinde')}"

    def by_type(values: dict[str, str]) -> str:
        return "CASE " + " ".join(f"WHEN {rt} = '{kind}' THEN {value}" for kind, value in values.items()) + " END"

    levels = "CASE " + " ".join(f"WHEN {rt} = '{k}' THEN '{v}'" for k, v in LEVELS.items()) + " END"
    numbers = ", ".join(f"CASE WHEN {rt} = '60' THEN CAST({field(n)} AS BIGINT) END AS {n}"
                        for n in ("area_ha", "population", "population_male"))
    return f"""
        SELECT line_number, CAST({rt} AS INTEGER) AS record_type, {levels} AS level,
               CAST(strptime({field('territorial_date')}, '%Y%m%d') AS DATE) AS territorial_date,
               {by_type({'10': f"{land} || '000000'", '20': f"{rb} || '00000'", '40': f"{kreis} || '000'", '60': gemeinde})} AS ags,
               {by_type({'50': f"{gv} || '000'", '60': f"{gv} || {field('gemeinde')}"})} AS ars,
               {by_type({'10': land, '20': rb, '30': f"{rb} || {field('region')}", '40': kreis, '50': gv, '60': gemeinde})} AS key,
               trim({field('name')}) AS name, nullif(trim({field('seat')}), '') AS seat,
               nullif(trim({field('text_code')}), '') AS text_code, {land} AS land_key,
               CASE WHEN {rt} <> '10' THEN {rb} END AS regierungsbezirk_key,
               CASE WHEN {rt} IN ('40', '50', '60') THEN {kreis} END AS kreis_key,
               CASE WHEN {rt} IN ('50', '60') THEN {gv} END AS gemeindeverband_key,
               {numbers},
               CASE WHEN {rt} = '60' THEN nullif(trim({field('postal_code')}), '') END AS postal_code,
               {quote(source_file)} AS source_file
        FROM ({lines_sql(path)}) WHERE line IS NOT NULL AND line <> ''"""


def seed_select(spec: TableSpec, path: Path, source_file: str) -> str:
    """A curated CSV: every column as text, blank = NULL."""
    header = [h.strip() for h in head_rows(path, 1, delimiter=",")[0]]
    columns = "{" + ", ".join(f"{quote(name)}: 'VARCHAR'" for name in header) + "}"
    cells = ", ".join(f"nullif(trim({ident(name)}), '') AS {ident(name)}" for name in header)
    return f"""
        SELECT row_number() OVER () + 1 AS line_number, {cells}, {quote(source_file)} AS source_file
        FROM read_csv({quote(path)}, delim=',', quote='"', escape='"', header=true, auto_detect=false, columns={columns})"""


SELECTS = {"ffcsv": ffcsv_select, "classic": classic_select, "ba_export": ba_export_select,
           "declared": declared_select, "gv100ad": gv100ad_select, "seed": seed_select}


def landing_files(landing_dir: Path, spec: TableSpec) -> list[Path]:
    """The files of a table in the landing zone (not the sidecars, not temporary files)."""
    directory = Path(landing_dir) / spec.source / spec.table
    return sorted(p for p in directory.glob("*") if p.is_file() and not p.name.endswith(".json") and not p.name.startswith("."))


def sniff_layout(spec: TableSpec, path: Path) -> str:
    """The layout a file is read with: the declared one, except that GENESIS may answer ffcsv for a classic table."""
    if spec.layout == "classic":
        with open(path, "rb") as handle:
            start = handle.read(64).removeprefix(b"\xef\xbb\xbf")
        return "ffcsv" if start.startswith(b"statistics_code;") else "classic"
    return spec.layout


def columns_read(sql_dir: Path) -> dict[str, set[str]]:
    """Per raw table, the words of the models that read it: a raw column not among them is read by no model."""
    read: dict[str, set[str]] = {}
    for model in models.discover_models(sql_dir):
        words = set(re.findall(r"[a-z_][a-z0-9_]*", model.body.lower()))
        for reference in model.references:
            schema, _, table = reference.partition(".")
            if schema == "raw":
                read.setdefault(table, set()).update(words)
    return read


def run_floor(landing_dir: Path, database: Path, *, tables_file: Path | None = None, sql_dir: Path | None = None,
              variables: dict[str, Any] | None = None, progress=None) -> dict[str, Any]:
    """Read every landing file into raw.<table> and build every model; return the timings and row counts."""
    from flows.settings import load_settings

    settings = load_settings()
    tables_file = tables_file or settings.tables_file
    sql_dir = sql_dir or settings.sql_dir
    variables = settings.model_variables() if variables is None else variables
    started = time.perf_counter()
    database = Path(database)
    database.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="floor-unzip-", dir=database.parent))
    connection = duckdb.connect(str(database))
    result: dict[str, Any] = {"tables": {}, "unzip_s": 0.0, "unsupported": []}
    try:
        connection.execute(META_DDL.read_text(encoding="utf-8"))  # raw and meta schemas; build_models records into meta
        needed = columns_read(sql_dir)
        for spec in load_table_specs(tables_file):
            table_started = time.perf_counter()
            selects, files = [], landing_files(landing_dir, spec)
            for path in files:
                source_file = path.relative_to(landing_dir).as_posix()
                with open(path, "rb") as handle:
                    zipped = handle.read(4) == ZIP_MAGIC
                if zipped:
                    unzip_started = time.perf_counter()
                    with zipfile.ZipFile(path) as archive:
                        member = archive.namelist()[0]
                        target = scratch / f"{path.stem}.csv"
                        with archive.open(member) as inner, open(target, "wb") as out:
                            shutil.copyfileobj(inner, out, 1 << 22)
                    result["unzip_s"] += time.perf_counter() - unzip_started
                    path = target
                layout = sniff_layout(spec, path)
                try:
                    select = SELECTS[layout](spec, path, source_file)
                    if spec.name in needed:  # only the columns some model reads (DuckDB pushes this into read_csv)
                        wanted = "[" + ", ".join(quote(c) for c in sorted(needed[spec.name])) + "]"
                        select = f"SELECT COLUMNS(c -> list_contains({wanted}, c)) FROM ({select})"
                    selects.append(select)
                except FloorUnsupported as error:
                    result["unsupported"].append(str(error))
            if not selects:
                continue
            union = " UNION ALL BY NAME ".join(f"({s})" for s in selects)
            connection.execute(f"CREATE OR REPLACE TABLE raw.{spec.name} AS {union}")
            rows = connection.execute(f"SELECT count(*) FROM raw.{spec.name}").fetchone()[0]
            for path in scratch.glob("*"):
                path.unlink()
            seconds = time.perf_counter() - table_started
            result["tables"][spec.name] = {"rows": rows, "files": len(files), "seconds": round(seconds, 3)}
            if progress:
                progress(f"floor: read {spec.name}: {rows:,} rows in {seconds:.1f} s")
        result["read_s"] = time.perf_counter() - started
        build_started = time.perf_counter()
        last = [build_started]
        model_seconds: dict[str, float] = {}

        def model_done(model: str, rows: int | None) -> None:  # called after each model: the time since the last one
            now = time.perf_counter()
            model_seconds[model] = round(now - last[0], 3)
            last[0] = now

        built = models.build_models(connection, sql_dir, run_id="floor", variables=variables, progress=model_done)
        result["build_s"] = time.perf_counter() - build_started
        result["slowest_models"] = sorted(model_seconds.items(), key=lambda kv: -kv[1])[:10]
        result["models"] = len(built)
        result["indicator_rows"] = connection.execute("SELECT count(*) FROM marts.indicator_value").fetchone()[0]
        result["indicator_values"] = connection.execute(
            "SELECT count(value) FROM marts.indicator_value").fetchone()[0]
        if progress:
            progress(f"floor: built {len(built)} models in {result['build_s']:.1f} s")
    finally:
        connection.close()
        shutil.rmtree(scratch, ignore_errors=True)
    result["total_s"] = time.perf_counter() - started
    result["rows"] = sum(t["rows"] for t in result["tables"].values())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The floor: the pipeline's work as bare DuckDB.")
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--result", type=Path, help="write the timings as JSON here")
    args = parser.parse_args(argv)
    result = run_floor(args.landing, args.database, progress=lambda line: print(line, file=sys.stderr, flush=True))
    text = json.dumps(result, indent=2, default=str)
    if args.result:
        args.result.write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
