"""Where the served graph lives: the `Store` protocol and the embedded Oxigraph store behind it.

A build writes a complete store into a fresh directory and then swaps it in with two renames,
so a failed build (or a full disk) leaves the previous store as it was.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import uuid
from itertools import islice
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol, cast

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from .errors import (
    BuildError,
    ProtocolError,
    QueryError,
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    ResultTooLarge,
    StoreUnavailable,
    UnsupportedFunction,
)
from .namespaces import BASE, PREFIXES
from .screen import names_dataset, stray_token

STORE_DIR = "store"
MANIFEST = "manifest.json"


class Store(Protocol):
    """What the query layer needs from a store, embedded or remote.

    `query` answers in the media type `accept` names (one of negotiate's tables) and returns it
    with the complete serialised result: never a partial one. With neither `default_graphs` nor
    `named_graphs` the default graph is the union of the named graphs, unless the query names
    its own dataset (FROM); with either, they are the dataset (SPARQL 1.1 Protocol §2.1.4).
    `timeout` (seconds) is a deadline the store enforces where it can (see each store).
    `limited=False` lifts the result limits (rows/triples, bytes) for the service's own queries
    (its description), which must not fail where a client's query would.
    """

    @property
    def version(self) -> str: ...

    def query(
        self,
        sparql: str,
        accept: str = ...,
        *,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
        limited: bool = True,
    ) -> tuple[str, bytes]: ...

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

    max_results: int | None = None  # rows of a SELECT, triples of a CONSTRUCT / DESCRIBE
    max_bytes: int | None = None  # of a serialised result

    def __init__(self, path: Path, max_results: int | None = None, max_bytes: int | None = None) -> None:
        manifest = read_manifest(path)
        if manifest is None:
            raise BuildError(f"no built store at {path}: run `saphire-kg build`")
        self._store = ox.Store.read_only(str(path))
        self._version = str(manifest["version"])
        self.max_results = max_results
        self.max_bytes = max_bytes

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
        *,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
        limited: bool = True,
    ) -> tuple[str, bytes]:
        """Run a query; results in the media type `accept` names when it can, else JSON / N-Triples.

        `substitutions` binds variables (by name, without `?`) to rdflib terms as SEP-0007 says.
        Relative IRIs resolve against the dataset base (`https://w3id.org/saphire/`). `timeout`
        is not enforced here: pyoxigraph cannot be interrupted from Python, so the server runs
        this store in worker processes that it kills at the deadline (workers.WorkerPool).
        Raises QuerySyntaxError (with line and column), ResultTooLarge (unless not `limited`),
        QueryFailed.
        """
        max_results, max_bytes = (self.max_results, self.max_bytes) if limited else (None, None)
        bound: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
            ox.Variable(k): _ox_term(v) for k, v in (substitutions or {}).items()
        }
        try:
            results = self._store.query(
                sparql, base_iri=BASE, substitutions=bound or None,
                **_dataset(sparql, default_graphs, named_graphs),
            )
            if isinstance(results, ox.QueryTriples):
                rdf = _RDF_FORMATS.get(accept.split(";")[0].strip(), ox.RdfFormat.N_TRIPLES)
                return rdf.media_type, _write_triples(results, rdf, max_results, max_bytes)
            fmt = _RESULT_FORMATS.get(accept.split(";")[0].strip(), ox.QueryResultsFormat.JSON)
            out = _Capped(max_bytes)
            results.serialize(cast(IO[bytes], out), format=fmt)
            body = bytes(out.buffer)
            if isinstance(results, ox.QuerySolutions) and max_results is not None:
                if _rows_bound(body, fmt) > max_results and _rows(body, fmt, max_results + 1) > max_results:
                    raise ResultTooLarge(max_results, "rows")
            return fmt.media_type, body
        except ResultTooLarge:
            results = None  # not to be dropped on the thread the error reaches (pyoxigraph)
            raise
        except SyntaxError as exc:
            raise syntax_error(str(exc), sparql) from exc
        except RuntimeError as exc:
            unsupported = _UNSUPPORTED_FUNCTION.fullmatch(str(exc))
            if unsupported is None:
                raise
            raise UnsupportedFunction(unsupported.group(1)) from exc
        except OSError as exc:
            raise QueryFailed(f"the query could not be evaluated: {_no_paths(str(exc))}") from exc

    def close(self) -> None:
        del self._store


_UNSUPPORTED_FUNCTION = re.compile(r"The custom function <(.*)> is not supported")
"""pyoxigraph's RuntimeError for a call of a function it does not have."""


def _write_triples(
    triples: Iterator[ox.Triple], rdf: ox.RdfFormat, limit: int | None, max_bytes: int | None
) -> bytes:
    taken = list(triples if limit is None else islice(triples, limit + 1))
    del triples  # (see `OxigraphStore.query`: not to travel with an error)
    if limit is not None and len(taken) > limit:
        raise ResultTooLarge(limit, "triples")
    out = _Capped(max_bytes)
    prefixes = _used_prefixes(taken) if rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML) else None
    ox.serialize(taken, cast(IO[bytes], out), format=rdf, prefixes=prefixes)
    return bytes(out.buffer)


RdfTerm = URIRef | Literal | BNode
_RESULT_FORMATS = {
    f.media_type.split(";")[0]: f
    for f in (ox.QueryResultsFormat.JSON, ox.QueryResultsFormat.XML, ox.QueryResultsFormat.CSV, ox.QueryResultsFormat.TSV)
}
_RDF_FORMATS = {
    f.media_type.split(";")[0]: f
    for f in (
        ox.RdfFormat.N_TRIPLES, ox.RdfFormat.TURTLE, ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML,
        ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG,
    )
}
_ERROR_AT = re.compile(r"^error at (\d+):(\d+): (.*)$", re.DOTALL)
_PATH = re.compile(r"(?<![\w:/.])/(?:[\w.@+-]+/)+[\w.@+-]*")
_NAMESPACE_OF = {ns: prefix for prefix, ns in PREFIXES.items()}
_PLAIN = {str(XSD.string), "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}


def syntax_error(message: str, sparql: str = "") -> QuerySyntaxError:
    """Oxigraph's `error at LINE:COL: message` as a QuerySyntaxError with the line and column
    (1-based) of the character where parsing stopped; or, when `sparql` has a token before it
    that no query can have there (`screen.stray_token`), that token: Oxigraph's parser names the
    furthest point it reached on any path, which can be lines past a stray `)` (`?s ?p ?o ) }
    LIMIT 5` stopped at LIMIT)."""
    m = _ERROR_AT.match(message.strip())
    if not m:
        return QuerySyntaxError(_short(message))
    # Oxigraph 0.5 counts the column one past the character it stopped at; name that character.
    line, column = int(m.group(1)), max(1, int(m.group(2)) - 1)
    stray = stray_token(sparql)
    if stray is not None:
        offset, why = stray
        at = (sparql.count("\n", 0, offset) + 1, offset - sparql.rfind("\n", 0, offset))
        if at < (line, column):
            return QuerySyntaxError(why, *at)
    return QuerySyntaxError(_short(m.group(3)), line, column)


def _short(message: str, limit: int = 240) -> str:
    """A parser message cut to a readable length (Oxigraph lists every expected character class)."""
    message = " ".join(message.split())
    return message if len(message) <= limit else message[:limit].rstrip() + " …"


def _no_paths(message: str) -> str:
    """An engine message without file-system paths (they say nothing to a client)."""
    return _PATH.sub("…", message)


def _dataset(
    sparql: str, default_graphs: Sequence[str] | None, named_graphs: Sequence[str] | None
) -> dict:
    """pyoxigraph's dataset arguments: the protocol's graphs, else the union unless FROM is used."""
    if default_graphs is None and named_graphs is None:
        return {} if names_dataset(sparql) else {"use_default_graph_as_union": True}
    return {
        "default_graph": [_graph("default-graph-uri", g) for g in default_graphs or ()],
        "named_graphs": [_graph("named-graph-uri", g) for g in named_graphs or ()],
    }


def _graph(parameter: str, iri: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except ValueError as exc:
        raise ProtocolError(f"{parameter} {iri!r} is not an IRI ({exc})") from exc


class _Capped:
    """A binary writer that keeps what it is given and fails past `limit` bytes."""

    def __init__(self, limit: int | None) -> None:
        self.buffer = bytearray()
        self.limit = limit

    def write(self, data: bytes) -> int:
        self.buffer += data
        if self.limit is not None and len(self.buffer) > self.limit:
            raise ResultTooLarge(self.limit, "bytes")
        return len(data)

    def flush(self) -> None:
        pass


_ROW_MARK = {  # a mark at least once in every row, and how many times it is outside the rows
    ox.QueryResultsFormat.CSV: (b"\n", 1),  # ends each row and the header (more: values' newlines)
    ox.QueryResultsFormat.TSV: (b"\n", 1),
    ox.QueryResultsFormat.JSON: (b"{", 3),  # the document, "head", "results"; a row, its values
    ox.QueryResultsFormat.XML: (b"<result", 1),  # each row and `<results>` (`<` in values escaped)
}


def _rows_bound(body: bytes, fmt: ox.QueryResultsFormat) -> int:
    """At least as many as the rows of a serialised SELECT result, at C speed: a result under
    the limit by this count needs no parsing (parsing the whole of it cost as much as the query)."""
    found = _ROW_MARK.get(fmt)
    if found is None:
        return len(body)
    mark, outside = found
    return body.count(mark) - outside


def _rows(body: bytes, fmt: ox.QueryResultsFormat, stop: int) -> int:
    """How many rows a serialised SELECT result has, counting no further than `stop`."""
    if fmt == ox.QueryResultsFormat.CSV:
        return sum(1 for _ in islice(csv.reader(io.StringIO(body.decode("utf-8"), newline="")), stop + 1)) - 1
    solutions = ox.parse_query_results(body, format=fmt)
    return sum(1 for _ in islice(cast(Iterator[Any], solutions), stop))


def _used_prefixes(triples: list[ox.Triple]) -> dict[str, str]:
    """The project's prefixes that the IRIs of these triples use (so Turtle stays readable)."""
    used: dict[str, str] = {}
    for t in triples:
        for term in (t.subject, t.predicate, t.object):
            if isinstance(term, ox.NamedNode):
                iri = term.value
            elif isinstance(term, ox.Literal) and term.datatype.value not in _PLAIN:
                iri = term.datatype.value
            else:
                continue
            cut = max(iri.rfind("/"), iri.rfind("#")) + 1
            prefix = _NAMESPACE_OF.get(iri[:cut])
            if prefix is not None:
                used[prefix] = iri[:cut]
    return dict(sorted(used.items()))


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


# ---------------------------------------------------------------------------------------------
# A remote SPARQL 1.1 server behind the same protocol


REMOTE_SCHEMES = ("sparql+http://", "sparql+https://")
_VOID_GRAPH = BASE + "graph/void"
_VERSION_QUERY = (
    "SELECT ?v WHERE { GRAPH <" + _VOID_GRAPH + "> { <" + BASE + "id/dataset/saphire-kg> "
    "<http://www.w3.org/2002/07/owl#versionInfo> ?v } } LIMIT 1"
)
USER_AGENT = "saphire-kg (+https://w3id.org/saphire/)"


def remote_url(store: str) -> str:
    """`sparql+http://host:port/path` → `http://host:port/path` (the query endpoint)."""
    for scheme in REMOTE_SCHEMES:
        if store.startswith(scheme):
            return store[len("sparql+"):]
    raise ValueError(f"not a remote store address (expected sparql+http://… or sparql+https://…): {store}")


class SparqlStore:
    """Any SPARQL 1.1 server (Oxigraph, Fuseki, Virtuoso, GraphDB) reached with SPARQLWrapper.

    The server must make its default graph the union of the named graphs, as ours does
    (`oxigraph serve --union-default-graph`, Fuseki `tdb2:unionDefaultGraph true`, Virtuoso by
    default). `timeout` is the HTTP client's: the remote server may go on working after it.
    The version is the one the pushed VoID graph states, looked up at most every few seconds.
    """

    def __init__(
        self,
        url: str,
        max_results: int | None = None,
        max_bytes: int | None = None,
        timeout: float = 10.0,
        version_ttl: float = 5.0,
    ) -> None:
        self.url = url
        self.max_results = max_results
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.version_ttl = version_ttl
        self._version: tuple[float, str] | None = None

    @property
    def version(self) -> str:
        import time

        now = time.monotonic()
        if self._version is None or now - self._version[0] > self.version_ttl:
            try:
                _, body = self._request(_VERSION_QUERY, "application/sparql-results+json", None, None, self.timeout)
                rows = json.loads(body)["results"]["bindings"]
                label = rows[0]["v"]["value"] if rows else "unversioned"
            except QueryError:
                label = self._version[1] if self._version else "unreachable"
            self._version = (now, label)
        return self._version[1]

    def query(
        self,
        sparql: str,
        accept: str = "application/sparql-results+json",
        *,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
        limited: bool = True,
    ) -> tuple[str, bytes]:
        media_type, body = self._request(
            sparql, accept, default_graphs, named_graphs, self.timeout if timeout is None else min(timeout, self.timeout),
            self.max_bytes if limited else None,
        )
        if limited and self.max_results is not None and len(body) > self.max_results:
            self._check_size(body, accept)
        return media_type, body

    def _check_size(self, body: bytes, accept: str) -> None:
        limit = self.max_results
        assert limit is not None
        media = accept.split(";")[0].strip()
        if media in _RESULT_FORMATS:
            fmt = _RESULT_FORMATS[media]
            if fmt != ox.QueryResultsFormat.JSON or b'"bindings"' in body:
                if _rows(body, fmt, limit + 1) > limit:
                    raise ResultTooLarge(limit, "rows")
        elif media in _RDF_FORMATS:
            if sum(1 for _ in islice(ox.parse(body, format=_RDF_FORMATS[media]), limit + 1)) > limit:
                raise ResultTooLarge(limit, "triples")

    def _request(
        self,
        sparql: str,
        accept: str,
        default_graphs: Sequence[str] | None,
        named_graphs: Sequence[str] | None,
        timeout: float,
        max_bytes: int | None = None,
    ) -> tuple[str, bytes]:
        import socket
        import urllib.error

        from SPARQLWrapper import POST, URLENCODED, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

        client = SPARQLWrapper(self.url, agent=USER_AGENT)
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED)
        client.setOnlyConneg(True)
        client.setTimeout(max(1, round(timeout)))
        client.setQuery(sparql)
        for g in default_graphs or ():
            client.addParameter("default-graph-uri", g)
        for g in named_graphs or ():
            client.addParameter("named-graph-uri", g)
        client.addCustomHttpHeader("Accept", accept)
        try:
            response = client.query().response
            body = _read_capped(response, max_bytes)
            media_type = response.headers.get("Content-Type", accept)
        except SPARQLWrapperException as exc:
            text = str(exc)
            m = re.search(r"error at (\d+):(\d+): (.*?)(?:\\n|'|$)", text)
            if type(exc).__name__ == "QueryBadFormed":
                if m:
                    raise QuerySyntaxError(m.group(3), int(m.group(1)), int(m.group(2))) from exc
                raise QuerySyntaxError(_no_paths(text.split("Response:")[-1].strip())[:300]) from exc
            raise QueryFailed(f"the SPARQL server answered: {type(exc).__name__}") from exc
        except urllib.error.HTTPError as exc:
            raise QueryFailed(f"the SPARQL server answered HTTP {exc.code}") from exc
        except (TimeoutError, socket.timeout) as exc:
            raise QueryTimeout(timeout) from exc
        except (urllib.error.URLError, ConnectionError) as exc:
            raise StoreUnavailable(f"the SPARQL server at {self.url} cannot be reached") from exc
        return media_type, body

    def close(self) -> None:
        pass


def _read_capped(response: io.BufferedIOBase, limit: int | None) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = response.read(1 << 16)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if limit is not None and size > limit:
            response.close()
            raise ResultTooLarge(limit, "bytes")
        chunks.append(chunk)


def push(store_dir: Path, to: str, timeout: float = 120.0) -> list[tuple[str, int]]:
    """Upload every named graph of the built store to a Graph Store Protocol endpoint (PUT per
    graph, `?graph=<iri>`, N-Triples), replacing what the server held in each. Returns
    (graph IRI, bytes sent) per graph; raises StoreUnavailable on the first failure."""
    import urllib.error
    import urllib.request
    from urllib.parse import quote

    if read_manifest(store_dir) is None:
        raise BuildError(f"no built store at {store_dir}: run `saphire-kg build`")
    store = ox.Store.read_only(str(store_dir))
    sent = []
    for graph in sorted(store.named_graphs(), key=lambda g: g.value):
        body = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph) or b""
        separator = "&" if "?" in to else "?"
        request = urllib.request.Request(
            f"{to}{separator}graph={quote(graph.value, safe='')}",
            data=body,
            method="PUT",
            headers={"Content-Type": "application/n-triples", "User-Agent": USER_AGENT},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise StoreUnavailable(f"PUT of graph <{graph.value}> to {to} failed: HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise StoreUnavailable(f"the Graph Store at {to} cannot be reached ({exc})") from exc
        sent.append((graph.value, len(body)))
    return sent
