"""The layering rule of STYLE.md, pinned: a module imports only modules earlier in the pipeline."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "saphire_kg"

# Data-flow order; a module may import only from modules before it.
ORDER = [
    "errors", "config", "namespaces", "canonical", "sources", "locate", "load", "diff", "validate",
    "ingest", "reason", "screen", "store", "dumps", "workers", "describe", "catalog", "query", "negotiate",
    "service_description", "endpoint", "pipeline", "reload", "http", "cli",
]
# Each heavy library has one home (pyoxigraph also parses in `load`: its parser is ~25x faster
# than rdflib's, which keeps validate fast enough for a save hook).
HOMES = {
    "pyshacl": {"validate"},
    "owlready2": {"reason"},
    "SPARQLWrapper": {"store"},
    "fastapi": {"http"},
    "pyoxigraph": {"load", "validate", "store", "dumps", "describe"},
}


def _module_of(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    return rel.parts[0]


def _imports(path: Path) -> set[str]:
    """Imported names; a relative import as `.stage` (the package's top-level module it reaches).

    In a subpackage (`reason/view.py`), `.hermit` is a sibling (reported as the subpackage
    itself) and `..load` the top-level module `load`.
    """
    tree = ast.parse(path.read_text())
    depth = len(path.relative_to(SRC).parts) - 1
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level and node.level <= depth:
                found.add("." + _module_of(path))  # within the same subpackage
            elif node.level and node.module:
                found.add("." + node.module.split(".")[0])
            elif node.level:
                found.update("." + a.name for a in node.names)
            elif node.module:
                found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
    return found


MODULES = sorted(p for p in SRC.rglob("*.py") if p.name not in ("__init__.py", "__main__.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(SRC).as_posix())
def test_module_imports_only_earlier_stages(path: Path) -> None:
    me = _module_of(path)
    assert me in ORDER, f"{me} is not placed in the pipeline order"
    for imported in _imports(path):
        if imported.startswith("."):
            name = imported[1:]
            if name in ("", me):
                continue  # within the module's own subpackage
            assert ORDER.index(name) < ORDER.index(me), f"{me} imports later stage {name}"
        elif imported in HOMES:
            assert me in HOMES[imported], f"{me} imports {imported}, whose home is {HOMES[imported]}"
