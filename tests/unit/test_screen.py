"""Screening a query before it runs: form, dataset clause, cache key, SERVICE allow-list."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from saphire_kg.errors import QuerySyntaxError, ServiceNotAllowed, UpdateRefused
from saphire_kg.screen import REFUSED, allowed, names_dataset, screen, tokenize

ALLOW = ("https://query.wikidata.org/sparql", "http://allowed.example/")
Q3 = "'" * 3  # a long string's quotes

FORMS = [
    ("SELECT * { ?s ?p ?o }", "SELECT"),
    ("PREFIX select: <http://x/> ASK { select:a ?p ?o }", "ASK"),
    ("# SELECT in a comment\nCONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
    ("BASE <http://x/> describe <a>", "DESCRIBE"),
    ("PREFIX : <http://x/>\nselect ?x { ?x :p 'INSERT' }", "SELECT"),
]


@pytest.mark.parametrize(("query", "form"), FORMS)
def test_form(query: str, form: str) -> None:
    assert screen(query).form == form


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <a:a> <a:b> <a:c> }",
        "CLEAR ALL",
        "DROP GRAPH <a:g>",
        "LOAD <http://x/>",
        "PREFIX x: <http://x/> DELETE WHERE { ?s ?p ?o }",
        "WITH <a:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    ],
)
def test_updates_are_refused(update: str) -> None:
    with pytest.raises(UpdateRefused):
        screen(update)


def test_no_form_is_a_syntax_error() -> None:
    with pytest.raises(QuerySyntaxError):
        screen("{ ?s ?p ?o }")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT * FROM <http://g/> { ?s ?p ?o }", True),
        ("SELECT * from named <http://g/> { GRAPH ?g { ?s ?p ?o } }", True),
        ("SELECT * { ?s ?p 'FROM' } # FROM <x>", False),
        ("SELECT * { ?s <http://x/FROM> ?o }", False),
    ],
)
def test_names_dataset(query: str, expected: bool) -> None:
    assert names_dataset(query) is expected
    assert screen(query).has_dataset is expected


def test_the_cache_key_is_the_exact_text() -> None:
    """Only the whitespace around a query is dropped: a lexer that misread an escape or an
    ambiguous `<` as the start of a comment would otherwise give two queries one answer."""
    assert screen("  SELECT * WHERE { ?s ?p ?o }\n").normal == "SELECT * WHERE { ?s ?p ?o }"
    # only SPARQL's whitespace: `\xa0` makes another (invalid) query, not the same one
    assert screen("\xa0SELECT * WHERE { ?s ?p ?o }").normal != "SELECT * WHERE { ?s ?p ?o }"
    texts = [
        "SELECT *   WHERE {\n  ?s ?p ?o # all\n}",
        "SELECT * WHERE { ?s ?p ?o }",
        r"PREFIX ex: <http://example.org/> SELECT ?x WHERE { BIND(ex:item\#1 AS ?x) }",
        r"PREFIX ex: <http://example.org/> SELECT ?x WHERE { BIND(ex:item\#2 AS ?x) }",
        r"SELECT ?x WHERE { BIND(<http://example.org/\u0061#1> AS ?x) }",
        r"SELECT ?x WHERE { BIND(<http://example.org/\u0061#2> AS ?x) }",
    ]
    assert len({screen(t).normal for t in texts}) == len(texts)


@pytest.mark.parametrize(
    ("query", "token"),
    [
        (r"PREFIX ex: <http://e/> SELECT * { ex:a\#b\.c ?p ?o }", r"ex:a\#b\.c"),
        (r"SELECT * { <http://e/\u0061#1> ?p ?o }", r"<http://e/\u0061#1>"),
        (r"SELECT * { <http://e/\U00000061#1> ?p ?o }", r"<http://e/\U00000061#1>"),
    ],
)
def test_escapes_stay_inside_their_token(query: str, token: str) -> None:
    assert token in [t.text for t in tokenize(query)]


SERVICE_CASES = [
    # (query, outcome): "ok" runs as is, "skip" runs with a target no engine can call, "refuse"
    # is refused, "unreadable" is refused because rdflib cannot check it
    ("SELECT * { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }", "ok"),
    ("PREFIX wd: <https://query.wikidata.org/> SELECT * { SERVICE wd:sparql { ?s ?p ?o } }", "ok"),
    ("SELECT * { SERVICE <http://allowed.example/any/path> { ?s ?p ?o } }", "ok"),
    ("SELECT * { SERVICE <http://allowed.example.evil.com/> { ?s ?p ?o } }", "refuse"),
    ("SELECT * { SERVICE <https://query.wikidata.org/sparqlx> { ?s ?p ?o } }", "refuse"),
    ("SELECT * { SERVICE <http://127.0.0.1:8080/admin> { ?s ?p ?o } }", "refuse"),
    ("select * { service <http://127.0.0.1/> { ?s ?p ?o } }", "refuse"),
    ("SELECT * { SERVICE ?endpoint { ?s ?p ?o } }", "refuse"),
    ("SELECT * { ?s ?p ?o OPTIONAL { SERVICE <http://evil/> { ?s ?q ?r } } }", "refuse"),
    ("SELECT * { ?s ?p ?o FILTER EXISTS { SERVICE <http://evil/> { ?s ?q ?r } } }", "refuse"),
    ("SELECT * { SERVICE SILENT <http://evil/> { ?s ?p ?o } }", "skip"),
    ("SELECT * { SERVICE SILENT ?e { ?s ?p ?o } }", "skip"),
    ("SELECT * { ?s ?p 'SERVICE <http://evil/> { }' }", "ok"),
    ("SELECT * { ?s ?p ?o } # SERVICE <http://evil/> { }", "ok"),
    ("SELECT * { ?s <http://x/SERVICE> ?o }", "ok"),
    # the lexer alone reads `<?b)SERVICE:evil#>` as an IRI; the parser check catches it
    ("PREFIX : <http://evil/> SELECT * { ?s ?p ?o FILTER(?a<?b)SERVICE:evil#>\n{} }", "refuse"),
    # ... and after `EXISTS {}` (its `}` is an operand too: a reviewer's case, which called
    # the endpoint), or after a number
    (f"SELECT * {{ FILTER(EXISTS{{}}<=?b#>{Q3}\n )\n SERVICE <http://evil/> {{}} #{Q3}\n }}", "refuse"),
    (f"SELECT * {{ FILTER(NOT EXISTS{{}}<=?b#>{Q3}\n )\n SERVICE <http://evil/> {{}} #{Q3}\n }}", "refuse"),
    (f"SELECT * {{ FILTER(1<=?b#>{Q3}\n )\n SERVICE <http://evil/> {{}} #{Q3}\n }}", "refuse"),
    # the engine needs no boundary between tokens: each of these holds the keyword (a code
    # reviewer's cases; Oxigraph called the endpoint for every one)
    ("SELECT * { ?s ?p 1.SERVICE <http://evil/> { ?a ?b ?c } }", "refuse"),
    ("SELECT * { ?s ?p 1SERVICE <http://evil/> { ?a ?b ?c } }", "unreadable"),
    ("SELECT * { ?s ?p true.SERVICE <http://evil/> { ?a ?b ?c } }", "refuse"),
    ("SELECT * { ?s ?p trueSERVICE <http://evil/> { ?a ?b ?c } }", "unreadable"),
    ("PREFIX ex: <http://e/> SELECT * { ?s ?p ex:.SERVICE <http://evil/> { ?a ?b ?c } }", "refuse"),
    # one token to the engine too: nothing to read twice
    ("PREFIX sd: <http://www.w3.org/ns/sparql-service-description#> SELECT * { ?s a sd:Service. }", "ok"),
    ("PREFIX ex: <http://e/> SELECT * { ?s ex:a.SERVICE ?o }", "ok"),
]


@pytest.mark.parametrize(("query", "outcome"), SERVICE_CASES)
def test_service_allow_list(query: str, outcome: str) -> None:
    if outcome == "refuse":
        with pytest.raises(ServiceNotAllowed):
            screen(query, ALLOW)
        return
    if outcome == "unreadable":  # rdflib cannot read it: refused, not guessed at
        with pytest.raises(QuerySyntaxError, match="could not be checked against the allow-list"):
            screen(query, ALLOW)
        return
    screened = screen(query, ALLOW)
    if outcome == "ok":
        assert screened.text == query and not screened.skipped
    else:
        assert screened.skipped and REFUSED in screened.text


def test_a_refused_silent_service_calls_an_endpoint_no_engine_can_reach() -> None:
    screened = screen(
        "SELECT ?s ?x { ?s ?p ?o . SERVICE SILENT <http://evil/> { ?s ?q ?x } }", ALLOW
    )
    assert screened.text == f"SELECT ?s ?x {{ ?s ?p ?o . SERVICE SILENT {REFUSED} {{ ?s ?q ?x }} }}"
    assert screened.skipped == ("http://evil/",)


@pytest.mark.parametrize(
    ("query", "rows"),
    [
        ("SELECT * { SERVICE SILENT <http://evil/> { ?s ?p ?o } }", [{}]),
        ("SELECT * { SERVICE SILENT ?e { ?s ?p ?o } }", [{}]),
        # Oxigraph reads `#>} OPTIONAL …` as a comment; rewriting the whole group by the
        # lexer's braces had run the OPTIONAL instead (a reviewer's case)
        (
            "SELECT * WHERE { SERVICE SILENT <http://evil.example/sparql> { ?s ?p ?o "
            "FILTER(?a<?b)#>} OPTIONAL { ?t a ?v\n} }\nLIMIT 3",
            [{}],
        ),
        # an escaped target is the endpoint it spells (and it is not allowed)
        (r"SELECT * { SERVICE SILENT <http://ev\u0069l/> { ?s ?p ?o } }", [{}]),
        (
            "SELECT ?x { VALUES ?x { 1 2 } SERVICE SILENT <http://evil/> { ?s ?p ?o } } ORDER BY ?x",
            [{"x": "1"}, {"x": "2"}],
        ),
    ],
)
def test_a_refused_silent_service_yields_one_empty_solution_in_the_engine(
    query: str, rows: list[dict[str, str]]
) -> None:
    """The rewritten text, run by Oxigraph on a graph with data: the silent call fails at once
    (nothing is contacted) and the rest of the query is what it was."""
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.Literal("o")))
    screened = screen(query, ALLOW)
    assert screened.skipped
    results = store.query(screened.text)
    names = [v.value for v in results.variables]  # type: ignore[union-attr]
    found = [{n: s[n].value for n in names if s[n] is not None} for s in results]  # type: ignore[union-attr,index]
    assert found == rows


def test_an_escaped_target_is_checked_as_the_iri_it_spells() -> None:
    query = r"SELECT * { SERVICE <https://query.wikid\u0061ta.org/sparql> { ?s ?p ?o } }"
    assert screen(query, ALLOW).text == query
    with pytest.raises(ServiceNotAllowed):
        screen(r"PREFIX e: <http://ev\u0069l/> SELECT * { SERVICE e:x\/y { ?s ?p ?o } }", ALLOW)


def test_refusal_names_the_endpoint_and_the_allow_list() -> None:
    with pytest.raises(ServiceNotAllowed) as raised:
        screen("SELECT * { SERVICE <http://10.0.0.1/sparql> { ?s ?p ?o } }", ALLOW)
    assert "http://10.0.0.1/sparql" in str(raised.value)
    assert "https://query.wikidata.org/sparql" in str(raised.value)


def test_no_allow_list_refuses_every_service() -> None:
    with pytest.raises(ServiceNotAllowed):
        screen("SELECT * { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }")


@pytest.mark.parametrize(
    ("target", "allow", "expected"),
    [
        ("http://a/sparql", ("http://a/sparql",), True),
        ("http://a/sparql2", ("http://a/sparql",), False),
        ("http://a/x/y", ("http://a/",), True),
        ("http://a.evil/", ("http://a",), False),
        (None, ("http://a/",), False),
        (None, ("*",), True),
        ("http://anything/", ("*",), True),
        # out from under a prefix by dot segments (a reviewer's case: sent as written)
        ("http://a/sparql/../admin", ("http://a/sparql/",), False),
        ("http://a/sparql/%2e%2E/admin", ("http://a/sparql/",), False),
        ("http://a/sparql/./x", ("http://a/sparql/",), False),
        ("http://a/sparql/..%5cadmin", ("http://a/sparql/",), False),
        ("http://a/sparql/x..y/z?q=../a", ("http://a/sparql/",), True),
        ("http://a/sparql/../x", ("http://a/sparql/../x",), True),  # (named exactly)
    ],
)
def test_allowed(target: str | None, allow: tuple[str, ...], expected: bool) -> None:
    assert allowed(target, allow) is expected


def _patterns(n: int) -> str:
    return " ".join(f"?s <http://ex.org/p> ?o{i} ." for i in range(n))


@pytest.mark.parametrize(
    "query",
    [
        # "service" in a string, an IRI in a triple pattern, a comment: nothing to read twice
        "SELECT * WHERE { " + _patterns(200) + ' FILTER(?s != "service") } LIMIT 1',
        "PREFIX sd: <http://www.w3.org/ns/sparql-service-description#> SELECT * WHERE { "
        + _patterns(200)
        + " ?s a sd:Service }",
        "SELECT * WHERE { " + _patterns(200) + " } # SERVICE <http://evil/> {}",
        "SELECT * WHERE { ?s ?p ?o FILTER(?o IN (<http://a/service>, <http://b/>)) }",
    ],
)
def test_a_query_the_lexer_reads_unambiguously_is_not_parsed_again(
    query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rdflib's parser (slow, and recursive: a RecursionError refused 90 triple patterns with
    "service" in a string, a reviewer's case) reads only queries with an ambiguous `<`."""

    def parsed(*_: object) -> list:
        raise AssertionError("rdflib's parser was asked")

    monkeypatch.setattr("saphire_kg.screen._parsed_services", parsed)
    assert screen(query, ALLOW).form == "SELECT"


def test_an_ambiguous_less_than_is_parsed_again() -> None:
    from saphire_kg.screen import ambiguous_iri

    sig = [t for t in tokenize("SELECT * { ?s ?p ?a FILTER(?a<?b)#> }") if t.kind != "ws"]
    assert ambiguous_iri(sig) == sig[9].start and sig[9].text == "<?b)#>"
    assert ambiguous_iri([t for t in tokenize("SELECT * { ?s <p> ?o }") if t.kind != "ws"]) is None


VOLATILE_CASES = [
    ("SELECT (NOW() AS ?t) {}", True),
    ("select (struuid () AS ?u) {}", True),
    ("SELECT ?s { ?s ?p ?o } ORDER BY rand # a comment\n ()", True),
    ("SELECT (UUID() AS ?u) {}", True),
    ("SELECT ?x { BIND(1+RAND() AS ?x) }", True),
    ("SELECT * { ?s ?p ?o . FILTER(?o < NOW()) }", True),
    ("SELECT * { SERVICE <http://allowed.example/sparql> { ?s ?p ?o } }", True),
    # a hidden keyword the engine reads (its target allowed): found by the second reading
    ("SELECT * { ?s ?p 1.SERVICE <http://allowed.example/x> { ?a ?b ?c } }", True),
    ("SELECT * { ?s ?p 'NOW()' }", False),
    ("SELECT * { ?s <http://x/rand()> ?o }", False),
    ("PREFIX ex: <http://x/> SELECT (ex:now() AS ?t) {}", False),
    ("SELECT ?now ?rand { ?now ?rand ?uuid }", False),
    ("SELECT * { SERVICE SILENT <http://evil/> { ?s ?p ?o } }", False),  # never called
    ("SELECT * { ?s ?p ?o } # NOW()", False),
    # the lexer reads `<?b||NOW()>` as an IRI; the engine, as a call
    ("SELECT * { ?s ?p ?a FILTER(?a<?b||NOW()>?a) }", True),
    # ... and here a comment, then a string, hide a call with a comment before its `(`, and a
    # SERVICE (a reviewer's cases: their answers were cached)
    (f"SELECT ?t {{ FILTER(?a<?b#>{Q3}\n )\n BIND(NOW#\n () AS ?t)\n #{Q3}\n }}", True),
    (
        f"SELECT * {{ FILTER(EXISTS{{}}<=?b#>{Q3}\n )\n"
        f" SERVICE <http://allowed.example/x> {{}} #{Q3}\n }}",
        True,
    ),
    ("SELECT * { ?s ?p ?o } ORDER BY BNODE() LIMIT 3", True),
    ("SELECT ?b { BIND(bnode('x') AS ?b) }", True),
]


@pytest.mark.parametrize(("query", "expected"), VOLATILE_CASES)
def test_a_query_whose_answer_may_change_while_the_dataset_does_not_is_volatile(
    query: str, expected: bool
) -> None:
    assert screen(query, ALLOW).volatile is expected
