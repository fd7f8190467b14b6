"""Why the graph is inconsistent, at `file:line`: direct checks, then HermiT on smaller parts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from ..load import Loaded
from ..namespaces import OWL, RDF, RDFS
from ..validate import short
from .datatypes import FAMILY, fits, literal_text, value_of
from .hermit import VIEW_IRI, run_hermit
from .view import Triple, View, class_closure, nt_line


@dataclass(frozen=True)
class Clash:
    """One reason the graph is inconsistent, located in the file a curator has to edit."""

    resource: str
    message: str
    file: str | None = None
    line: int | None = None
    axiom: str | None = None  # the ontology axiom involved, written in short form
    axiom_file: str | None = None
    axiom_line: int | None = None
    also: tuple[str, ...] = ()  # further `file:line` places involved

    def render(self) -> str:
        where = f"{self.file}:{self.line or 1}" if self.file else "<reasoner view>"
        text = f"{where}: error: {short(self.resource)} {self.message}"
        if self.axiom:
            at = f" at {self.axiom_file}:{self.axiom_line or 1}" if self.axiom_file else ""
            text += f" (axiom: {self.axiom}{at})"
        if self.also:
            text += " (see also " + ", ".join(self.also) + ")"
        return text

    def as_dict(self) -> dict:
        return asdict(self)


class _Locator:
    """`file:line` of view triples and ontology axioms."""

    def __init__(self, loaded: Loaded, view: View) -> None:
        self.files = {f.source.rel: f for f in loaded.files}
        self.origins = view.origins

    def of(self, triple: Triple) -> tuple[str | None, int | None]:
        origin = self.origins.get(triple)
        if origin is None:
            return None, None
        f = self.files.get(origin.file)
        line = f.lines.line_of(origin.subject, origin.predicate) if f is not None else None
        return origin.file, line

    def place(self, triple: Triple) -> str | None:
        file, line = self.of(triple)
        return f"{file}:{line or 1}" if file else None


def explain(loaded: Loaded, view: View, java: str, max_runs: int = 40) -> list[Clash]:
    """Why the view is inconsistent: direct checks first, then HermiT on smaller parts."""
    where = _Locator(loaded, view)
    tbox = view.tbox_graph
    clashes = (
        _datatype_clashes(view, tbox, where)
        + _functional_clashes(view, tbox, where)
        + _disjoint_clashes(view, tbox, where)
    )
    if clashes:
        return sorted(
            set(clashes), key=lambda c: (c.file or "", c.line or 0, c.resource, c.message)
        )
    tbox_only = run_hermit(view.ntriples(abox=[]), java, [])
    if not tbox_only.consistent:
        files = sorted({o.file for t, o in view.origins.items() if t in set(view.tbox)})
        return [
            Clash(
                resource=VIEW_IRI,
                message="the ontology is inconsistent on its own, before any data: "
                "check the last change to " + ", ".join(files),
            )
        ]
    clashes = _unsatisfiable_clashes(view, tbox, where, tbox_only.unsatisfiable)
    if clashes:
        return clashes
    return _narrow(view, java, where, max_runs)


def _disjoint_pairs(tbox: Graph) -> dict[frozenset, Triple | None]:
    pairs: dict[frozenset, Triple | None] = {}
    for a, b in tbox.subject_objects(OWL.disjointWith):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            pairs[frozenset((a, b))] = (a, OWL.disjointWith, b)
    for node in tbox.subjects(RDF.type, OWL.AllDisjointClasses):
        members = [m for lst in tbox.objects(node, OWL.members) for m in tbox.items(lst)]
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                pairs.setdefault(frozenset((a, b)), None)
    return pairs


def _disjoint_clashes(view: View, tbox: Graph, where: _Locator) -> list[Clash]:
    """Resources whose types (asserted, or from domains and ranges) are disjoint classes."""
    closure = class_closure(tbox)
    domain = {
        p: {c for c in tbox.objects(p, RDFS.domain) if isinstance(c, URIRef)}
        for p in set(tbox.subjects(RDFS.domain))
    }
    range_ = {
        p: {
            c for c in tbox.objects(p, RDFS.range) if isinstance(c, URIRef) and str(c) not in FAMILY
        }
        for p in set(tbox.subjects(RDFS.range))
    }
    inverse: dict[Node, set[Node]] = defaultdict(set)
    for a, b in tbox.subject_objects(OWL.inverseOf):
        inverse[a].add(b)
        inverse[b].add(a)
    # resource -> class -> the view triple it comes from
    reasons: dict[Node, dict[URIRef, Triple]] = defaultdict(dict)
    for t in view.abox:
        s, p, o = t
        if p == RDF.type and isinstance(o, URIRef):
            reasons[s].setdefault(o, t)
            continue
        for c in domain.get(p, ()):
            reasons[s].setdefault(c, t)
        if not isinstance(o, Literal):
            for c in range_.get(p, ()):
                reasons[o].setdefault(c, t)
            for q in inverse.get(p, ()):
                for c in domain.get(q, ()):
                    reasons[o].setdefault(c, t)
                for c in range_.get(q, ()):
                    reasons[s].setdefault(c, t)
    pairs = _disjoint_pairs(tbox)
    clashes = []
    for resource, why in reasons.items():
        expanded: dict[Node, URIRef] = {}  # class -> the asserted/derived class it follows from
        for cls in sorted(why, key=lambda c: (why[c][1] != RDF.type, str(c))):  # asserted first
            for sup in closure(cls):
                expanded.setdefault(sup, cls)
        for pair, axiom in pairs.items():
            a, b = sorted(pair, key=str)
            if a in expanded and b in expanded:
                ta, tb = why[expanded[a]], why[expanded[b]]
                file, line = where.of(ta)
                axiom_file, axiom_line = where.of(axiom) if axiom else (None, None)
                also = tuple(p for p in {where.place(tb)} if p and p != f"{file}:{line or 1}")
                first = f"{short(str(expanded[a]))}{_via(ta, a)}"
                second = f"{short(str(expanded[b]))}{_via(tb, b)}"
                clashes.append(
                    Clash(
                        resource=str(resource),
                        message=(
                            f"is both a {first} and a {second}, and {short(str(a))} and "
                            f"{short(str(b))} are disjoint: remove one of the two"
                        ),
                        file=file,
                        line=line,
                        axiom=f"{short(str(a))} owl:disjointWith {short(str(b))}",
                        axiom_file=axiom_file,
                        axiom_line=axiom_line,
                        also=also,
                    )
                )
    return clashes


def _via(t: Triple, cls: URIRef) -> str:
    """How a resource got a type: asserted (nothing to say), or from a domain or range."""
    if t[1] == RDF.type:
        return "" if t[2] == cls else f" (so a {short(str(cls))})"
    return f" (because of {short(str(t[1]))} {literal_text(t[2])})"


def _datatype_clashes(view: View, tbox: Graph, where: _Locator) -> list[Clash]:
    ranges = {
        p: [
            str(r)
            for r in tbox.objects(p, RDFS.range)
            if isinstance(r, URIRef) and str(r) in FAMILY
        ]
        for p in set(tbox.subjects(RDFS.range))
    }
    clashes = []
    for t in view.abox:
        s, p, o = t
        if not isinstance(o, Literal):
            continue
        bad = value_of(o) is None and o.datatype is not None and str(o.datatype) in FAMILY
        for r in ranges.get(p, []):
            if bad or not fits(o, r):
                file, line = where.of(t)
                axiom_file, axiom_line = where.of((p, RDFS.range, URIRef(r)))
                written = literal_text(o)
                origin = view.origins.get(t)
                via = (
                    f" (the snapshot of {short(origin.subject)})"
                    if origin and origin.subject != str(s)
                    else ""
                )
                fix = (
                    f"write it as {short(r)}"
                    if not bad
                    else "the literal is not a valid value of its datatype"
                )
                clashes.append(
                    Clash(
                        resource=str(s),
                        message=(
                            f"has {short(str(p))} {written}{via}, which is not a value of "
                            f"its range {short(r)}: {fix}"
                        ),
                        file=file,
                        line=line,
                        axiom=f"{short(str(p))} rdfs:range {short(r)}",
                        axiom_file=axiom_file,
                        axiom_line=axiom_line,
                    )
                )
        if bad and not ranges.get(p):
            file, line = where.of(t)
            clashes.append(
                Clash(
                    resource=str(s),
                    message=f"has {short(str(p))} {literal_text(o)}, which is not a valid "
                    f"{short(str(o.datatype))}",
                    file=file,
                    line=line,
                )
            )
    return clashes


def _functional_clashes(view: View, tbox: Graph, where: _Locator) -> list[Clash]:
    functional = {p for p in tbox.subjects(RDF.type, OWL.FunctionalProperty)}
    values: dict[tuple[Node, Node], dict[tuple, Triple]] = defaultdict(dict)
    for t in view.abox:
        s, p, o = t
        if p in functional and isinstance(o, Literal):
            v = value_of(o)
            if v is not None:
                values[(s, p)].setdefault(v, t)
    clashes = []
    for (s, p), by_value in values.items():
        if len(by_value) < 2:
            continue
        triples = sorted(by_value.values(), key=nt_line)
        file, line = where.of(triples[0])
        axiom_file, axiom_line = where.of((p, RDF.type, OWL.FunctionalProperty))
        clashes.append(
            Clash(
                resource=str(s),
                message=f"has {len(triples)} different values of the functional property "
                f"{short(str(p))} ("
                + ", ".join(literal_text(t[2]) for t in triples)
                + "): keep one",
                file=file,
                line=line,
                axiom=f"{short(str(p))} a owl:FunctionalProperty",
                axiom_file=axiom_file,
                axiom_line=axiom_line,
                also=tuple(x for x in (where.place(t) for t in triples[1:]) if x),
            )
        )
    return clashes


def _unsatisfiable_clashes(
    view: View, tbox: Graph, where: _Locator, unsatisfiable: list[str]
) -> list[Clash]:
    if not unsatisfiable:
        return []
    closure = class_closure(tbox)
    bad = {URIRef(c) for c in unsatisfiable}
    clashes = []
    for t in view.abox:
        if t[1] == RDF.type and isinstance(t[2], URIRef) and closure(t[2]) & bad:
            file, line = where.of(t)
            cls = sorted(closure(t[2]) & bad, key=str)[0]
            clashes.append(
                Clash(
                    resource=str(t[0]),
                    message=f"is typed {short(str(t[2]))}, but the ontology makes "
                    f"{short(str(cls))} unsatisfiable (no resource can be one)",
                    file=file,
                    line=line,
                    axiom=f"{short(str(cls))} ≡ owl:Nothing",
                )
            )
    return clashes


def _narrow(view: View, java: str, where: _Locator, max_runs: int) -> list[Clash]:
    """The smallest set of data resources HermiT still finds inconsistent (delta debugging).

    A resource is a subject with all its triples in the view; each step drops a part of the
    remaining resources if the rest stays inconsistent, with finer parts when none can go.
    """
    units: dict[Node, list[Triple]] = defaultdict(list)
    for t in view.abox:
        units[t[0]].append(t)
    keys = sorted(units, key=str)
    runs = 0

    def inconsistent(subset: list[Node]) -> bool:
        nonlocal runs
        runs += 1
        triples = [t for k in subset for t in units[k]]
        return not run_hermit(view.ntriples(abox=triples), java, []).consistent

    n = 2
    while len(keys) >= 2 and runs < max_runs:
        chunk = max(1, len(keys) // n)
        parts = [keys[i : i + chunk] for i in range(0, len(keys), chunk)]
        for part in parts:
            rest = [k for k in keys if k not in set(part)]
            if runs >= max_runs:
                break
            if rest and inconsistent(rest):
                keys, n = rest, max(n - 1, 2)
                break
        else:
            if n >= len(keys):
                break
            n = min(len(keys), n * 2)
    clashes = []
    for k in keys:
        facts = sorted(units[k], key=nt_line)
        file, line = where.of(facts[0])
        others = [str(x) for x in keys if x != k]
        clashes.append(
            Clash(
                resource=str(k),
                message="takes part in an inconsistency that HermiT narrowed down to "
                + (
                    f"this resource and {', '.join(short(o) for o in others)}"
                    if others
                    else "this resource alone"
                )
                + "; its facts the reasoner used: "
                + "; ".join(_fact_text(t, view, where) for t in facts)
                + ". Check them against the ontology's definitions (e.g. an asserted defined "
                "class whose definition the values contradict)"
                + (
                    ""
                    if runs < max_runs
                    else f" (search stopped after {runs} HermiT runs; the set may not be minimal)"
                ),
                file=file,
                line=line,
            )
        )
    return clashes


def _fact_text(t: Triple, view: View, where: _Locator) -> str:
    s, p, o = t
    text = f"a {short(str(o))}" if p == RDF.type else f"{short(str(p))} {literal_text(o)}"
    origin = view.origins.get(t)
    if origin is not None and origin.subject != str(s):
        text += f" (from {short(origin.subject)})"
    place = where.place(t)
    return f"{text} at {place}" if place else text
