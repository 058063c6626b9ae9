"""A backfill's one file per reference year beside the regular pull: each reference time is read once, from the newest."""

import dataclasses
from datetime import datetime, timedelta, timezone

from flows.pipeline import _parse_files, _selected_specs
from flows.settings import load_settings
from offline.replay import client_for
from sources.landing import land


def _population_table(tmp_path):
    settings = load_settings({}, warehouse=tmp_path / "imon.duckdb")
    spec = next(s for s in _selected_specs(settings, ["population_by_sex"]) if s.name == "population_by_sex")
    download = client_for("regio", {}).tablefile(spec.table)  # the offline sample: Kreise, 31.12.2024
    return settings, spec, download


def _land(download, settings, spec, parameters, fetched_at):
    again = dataclasses.replace(download, parameters=parameters, fetched_at=fetched_at)
    return land(again, landing_dir=settings.landing_dir, source=spec.source, table=spec.table)


def test_a_year_file_replaces_the_same_reference_time_of_the_regular_file(tmp_path):
    settings, spec, download = _population_table(tmp_path)
    now = datetime.now(timezone.utc)
    regular = _land(download, settings, spec, {"area": "all"}, now - timedelta(days=30))
    year = _land(download, settings, spec, {"area": "all", "startyear": "2024", "endyear": "2024"}, now)
    alone = _parse_files(spec, [regular], settings)
    merged = _parse_files(spec, [regular, year], settings)
    assert set(alone["reference_time"]) == {"2024-12-31"}
    assert len(merged) == len(alone) == 1467  # the rows of the sample file, as `imon run` loads them
    assert set(merged["source_file"]) == {"regio/12411-01-01-4/" + year.path.name}


def test_files_of_different_regions_are_all_read(tmp_path):
    settings, spec, download = _population_table(tmp_path)
    now = datetime.now(timezone.utc)
    first = _land(download, settings, spec, {"regionalkey": "01*"}, now)
    second = _land(download, settings, spec, {"regionalkey": "02*"}, now - timedelta(days=1))
    assert len(_parse_files(spec, [first, second], settings)) == 2 * 1467
