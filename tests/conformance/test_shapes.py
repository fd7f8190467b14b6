"""Every SHACL rule proves itself: a valid fixture it accepts, and an invalid one it rejects.

A rule is a named `sh:PropertyShape` with an `sh:message` in `shapes/`. Each has two fixtures
in `tests/fixtures/shapes/`: `<LocalName>.valid.ttl`, a small realistic graph that satisfies it
(and every other rule it triggers), and `<LocalName>.invalid.ttl`, the smallest change that
breaks that rule and no other. Fixtures are validated as the pipeline validates data: with the
ontology's triples (its class hierarchy) added to the data graph and no inference.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef

from saphire_kg.load import parse_file, rdflib_graph
from saphire_kg.namespaces import RDF, SH, SPHSH
from saphire_kg.sources import Role, SourceFile
from saphire_kg.validate import Finding, validate_graph

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "shapes"
BLOCKING = {"violation", "warning"}  # info findings are hints: absence is legitimate


def _graph(paths: list[Path], role: Role) -> Graph:
    graph = Graph()
    for path in paths:
        source = SourceFile(path=path, rel=path.relative_to(ROOT).as_posix(), role=role)
        rdflib_graph(parse_file(source).triples, into=graph)
    return graph


@cache
def _shapes() -> Graph:
    return _graph(sorted((ROOT / "shapes").glob("*.ttl")), Role.SHAPES)


@cache
def _ontology() -> Graph:
    return _graph(sorted((ROOT / "ontology").rglob("*.ttl")), Role.ONTOLOGY)


def _local(iri: URIRef) -> str:
    return str(iri).removeprefix(str(SPHSH))


def _named_property_shapes(shapes: Graph) -> list[URIRef]:
    found = set(shapes.subjects(RDF.type, SH.PropertyShape)) | set(shapes.objects(None, SH.property))
    return sorted(s for s in found if isinstance(s, URIRef))


def _rules(shapes: Graph) -> list[URIRef]:
    return [s for s in _named_property_shapes(shapes) if (s, SH.message, None) in shapes]


RULES = _rules(_shapes())


@pytest.fixture(scope="session")
def shapes() -> Graph:
    return _shapes()


@pytest.fixture(scope="session")
def findings(shapes: Graph):
    """Findings per fixture file, each file validated once (one pyshacl run per fixture)."""
    done: dict[Path, list[Finding]] = {}

    def of(path: Path) -> list[Finding]:
        if path not in done:
            data = _graph([path], Role.DATA)
            data += _ontology()
            done[path] = validate_graph(data, shapes)
        return done[path]

    return of


def _fired(found: list[Finding], severities: set[str] | None = None) -> set[str]:
    return {
        _local(URIRef(f.shape))
        for f in found
        if f.shape.startswith(str(SPHSH)) and (severities is None or f.severity in severities)
    }


def test_every_rule_has_both_fixtures() -> None:
    names = {_local(r) for r in RULES}
    valid = {p.name.removesuffix(".valid.ttl") for p in FIXTURES.glob("*.valid.ttl")}
    invalid = {p.name.removesuffix(".invalid.ttl") for p in FIXTURES.glob("*.invalid.ttl")}
    assert RULES, "no rules collected from shapes/"
    assert len(RULES) == len(invalid) == len(valid)
    assert names == valid == invalid


def test_every_named_property_shape_is_a_rule(shapes: Graph) -> None:
    """A property shape without a message would escape the fixtures below."""
    assert _named_property_shapes(shapes) == RULES


def test_every_named_node_shape_has_a_name(shapes: Graph) -> None:
    nameless = [
        _local(s)
        for s in shapes.subjects(RDF.type, SH.NodeShape)
        if isinstance(s, URIRef) and shapes.value(s, SH.name) is None
    ]
    assert nameless == []


@pytest.mark.parametrize("rule", RULES, ids=_local)
def test_rule_has_severity_and_english_message(shapes: Graph, rule: URIRef) -> None:
    assert shapes.value(rule, SH.severity) in (SH.Violation, SH.Warning, SH.Info)
    messages = [m for m in shapes.objects(rule, SH.message) if isinstance(m, Literal)]
    assert [m.language for m in messages] == ["en"]
    assert str(messages[0]).strip()


CASES = [
    pytest.param(rule, kind, fires, id=f"{_local(rule)}.{kind}")
    for rule in RULES
    for kind, fires in (("valid", False), ("invalid", True))
]


@pytest.mark.parametrize(("rule", "kind", "fires"), CASES)
def test_rule_fires_on_its_invalid_fixture_only(findings, rule: URIRef, kind: str, fires: bool) -> None:
    found = findings(FIXTURES / f"{_local(rule)}.{kind}.ttl")
    assert any(f.shape == str(rule) for f in found) is fires, [f.render() for f in found]


@pytest.mark.parametrize(("rule", "kind", "fires"), CASES)
def test_fixture_breaks_no_other_rule(findings, rule: URIRef, kind: str, fires: bool) -> None:
    """Valid fixtures are clean and invalid ones break one rule, so each pins one behaviour."""
    found = findings(FIXTURES / f"{_local(rule)}.{kind}.ttl")
    assert _fired(found, BLOCKING) - {_local(rule)} == set(), [f.render() for f in found]
    assert all(not isinstance(f.shape, BNode) for f in found)
