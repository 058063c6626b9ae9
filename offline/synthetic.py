"""Synthetic offline data: GENESIS flat files (ffcsv) in the real format, generated from a table's spec and the register.

The `synthetic:` block of a table entry says how (sources/README.md, "Synthetic offline data"). Every
generated file is marked: the statistics_label starts with "SYNTHETIC – ", the replay answers with
the header `X-Imon-Synthetic: true`, and the landing sidecar, meta.raw_file and the marts carry it on.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import logging
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, NamedTuple

import numpy as np
import pandas as pd

from sources.catalog import TableSpec
from sources.ffcsv import expected_statistics_code
from sources.gv100ad import parse_gv100ad

logger = logging.getLogger(__name__)

DEFAULT_SEED = 20261126
MARK = "SYNTHETIC – "
REGISTER_FILE = Path(__file__).parent / "sample" / "GV100AD_301123.txt"
ANCHOR_YEAR = 2022  # the register (Gebietsstand 30.11.2023) carries the population of 31.12.2022
DEFAULT_YEARS = (2023, 2024)
SMALL_CELL = 5  # counts 1 to 4 are the ones statistical secrecy hides (".")
TOTAL_LABEL = "Insgesamt"

LEVELS = ("deutschland", "land", "regierungsbezirk", "kreis", "gemeinde")  # coarse to fine
KEY_LENGTH = {"deutschland": 0, "land": 2, "regierungsbezirk": 3, "kreis": 5, "gemeinde": 8}
GENESIS_REGIONS = {
    "deutschland": ("DINSG", "Deutschland"),
    "land": ("DLAND", "Bundesländer"),
    "regierungsbezirk": ("REGBEZ", "Regierungsbezirke / Statistische Regionen"),
    "kreis": ("KREISE", "Kreise und kreisfreie Städte"),
    "gemeinde": ("GEMEIN", "Gemeinden"),
}
# The Zensus database names its regional variables GEO…; Gemeinden come with their 12-digit ARS.
# GEOKR1 for Kreise is assumed (not seen in a recorded file).
ZENSUS_REGIONS = {
    "deutschland": ("GEODL1", "Deutschland"),
    "land": ("GEOBL1", "Bundesländer"),
    "kreis": ("GEOKR1", "Kreise und kreisfreie Städte"),
    "gemeinde": ("GEOGM4", "Gemeinden"),
}
LABELS = {
    "GES": "Geschlecht", "GESM": "männlich", "GESW": "weiblich",
    "NAT": "Nationalität", "NATA": "ausländisch", "NATD": "deutsch",
}
DEFAULT_CODES = {"ges": ["GESM", "GESW"], "nat": ["NATD", "NATA"]}
DEFAULT_SHARES = {"ges": {"GESM": [0.48, 0.5], "GESW": [0.5, 0.52]}, "nat": {"NATA": [0.05, 0.3]}}
DEFAULT_SUBSET_SHARE = (0.05, 0.2)
DEFAULT_FACTOR = (0.8, 1.2)  # a code without a share, in a table of rates: its rate against the total
KNOWN_KEYS = {
    "years", "levels", "time", "time_code", "reference_day", "base", "rates", "shares", "subsets", "units",
    "round_to", "suppress", "suppressed_share", "value_variable_by_level", "not_by", "one_classifier_per_cell",
    "cells", "labels", "total_codes", "regional_variables", "statistics_label", "seed",
}


# --- public functions ---------------------------------------------------------------------------

def generate_table(spec: TableSpec, register: pd.DataFrame, *, seed: int | None = None,
                   years: list[int] | None = None, specs: Iterable[TableSpec] = (),
                   kreis_history: "KreisHistory | None" = None) -> bytes:
    """The table as a GENESIS ffcsv body (UTF-8 with BOM, `;`, LF), generated for every region of the register.

    With `kreis_history`, each year's file carries the Kreise of its reference day (as a real file does), not
    today's: a Kreis formed later is written as the Kreise it was formed from.
    """
    plan = make_plan(spec, years=years, seed=seed)
    table = _Table(spec, plan, register, {s.name: s for s in specs}, kreis_history)
    return table.ffcsv()


def generate_declared_file(spec: TableSpec, register: pd.DataFrame, *, seed: int | None = None,
                           years: list[int] | None = None, specs: Iterable[TableSpec] = (),
                           kreis_history: "KreisHistory | None" = None) -> bytes:
    """A county's CSV in the layout its `declaration` describes (one row per Kreis and period, one column per value)."""
    plan = make_plan(spec, years=years, seed=seed)
    table = _Table(spec, plan, register, {s.name: s for s in specs}, kreis_history)
    return table.declared_csv()


def zip_body(table: str, body: bytes) -> tuple[bytes, str]:
    """The body zipped as GENESIS delivers it, and the zip's file name `<table>_<13 digits>_de_flat.zip`."""
    # The live service puts a millisecond timestamp there; a number from the content keeps the
    # bytes, and so the landing zone's "unchanged", stable for the same content.
    stamp = 1_700_000_000_000 + zlib.crc32(body)
    stem = f"{table}_{stamp}_de_flat"
    member = zipfile.ZipInfo(f"{stem}.csv", date_time=(2026, 1, 1, 0, 0, 0))
    member.compress_type = zipfile.ZIP_DEFLATED
    member.create_system = 3
    member.external_attr = 0o644 << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, body, compresslevel=1)
    return buffer.getvalue(), f"{stem}.zip"


@lru_cache(maxsize=4)
def _cached_register(path: str, modified: int) -> pd.DataFrame:
    return parse_gv100ad(Path(path))


def load_register(path: Path = REGISTER_FILE) -> pd.DataFrame:
    """The parsed register (GV100AD), read once per file and modification time."""
    path = Path(path).resolve()
    return _cached_register(str(path), path.stat().st_mtime_ns)


def table_seed(spec: TableSpec) -> int:
    """The seed a table is generated with: its `synthetic.seed`, else the default."""
    return int((spec.synthetic or {}).get("seed", DEFAULT_SEED))


# --- Kreise as they were: the change list -------------------------------------------------------

@dataclass(frozen=True)
class KreisChange:
    day: date
    kind: str  # formation (a new unit, valid from `day`) or merger (into a unit that goes on)
    old: str  # 5-digit Kreis keys
    new: str


class KreisHistory:
    """Which Kreis keys a file of a given reference day carries for today's Kreise (the curated change list,
    sources/curated/territorial_changes.csv, read by the same rules as core.region_history)."""

    def __init__(self, changes: Iterable[KreisChange]):
        self._into: dict[str, list[KreisChange]] = {}  # today's key → the changes that formed or merged into it
        for change in changes:
            self._into.setdefault(change.new, []).append(change)

    @classmethod
    def from_csv(cls, path: Path) -> "KreisHistory":
        frame = pd.read_csv(path, dtype=str)
        return cls(KreisChange(date.fromisoformat(row.change_date), row.kind, row.old_ags[:5], row.new_ags[:5])
                   for row in frame.itertuples() if row.level == "kreis")

    def keys_on(self, key: str, day: date) -> list[str]:
        """The keys valid on `day` whose area is today's Kreis `key`: itself if it existed, else the Kreise it
        was formed from after `day` (recursively).

        A merger into a Kreis that goes on (Eisenach into the Wartburgkreis, 2021) is not undone: the merged
        city's Gemeinde keys of that time are in no register edition here, so the Gemeinde rows could not add
        up to the smaller Kreis. The Kreis is written at today's area in every year (a valid key all along).
        """
        formed = [c for c in self._into.get(key, []) if c.kind == "formation"]
        if not formed or min(c.day for c in formed) <= day:
            return [key]
        return [old for c in formed if c.day > day for old in self.keys_on(c.old, day)]

    @staticmethod
    def split(values: list[bytes], keys: list[str]) -> list[list[bytes]]:
        """A Kreis row's values as the rows of `keys`: counts divided (the parts sum to the whole, so Land
        totals stay), rates and signs repeated."""
        weights = [100 + zlib.crc32(key.encode()) % 100 for key in keys]
        total = sum(weights)
        rows: list[list[bytes]] = [[] for _ in keys]
        for value in values:
            if not value.isdigit():  # `-`, `.`, a rate with a decimal comma
                for row in rows:
                    row.append(value)
                continue
            whole = int(value)
            parts = [whole * weight // total for weight in weights]
            parts[0] += whole - sum(parts)
            for row, part in zip(rows, parts):
                row.append(str(part).encode() if part else b"-")
        return rows


# --- the plan: the synthetic block with its defaults ---------------------------------------------

@dataclass(frozen=True)
class Plan:
    """A table's `synthetic:` block read with its defaults."""

    years: tuple[int, ...]
    levels: tuple[str, ...]  # coarse to fine
    time_code: str
    day: str  # MM-DD of a reference date; "" when the time is the year
    base: str  # population, percent, or <table name>.<VALUE VARIABLE>
    rates: dict[str, Any]
    shares: dict[str, dict[str, Any]]
    conditional: dict[tuple[str, str], dict[str, dict[str, Any]]]  # (variable, code) → shares within that code
    subsets: frozenset[str]
    units: dict[str, str]
    round_to: int
    suppress: float
    by_level: dict[str, list[str]]
    not_by: dict[str, list[str]]
    one_classifier: bool
    cells: list[dict] | None
    labels: dict[str, str]
    total_codes: dict[str, str]
    regions: dict[str, tuple[str, str]]
    statistics_label: str
    seed: int


def make_plan(spec: TableSpec, *, years: list[int] | None = None, seed: int | None = None) -> Plan:
    """Read a table's `synthetic:` block; anything left out gets its default."""
    block = dict(spec.synthetic or {})
    unknown = sorted(set(block) - KNOWN_KEYS - {key for key in block if "=" in key})
    if unknown:
        logger.warning("%s: unknown key(s) in the synthetic block: %s", spec.label, ", ".join(unknown))
    time = block.get("time") or {}
    time_code = str(time.get("code") or block.get("time_code") or "STAG").upper()
    day = str(time.get("day") or block.get("reference_day") or "") if time_code == "STAG" else ""
    levels = [str(level).lower() for level in block.get("levels") or ("kreis", "land", "deutschland")]
    wrong = [level for level in levels if level not in LEVELS]
    if wrong:
        raise ValueError(f"{spec.label}: synthetic levels must be among {', '.join(LEVELS)}, not {', '.join(wrong)}")
    shares = {str(k).lower(): dict(v or {}) for k, v in (block.get("shares") or {}).items() if "=" not in str(k)}
    conditional = {}
    for key, value in (block.get("shares") or {}).items():
        if "=" in str(key):
            variable, code = str(key).split("=", 1)
            conditional[(variable.strip().lower(), code.strip())] = {
                str(k).lower(): dict(v or {}) for k, v in (value or {}).items()}
    regions = dict(ZENSUS_REGIONS if spec.source == "zensus" else GENESIS_REGIONS)
    for level, code in (block.get("regional_variables") or {}).items():
        regions[str(level)] = (str(code), regions.get(str(level), ("", str(code)))[1])
    return Plan(
        years=tuple(sorted(int(y) for y in years)) if years else _years(block.get("years")),
        levels=tuple(level for level in LEVELS if level in levels),
        time_code=time_code,
        day=day,
        base=str(block.get("base") or "population"),
        rates=dict(block.get("rates") or {}),
        shares=shares,
        conditional=conditional,
        subsets=frozenset(str(v).lower() for v in block.get("subsets") or ()),
        units={str(k): str(v) for k, v in (block.get("units") or {}).items()},
        round_to=max(1, int(block.get("round_to") or 1)),
        suppress=float(block.get("suppress", block.get("suppressed_share", 0.01)) or 0),
        by_level={str(k): [v] if isinstance(v, str) else list(v)
                  for k, v in (block.get("value_variable_by_level") or {}).items()},
        not_by={str(k): [str(v).lower() for v in vs] for k, vs in (block.get("not_by") or {}).items()},
        one_classifier=bool(block.get("one_classifier_per_cell", False)),
        cells=block.get("cells"),
        labels={str(k): str(v) for k, v in (block.get("labels") or {}).items()},
        total_codes={str(k).lower(): str(v) for k, v in (block.get("total_codes") or {}).items()},
        regions=regions,
        statistics_label=str(block.get("statistics_label") or spec.title or spec.table),
        seed=int(seed if seed is not None else block.get("seed", DEFAULT_SEED)),
    )


def _years(value: Any) -> tuple[int, ...]:
    """`[first, last]` → every year in between; one year; or a longer list as it is."""
    if value is None:
        return DEFAULT_YEARS
    if isinstance(value, (int, str)):
        return (int(value),)
    values = sorted(int(v) for v in value)
    if len(values) == 2:
        return tuple(range(values[0], values[1] + 1))
    return tuple(values)


def _range(value: Any, default: tuple[float, float] | None = None) -> tuple[float, float] | None:
    """A number (fixed) or [low, high] (drawn per region) as (low, high); `{share: …}` reads its share."""
    if isinstance(value, dict):
        value = value.get("share")
    if value is None:
        return default
    if isinstance(value, (int, float)):
        return float(value), float(value)
    low, high = (float(v) for v in value)
    return min(low, high), max(low, high)


def _within(value: Any) -> str | None:
    """The code a `darunter` code is part of (`{share: 0.09, within: CODE}`)."""
    return str(value["within"]) if isinstance(value, dict) and value.get("within") else None


# --- regions of the register ----------------------------------------------------------------------

def region_table(register: pd.DataFrame, level: str) -> pd.DataFrame:
    """Regions of one level, sorted by key: key, ars, name, population and area (Gemeinden summed up)."""
    gemeinden = register[register["level"] == "gemeinde"]
    numbers = pd.DataFrame({
        "population": gemeinden["population"].astype("float64").to_numpy(),
        "area": gemeinden["area_ha"].astype("float64").fillna(0).to_numpy(),
    })
    if level == "gemeinde":
        frame = pd.DataFrame({"key": gemeinden["key"].to_numpy(), "ars": gemeinden["ars"].to_numpy(),
                              "name": gemeinden["name"].to_numpy()}).join(numbers)
    elif level == "deutschland":
        frame = pd.DataFrame({"key": [""], "ars": [None], "name": ["Deutschland"],
                              "population": [numbers["population"].sum()], "area": [numbers["area"].sum()]})
    else:
        records = register[register["level"] == level]
        prefix = gemeinden["key"].str.slice(0, KEY_LENGTH[level]).to_numpy()
        sums = numbers.groupby(prefix).sum()
        frame = pd.DataFrame({"key": records["key"].to_numpy(), "ars": None, "name": records["name"].to_numpy()})
        frame = frame.join(sums, on="key").fillna({"population": 0.0, "area": 0.0})
    return frame.sort_values("key", kind="stable").reset_index(drop=True)


def _urban(regions: pd.DataFrame) -> np.ndarray:
    """Density rank in [0, 1]: denser regions draw towards the high end of a range."""
    density = regions["population"].to_numpy() / np.maximum(regions["area"].to_numpy(), 1.0)
    if len(density) < 2:
        return np.full(len(density), 0.5)
    return density.argsort().argsort() / (len(density) - 1)


def _group(child_keys: np.ndarray, parents: pd.DataFrame, level: str) -> np.ndarray:
    """Row of each finer region's parent in `parents`, or -1 when the register has none (gemeindefreie Gebiete)."""
    prefix = pd.Index([key[: KEY_LENGTH[level]] for key in child_keys])
    return pd.Index(parents["key"]).get_indexer(prefix)


def _sum_up(values: np.ndarray, parent: np.ndarray, count: int) -> np.ndarray:
    """Sum rows of `values` into `count` parent rows (rows are sorted by key, so each parent's are adjacent)."""
    keep = parent >= 0
    rows, values = parent[keep], values[keep]
    out = np.zeros((count,) + values.shape[1:], dtype=values.dtype)
    if len(rows):
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        out[rows[starts]] = np.add.reduceat(values, starts, axis=0)
    return out


# --- random numbers -------------------------------------------------------------------------------

def _number(part: Any) -> int:
    return part if isinstance(part, int) else zlib.crc32(str(part).encode("utf-8"))


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64: well-spread 64-bit numbers from any 64-bit input (wrapping arithmetic)."""
    values = values + np.uint64(0x9E3779B97F4A7C15)
    values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


class _Draws:
    """Deterministic random numbers per region: same seed, same numbers.

    A draw depends on the seed, what is drawn (`nat:NATA`, `ERW033`, the population's growth) and the
    region's key, never on the table: a Kreis has the same foreign share position, growth and drift
    in every table, so indicators dividing one table by another stay plausible (employees ≤ population).
    """

    def __init__(self, seed: int, table: str, keys: Iterable[str], urban: np.ndarray, years: tuple[int, ...]):
        self.seed, self.table, self.urban = seed, table, urban
        self.years = np.array(years)
        self.regions = np.array([_hash64(f"{seed}|{key}") for key in keys], dtype=np.uint64)

    def rng(self, *parts: Any) -> np.random.Generator:
        """A generator for one table's own draws (which small cells are hidden)."""
        return np.random.default_rng([self.seed, _number(self.table), *(_number(p) for p in parts)])

    def uniform(self, *parts: Any) -> np.ndarray:
        """One number in [0, 1) per region for what `parts` name."""
        mixed = _mix(_mix(self.regions ^ np.uint64(_hash64("|".join(map(str, parts))))))
        return (mixed >> np.uint64(11)).astype(np.float64) * 2.0**-53

    def level(self, key: str, value: tuple[float, float]) -> np.ndarray:
        """(regions, years): a fixed number, or a position in [low, high] per region with a small yearly drift."""
        low, high = value
        count = len(self.urban)
        if low == high:
            return np.full((count, len(self.years)), low)
        position = np.clip(0.6 * self.urban + 0.4 * self.uniform(key, "position"), 0, 1)
        start = low + (high - low) * position
        slope = 0.02 * (self.uniform(key, "slope") - 0.5)
        noise = np.stack([0.035 * (self.uniform(key, "noise", int(y)) - 0.5) for y in self.years], axis=1)
        drift = 1 + slope[:, None] * (self.years - ANCHOR_YEAR)[None, :] + noise
        return np.clip(start[:, None] * drift, 0, None)

    def population(self, population: np.ndarray) -> np.ndarray:
        """(regions, years): the register's population, growing in cities and shrinking elsewhere, a little each year."""
        growth = 0.012 * (self.uniform("growth") - 0.5) + 0.006 * (self.urban - 0.5)
        noise = np.stack([0.007 * (self.uniform("growth", int(y)) - 0.5) for y in self.years], axis=1)
        return np.clip(population[:, None] * (1 + growth[:, None] * (self.years - ANCHOR_YEAR)[None, :] + noise), 0, None)

    def weights(self, key: str, codes: list[str]) -> np.ndarray:
        """(regions, codes) summing to 1: an uneven split (some nationalities many, most few), varying a little by region."""
        rng = np.random.default_rng([self.seed, _number(key)])
        spread = rng.lognormal(0, min(1.0, 0.25 * np.log2(len(codes) + 1)), len(codes))
        weights = spread[None, :] * np.stack([0.7 + 0.6 * self.uniform(key, "weight", code) for code in codes], axis=1)
        return weights / weights.sum(axis=1, keepdims=True)


# --- classifying variables -------------------------------------------------------------------------

@dataclass
class _Variable:
    """One classifying variable: its published codes and how the cells split over them."""

    name: str  # lower case, as in tables.yaml
    codes: list[str]  # published codes, without a total code
    total_code: str | None  # the code that stands for the total (KINTE5 INSGESAMT3), if any
    entries: list[str]  # axis of the generated cells: parts, then "(rest)", "(whole)", then derived codes
    parts: list[int]  # entries whose sum is the total
    mode: str  # partition (parts add up to the total) or subset (each code a share of the whole)

    def choices(self) -> list[str | None]:
        """What a row can carry for this variable: the total (None), then each code."""
        return [None, *self.codes]


def _variables(spec: TableSpec, plan: Plan) -> list[_Variable]:
    """The table's classifying variables with their codes and their split."""
    names = [v.lower() for v in spec.variables] + [v.lower() for v in spec.categories if v.lower() not in
                                                    {n.lower() for n in spec.variables}]
    variables = []
    for name in names:
        shares = plan.shares.get(name) or DEFAULT_SHARES.get(name, {})
        codes = list(spec.categories.get(name) or spec.categories.get(name.upper()) or shares or DEFAULT_CODES.get(name, []))
        if not codes:
            raise ValueError(f"{spec.label}: no codes for variable {name}: list them under categories")
        total_code = plan.total_codes.get(name) or next(
            (code for code in codes if _range(shares.get(code)) == (1.0, 1.0) and not _within(shares.get(code))), None)
        published = [code for code in codes if code != total_code]
        derived = [code for code in published if _within(shares.get(code))]
        own = [code for code in published if code not in derived]
        rated = [code for code in own if code in shares]
        middle = sum(sum(_range(shares[code])) / 2 for code in rated)
        if name in plan.subsets or middle > 1.01:
            mode, entries, parts = "subset", ["(whole)", *own], [0]
        else:
            hidden_rest = len(rated) == len(own) and middle < 0.99
            mode, entries = "partition", own + (["(rest)"] if hidden_rest else [])
            parts = list(range(len(entries)))
        variables.append(_Variable(name, published, total_code, entries + derived, parts, mode))
    return variables


def _factors(variable: _Variable, shares: dict[str, Any], draws: _Draws, key: str) -> np.ndarray:
    """(regions, years, entries): each entry's share of the cell; parts add up to 1."""
    count, years = len(draws.urban), len(draws.years)
    out = np.zeros((count, years, len(variable.entries)))
    own = [entry for entry in variable.entries if entry not in ("(whole)", "(rest)") and not _within(shares.get(entry))]
    if variable.mode == "subset":
        out[:, :, 0] = 1.0
        for entry in own:
            index = variable.entries.index(entry)
            out[:, :, index] = draws.level(f"{key}:{entry}", _range(shares.get(entry), DEFAULT_SUBSET_SHARE))
    else:
        rated = [entry for entry in own if entry in shares]
        for entry in rated:
            out[:, :, variable.entries.index(entry)] = draws.level(f"{key}:{entry}", _range(shares[entry]))
        taken = out.sum(axis=2)
        left = np.clip(1 - taken, 0, None)
        unrated = [entry for entry in own if entry not in shares]
        if unrated:  # codes without a share split what is left
            weights = draws.weights(key, unrated)
            for position, entry in enumerate(unrated):
                out[:, :, variable.entries.index(entry)] = left * weights[:, position:position + 1]
        elif "(rest)" in variable.entries:
            out[:, :, variable.entries.index("(rest)")] = left
        total = out[:, :, variable.parts].sum(axis=2, keepdims=True)
        out[:, :, variable.parts] /= np.where(total > 0, total, 1)
    for entry in variable.entries:  # derived (`darunter`) codes, in the order listed
        within = _within(shares.get(entry))
        if within is None:
            continue
        parent = 1.0 if within in (variable.total_code, None) or within not in variable.entries \
            else out[:, :, variable.entries.index(within)]
        out[:, :, variable.entries.index(entry)] = parent * draws.level(f"{key}:{entry}", _range(shares[entry]))
    return out


# --- the table ------------------------------------------------------------------------------------

class _Selection(NamedTuple):
    """Rows of one value variable: the variables its cells are generated by, those its rows show, and their codes."""

    value_variable: str
    used: list[_Variable]
    applying: list[_Variable]  # variables a row carries (the others' slots stay empty)
    combinations: list[tuple[int, ...]]  # per row: the choice of every used variable (0 = its total)


class _Block(NamedTuple):
    """A selection's values at one level, as the bytes of the value field: (regions, years, combinations)."""

    selection: _Selection
    text: np.ndarray


class _Table:
    """One table generated at its finest level, summed up to the coarser ones, written as ffcsv."""

    def __init__(self, spec: TableSpec, plan: Plan, register: pd.DataFrame, specs: dict[str, TableSpec],
                 kreis_history: KreisHistory | None = None):
        self.spec, self.plan, self.register, self.specs = spec, plan, register, specs
        self.kreis_history = kreis_history
        self.finest = plan.levels[-1]
        self.units = region_table(register, self.finest)
        self.draws = _Draws(plan.seed, spec.name, self.units["key"], _urban(self.units), plan.years)
        self.variables = _variables(spec, plan)
        self.by_name = {v.name: v for v in self.variables}
        self.weights = _scale(spec, plan, register, specs, self.units, self.draws)

    # values at the finest level

    def unit(self, value_variable: str) -> str:
        default = "Prozent" if self.plan.base == "percent" else "Anzahl"
        return self.plan.units.get(value_variable, default)

    def cells(self, value_variable: str, used: list[_Variable]) -> np.ndarray:
        """(regions, years, choices of each used variable): counts with every total, or rates."""
        if self.unit(value_variable) != "Anzahl":
            return self._rates(value_variable, used)
        count, years = len(self.units), len(self.plan.years)
        rate = self.plan.rates.get(value_variable)
        rate = _range(None if isinstance(rate, dict) else rate, (1.0, 1.0))
        cube = (self.weights * self.draws.level(value_variable, rate)).reshape(count, years, *[1] * len(used))
        for position, variable in enumerate(used):
            cube = cube * self._split(variable, position, used)
        step = self.plan.round_to
        cube = (np.rint(cube / step) * step).astype(np.int64)
        for position, variable in enumerate(used):
            axis = 2 + position
            total = cube.take(variable.parts, axis=axis).sum(axis=axis, keepdims=True)
            codes = cube.take([variable.entries.index(code) for code in variable.codes], axis=axis)
            cube = np.concatenate([total, codes], axis=axis)
        return cube

    def _split(self, variable: _Variable, position: int, used: list[_Variable]) -> np.ndarray:
        """The variable's factors shaped to multiply the cube, conditioned on another variable's code if declared."""
        count, years = len(self.units), len(self.plan.years)
        shares = self.plan.shares.get(variable.name) or DEFAULT_SHARES.get(variable.name, {})
        factors = _factors(variable, shares, self.draws, variable.name)
        shape = [count, years] + [1] * len(used)
        shape[2 + position] = len(variable.entries)
        condition = next(((w, c) for (w, c), block in self.plan.conditional.items()
                          if variable.name in block and w in {u.name for u in used} and w != variable.name), None)
        if condition is None:
            return factors.reshape(shape)
        by = self.by_name[condition[0]]
        by_position = [u.name for u in used].index(by.name)
        stacked = np.repeat(factors[:, :, None, :], len(by.entries), axis=2)
        for (w, code), block in self.plan.conditional.items():
            if w == by.name and variable.name in block and code in by.entries:
                merged = {**shares, **block[variable.name]}
                stacked[:, :, by.entries.index(code), :] = _factors(variable, merged, self.draws, f"{variable.name}|{code}")
        if by_position > position:
            stacked = stacked.transpose(0, 1, 3, 2)
        shape[2 + by_position] = len(by.entries)
        return stacked.reshape(shape)

    def _rates(self, value_variable: str, used: list[_Variable]) -> np.ndarray:
        """(regions, years, choices…) of a rate or share: its level times each code's factor (the total's is 1)."""
        count, years = len(self.units), len(self.plan.years)
        rate = self.plan.rates.get(value_variable)
        by_code = rate if isinstance(rate, dict) else {}
        cube = self.draws.level(value_variable, _range(rate, (1.0, 10.0)) if not by_code else (1.0, 1.0))
        cube = cube.reshape(count, years, *[1] * len(used))
        for position, variable in enumerate(used):
            choices = variable.choices()
            factors = np.ones((count, years, len(choices)))
            shares = self.plan.shares.get(variable.name, {})
            rated_here = [code for code in variable.codes if code in by_code]
            for index, code in enumerate(choices[1:], start=1):
                if code in by_code:
                    factors[:, :, index] = self.draws.level(f"{value_variable}:{code}", _range(by_code[code]))
                else:
                    factor = _range(shares.get(code), DEFAULT_FACTOR)
                    factors[:, :, index] = self.draws.level(f"{value_variable}:{code}", factor)
            if rated_here:  # the total of the variable the rates are given by: their mean
                factors[:, :, 0] = factors[:, :, 1:].mean(axis=2)
            shape = [count, years] + [1] * len(used)
            shape[2 + position] = len(choices)
            cube = cube * factors.reshape(shape)
        return cube

    # rows: which combinations of codes each value variable is published in

    def selections(self) -> list[_Selection]:
        """Per value variable and cell rule, in the order declared: the rows it is published in."""
        rules = self._rules()
        selections, seen = [], set()
        for value_variable, rule in rules:
            # a value variable's cells are generated once, by every variable any of its rules shows
            used = [v for v in self.variables if any(v.name in r for vv, r in rules if vv == value_variable)]
            applying = [v for v in used if v.name in rule]
            combinations = [c for c in itertools.product(*(rule[v.name] for v in applying))
                            if not self.plan.one_classifier or sum(1 for i in c if i) <= 1]
            names = [v.name for v in applying]
            full = [tuple(dict(zip(names, c)).get(v.name, 0) for v in used) for c in combinations]
            # rules may overlap (each column rule has the all-totals row): a row is published once
            full = [c for c in full if (value_variable, c) not in seen]
            seen.update((value_variable, c) for c in full)
            selections.append(_Selection(value_variable, used, applying, full))
        return selections

    def _rules(self) -> list[tuple[str, dict[str, list[int]]]]:
        """(value variable, variable → the choice indexes its rows show, 0 = the total), one per cell rule."""
        value_variables = list(self.spec.value_variables) or ["WERT"]
        if not self.plan.cells:
            return [(vv, {v.name: [0] if v.name in self.plan.not_by.get(vv, ()) else list(range(len(v.choices())))
                          for v in self.variables}) for vv in value_variables]
        rules = []
        for cell in self.plan.cells:
            rule = {}
            for name, wanted in (cell.get("classifiers") or {}).items():
                variable = self.by_name.get(str(name).lower())
                if variable is None:
                    raise ValueError(f"{self.spec.label}: synthetic cells name the unknown variable {name}")
                choices = variable.choices()
                if wanted == "*":
                    rule[variable.name] = list(range(len(choices)))
                elif wanted is None or wanted == variable.total_code:
                    rule[variable.name] = [0]
                else:
                    codes = wanted if isinstance(wanted, list) else [wanted]
                    rule[variable.name] = [choices.index(None if c == variable.total_code else c) for c in codes]
            rules += [(vv, rule) for vv in ([cell["value_variable"]] if cell.get("value_variable") else value_variables)]
        return rules

    # output

    def blocks(self) -> tuple[dict[str, pd.DataFrame], dict[str, list[_Block]]]:
        """Per level: its regions, and the values of every selection there."""
        finest = self.units
        per_level = {level: region_table(self.register, level) for level in self.plan.levels}
        parents = {level: _group(finest["key"].to_numpy(), per_level[level], level) for level in self.plan.levels
                   if level != self.finest}
        cache: dict[tuple[str, tuple[str, ...]], np.ndarray] = {}
        out: dict[str, list[_Block]] = {level: [] for level in self.plan.levels}
        for number, selection in enumerate(self.selections()):
            value_variable, used, _, combinations = selection
            key = (value_variable, tuple(v.name for v in used))
            if key not in cache:
                cache[key] = self.cells(value_variable, used)
            cube = cache[key]
            index = tuple(np.array([c[i] for c in combinations], dtype=np.intp) for i in range(len(used)))
            values = cube[(slice(None), slice(None), *index)] if used else cube[:, :, None]
            is_count = self.unit(value_variable) == "Anzahl"
            for level in self.plan.levels:
                wanted = self.plan.by_level.get(level)
                if wanted and value_variable not in wanted:
                    continue
                if level == self.finest:
                    level_values, weights = values, self.weights
                elif is_count:
                    level_values, weights = _sum_up(values, parents[level], len(per_level[level])), None
                else:
                    weights = _sum_up(self.weights, parents[level], len(per_level[level]))
                    weighted = _sum_up(values * self.weights[:, :, None], parents[level], len(per_level[level]))
                    level_values = weighted / np.where(weights > 0, weights, 1)[:, :, None]
                text = self._format(level_values, is_count, level, number, weights)
                out[level].append(_Block(selection, text))
        return per_level, out

    def _format(self, values: np.ndarray, is_count: bool, level: str, number: int, weights) -> np.ndarray:
        """Values as the bytes GENESIS writes: integers, decimal comma, `-` for nothing, `.` for a hidden small count."""
        if is_count:
            text = values.astype("S20")
            text[values == 0] = b"-"
            if level in ("kreis", "gemeinde") and self.plan.suppress > 0:
                chance = self.draws.rng("suppress", level, number).random(values.shape)
                hidden = (values > 0) & (values < SMALL_CELL) & (chance < self.plan.suppress)
                text[hidden] = b"."
            return text
        tenths = np.rint(values * 10).astype(np.int64)
        text = np.char.add(np.char.add((tenths // 10).astype("S20"), b","), (tenths % 10).astype("S1"))
        if weights is not None and level in ("kreis", "gemeinde"):
            text[np.broadcast_to((weights == 0)[:, :, None], values.shape)] = b"-"
        return text

    def ffcsv(self) -> bytes:
        """The whole file: header, then per year, level and region one line per value variable and code combination."""
        plan, spec = self.plan, self.spec
        statistic = expected_statistics_code(spec.table) or spec.table.split("-")[0]
        label = _clean(MARK + plan.statistics_label)
        time_label = "Stichtag" if plan.time_code == "STAG" else "Jahr"
        slots = [f"{n}_variable_code;{n}_variable_label;{n}_variable_attribute_code;{n}_variable_attribute_label"
                 for n in range(1, len(self.variables) + 2)]
        header = ";".join(["statistics_code;statistics_label;time_code;time_label;time", *slots,
                           "value;value_unit;value_variable_code;value_variable_label"])
        per_level, blocks = self.blocks()
        parts = [("\ufeff" + header + "\n").encode("utf-8")]
        templates = {level: self._template(blocks[level]) for level in plan.levels}
        values = {level: np.concatenate([block.text for block in blocks[level]], axis=2).transpose(1, 0, 2).tolist()
                  for level in plan.levels if blocks[level]}
        regions, named, region_variables = {}, {}, {}
        for level in values:
            variable_code, variable_label = region_variables[level] = plan.regions.get(level, GENESIS_REGIONS[level])
            keys = self._keys(per_level[level], level, variable_code)
            named[level] = list(zip(keys, per_level[level]["name"]))
            regions[level] = [_clean_join(variable_code, variable_label, key, name, "").encode("utf-8")
                              for key, name in named[level]]
        for year_index, year in enumerate(plan.years):
            time = f"{year}-{plan.day}" if plan.day else str(year)
            head = _clean_join(statistic, label, plan.time_code, time_label, time, "").encode("utf-8")
            for level in (level for level in plan.levels if level in values):
                template, width = templates[level]
                args: list[bytes] = [b""] * (2 * width)
                rows = zip(regions[level], values[level][year_index])
                if level == "kreis" and self.kreis_history is not None:
                    rows = ((_clean_join(*region_variables[level], key, name, "").encode("utf-8"), row)
                            for key, name, row in self._kreise_on(year, named[level], values[level][year_index]))
                for region, row in rows:
                    args[0::2] = [head + region] * width
                    args[1::2] = row
                    parts.append(template % tuple(args))
        return b"".join(parts)

    def _kreise_on(self, year: int, named: list[tuple[str, str]], rows: list[list[bytes]]):
        """(key, name, values) of the Kreise of the year's reference day: today's, or those they were formed from."""
        month, day = (int(part) for part in self.plan.day.split("-")) if self.plan.day else (12, 31)
        reference_day = date(year, month, day)  # as fact_day() in sql/_macros.sql: a year means its 31 December
        for (key, name), row in zip(named, rows):
            keys = self.kreis_history.keys_on(key, reference_day)
            if keys == [key]:
                yield key, name, row
                continue
            for old, values in zip(keys, KreisHistory.split(row, keys)):
                yield old, name if old == key else f"{name} (Kreis {old} bis zur Gebietsreform)", values

    def _template(self, blocks: list[_Block]) -> tuple[bytes, int]:
        """The lines of one region and year as a %-template: region prefix and value are filled in per line."""
        lines = []
        for (value_variable, used, applying, combinations), _ in blocks:
            tail = ";" + _clean_join(self.unit(value_variable), value_variable, self._label(value_variable))
            for combination in combinations:
                pieces = []
                for variable in self.variables:
                    if variable.name not in {v.name for v in applying}:
                        pieces.append(";;;;")
                        continue
                    code = variable.choices()[combination[used.index(variable)]]
                    code, label = (variable.total_code or "", self._label(variable.total_code or "", TOTAL_LABEL)) \
                        if code is None else (code, self._label(code))
                    pieces.append(_clean_join(variable.name.upper(), self._label(variable.name.upper()), code, label) + ";")
                middle = "".join(pieces).replace("%", "%%")
                lines.append(b"%s" + middle.encode("utf-8") + b"%s" + tail.replace("%", "%%").encode("utf-8") + b"\n")
        return b"".join(lines), len(lines)

    def _label(self, code: str, default: str | None = None) -> str:
        if code in self.plan.labels:
            return self.plan.labels[code]
        if default is not None:
            return default
        if code.startswith("label:"):
            return code[len("label:"):].replace("-", " ")
        return LABELS.get(code, code)

    @staticmethod
    def _keys(regions: pd.DataFrame, level: str, variable_code: str) -> list[str]:
        if level == "deutschland":
            return ["DG"]
        if level == "gemeinde" and variable_code.startswith("GEO"):
            return regions["ars"].tolist()
        return regions["key"].tolist()

    def declared_csv(self) -> bytes:
        """One row per region and period, one column per declared value, as the county file's declaration reads it."""
        declaration = self.spec.declaration or {}
        region, period = declaration.get("region") or {}, declaration.get("period") or {}
        values = declaration.get("values") or []
        signs = set(declaration.get("signs") or ())
        cells = [{"value_variable": v.get("value_variable"),
                  "classifiers": {k: (c.get("code") if isinstance(c, dict) else c)
                                  for k, c in (v.get("classifiers") or {}).items()}}
                 for v in values]
        units = {**self.plan.units,
                 **{v["value_variable"]: v["unit"] for v in values if v.get("unit") and v.get("value_variable")}}
        plan = Plan(**{**self.plan.__dict__, "cells": cells, "by_level": {}, "units": units,
                       "suppress": self.plan.suppress if "." in signs else 0.0})
        table = _Table(self.spec, plan, self.register, self.specs, self.kreis_history)
        per_level, blocks = table.blocks()
        level = table.finest
        matrix = np.concatenate([block.text for block in blocks[level]], axis=2)  # (regions, years, declared values)
        if "-" not in signs:
            matrix = np.where(matrix == b"-", b"0", matrix)
        delimiter = declaration.get("delimiter", ";")
        header = [region.get("column", "AGS"), *([region["label_column"]] if region.get("label_column") else []),
                  period.get("column", "Jahr"), *[v["column"] for v in values]]
        lines = [delimiter.join(header)]
        names = per_level[level]["name"].tolist()
        named = list(zip(per_level[level]["key"].tolist(), names))
        for year_index, year in enumerate(plan.years):
            stamp = f"{plan.day[3:5]}.{plan.day[0:2]}.{year}" if period.get("type") == "date" and plan.day else str(year)
            rows = [(key, name, list(matrix[row, year_index])) for row, (key, name) in enumerate(named)]
            if level == "kreis" and self.kreis_history is not None:
                rows = list(table._kreise_on(year, named, [values for _, _, values in rows]))
                if "-" not in signs:  # a divided count of 0 is written as the declaration writes zeros
                    rows = [(key, name, [b"0" if value == b"-" else value for value in values])
                            for key, name, values in rows]
            for key, name, values in rows:
                fields = [key, *([name] if region.get("label_column") else []), stamp]
                lines.append(delimiter.join(fields + [value.decode() for value in values]))
        encoding = str(declaration.get("encoding", "utf-8")).lower()
        return ("\n".join(lines) + "\n").encode("utf-8-sig" if encoding in ("utf-8", "utf8") else encoding)


def _scale(spec: TableSpec, plan: Plan, register: pd.DataFrame, specs: dict[str, TableSpec], units: pd.DataFrame,
           draws: _Draws, depth: int = 0) -> np.ndarray:
    """(regions, years) the counts scale with: the population, or another table's total (`base: <table>.<VAR>`)."""
    if plan.base in ("population", "percent"):
        return draws.population(units["population"].to_numpy())
    name, _, value_variable = plan.base.partition(".")
    other = specs.get(name) or _configured_spec(name)
    if other is None or not value_variable:
        raise ValueError(f"{spec.label}: synthetic base {plan.base!r} is not <configured table name>.<VALUE VARIABLE>")
    if depth > 5:
        raise ValueError(f"{spec.label}: synthetic bases refer to each other in a circle")
    other_plan = make_plan(other, years=list(plan.years), seed=plan.seed)
    other_units = region_table(register, other_plan.levels[-1])
    other_draws = _Draws(other_plan.seed, other.name, other_units["key"], _urban(other_units), other_plan.years)
    base = _scale(other, other_plan, register, specs, other_units, other_draws, depth + 1)
    rate = other_plan.rates.get(value_variable)
    totals = base * other_draws.level(value_variable, _range(rate if not isinstance(rate, dict) else None, (1.0, 1.0)))
    return _move(totals, other_units, units, other_plan.levels[-1], plan.levels[-1])


def _move(values: np.ndarray, source: pd.DataFrame, target: pd.DataFrame, source_level: str,
          target_level: str) -> np.ndarray:
    """(regions, years) of one level onto another: summed up to a coarser level, split by population to a finer one."""
    if source_level == target_level:
        return values[pd.Index(source["key"]).get_indexer(target["key"])]
    if LEVELS.index(target_level) < LEVELS.index(source_level):
        return _sum_up(values, _group(source["key"].to_numpy(), target, target_level), len(target))
    parent = _group(target["key"].to_numpy(), source, source_level)
    population = target["population"].to_numpy()
    parent_population = _sum_up(population, parent, len(source))
    share = np.where(parent >= 0, population / np.maximum(parent_population[np.maximum(parent, 0)], 1), 0)
    return values[np.maximum(parent, 0)] * share[:, None]


def _configured_spec(name: str) -> TableSpec | None:
    """A table of the configured catalogue (IMON_TABLES_FILE or sources/tables.yaml) by name."""
    import os

    from sources.catalog import load_table_specs

    path = Path(os.environ.get("IMON_TABLES_FILE") or Path(__file__).parents[1] / "sources" / "tables.yaml")
    return next((s for s in load_table_specs(path) if s.name == name), None)


def _clean(text: Any) -> str:
    """A field without the characters that would break a semicolon line."""
    return str(text).replace(";", ",").replace("\n", " ").replace('"', "'")


def _clean_join(*fields: Any) -> str:
    return ";".join(_clean(f) for f in fields)


def main(argv: list[str] | None = None) -> int:
    """`python -m offline.synthetic NAME [YEAR …]`: generate a configured table and print its first lines and size."""
    import sys
    import time

    from sources.catalog import load_table_specs

    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m offline.synthetic TABLE_NAME [YEAR …]")
        return 2
    specs = load_table_specs(Path(__file__).parents[1] / "sources" / "tables.yaml")
    spec = next((s for s in specs if s.name == args[0] or s.table == args[0]), None)
    if spec is None:
        print(f"no configured table {args[0]}")
        return 2
    started = time.perf_counter()
    body = generate_table(spec, load_register(), years=[int(y) for y in args[1:]] or None, specs=specs)
    lines = body.decode("utf-8-sig").splitlines()
    print("\n".join(lines[:12]))
    print(f"… {len(lines) - 1:,} rows, {len(body) / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
