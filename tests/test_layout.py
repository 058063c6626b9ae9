"""The layout the README's map promises: imports run one way (sources → offline → warehouse → flows / service), no circles."""

import ast
from pathlib import Path

import pytest
from graphlib import CycleError, TopologicalSorter

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# what each package may import from the project (besides itself); the README's "Layout" section says the same
MAY_IMPORT = {
    "sources": set(),
    "offline": {"sources"},
    "warehouse": {"sources"},
    "flows": {"sources", "offline", "warehouse", "service"},
    "service": {"sources", "warehouse"},
}


def _modules() -> dict[str, Path]:
    modules = {}
    for package in MAY_IMPORT:
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """The project modules a file imports (at any depth of the file, type-checking imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = [f"{node.module}.{alias.name}" for alias in node.names]
            # `from package import submodule` reads the submodule; a package's __init__ that re-exports its own
            # submodules is then no circle (only names that are not submodules come from the package itself)
            names = submodules if all(name in MODULES for name in submodules) else [node.module] + submodules
        else:
            continue
        found |= {name for name in names if name in MODULES}
    return found


GRAPH = {module: _imports(path) - {module} for module, path in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_one_way(module):
    package = module.split(".")[0]
    allowed = MAY_IMPORT[package] | {package}
    wrong = sorted(name for name in GRAPH[module] if name.split(".")[0] not in allowed)
    assert not wrong, f"{module} imports {wrong}; {package}/ may import only {sorted(allowed)}"


def test_no_import_circles():
    try:
        TopologicalSorter(GRAPH).static_order()
        tuple(TopologicalSorter(GRAPH).static_order())
    except CycleError as error:
        pytest.fail(f"import circle: {' -> '.join(error.args[1])}")


def test_the_checker_sees_a_circle():
    """The circle check itself can fail: the former genesis ↔ replay circle is found."""
    graph = {**GRAPH, "sources.genesis": GRAPH["sources.genesis"] | {"offline.replay"}}
    with pytest.raises(CycleError):
        tuple(TopologicalSorter(graph).static_order())


def test_sources_hold_only_fetching_and_parsing():
    """Generated data and the replay transport live in offline/, not in sources/."""
    names = {path.stem for path in (PROJECT_ROOT / "sources").glob("*.py")}
    assert not names & {"synthetic", "replay"}
    assert not (PROJECT_ROOT / "sources" / "sample").exists()
