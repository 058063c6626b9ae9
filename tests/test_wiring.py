"""One test that every table, suite, model and flow fits together, without running anything."""

from __future__ import annotations

import json
import re

import pytest

from flows.settings import PROJECT_ROOT
from sources.catalog import load_table_specs
from warehouse.checks import check_supported
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
    for expectation in document["expectations"]:  # the gate runs each as SQL (warehouse/checks.py)
        check_supported(expectation)
    if spec.name != "municipality_register":
        columns = next(e for e in document["expectations"] if e["type"] == "expect_table_columns_to_match_set")
        assert set(spec.variables) <= set(columns["kwargs"]["column_set"])


def test_the_county_upload_suite_runs_as_sql():
    document = json.loads((PROJECT_ROOT / "service" / "expectations" / "county_upload.json").read_text(encoding="utf-8"))
    for expectation in document["expectations"]:
        check_supported(expectation)


def test_every_raw_table_a_model_reads_is_configured():
    configured = {f"raw.{s.name}" for s in SPECS}
    read = {r for m in MODELS for r in m.references if r.startswith("raw.")}
    assert read <= configured, read - configured
    # loaded and validated (their suites guard the sources), read by no model yet
    assert configured - read == {"raw.census_population_gemeinden", "raw.ba_unemployed_foreigners_by_sex"}


def test_every_sql_file_of_a_layer_is_built_and_the_layers_hold_the_known_models():
    files = {p for layer in LAYERS for p in (PROJECT_ROOT / "sql" / layer).glob("*.sql") if not p.name.startswith("_")}
    assert {m.path for m in MODELS} == files
    by_layer = {layer: sum(m.schema == layer for m in MODELS) for layer in LAYERS}
    # a family file (`variants:` in its header) builds one model per variant: 120 files, 133 models
    assert (len(files), by_layer) == (120, {"staging": 36, "core": 35, "indicators": 59, "marts": 3})
    assert len(indicator_models(MODELS)) == 59


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


COMMANDS = {  # `imon …`: top-level commands, then each group with its sub-commands
    "run", "pull", "build", "status", "validation", "sql", "indicators", "regions", "catalog", "deploy", "backfill",
    "serve", "publish", "reconcile", "diff", "map", "report",
}
GROUPS = {"sources": ["check"], "keys": ["create", "revoke", "list"], "lake": ["list", "offices", "export", "import", "reader-role"]}


def test_flows_compose_the_layers():
    from flows import cli, deploy, operations, pipeline

    assert {f.name for f in (pipeline.pipeline, operations.monthly, operations.updates, operations.backfill)} == {"imon"}
    assert {c.name or c.callback.__name__ for c in cli.app.registered_commands} == COMMANDS
    assert {g.name: [c.name or c.callback.__name__ for c in g.typer_instance.registered_commands]
            for g in cli.app.registered_groups} == GROUPS
    # prefect.yaml's deployments (what `imon deploy` and `prefect deploy --all` register) run the operations flows
    definitions = {d["name"]: d for d in deploy.deployment_definitions()}
    assert {name: d["entrypoint"] for name, d in definitions.items()} == {
        name: f"flows/operations.py:{name}" for name in ("monthly", "updates", "backfill")}
    for name, definition in definitions.items():
        assert getattr(operations, definition["entrypoint"].split(":")[1]).fn.__name__ == name
        assert (definition["tags"], definition["work_pool"]["name"], definition["concurrency_limit"]) == (
            ["imon"], "imon", {"limit": 1, "collision_strategy": "ENQUEUE"})


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
    assert sorted(" ".join(names) for names, _ in commands) == sorted(
        COMMANDS | {f"{group} {sub}" for group, subs in GROUPS.items() for sub in subs})
    for names, callback in commands:
        result = runner.invoke(cli.app, [*names, "--help"], env={"COLUMNS": "300"})
        assert result.exit_code == 0, (names, result.output)
        first_line = inspect.getdoc(callback).splitlines()[0]
        assert first_line in " ".join(result.output.replace("│", " ").split()), (names, first_line)
