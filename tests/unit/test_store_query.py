"""The embedded store's `query`: formats, the protocol dataset, the union default graph, limits."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from saphire_kg.errors import QuerySyntaxError, ResultTooLarge
from saphire_kg.store import OxigraphStore
from tests.stores import PEOPLE, write_test_store

PEOPLE_G = "http://example.org/graph/people"
NUMBERS_G = "http://example.org/graph/numbers"


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_test_store(tmp_path_factory.mktemp("store"), PEOPLE)


@pytest.fixture
def store(store_dir: Path) -> OxigraphStore:
    return OxigraphStore(store_dir)


def _count(store: OxigraphStore, sparql: str, **kwargs) -> int:
    _, body = store.query(sparql, "text/csv", **kwargs)
    return len(list(csv.reader(io.StringIO(body.decode())))) - 1


@pytest.mark.parametrize(
    ("accept", "media_type", "starts"),
    [
        ("application/sparql-results+json", "application/sparql-results+json", b'{"head"'),
        ("application/sparql-results+xml", "application/sparql-results+xml", b"<?xml"),
        ("text/csv", "text/csv; charset=utf-8", b"name"),
        ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8", b"?name"),
    ],
)
def test_select_formats(store: OxigraphStore, accept: str, media_type: str, starts: bytes) -> None:
    got, body = store.query(
        "SELECT ?name { ?p <http://xmlns.com/foaf/0.1/name> ?name } ORDER BY ?name", accept
    )
    assert got == media_type
    assert body.startswith(starts) and b"Alice" in body


@pytest.mark.parametrize(
    ("accept", "needle"),
    [
        ("text/turtle", b"foaf:name"),  # the project's prefixes it uses, not all of them
        ("application/n-triples", b"<http://xmlns.com/foaf/0.1/name>"),
        ("application/n-quads", b"<http://xmlns.com/foaf/0.1/name>"),
        ("application/trig", b"foaf:name"),
        ("application/rdf+xml", b"<rdf:RDF"),
        ("application/ld+json", b'"@id"'),
    ],
)
def test_construct_formats(store: OxigraphStore, accept: str, needle: bytes) -> None:
    got, body = store.query("CONSTRUCT WHERE { ?s <http://xmlns.com/foaf/0.1/name> ?o }", accept)
    assert got.startswith(accept)
    assert needle in body
    if accept == "text/turtle":
        assert b"@prefix sph:" not in body


def test_default_graph_is_the_union(store: OxigraphStore) -> None:
    assert _count(store, "SELECT * { ?s ?p ?o }") == 5 + 40 + _void_size(store)


def _void_size(store: OxigraphStore) -> int:
    return _count(store, "SELECT * { GRAPH <https://w3id.org/saphire/graph/void> { ?s ?p ?o } }")


def test_from_names_the_default_graph(store: OxigraphStore) -> None:
    assert _count(store, f"SELECT * FROM <{PEOPLE_G}> {{ ?s ?p ?o }}") == 5


def test_protocol_default_graphs_override_from(store: OxigraphStore) -> None:
    assert (
        _count(store, f"SELECT * FROM <{PEOPLE_G}> {{ ?s ?p ?o }}", default_graphs=[NUMBERS_G])
        == 40
    )


def test_protocol_named_graphs_only(store: OxigraphStore) -> None:
    q = "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }"
    assert _count(store, q, named_graphs=[PEOPLE_G]) == 1
    assert (
        _count(store, "SELECT * { ?s ?p ?o }", named_graphs=[PEOPLE_G]) == 0
    )  # empty default graph


def test_relative_iris_resolve_against_the_dataset_base(store: OxigraphStore) -> None:
    _, body = store.query("CONSTRUCT { <s> <p> 1 } WHERE {}", "application/n-triples")
    assert b"<https://w3id.org/saphire/s>" in body


def test_syntax_error_has_line_and_column(store: OxigraphStore) -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        store.query("SELECT *\nWHERE { ?s ?p }")
    assert (raised.value.line, raised.value.column) == (2, 15)
    assert str(raised.value).startswith("syntax error at 2:15: ")
    assert len(str(raised.value)) < 300


@pytest.mark.parametrize(
    ("query", "at", "says"),
    [
        # Oxigraph alone named 5:3 (LIMIT) and 4:1 (the closing brace): where its parser got
        # furthest on some path, lines after the mistake (a reviewer's cases)
        ("SELECT ?s\nWHERE {\n  ?s ?p ?o ) \n}\nLIMIT 5", (3, 12), "')' where '}' should close"),
        ("SELECT ?s\nWHERE {\n  ?s ?p ?o .. \n}", (3, 13), "a second '.'"),
        ("SELECT * WHERE { ?s ?p ?o FILTER(?o = '}') ) }", (1, 44), "')' where '}'"),
        ("SELECT * WHERE { ?s ?p ?o ] }", (1, 27), "']' where '}'"),
        ("SELECT * WHERE { ?s ?p ?o } ) LIMIT 1", (1, 29), "')' closes nothing"),
        # where Oxigraph's own position is right, it stays
        ("SELECT * WHERE { ?s ?p ?o FILTER(?o > ) }", (1, 41), "expected"),
        ("SELECT * WHERE { ?s ?p ?o . .5 ?p ?o .\n FILTER(?o = ) }", (2, 16), "expected"),
        ("SELECT * WHERE { ?s ?p ?o } }", (1, 29), "expected"),
    ],
)
def test_a_syntax_error_is_where_the_mistake_is(
    store: OxigraphStore, query: str, at: tuple[int, int], says: str
) -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        store.query(query)
    assert (raised.value.line, raised.value.column) == at
    assert says in str(raised.value)


@pytest.mark.parametrize(
    "accept",
    [
        "application/sparql-results+json",
        "text/csv",
        "text/tab-separated-values",
        "application/sparql-results+xml",
    ],
)
def test_row_limit(store_dir: Path, accept: str) -> None:
    capped = OxigraphStore(store_dir, max_results=40)
    assert _count(capped, f"SELECT * FROM <{NUMBERS_G}> {{ ?s ?p ?o }}") == 40
    with pytest.raises(ResultTooLarge, match="more than 40 rows"):
        capped.query(f"SELECT * FROM <{NUMBERS_G}> {{ ?s ?p ?o }} VALUES ?x {{ 1 2 }}", accept)
    # At the limit, in every format, even with values whose newlines, braces and markup make
    # the quick upper bound on the rows overshoot (then the rows are counted exactly).
    awkward = " ".join(f'"line {i}\\n{{<result>}}\\n"' for i in range(40))
    capped.query(f"SELECT * FROM <{NUMBERS_G}> {{ ?s ?p ?o }}", accept)
    capped.query(f"SELECT ?v {{ VALUES ?v {{ {awkward} }} }}", accept)
    with pytest.raises(ResultTooLarge, match="more than 40 rows"):
        capped.query(f"SELECT ?v {{ VALUES ?v {{ {awkward} 41 }} }}", accept)


def test_triple_and_byte_limits(store_dir: Path) -> None:
    with pytest.raises(ResultTooLarge, match="more than 10 triples"):
        OxigraphStore(store_dir, max_results=10).query(
            "CONSTRUCT WHERE { ?s ?p ?o }", "text/turtle"
        )
    with pytest.raises(ResultTooLarge, match="more than 1000 bytes"):
        OxigraphStore(store_dir, max_bytes=1000).query("SELECT * { ?s ?p ?o }")


def test_ask(store: OxigraphStore) -> None:
    _, body = store.query("ASK { ?s a <http://xmlns.com/foaf/0.1/Person> }")
    assert json.loads(body) == {"head": {}, "boolean": True}
