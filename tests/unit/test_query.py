"""query: terms written safely, bound by text / substitution / VALUES with one answer, hostile values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Literal, Namespace, URIRef

from saphire_kg.catalog import read_query
from saphire_kg.errors import ParameterError
from saphire_kg.query import (
    BINDING_MODES,
    bind_text,
    bind_values,
    execute,
    plain_rows,
    run,
    serialize_term,
)
from saphire_kg.store import GraphFile, OxigraphStore

XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # open: pytest probes attributes
EX = "http://example.org/"

DATA = """
@prefix ex: <http://example.org/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix sph: <https://w3id.org/saphire/ontology#> .
<https://w3id.org/saphire/id/region/AA1> a sph:Region ; skos:prefLabel "one" ; ex:n 1 ; ex:in <https://w3id.org/saphire/id/region/AA> .
<https://w3id.org/saphire/id/region/AA2> a sph:Region ; skos:prefLabel "two" ; ex:n 2 ; ex:in <https://w3id.org/saphire/id/region/AA> .
<https://w3id.org/saphire/id/region/AA> a sph:Region ; skos:prefLabel "all" .
ex:s ex:label "a \\"quoted\\" }\\nUNION { ?s ?p ?o }" .
"""

QUERY = """\
#+ title: Labels of a region, counted
#+ description: A test query with a sub-select, grouping and every binding position.
#+ parameters:
#+   - name: region
#+     type: region
#+     example: AA1
#+     description: The region.
#+   - name: text
#+     type: string
#+     default: one
#+     description: A label.
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX ex: <http://example.org/>
SELECT ?region ?text (COUNT(?label) AS ?n) WHERE {
  { SELECT ?region (SAMPLE(?l) AS ?label) WHERE { ?region skos:prefLabel ?l } GROUP BY ?region }
  FILTER (?label = ?text || STRLEN(?text) > 100)
}
GROUP BY ?region ?text
ORDER BY ?region
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    folder = tmp_path_factory.mktemp("data")
    (folder / "data.ttl").write_text(DATA, encoding="utf-8")
    return OxigraphStore.in_memory([GraphFile(folder / "data.ttl", "http://example.org/graph/data")])


@pytest.fixture(scope="module")
def query(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("queries")
    (folder / "t.rq").write_text(QUERY, encoding="utf-8")
    return read_query(folder / "t.rq", folder)


# term, its SPARQL form
TERMS = [
    (URIRef("https://w3id.org/saphire/id/region/FI1D"), "<https://w3id.org/saphire/id/region/FI1D>"),
    (Literal("plain"), '"plain"'),
    (Literal('q"u\\o\nt\te\r'), '"q\\"u\\\\o\\nt\\te\\r"'),
    (Literal("chat", lang="fr"), '"chat"@fr'),
    (Literal(3, datatype=XSD.integer), '"3"^^<http://www.w3.org/2001/XMLSchema#integer>'),
]


@pytest.mark.parametrize(("term", "written"), TERMS)
def test_terms_are_written_escaped(term: object, written: str) -> None:
    assert serialize_term(term) == written


def test_an_iri_that_would_break_out_is_refused() -> None:
    with pytest.raises(ValueError):
        serialize_term(URIRef("http://x/> } UNION { ?s ?p ?o } <http://y"))


def test_text_binding_touches_variable_tokens_only(query) -> None:
    text = bind_text(query.sparql, {"region": URIRef("https://w3id.org/saphire/id/region/AA1"), "text": Literal("?region")})
    body = text.split("PREFIX", 1)[1]
    assert "SELECT (<https://w3id.org/saphire/id/region/AA1> AS ?region)" in body
    assert "SELECT (<https://w3id.org/saphire/id/region/AA1> AS ?_region_1)" in body  # the sub-select's own name
    assert "GROUP BY (<https://w3id.org/saphire/id/region/AA1>)" in body
    assert '?label = "?region"' in body  # the value's text is a literal, never a variable
    assert "#+   - name: region" in text  # comments are untouched


def test_values_binding_opens_the_where_group(query) -> None:
    text = bind_values(query.sparql, {"region": URIRef("https://w3id.org/saphire/id/region/AA1")})
    assert "WHERE { VALUES (?region) { (<https://w3id.org/saphire/id/region/AA1>) }" in text


@pytest.mark.parametrize("value", [None, "AA1", "AA2", "AA"])
def test_the_three_binding_modes_give_one_answer(store: OxigraphStore, query, value: str | None) -> None:
    terms = query.bind({"region": value} if value else {})
    answers = {mode: plain_rows(run(store, query.sparql, terms, mode=mode)[1]) for mode in BINDING_MODES}
    assert answers["text"] == answers["substitutions"] == answers["values"]
    assert answers["text"] == ([{"region": "https://w3id.org/saphire/id/region/AA1", "text": "one", "n": "1"}] if value in (None, "AA1") else [])


# Hostile values for the string parameter: each is one literal; the answer is the one an
# ordinary non-matching value gets (no rows), and the query text keeps its shape.
HOSTILE = [
    '"',
    "'",
    '" } UNION { ?s ?p ?o } #',
    "} } SELECT * WHERE { ?s ?p ?o }",
    "UNION",
    "\nUNION { ?region ?p ?o }\n",
    "?region",
    "<http://example.org/s>",
    '\\" . } #',
    "x" * 200,
]


@pytest.mark.parametrize("mode", BINDING_MODES)
@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_are_one_literal(store: OxigraphStore, query, value: str, mode: str) -> None:
    answer = execute(store, query, {"region": "AA1", "text": value}, mode=mode)
    assert plain_rows(answer.body) == ([{"region": "https://w3id.org/saphire/id/region/AA1", "text": value, "n": "1"}] if len(value) > 100 else [])
    assert answer.bindings["text"] == Literal(value)


def test_the_hostile_table_is_all_collected() -> None:
    assert len(HOSTILE) == 10


@pytest.mark.parametrize(
    ("values", "parameter", "words"),
    [
        ({"region": 'AA1" } UNION {'}, "region", "NUTS code"),
        ({"region": "ZZ9"}, "region", "no region ZZ9"),
        ({"text": "x" * 201}, "text", "too long"),
        ({"text": "a\x07b"}, "text", "control characters"),
        ({"other": "1"}, "other", "no such parameter"),
    ],
)
def test_bad_values_are_parameter_errors(store: OxigraphStore, query, values: dict, parameter: str, words: str) -> None:
    with pytest.raises(ParameterError) as err:
        execute(store, query, values)
    assert err.value.parameter == parameter and words in str(err.value)


def test_json_results_carry_the_bound_values(store: OxigraphStore, query) -> None:
    answer = execute(store, query, {"region": "AA1"})
    data = json.loads(answer.body)
    assert data["head"]["vars"] == ["region", "text", "n"]


def test_csv_is_served_when_asked(store: OxigraphStore, query, tmp_path: Path) -> None:
    answer = execute(store, query, {"region": "AA1"}, accept="text/csv")
    assert answer.media_type.startswith("text/csv")
    assert answer.body.decode().splitlines()[0] == "region,text,n"
