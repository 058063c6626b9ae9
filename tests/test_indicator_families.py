"""A family file (`breakdown:` and `variants:` in the header) is one query that yields several indicators."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from flows.settings import PROJECT_ROOT
from warehouse.models import ModelError, discover_models, read_model, variants

FAMILY = """/*
breakdown: status_group
version: 1
unit: pct
aggregate: none
caveats: shared by both
variants:
  - id: DEM09_OPEN
    table: dem09_share_open
    status_group: open
    name_en: open
  - id: DEM09_REJECTED
    table: dem09_share_rejected
    status_group: rejected
    name_en: rejected
    version: 2
*/
SELECT status_group, ags, share AS value FROM core.shares
"""


def _family(tmp_path: Path, text: str = FAMILY) -> Path:
    (tmp_path / "indicators").mkdir(exist_ok=True)
    path = tmp_path / "indicators" / "dem09_share_by_status.sql"
    path.write_text(text, encoding="utf-8")
    return path


def test_each_variant_is_an_indicator_with_the_family_header_and_its_own_keys(tmp_path):
    models = variants(read_model(_family(tmp_path), "indicators"))
    assert [(m.qualified_name, m.header["id"], m.header["version"], m.header["name_en"], m.header["caveats"]) for m in models] == [
        ("indicators.dem09_share_open", "DEM09_OPEN", 1, "open", "shared by both"),
        ("indicators.dem09_share_rejected", "DEM09_REJECTED", 2, "rejected", "shared by both"),
    ]
    assert all("variants" not in m.header and "breakdown" not in m.header and "table" not in m.header for m in models)
    assert {m.references for m in models} == {frozenset({"core.shares"})}


def test_a_variant_gets_the_rows_of_its_value_without_the_breakdown_column(tmp_path):
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA core")
    connection.execute("CREATE TABLE core.shares AS SELECT * FROM (VALUES ('open', '09162000', 40.0), "
                       "('rejected', '09162000', 10.0), ('open', '11000000', 55.0)) AS t(status_group, ags, share)")
    opened, rejected = variants(read_model(_family(tmp_path), "indicators"))
    assert connection.sql(opened.body).order("ags").fetchall() == [("09162000", 40.0), ("11000000", 55.0)]
    assert connection.sql(rejected.body).columns == ["ags", "value"]
    assert connection.sql(rejected.body).fetchall() == [("09162000", 10.0)]


@pytest.mark.parametrize("change, message", [
    (("    table: dem09_share_rejected\n", ""), "lacks table"),
    (("status_group: rejected", "status_group: open"), "two variants select status_group = 'open'"),
    (("breakdown: status_group", "breakdown: status group; DROP"), "names its `breakdown` column"),
    (("table: dem09_share_open", "table: dem09-share"), "is not a table name"),
])
def test_a_malformed_family_is_refused_naming_the_file(tmp_path, change, message):
    path = _family(tmp_path, FAMILY.replace(*change))
    with pytest.raises(ModelError, match=message) as error:
        variants(read_model(path, "indicators"))
    assert str(path) in str(error.value)


def test_two_files_building_one_table_are_refused(tmp_path):
    _family(tmp_path)
    (tmp_path / "indicators" / "dem09_share_open.sql").write_text("/*\nid: X\n*/\nSELECT 1", encoding="utf-8")
    with pytest.raises(ModelError, match="indicators.dem09_share_open is also built by"):
        discover_models(tmp_path)


def test_the_families_keep_the_published_ids_and_tables():
    """The ids and indicators.<table> names of the indicators that were one file each before the families."""
    families = {(model.path.name, model.header["id"], model.name) for model in discover_models(PROJECT_ROOT / "sql")
                if model.schema == "indicators" and model.path.stem != model.name}
    assert families == {
        ("arb01_arb02_employment_rate_of_foreigners_by_sex.sql", "ARB01", "arb01_employment_rate_of_foreigners"),
        ("arb01_arb02_employment_rate_of_foreigners_by_sex.sql", "ARB02", "arb02_employment_rate_of_foreign_women"),
        ("bil03_bil04_foreign_leavers_by_certificate.sql", "BIL03", "bil03_foreign_leavers_without_hauptschulabschluss"),
        ("bil03_bil04_foreign_leavers_by_certificate.sql", "BIL04", "bil04_foreign_leavers_with_abitur"),
        ("dem02_foreign_share_of_children.sql", "DEM02_U6", "dem02_foreign_share_under_6"),
        ("dem02_foreign_share_of_children.sql", "DEM02_U18", "dem02_foreign_share_under_18"),
        ("dem03_share_65_plus_by_nationality.sql", "DEM03", "dem03_share_65_plus_among_foreigners"),
        ("dem03_share_65_plus_by_nationality.sql", "DEM03_GERMAN", "dem03_share_65_plus_among_germans"),
        ("dem07_share_by_country_group.sql", "DEM07_EU", "dem07_eu_share_of_foreigners"),
        ("dem07_share_by_country_group.sql", "DEM07_THIRD", "dem07_third_country_share_of_foreigners"),
        ("dem09_share_by_protection_status.sql", "DEM09_OPEN", "dem09_share_open_protection_status"),
        ("dem09_share_by_protection_status.sql", "DEM09_RECOGNISED", "dem09_share_recognised_protection_status"),
        ("dem09_share_by_protection_status.sql", "DEM09_REJECTED", "dem09_share_rejected_protection_status"),
        ("kit02_foreign_origin_share_by_age.sql", "KIT02_U3", "kit02_foreign_origin_share_under_3"),
        ("kit02_foreign_origin_share_by_age.sql", "KIT02_3_6", "kit02_foreign_origin_share_3_to_6"),
        ("kit03_childcare_rate_by_age.sql", "KIT03_U3", "kit03_childcare_rate_under_3"),
        ("kit03_childcare_rate_by_age.sql", "KIT03_3_6", "kit03_childcare_rate_3_to_6"),
        ("rec02_naturalisations_by_continent.sql", "REC02_EUROPE", "rec02_naturalisations_europe"),
        ("rec02_naturalisations_by_continent.sql", "REC02_AFRICA", "rec02_naturalisations_africa"),
        ("rec02_naturalisations_by_continent.sql", "REC02_AMERICA", "rec02_naturalisations_america"),
        ("rec02_naturalisations_by_continent.sql", "REC02_ASIA", "rec02_naturalisations_asia"),
        ("rec02_naturalisations_by_continent.sql", "REC02_OTHER", "rec02_naturalisations_oceania_stateless"),
    }
