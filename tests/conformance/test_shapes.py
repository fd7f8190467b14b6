"""Every SHACL rule proves itself: a valid fixture it accepts, and an invalid one it rejects.

A rule is a named `sh:PropertyShape` with an `sh:message` in `shapes/`. Each has two fixtures
in `tests/fixtures/shapes/`: `<LocalName>.valid.ttl`, a small realistic graph that satisfies it
(and every other rule it triggers), and `<LocalName>.invalid.ttl`, the smallest change that
breaks that rule and no other. A fixture is validated like data, with `validate_graph` and no
inference, so the ontology's triples (its `rdfs:subClassOf` hierarchy, which `sh:targetClass`
needs to reach subclasses) are added to it first.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from saphire_kg.load import parse_file, rdflib_graph
from saphire_kg.namespaces import RDF, SH, SPHSH
from saphire_kg.sources import Role, SourceFile
from saphire_kg.validate import Finding, hoist_targets, validate_graph

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "shapes"
KINDS = ("valid", "invalid")
BLOCKING = {"violation", "warning"}  # info findings are hints: a hint in a fixture is legitimate

Findings = Callable[[Path], list[Finding]]


def _graph(paths: list[Path], role: Role) -> Graph:
    graph = Graph()
    for path in paths:
        source = SourceFile(path=path, rel=path.relative_to(ROOT).as_posix(), role=role)
        rdflib_graph(parse_file(source).triples, into=graph)
    return graph


@cache
def _shapes() -> Graph:
    return _graph(sorted((ROOT / "shapes").glob("*.ttl")), Role.SHAPES)


def _local(iri: URIRef) -> str:
    return str(iri).removeprefix(str(SPHSH))


def _named_property_shapes(shapes: Graph) -> list[URIRef]:
    typed = set(shapes.subjects(RDF.type, SH.PropertyShape))
    used = set(shapes.objects(None, SH.property))
    return sorted(s for s in typed | used if isinstance(s, URIRef))


RULES = [s for s in _named_property_shapes(_shapes()) if (s, SH.message, None) in _shapes()]



@pytest.fixture(scope="session")
def shapes() -> Graph:
    return _shapes()


@pytest.fixture(scope="session")
def ontology() -> Graph:
    return _graph(sorted((ROOT / "ontology").rglob("*.ttl")), Role.ONTOLOGY)


@pytest.fixture(scope="session")
def findings(shapes: Graph, ontology: Graph) -> Findings:
    """The findings of one fixture file; each file is validated once (one pyshacl run)."""
    done: dict[Path, list[Finding]] = {}

    def of(path: Path) -> list[Finding]:
        if path not in done:
            data = _graph([path], Role.DATA)
            data += ontology
            done[path] = validate_graph(data, shapes)
        return done[path]

    return of


def _fixture(rule: URIRef, kind: str) -> Path:
    return FIXTURES / f"{_local(rule)}.{kind}.ttl"


def _shown(found: list[Finding]) -> list[str]:
    return [f.render() for f in found]


# ---------------------------------------------------------------- the rules and their fixtures


def test_every_rule_has_both_fixtures() -> None:
    valid = sorted(p.name.removesuffix(".valid.ttl") for p in FIXTURES.glob("*.valid.ttl"))
    invalid = sorted(p.name.removesuffix(".invalid.ttl") for p in FIXTURES.glob("*.invalid.ttl"))
    assert RULES, "no rules collected from shapes/"
    assert len(RULES) == len(invalid) == len(valid)
    assert sorted(_local(r) for r in RULES) == valid == invalid


def test_every_named_property_shape_is_a_rule(shapes: Graph) -> None:
    """A named property shape without sh:message would escape the fixture tests."""
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


# ---------------------------------------------------------------- each rule against its fixtures


@pytest.mark.parametrize(
    ("rule", "kind", "fires"),
    [
        pytest.param(r, kind, fires, id=f"{_local(r)}.{kind}")
        for r in RULES
        for kind, fires in (("valid", False), ("invalid", True))
    ],
)
def test_rule_fires_on_its_invalid_fixture_only(
    findings: Findings, rule: URIRef, kind: str, fires: bool
) -> None:
    found = findings(_fixture(rule, kind))
    assert any(f.shape == str(rule) for f in found) is fires, _shown(found)


@pytest.mark.parametrize(
    ("rule", "kind"),
    [pytest.param(r, kind, id=f"{_local(r)}.{kind}") for r in RULES for kind in KINDS],
)
def test_fixture_breaks_no_other_rule(findings: Findings, rule: URIRef, kind: str) -> None:
    """Valid fixtures are clean and invalid ones break one rule, so each pins one behaviour."""
    found = findings(_fixture(rule, kind))
    others = {
        f.shape
        for f in found
        if f.severity in BLOCKING and f.shape.startswith(str(SPHSH)) and f.shape != str(rule)
    }
    assert others == set(), _shown(found)


@pytest.mark.parametrize(
    "rule",
    [pytest.param(r, id=_local(r)) for r in RULES],
)
def test_invalid_fixture_findings_cite_only_the_rule(findings: Findings, rule: URIRef) -> None:
    found = findings(_fixture(rule, "invalid"))
    cited = {f.shape for f in found if f.severity in BLOCKING or f.shape == str(rule)}
    assert cited == {str(rule)}, _shown(found)


# ---------------------------------------------------------------- the validator's rewrite of the shapes


@pytest.fixture(scope="session")
def hoisted(shapes: Graph) -> Graph:
    copy = Graph()
    copy += shapes
    rewritten = hoist_targets(copy)
    # the rewrite really applies to this project's shapes: some sh:property links are gone
    assert len(set(rewritten.triples((None, SH.property, None)))) < len(
        set(shapes.triples((None, SH.property, None)))
    )
    return rewritten


@pytest.mark.parametrize(
    "fixture", sorted(FIXTURES.glob("*.ttl")), ids=lambda p: p.name.removesuffix(".ttl")
)
def test_hoisted_targets_give_the_same_findings(
    findings: Findings, hoisted: Graph, ontology: Graph, fixture: Path
) -> None:
    """`validate` runs pyshacl on shapes whose property shapes carry their node shape's
    targets (twice as fast); on every fixture that gives exactly the findings of the shapes as
    written."""
    data = _graph([fixture], Role.DATA)
    data += ontology
    assert sorted(_shown(validate_graph(data, hoisted))) == sorted(_shown(findings(fixture)))
