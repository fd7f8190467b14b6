"""The reasoner's view: the ontology, and the part of the data the defined classes need."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from ..load import Loaded, LoadedFile, to_rdflib
from ..namespaces import ORG, OWL, QB, RDF, RDFS, SDMXD, SPH, XSD
from ..sources import Role
from .datatypes import FAMILY, supported
from .hermit import owlready_version

CACHE_FORMAT = "1"
ALIGNMENTS = "ontology/alignments/"

Triple = tuple[Node, Node, Node]

_RDF_TYPE = str(RDF.type)
_OBSERVATION_TYPES = {str(SPH.IndicatorObservation), str(QB.Observation)}
_REF_AREA, _REF_YEAR, _DENSITY = str(SDMXD.refArea), str(SPH.refYear), str(SPH.populationDensity)
_MEMBERSHIP_PARTS = {str(ORG.member), str(ORG.organization), str(ORG.role)}
_ROLE_PROPERTY = str(ORG.roleProperty)


def _value(term: object) -> str:
    """The IRI, blank node id or lexical form of an Oxigraph term (no quoted triples here)."""
    return term.value  # type: ignore[attr-defined]


def _is_iri(term: object) -> bool:
    return isinstance(to_rdflib(term), URIRef)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Origin:
    """Where a triple of the view was written: the file, the subject and predicate of its line."""

    file: str
    subject: str
    predicate: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """The density value a region gets for classification, and the observation it comes from."""

    region: URIRef
    value: Literal
    year: Literal
    observation: URIRef


def nt(term: Node) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    assert isinstance(term, Literal)
    lexical = (
        str(term)
        .replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )
    if term.language:
        return f'"{lexical}"@{term.language}'
    if term.datatype is not None and term.datatype != XSD.string:
        return f'"{lexical}"^^<{term.datatype}>'
    return f'"{lexical}"'


def nt_line(t: Triple) -> str:
    return f"{nt(t[0])} {nt(t[1])} {nt(t[2])} .\n"


@dataclass
class View:
    """What HermiT is given: the ontology and the part of the data the defined classes need."""

    tbox: list[Triple]
    abox: list[Triple]
    origins: dict[Triple, Origin]
    snapshots: list[Snapshot]
    defined: list[str]  # the defined classes (named classes with an owl:equivalentClass expression)
    left_out: dict[str, int]  # why triples of the inputs were left out, and how many
    # every role shortcut the memberships imply (those a restriction uses are in `abox` too)
    shortcuts: list[Triple]

    def ntriples(self, abox: Iterable[Triple] | None = None) -> bytes:
        lines = [nt_line(t) for t in self.tbox] + sorted(
            nt_line(t) for t in (self.abox if abox is None else abox)
        )
        return "".join(lines).encode("utf-8")

    def digest(self) -> str:
        h = hashlib.sha256(CACHE_FORMAT.encode() + b"\0" + owlready_version().encode() + b"\0")
        h.update(self.ntriples())
        return h.hexdigest()

    @cached_property
    def tbox_graph(self) -> Graph:
        graph = Graph()
        for t in self.tbox:
            graph.add(t)
        return graph


class _Relabel:
    """Blank nodes get stable labels (Oxigraph's parser makes up new ones on every parse)."""

    def __init__(self) -> None:
        self.labels: dict[BNode, BNode] = {}

    def term(self, term) -> Node:  # an Oxigraph term
        node = to_rdflib(term)
        if isinstance(node, BNode):
            label = self.labels.get(node)
            if label is None:
                label = self.labels[node] = BNode(f"b{len(self.labels)}")
            return label
        return node

    def triple(self, t) -> Triple:
        return (self.term(t.subject), self.term(t.predicate), self.term(t.object))


def _in_tbox(f: LoadedFile) -> bool:
    return f.source.role is Role.ONTOLOGY and not f.source.rel.startswith(ALIGNMENTS)


def _signature(tbox: Graph) -> set[str]:
    """The properties the ontology's restrictions are about, their inverses and sub-properties."""
    props = {str(p) for p in tbox.objects(None, OWL.onProperty) if isinstance(p, URIRef)}
    inverse = [(str(a), str(b)) for a, b in tbox.subject_objects(OWL.inverseOf)]
    sub = [(str(a), str(b)) for a, b in tbox.subject_objects(RDFS.subPropertyOf)]
    while True:
        grown = set(props)
        for a, b in inverse:
            if a in grown or b in grown:
                grown |= {a, b}
        grown |= {a for a, b in sub if b in grown}
        if grown == props:
            return props
        props = grown


def _defined_classes(tbox: Graph) -> list[str]:
    return sorted(
        str(c)
        for c, expr in tbox.subject_objects(OWL.equivalentClass)
        if isinstance(c, URIRef) and isinstance(expr, BNode)
    )


def _declared_properties(triples: list[Triple]) -> set[Node]:
    kinds = {OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}
    return {s for s, p, o in triples if p == RDF.type and o in kinds}


def _metamodelling(triple: Triple, properties: set[Node]) -> bool:
    """A property typed with a non-OWL class (e.g. a qb:MeasureProperty): owlready2 rejects it."""
    s, p, o = triple
    return p == RDF.type and s in properties and not str(o).startswith(str(OWL))


def class_closure(tbox: Graph) -> Callable[[Node], set[Node]]:
    parents: dict[Node, set[Node]] = defaultdict(set)
    for a, b in tbox.subject_objects(RDFS.subClassOf):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            parents[a].add(b)
    for a, b in tbox.subject_objects(OWL.equivalentClass):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            parents[a].add(b)
            parents[b].add(a)

    def closure(cls: Node) -> set[Node]:
        seen, todo = {cls}, [cls]
        while todo:
            for p in parents.get(todo.pop(), ()):
                if p not in seen:
                    seen.add(p)
                    todo.append(p)
        return seen

    return closure


def _relevant_objects(tbox: Graph) -> dict[Node, set[Node]]:
    """For a property whose restrictions all have named-class fillers: the members of those.

    An assertion `?s p ?o` where `?o` is an individual the ontology describes (a concept of a
    component) but does not put in any of those classes cannot make `?s` a member of a defined
    class, so it stays out of the view: with it, every region with any typology would be a
    "possible" special-needs region HermiT has to test.
    """
    fillers: dict[Node, set[Node]] = defaultdict(set)
    open_ended: set[Node] = set()
    for r in tbox.subjects(OWL.onProperty, None):
        prop = tbox.value(r, OWL.onProperty)
        filler = tbox.value(r, OWL.someValuesFrom)
        others = any(
            tbox.value(r, k) is not None
            for k in (
                OWL.allValuesFrom,
                OWL.hasValue,
                OWL.minCardinality,
                OWL.cardinality,
                OWL.minQualifiedCardinality,
                OWL.qualifiedCardinality,
                OWL.hasSelf,
            )
        )
        if prop is None:
            continue
        if isinstance(filler, URIRef) and filler != OWL.Thing and not others:
            fillers[prop].add(filler)
        else:
            open_ended.add(prop)
    closure = class_closure(tbox)
    members: dict[Node, set[Node]] = defaultdict(set)
    for ind, cls in tbox.subject_objects(RDF.type):
        if isinstance(cls, URIRef):
            for sup in closure(cls):
                members[sup].add(ind)
    return {
        prop: {i for c in classes for i in members.get(c, ())}
        for prop, classes in fillers.items()
        if prop not in open_ended
    }


def _tbox(
    loaded: Loaded, relabel: _Relabel, left_out: dict[str, int], origins: dict[Triple, Origin]
) -> list[Triple]:
    """The ontology files (not the alignments), without what HermiT or owlready2 refuse."""
    written = [
        (relabel.triple(t), f.source.rel) for f in loaded.files if _in_tbox(f) for t in f.triples
    ]
    properties = _declared_properties([t for t, _ in written])
    tbox: list[Triple] = []
    for triple, rel in written:
        s, p, o = triple
        if not supported(o) or (
            p == RDFS.range and str(o).startswith(str(XSD)) and str(o) not in FAMILY
        ):
            left_out["datatype outside the OWL 2 datatype map"] += 1
        elif _metamodelling(triple, properties):
            left_out["property typed with a class (punning)"] += 1
        else:
            tbox.append(triple)
            if isinstance(s, URIRef):
                origins.setdefault(triple, Origin(rel, str(s), str(p)))
    return tbox


def _latest(observed: dict[str, dict[str, tuple]]) -> dict[str, str]:
    """Region -> the density observation of the most recent year (on a tie, the first IRI)."""
    latest: dict[str, tuple[str, str]] = {}
    for obs, parts in observed.items():
        if not {_REF_AREA, _REF_YEAR, _DENSITY} <= parts.keys():
            continue
        region, year = parts[_REF_AREA][0].value, parts[_REF_YEAR][0].value
        best = latest.get(region)
        if best is None or year > best[0] or (year == best[0] and obs < best[1]):
            latest[region] = (year, obs)
    return {region: obs for region, (_, obs) in sorted(latest.items())}


def build_view(loaded: Loaded) -> View:
    """The reasoner's view of the loaded inputs (see the package docstring)."""
    relabel = _Relabel()
    left_out: dict[str, int] = defaultdict(int)
    origins: dict[Triple, Origin] = {}
    tbox = _tbox(loaded, relabel, left_out, origins)
    tbox_graph = Graph()
    for t in tbox:
        tbox_graph.add(t)
    signature = _signature(tbox_graph)
    relevant = _relevant_objects(tbox_graph)
    described = {s for s, _, _ in tbox if isinstance(s, URIRef)}
    abox: dict[Triple, None] = {}

    def add(triple: Triple, origin: Origin) -> None:
        s, p, o = triple
        if not supported(o):
            left_out["datatype outside the OWL 2 datatype map"] += 1
        elif p in relevant and o in described and o not in relevant[p]:
            left_out["points at a concept no defined class uses"] += 1
        else:
            abox.setdefault(triple)
            origins.setdefault(triple, origin)

    data = [f for f in loaded.files if f.source.role is Role.DATA]
    observations = {
        _value(fact.subject)
        for f in data
        for fact in f.triples
        if _value(fact.predicate) == _RDF_TYPE and _value(fact.object) in _OBSERVATION_TYPES
    }
    observed: dict[str, dict[str, tuple]] = defaultdict(dict)  # obs -> predicate -> (term, file)
    for f in data:
        for fact in f.triples:
            pred, subject = _value(fact.predicate), _value(fact.subject)
            if subject in observations:
                if pred in (_REF_AREA, _REF_YEAR, _DENSITY):
                    observed[subject][pred] = (fact.object, f.source.rel)
            elif pred in signature or (pred == _RDF_TYPE and _is_iri(fact.object)):
                add(relabel.triple(fact), Origin(f.source.rel, subject, pred))

    shortcuts = role_shortcuts(loaded)
    for triple, origin in shortcuts:
        if str(triple[1]) in signature:
            add(triple, origin)

    asserted_density = {s for s, p, _ in abox if p == SPH.populationDensity}
    snapshots = []
    for region, obs in _latest(observed).items():
        if URIRef(region) in asserted_density:
            continue  # a curated value on the region itself wins
        parts = observed[obs]
        value, year = to_rdflib(parts[_DENSITY][0]), to_rdflib(parts[_REF_YEAR][0])
        snapshot = Snapshot(URIRef(region), value, year, URIRef(obs))  # type: ignore[arg-type]
        snapshots.append(snapshot)
        add(
            (snapshot.region, SPH.populationDensity, value),
            Origin(parts[_DENSITY][1], obs, _DENSITY),
        )
    return View(
        tbox=tbox,
        abox=list(abox),
        origins=origins,
        snapshots=snapshots,
        defined=_defined_classes(tbox_graph),
        left_out=dict(sorted(left_out.items())),
        shortcuts=[t for t, _ in shortcuts],
    )


def role_shortcuts(loaded: Loaded) -> list[tuple[Triple, Origin]]:
    """`?member ?p ?initiative` for each membership whose role names `?p` with org:roleProperty.

    ORG's rule: `{ [] org:member ?m ; org:organization ?o ; org:role [ org:roleProperty ?p ] }
    => { ?m ?p ?o }`.
    Shortcuts already asserted are not repeated. Each comes with where its membership is written.
    """
    role_property: dict[str, set[str]] = defaultdict(set)
    parts: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    where: dict[str, str] = {}
    for f in loaded.files:
        if f.source.role is Role.SHAPES:
            continue
        for fact in f.triples:
            pred = _value(fact.predicate)
            if pred == _ROLE_PROPERTY and _is_iri(fact.object):
                role_property[_value(fact.subject)].add(_value(fact.object))
            elif pred in _MEMBERSHIP_PARTS and _is_iri(fact.object):
                parts[_value(fact.subject)][pred].add(_value(fact.object))
                where.setdefault(_value(fact.subject), f.source.rel)
    wanted = {p for props in role_property.values() for p in props}
    asserted: set[tuple[str, str, str]] = set()
    for f in loaded.files:
        if f.source.role is Role.DATA:
            for fact in f.triples:
                if _value(fact.predicate) in wanted:
                    asserted.add(
                        (_value(fact.subject), _value(fact.predicate), _value(fact.object))
                    )
    out: dict[Triple, Origin] = {}
    for membership, p in sorted(parts.items()):
        for member in p[str(ORG.member)]:
            for initiative in p[str(ORG.organization)]:
                for role in p[str(ORG.role)]:
                    for prop in role_property.get(role, ()):
                        if (member, prop, initiative) not in asserted:
                            triple = (URIRef(member), URIRef(prop), URIRef(initiative))
                            out.setdefault(
                                triple, Origin(where[membership], membership, str(ORG.role))
                            )
    return sorted(out.items(), key=lambda kv: nt_line(kv[0]))
