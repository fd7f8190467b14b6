"""The one canonical Turtle form: a graph always serialises to the same bytes, one fact per line.

Rules, chosen so that a change to one fact is a one-line diff:

- a prefix block of only the prefixes used, sorted by prefix, from `namespaces.PREFIXES`;
- subjects sorted: ontology headers and concept schemes first, then IRIs, then unreferenced
  blank nodes, each group sorted by its text;
- in a subject block, `a` first, then predicates sorted by their written form; every object on
  its own line;
- a blank node used exactly once as an object is written inline as `[ ... ]` with the same rules,
  an RDF list as `( ... )`;
- literals keep their lexical form; `xsd:integer`, `xsd:decimal` and `xsd:boolean` use the Turtle
  shorthand only when the lexical form is exactly that shorthand.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .namespaces import OWL, PREFIXES, RDF, SKOS, XSD

_PN_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_\-.]*[A-Za-z0-9_\-])?$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?[0-9]*\.[0-9]+$")
_HEADER_TYPES = (OWL.Ontology, SKOS.ConceptScheme)
_INDENT = "    "


def _escape(text: str) -> str:
    out = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return out


class CanonicalWriter:
    """Writes one graph in the canonical form; see the module docstring."""

    def __init__(self, graph: Graph, prefixes: dict[str, str] | None = None) -> None:
        self.graph = graph
        self._prefixes = sorted((prefixes or PREFIXES).items(), key=lambda kv: -len(kv[1]))
        self._used: set[str] = set()
        self._object_uses: dict[BNode, int] = defaultdict(int)
        for obj in graph.objects():
            if isinstance(obj, BNode):
                self._object_uses[obj] += 1
        self._bnode_labels: dict[BNode, str] = {}

    # terms -------------------------------------------------------------------------------
    def iri(self, term: URIRef) -> str:
        text = str(term)
        if term == RDF.type:
            return "a"
        for prefix, ns in self._prefixes:
            if text.startswith(ns):
                local = text[len(ns) :]
                if local == "" or _PN_LOCAL.match(local):
                    self._used.add(prefix)
                    return f"{prefix}:{local}"
        return "<" + text.replace(">", "%3E") + ">"

    def literal(self, term: Literal) -> str:
        lex = str(term)
        dt = term.datatype
        if dt == XSD.integer and _INTEGER.match(lex):
            return lex
        if dt == XSD.decimal and _DECIMAL.match(lex):
            return lex
        if dt == XSD.boolean and lex in ("true", "false"):
            return lex
        if "\n" in lex and "\r" not in lex:
            # Multi-line text (SPARQL in shapes, long descriptions) stays readable.
            quoted = '"""' + lex.replace("\\", "\\\\").replace('"', '\\"') + '"""'
        else:
            quoted = '"' + _escape(lex) + '"'
        if term.language:
            return f"{quoted}@{term.language}"
        if dt is not None and dt != XSD.string:
            return f"{quoted}^^{self.iri(dt)}"
        return quoted

    def _inlinable(self, node: Node) -> bool:
        return isinstance(node, BNode) and self._object_uses.get(node, 0) == 1

    def _list_items(self, node: BNode) -> list[Node] | None:
        """The items of a well-formed RDF list starting at `node`, else None."""
        items: list[Node] = []
        seen: set[Node] = set()
        current: Node = node
        while current != RDF.nil:
            if not isinstance(current, BNode) or current in seen:
                return None
            seen.add(current)
            preds = set(self.graph.predicates(current))
            if preds != {RDF.first, RDF.rest}:
                return None
            if current != node and self._object_uses.get(current, 0) != 1:
                return None
            firsts = list(self.graph.objects(current, RDF.first))
            rests = list(self.graph.objects(current, RDF.rest))
            if len(firsts) != 1 or len(rests) != 1:
                return None
            items.append(firsts[0])
            current = rests[0]
        return items

    def term(self, node: Node, depth: int) -> str:
        if node == RDF.nil:
            return "()"
        if isinstance(node, URIRef):
            return self.iri(node)
        if isinstance(node, Literal):
            return self.literal(node)
        if isinstance(node, BNode):
            if self._inlinable(node):
                items = self._list_items(node)
                if items is not None:
                    return "( " + " ".join(self.term(i, depth) for i in items) + " )"
                body = self._block(node, depth + 1)
                if not body:
                    return "[]"
                pad = _INDENT * depth
                return "[\n" + body + "\n" + pad + "]"
            return self._bnode_label(node)
        raise TypeError(f"cannot write {node!r}")

    def _bnode_label(self, node: BNode) -> str:
        if node not in self._bnode_labels:
            self._bnode_labels[node] = f"_:b{len(self._bnode_labels)}"
        return self._bnode_labels[node]

    # blocks ------------------------------------------------------------------------------
    def _block(self, subject: Node, depth: int) -> str:
        """The predicate-object lines of one subject, indented to `depth`."""
        by_pred: dict[URIRef, list[Node]] = defaultdict(list)
        for p, o in self.graph.predicate_objects(subject):
            by_pred[p].append(o)  # type: ignore[index]
        pad = _INDENT * depth
        written = []
        for pred in sorted(by_pred, key=lambda p: (p != RDF.type, self.iri(p))):
            if len(by_pred[pred]) == 1:
                written.append(f"{pad}{self.iri(pred)} {self.term(by_pred[pred][0], depth)}")
            else:
                objs = sorted(self.term(o, depth + 1) for o in by_pred[pred])
                inner = _INDENT * (depth + 1)
                joined = (" ,\n" + inner).join(objs)
                written.append(f"{pad}{self.iri(pred)}\n{inner}{joined}")
        return " ;\n".join(written)

    def _subject_key(self, subject: Node) -> tuple[int, str]:
        types = set(self.graph.objects(subject, RDF.type))
        if any(t in types for t in _HEADER_TYPES):
            group = 0
        elif isinstance(subject, URIRef):
            group = 1
        else:
            group = 2
        return (group, self.term(subject, 0) if isinstance(subject, URIRef) else "")

    def serialize(self) -> str:
        subjects = [
            s for s in set(self.graph.subjects()) if not self._inlinable(s)  # type: ignore[arg-type]
        ]
        iri_subjects = sorted((s for s in subjects if not isinstance(s, BNode)), key=self._subject_key)
        blocks: list[str] = []
        for s in iri_subjects:
            blocks.append(self.iri(s) + "\n" + self._block(s, 1) + " .")  # type: ignore[arg-type]
        # Unreferenced or shared blank nodes: written as `[ ... ] .` or with a stable label.
        loose = [s for s in subjects if isinstance(s, BNode)]
        loose_blocks = []
        for s in loose:
            if self._object_uses.get(s, 0) == 0:
                loose_blocks.append("[\n" + self._block(s, 1) + "\n] .")
        for s in sorted(
            (s for s in loose if self._object_uses.get(s, 0) > 1), key=lambda b: self._block(b, 1)
        ):
            loose_blocks.append(self._bnode_label(s) + "\n" + self._block(s, 1) + " .")
        blocks.extend(sorted(loose_blocks))
        header = "".join(
            f"@prefix {p}: <{ns}> .\n"
            for p, ns in sorted((p, ns) for p, ns in self._prefixes if p in self._used)
        )
        body = "\n\n".join(blocks)
        return header + ("\n" if header and body else "") + body + ("\n" if body else "")


def canonical_turtle(graph: Graph, prefixes: dict[str, str] | None = None) -> str:
    """Serialise `graph` in the canonical Turtle form."""
    return CanonicalWriter(graph, prefixes).serialize()


def graph_from_triples(triples: Iterable[tuple[Node, Node, Node]]) -> Graph:
    graph = Graph()
    for t in triples:
        graph.add(t)  # type: ignore[arg-type]
    return graph
