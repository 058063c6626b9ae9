"""imon's indicators against the values the Regionalatlas publishes, where the definitions match.

The Regionalatlas rounds to one decimal, so a difference up to half of that (0.05) is rounding.
Anything beyond is reported with what is known to cause it, not hidden. Values generated for the
offline sample (is_synthetic) and values imon withholds (NULL with a flag) are listed, not compared.
A Regionalatlas indicator that resembles an imon indicator but is defined otherwise (REFUSED) is
never compared: asking for it is an error that states why.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable

import duckdb

from sources.regionalatlas import PublishedValue


@dataclass(frozen=True)
class Pair:
    """A Regionalatlas indicator and the imon indicator with the same definition."""

    code: str
    indicator: str
    factor: float  # imon value × factor is in the Regionalatlas unit
    decimals: int  # decimals the Regionalatlas publishes
    definition: str
    known_differences: str

    @property
    def rounding(self) -> float:
        return 0.5 * 10 ** -self.decimals


PAIRS = {
    "AI0208": Pair(
        "AI0208", "DEM01", 1.0, 1,
        "foreigners / population × 100 on 31.12., both from the population update (Bevölkerungsfortschreibung)",
        "AI0208 and DEM01 both count foreigners in the population update (12411-03-03-4), by nationality as reported "
        "to the registration offices. The Ausländerzentralregister (AZR, 12521-0041, used by DEM07) counts foreigners "
        "registered with the foreigners' authorities instead: more people (no deregistration on leaving, register "
        "clean-ups in 2016/17 and 2022), so a share from AZR counts is higher and is not compared here. Other causes: "
        "the Zensus 2022 basis of the update from 31.12.2022 (revised earlier years on one side only), Kreise "
        "re-aggregated to imon's Gebietsstand (flag reaggregated_from_former_kreise; the Regionalatlas shows the old "
        "Kreis), and Länder that imon sums from Kreise while the Regionalatlas takes the Land total."),
    "AI0805": Pair(
        "AI0805", "ARB04", 1.0, 1,
        "foreign registered unemployed / foreign civilian labour force × 100, annual average (the BA's published rate)",
        "Both are the rate the BA publishes (13211-02-05-4); imon takes it as published, so a difference means one "
        "side revised it or keys it to another area. imon shows published rates only for regions of its "
        "Gebietsstand: a Kreis dissolved since (Göttingen 03152, 2015) is not in imon, and the rate of a Kreis before "
        "its merger is NULL with not_published_for_this_area (rates cannot be re-aggregated). Where the BA publishes "
        "no foreigners' rate ('.', the Kreise of 2017 and 2018) imon's value is NULL with value_suppressed."),
    "AI0809": Pair(
        "AI0809", "ARB06", 1.0, 1,
        "foreign registered unemployed / all registered unemployed × 100, annual average (BA)",
        "Both rest on the BA's annual averages (13211-02-05-4). imon sums Kreis counts to Länder and Germany; the "
        "annual averages are rounded to whole persons per Kreis, so sums can differ from the published Land rows by "
        "up to half a person per Kreis. Re-aggregated Kreise (Göttingen 2016, Eisenach 2021) differ in area."),
}

# Regionalatlas indicators that resemble an imon indicator but are defined otherwise: never compared, and why.
REFUSED = {
    "AI0220": (
        "REC01",
        "AI0220 (Einbürgerungsquote) counts naturalisations in Germany per 1,000 foreigners of the population update "
        "of the same year; REC01 (Länder monitoring B2b) per 100 foreigners on 31.12. of the previous year. A factor "
        "of 10 would fix the unit but not the denominator's date: the two differ by the growth of the foreign "
        "population in the year (large in 2015/16 and 2022), so a difference would point to no error on either side"),
}


class NotComparable(ValueError):
    """A Regionalatlas indicator whose definition differs from every imon indicator (REFUSED states why)."""


def refusal(code: str) -> str | None:
    """Why `code` is not compared with the imon indicator it resembles; None when it is not refused."""
    if code.upper() not in REFUSED:
        return None
    indicator, reason = REFUSED[code.upper()]
    return f"{code.upper()} is not compared with {indicator}, the definitions differ: {reason}"


STATUSES = ("agrees", "differs", "imon_synthetic", "imon_withheld", "not_published", "not_in_imon")


@dataclass(frozen=True)
class Comparison:
    """One region and year: the published value, imon's, and what their comparison says."""

    code: str
    indicator: str
    ags: str
    level: str
    period: int
    published: float | None
    own: float | None
    difference: float | None
    status: str
    note: str


def reconcile(connection: duckdb.DuckDBPyConnection, published: Iterable[PublishedValue]) -> list[Comparison]:
    """Compare each published value with imon's indicator of the same definition (marts.indicator_value)."""
    published = list(published)
    codes = sorted({value.code for value in published})
    refused = [refusal(code) for code in codes if refusal(code)]
    if refused:
        raise NotComparable("; ".join(refused))
    unknown = [code for code in codes if code not in PAIRS]
    if unknown:
        raise ValueError(f"no imon indicator with the definition of {', '.join(unknown)} (see PAIRS in warehouse/reconcile.py)")
    own: dict[tuple[str, str, str, int], tuple] = {}
    for code in codes:
        pair = PAIRS[code]
        for ags, level, period, value, flag, synthetic in connection.execute(
                "SELECT ags, level, period, value, flag, is_synthetic FROM marts.indicator_value WHERE indicator_id = ?",
                [pair.indicator]).fetchall():
            own[(code, ags, level, period)] = (value, flag, synthetic)
    return [_compare(value, own.get((value.code, value.ags, value.level, value.period))) for value in published]


def _compare(published: PublishedValue, own: tuple | None) -> Comparison:
    pair = PAIRS[published.code]

    def row(status: str, note: str, value: float | None = None, difference: float | None = None) -> Comparison:
        return Comparison(pair.code, pair.indicator, published.ags, published.level, published.period,
                          published.value, value, difference, status, note)

    if published.value is None:
        return row("not_published", "the Regionalatlas publishes no value", own[0] if own else None)
    if own is None:
        return row("not_in_imon", f"{pair.indicator} has no row for this region and year")
    value, flag, synthetic = own
    if synthetic:
        return row("imon_synthetic", "imon's value rests on data generated for the offline sample: not compared",
                   None if value is None else value * pair.factor)
    if value is None:
        return row("imon_withheld", f"imon's value is NULL ({flag})")
    scaled = value * pair.factor
    difference = round(scaled - published.value, 6)
    if abs(scaled - published.value) <= pair.rounding + 1e-9:
        return row("agrees", f"within the rounding of the published value (±{pair.rounding:g})", scaled, difference)
    note = pair.known_differences
    if flag == "reaggregated_from_former_kreise":
        note = "imon re-aggregated this Kreis from its former Kreise onto the target Gebietsstand. " + note
    return row("differs", note, scaled, difference)


def summary(comparisons: Iterable[Comparison]) -> dict[str, dict[str, int]]:
    """Counts per Regionalatlas code and status."""
    counts: dict[str, dict[str, int]] = {}
    for comparison in comparisons:
        counts.setdefault(comparison.code, dict.fromkeys(STATUSES, 0))[comparison.status] += 1
    return counts


def as_records(comparisons: Iterable[Comparison]) -> list[dict]:
    return [asdict(comparison) for comparison in comparisons]
