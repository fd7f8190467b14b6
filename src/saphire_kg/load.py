"""Parses every input file (fast, with Oxigraph's parser) and keeps, per file, its triples and lines.

Each file becomes its own named graph later; a syntax error becomes an `InputError` with
`file:line:column`, and every broken file is reported, not only the first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .errors import InputError
from .locate import LineIndex, index_turtle
from .namespaces import XSD
from .sources import Inputs, Role, SourceFile

_XSD_STRING = str(XSD.string)


@dataclass
class LoadedFile:
    """The triples of one file, and (on demand) where its resources are written."""

    source: SourceFile
    triples: list[ox.Triple]

    @cached_property
    def lines(self) -> LineIndex:
        return index_turtle(self.source.path.read_text(encoding="utf-8"))

    @cached_property
    def subjects(self) -> set[ox.NamedNode | ox.BlankNode]:
        return {t.subject for t in self.triples}  # type: ignore[misc]


@dataclass
class Loaded:
    """Everything that parsed, and an error per file that did not."""

    inputs: Inputs
    files: list[LoadedFile]
    errors: list[InputError] = field(default_factory=list)

    def of_role(self, role: Role) -> list[LoadedFile]:
        return [f for f in self.files if f.source.role is role]

    @cached_property
    def files_by_subject(self) -> dict[ox.NamedNode | ox.BlankNode, list[LoadedFile]]:
        index: dict[ox.NamedNode | ox.BlankNode, list[LoadedFile]] = defaultdict(list)
        for f in self.files:
            for s in f.subjects:
                index[s].append(f)
        return index

    def triple_count(self) -> int:
        return sum(len(f.triples) for f in self.files)


def parse_bytes(rel: str, data: bytes) -> list[ox.Triple]:
    """Triples of Turtle text (e.g. a file at another git revision); errors name `rel`."""
    try:
        return list(ox.parse(input=data, format=ox.RdfFormat.TURTLE))  # type: ignore[arg-type]
    except SyntaxError as exc:
        raise InputError(path=Path(rel), line=exc.lineno or 1, column=exc.offset or 1, message=_syntax_message(exc)) from None


def parse_file(source: SourceFile) -> LoadedFile:
    try:
        triples = list(ox.parse(path=str(source.path), format=ox.RdfFormat.TURTLE))
    except SyntaxError as exc:
        raise InputError(
            path=source.path,
            line=exc.lineno or 1,
            column=exc.offset or 1,
            message=_syntax_message(exc),
        ) from None
    except (OSError, ValueError) as exc:
        raise InputError(path=source.path, line=1, column=1, message=str(exc)) from None
    return LoadedFile(source=source, triples=triples)  # type: ignore[arg-type]


def _syntax_message(exc: SyntaxError) -> str:
    msg = exc.msg or str(exc)
    # Oxigraph says "Parser error at line 4 between columns 3 and 10: <what>"; keep <what>.
    _, sep, what = msg.partition(": ")
    what = what if sep else msg
    if what == "Unexpected end of file":
        what += " (a string, bracket or statement opened here is never closed)"
    return f"Turtle syntax error: {what}"


def load(inputs: Inputs) -> Loaded:
    """Parse every input file; files that fail are left out and reported in `errors`."""
    files: list[LoadedFile] = []
    errors: list[InputError] = []
    for source in inputs.files:
        try:
            files.append(parse_file(source))
        except InputError as err:
            err.path = source.path.relative_to(inputs.root)
            errors.append(err)
    return Loaded(inputs=inputs, files=files, errors=errors)


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Node:
    """One Oxigraph term as the equal rdflib term (plain literals stay plain)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    dt = term.datatype.value
    if dt == _XSD_STRING:
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(dt))


def from_rdflib(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


def rdflib_graph(triples: list[ox.Triple], into: Graph | None = None) -> Graph:
    graph = into if into is not None else Graph()
    add = graph.add
    for t in triples:
        add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))  # type: ignore[arg-type]
    return graph


def load_graph_file(source: SourceFile) -> Graph:
    """One file as an rdflib graph (raises `InputError`)."""
    return rdflib_graph(parse_file(source).triples)
