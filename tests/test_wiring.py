"""One test that every table, suite, model and flow fits together, without running anything."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from flows.settings import PROJECT_ROOT
from sources.catalog import load_table_specs
from warehouse.models import LAYERS, discover_models, indicator_models

SPECS = load_table_specs(PROJECT_ROOT / "sources" / "tables.yaml")
MODELS = discover_models(PROJECT_ROOT / "sql")
INDICATOR_KEYS = ("id", "version", "name_de", "name_en", "domain", "unit", "aggregate", "formula", "definition", "reference_sets",
                  "numerator", "denominator", "sources", "lowest_level", "reference_date", "caveats")


def test_every_table_has_exactly_one_suite_and_every_suite_a_table():
    suites = {p.stem for p in (PROJECT_ROOT / "expectations").glob("*.json")}
    assert suites == {s.name for s in SPECS}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_suite_is_valid_and_checks_the_columns_the_models_read(spec):
    import great_expectations as gx

    document = json.loads((PROJECT_ROOT / "expectations" / f"{spec.name}.json").read_text(encoding="utf-8"))
    suite = gx.ExpectationSuite(**document)
    assert suite.name == spec.name
    severities = {getattr(e.severity, "value", e.severity) for e in suite.expectations}
    assert "critical" in severities
    if spec.name != "municipality_register":
        columns = next(e for e in document["expectations"] if e["type"] == "expect_table_columns_to_match_set")
        assert set(spec.variables) <= set(columns["kwargs"]["column_set"])


def test_every_raw_table_a_model_reads_is_configured():
    configured = {f"raw.{s.name}" for s in SPECS}
    read = {r for m in MODELS for r in m.references if r.startswith("raw.")}
    assert read <= configured, read - configured


def test_models_only_read_their_own_or_the_layer_below():
    order = {"raw": 0, **{layer: i + 1 for i, layer in enumerate(LAYERS)}}
    for model in MODELS:
        for reference in model.references:
            layer = reference.split(".")[0]
            # marts put indicator values next to the dimensions of core (regions, comparison groups)
            allowed = (0, 1, 2) if model.schema == "marts" and layer == "core" else (0, 1)
            assert order[model.schema] - order[layer] in allowed, f"{model.qualified_name} reads {reference}"


def test_every_model_has_a_header_that_says_what_and_grain():
    for model in MODELS:
        if model.schema == "indicators":
            missing = [k for k in INDICATOR_KEYS if k not in model.header]
            assert not missing, f"{model.path.name} lacks {missing}"
            assert model.name.startswith(model.header["id"].lower().split("_")[0]), model.name
        else:
            assert model.header.get("description") and model.header.get("grain") and model.header.get("sources"), model.path


def test_indicator_ids_are_unique():
    ids = [m.header["id"] for m in indicator_models(MODELS)]
    assert len(ids) == len(set(ids))


def test_flows_compose_the_layers():
    from flows import cli, pipeline

    assert pipeline.pipeline.name == "imon"
    commands = {c.name or c.callback.__name__ for c in cli.app.registered_commands}
    assert {"run", "pull", "build", "status", "sql", "indicators", "deploy"} <= commands


def test_sources_do_not_import_prefect():
    for path in (PROJECT_ROOT / "sources").glob("*.py"):
        assert not re.search(r"^\s*(from|import) prefect", path.read_text(encoding="utf-8"), re.M), path


def test_the_catalogue_page_is_up_to_date():
    """sql/indicators/CATALOG.md is generated from the headers; regenerate with `imon catalog --markdown sql/indicators/CATALOG.md`."""
    from warehouse.catalog_page import catalog_markdown

    page = PROJECT_ROOT / "sql" / "indicators" / "CATALOG.md"
    assert page.read_text(encoding="utf-8") == catalog_markdown(PROJECT_ROOT / "sql")


def test_every_command_is_wired_to_its_function():
    """Each registered command (and sub-command) opens its help page with the first line of its docstring."""
    import inspect

    from typer.testing import CliRunner

    from flows import cli

    runner = CliRunner()
    commands = [([c.name or c.callback.__name__.replace("_", "-")], c.callback) for c in cli.app.registered_commands]
    for group in cli.app.registered_groups:
        commands += [([group.name, c.name or c.callback.__name__.replace("_", "-")], c.callback)
                     for c in group.typer_instance.registered_commands]
    assert len(commands) >= 10
    for names, callback in commands:
        result = runner.invoke(cli.app, [*names, "--help"], env={"COLUMNS": "300"})
        assert result.exit_code == 0, (names, result.output)
        first_line = inspect.getdoc(callback).splitlines()[0]
        assert first_line in " ".join(result.output.replace("│", " ").split()), (names, first_line)
