"""Screening a query before it runs: form, dataset clause, normal form, SERVICE allow-list."""

from __future__ import annotations

import pytest

from saphire_kg.errors import QuerySyntaxError, ServiceNotAllowed, UpdateRefused
from saphire_kg.screen import allowed, names_dataset, screen

ALLOW = ("https://query.wikidata.org/sparql", "http://allowed.example/")

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


def test_normal_form_ignores_comments_and_layout_but_not_strings() -> None:
    a = screen("SELECT *   WHERE {\n  ?s ?p ?o # all\n}")
    b = screen("SELECT * WHERE { ?s ?p ?o }")
    c = screen('SELECT * WHERE { ?s ?p "a  b" }')
    d = screen('SELECT * WHERE { ?s ?p "a b" }')
    assert a.normal == b.normal
    assert c.normal != d.normal


SERVICE_CASES = [
    # (query, outcome): "ok" runs as is, "skip" runs with the clause replaced by {}, "refuse" is refused
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
]


@pytest.mark.parametrize(("query", "outcome"), SERVICE_CASES)
def test_service_allow_list(query: str, outcome: str) -> None:
    if outcome == "refuse":
        with pytest.raises(ServiceNotAllowed):
            screen(query, ALLOW)
        return
    screened = screen(query, ALLOW)
    if outcome == "ok":
        assert screened.text == query and not screened.skipped
    else:
        assert screened.skipped and "SERVICE" not in screened.text.upper().split("#")[0]


def test_silent_service_becomes_one_empty_solution_group() -> None:
    screened = screen(
        "SELECT ?s ?x { ?s ?p ?o . SERVICE SILENT <http://evil/> { ?s ?q ?x } }", ALLOW
    )
    assert screened.text == "SELECT ?s ?x { ?s ?p ?o . {} }"
    assert screened.skipped == ("http://evil/",)


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
    ],
)
def test_allowed(target: str | None, allow: tuple[str, ...], expected: bool) -> None:
    assert allowed(target, allow) is expected
