"""Property-based fuzzing of the SPARQL path: random and mutated queries against a real server.

Three sources of queries: arbitrary text; soups of SPARQL tokens (keywords, variables, IRIs,
literals, punctuation, escapes); and mutations (a span deleted, duplicated or replaced, a token
inserted, the text cut) of valid queries: every canned analysis with its examples bound, and a
few hand-written ones of every form. Each goes by GET, POST form or POST body with a random
Accept. No answer may be a 5xx (a timeout included: the data is small); every 4xx says what
was wrong.
"""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from saphire_kg.query import bind_text
from tests.fuzz.conftest import TALLY, bounded, catalog, check_answer

EXAMPLES = 1000  # per source of queries: 3,000 queries, under a minute


def _corpus() -> list[str]:
    canned = [bind_text(q.sparql, q.bind(q.examples())) for q in catalog()]
    return canned + [
        "SELECT * WHERE { ?s ?p ?o } LIMIT 10",
        "ASK { ?s a <https://w3id.org/saphire/ontology#Region> }",
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 5",
        "DESCRIBE <https://w3id.org/saphire/id/region/BE2>",
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "SELECT ?l WHERE { ?r skos:prefLabel ?l "
        'FILTER(LANG(?l) = "" && REGEX(?l, "^V", "i")) } ORDER BY DESC(?l)',
        "SELECT (COUNT(*) AS ?n) (SUM(?x) AS ?t) WHERE { VALUES ?x { 1 2 3 } } "
        "GROUP BY ?x HAVING(?n > 0)",
        "SELECT * FROM <https://w3id.org/saphire/graph/void> WHERE { ?s ?p ?o } OFFSET 2 LIMIT 2",
        "SELECT ?s WHERE { ?s <http://www.w3.org/2004/02/skos/core#broader>+ ?t . "
        "MINUS { ?s ?q ?t } }",
    ]


CORPUS = _corpus()
TOKENS = [
    "SELECT",
    "ASK",
    "CONSTRUCT",
    "DESCRIBE",
    "WHERE",
    "{",
    "}",
    "(",
    ")",
    ".",
    ";",
    ",",
    "*",
    "?s",
    "?p",
    "?o",
    "$x",
    "<http://example.org/a>",
    "<>",
    "<#>",
    "a",
    "FILTER",
    "OPTIONAL",
    "UNION",
    "MINUS",
    "GRAPH",
    "SERVICE",
    "SILENT",
    "VALUES",
    "BIND",
    "AS",
    "GROUP BY",
    "ORDER BY",
    "LIMIT",
    "OFFSET",
    "1",
    "-1",
    "1e999",
    "99999999999999999999",
    '"x"',
    "'y'",
    '"""z"""',
    "@en",
    "^^",
    "<http://www.w3.org/2001/XMLSchema#integer>",
    "PREFIX",
    "BASE",
    "p:",
    "p:x",
    "_:b",
    "[]",
    "()",
    "!",
    "|",
    "/",
    "^",
    "+",
    "?",
    "#",
    "\n",
    "\\u0041",
    "\\",
    "FROM",
    "NAMED",
    "INSERT",
    "DELETE",
    "COUNT(*)",
    'REGEX(?s, "(a+)+$")',
    "STR(?s)",
    'IRI("x")',
    "NOW()",
    "RAND()",
    "EXISTS",
    "NOT",
    "IN",
    "&&",
    "||",
    "=",
    "!=",
    "<",
    ">",
    "TRUE",
    "UNDEF",
    "\x00",
    "\ufeff",
]
ACCEPTS = [
    None,
    "*/*",
    "application/sparql-results+json",
    "text/csv",
    "text/turtle",
    "application/ld+json",
    "image/png",
    "application/json, text/*;q=0.5",
    "text/html",
    ";;;q=x",
    "application/n-quads",
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(CORPUS))
    for _ in range(draw(st.integers(1, 3))):
        n = len(text)
        i = draw(st.integers(0, n))
        j = draw(st.integers(i, min(n, i + 40)))
        op = draw(st.sampled_from(["delete", "duplicate", "replace", "insert", "cut"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        elif op == "replace":
            text = text[:i] + draw(st.text(max_size=8)) + text[j:]
        elif op == "insert":
            text = text[:i] + " " + draw(st.sampled_from(TOKENS)) + " " + text[i:]
        else:
            text = text[:i]
    return text


SOURCES = {
    "random": st.text(max_size=300),
    "tokens": st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join),
    "mutated": mutated(),
}


@pytest.fixture(scope="module")
def client(fuzz_server):
    with httpx.Client(base_url=fuzz_server.base, timeout=60) as c:
        yield c


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_no_query_text_makes_a_server_error(client: httpx.Client, source: str) -> None:
    @bounded(EXAMPLES)
    @given(
        query=SOURCES[source],
        how=st.sampled_from(["get", "form", "body"]),
        accept=st.sampled_from(ACCEPTS),
    )
    def attack(query: str, how: str, accept: str | None) -> None:
        headers = {"accept": accept} if accept else {}
        if how == "get":
            r = client.get("/sparql", params={"query": query}, headers=headers)
        elif how == "form":
            r = client.post("/sparql", data={"query": query}, headers=headers)
        else:
            headers["content-type"] = "application/sparql-query"
            r = client.post(
                "/sparql", content=query.encode("utf-8", "surrogatepass"), headers=headers
            )
        TALLY[f"sparql {source}"] += 1
        TALLY[f"sparql status {r.status_code}"] += 1
        check_answer(r.status_code, r.headers.get("content-type", ""), r.content)

    attack()


def test_the_corpus_has_every_canned_query() -> None:
    assert len(CORPUS) == 22 + 8
