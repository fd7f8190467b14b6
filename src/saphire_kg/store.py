"""Where the served graph lives: the `Store` protocol and the embedded Oxigraph store behind it.

A build writes a complete store into a fresh directory and then swaps it in with two renames,
so a failed build (or a full disk) leaves the previous store as it was.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from .errors import BuildError

STORE_DIR = "store"
MANIFEST = "manifest.json"


class Store(Protocol):
    """What the query layer needs from a store, embedded or remote."""

    @property
    def version(self) -> str: ...

    def query(self, sparql: str, accept: str) -> tuple[str, bytes]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class GraphFile:
    """One Turtle file to load into its own named graph."""

    path: Path
    graph_iri: str


def _swap_in(fresh: Path, target: Path) -> None:
    old = target.with_name(target.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    if old.exists():
        shutil.rmtree(old)


def write_store(
    build_dir: Path,
    files: Iterable[GraphFile],
    extra_graphs: dict[str, str],
    manifest: dict,
) -> Path:
    """Write a new on-disk store (files + extra N-Triples graphs) and swap it in atomically.

    `extra_graphs` maps a graph IRI to N-Triples text (e.g. the dataset description).
    """
    build_dir.mkdir(parents=True, exist_ok=True)
    fresh = build_dir / f".{STORE_DIR}.{uuid.uuid4().hex}"
    try:
        store = ox.Store(str(fresh))
        for f in files:
            store.bulk_load(path=str(f.path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(f.graph_iri))
        for iri, ntriples in sorted(extra_graphs.items()):
            store.bulk_load(
                input=ntriples.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(iri)
            )
        store.optimize()
        store.flush()
        del store
        (fresh / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        _swap_in(fresh, build_dir / STORE_DIR)
    except (OSError, SyntaxError, ValueError) as exc:
        shutil.rmtree(fresh, ignore_errors=True)
        raise BuildError(f"could not write the store: {exc}; the previous build is untouched") from exc
    return build_dir / STORE_DIR


def read_manifest(store_dir: Path) -> dict | None:
    path = store_dir / MANIFEST
    if not path.is_file():
        return None
    return json.loads(path.read_text())


class OxigraphStore:
    """The embedded store, opened read-only; the default graph is the union of the named graphs.

    It binds query parameters as RDF terms itself (`substitutions`, SEP-0007): `binds_terms`.
    """

    binds_terms = True

    def __init__(self, path: Path) -> None:
        manifest = read_manifest(path)
        if manifest is None:
            raise BuildError(f"no built store at {path}: run `saphire-kg build`")
        self._store = ox.Store.read_only(str(path))
        self._version = str(manifest["version"])

    @classmethod
    def in_memory(cls, files: Iterable[GraphFile], version: str = "in-memory") -> OxigraphStore:
        """A store in memory holding each Turtle file in its own named graph (tests, benchmarks)."""
        self = cls.__new__(cls)
        self._store = ox.Store()
        for f in files:
            self._store.load(path=str(f.path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(f.graph_iri))
        self._version = version
        return self

    @property
    def version(self) -> str:
        return self._version

    def select(self, sparql: str) -> list[dict[str, str]]:
        """Rows of a SELECT as plain strings (for tools and tests)."""
        results = self._store.query(sparql, use_default_graph_as_union=True)
        names = [v.value for v in results.variables]  # type: ignore[union-attr]
        return [
            {n: s[n].value for n in names if s[n] is not None}  # type: ignore[index]
            for s in results  # type: ignore[union-attr]
        ]

    def query(
        self,
        sparql: str,
        accept: str = "application/sparql-results+json",
        substitutions: Mapping[str, RdfTerm] | None = None,
    ) -> tuple[str, bytes]:
        """Run a query; results in the media type `accept` names when it can, else JSON / N-Triples.

        `substitutions` binds variables (by name, without `?`) to rdflib terms as SEP-0007 says.
        """
        bound = {ox.Variable(k): _ox_term(v) for k, v in (substitutions or {}).items()}
        results = self._store.query(sparql, use_default_graph_as_union=True, substitutions=bound or None)
        if isinstance(results, ox.QueryTriples):
            rdf = _RDF_FORMATS.get(accept.split(";")[0].strip(), ox.RdfFormat.N_TRIPLES)
            return rdf.media_type, results.serialize(format=rdf) or b""
        fmt = _RESULT_FORMATS.get(accept.split(";")[0].strip(), ox.QueryResultsFormat.JSON)
        return fmt.media_type, results.serialize(format=fmt) or b""  # type: ignore[union-attr]

    def close(self) -> None:
        del self._store


RdfTerm = URIRef | Literal | BNode
_RESULT_FORMATS = {
    f.media_type.split(";")[0]: f
    for f in (ox.QueryResultsFormat.JSON, ox.QueryResultsFormat.XML, ox.QueryResultsFormat.CSV, ox.QueryResultsFormat.TSV)
}
_RDF_FORMATS = {
    f.media_type.split(";")[0]: f
    for f in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.TURTLE, ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML, ox.RdfFormat.N_QUADS)
}


def _ox_term(term: RdfTerm) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    """An rdflib term as the same Oxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or XSD.string)))
    return ox.BlankNode(str(term))


def count_in(store_dir: Path, sparql: str) -> int:
    store = ox.Store.read_only(str(store_dir))
    for row in store.query(sparql, use_default_graph_as_union=True):  # type: ignore[union-attr]
        return int(row[0].value)
    return 0
